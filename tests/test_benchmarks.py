"""The speed harness's arithmetic: FLOP counts, the products of a step, floors and the
verdicts. Nothing here is timed against a threshold; timing belongs to the harness."""

from __future__ import annotations

import math

import pytest

from benchmarks import floors
from benchmarks.run import CONFIGS, MLP, Result, checks, epoch_flops


def test_epoch_flops_counts_three_products_per_weight():
    # 784-256-128-10: 234,752 weights, 6 FLOPs each per sample -> 1.41 MFLOP
    weights = 784 * 256 + 256 * 128 + 128 * 10
    assert epoch_flops(MLP, 1) == 6 * weights
    assert epoch_flops(MLP, 1, first_input_gradient=False) == 6 * weights - 2 * 784 * 256
    assert epoch_flops(MLP, 60000) == 60000 * 6 * weights


def test_step_products_match_the_flop_count():
    sizes, batch = CONFIGS["wide-b128"]["sizes"], 128
    products = floors.step_products(sizes, batch)
    # forward and weight gradient per layer, input gradient for all but the first
    assert len(products) == 3 * (len(sizes) - 1) - 1
    per_sample = sum(2 * m * k * n for _, m, k, n, _ in products) / batch
    assert per_sample == epoch_flops(sizes, 1, first_input_gradient=False)
    transposed = [name for name, *_, is_transposed in products if is_transposed]
    assert transposed == [f"layer {i} xᵀ δ" for i in (1, 2, 3)]


def test_floor_of_a_small_network_is_positive_and_consistent():
    floor = floors.measure([20, 16, 3], batch=8, n_samples=20)  # 2 full batches + 4 rows
    assert floor.products > 0 and floor.optimizer > 0
    assert floor.total == pytest.approx(floor.products + floor.optimizer)
    flops = sum(2 * m * k * n for _, m, k, n, _ in floors.step_products([20, 16, 3], 8))
    assert floor.flops == pytest.approx(flops * 20 / 8)
    line = floors.describe("tiny", floor, bound=floor.total / 2)
    assert line.startswith("- tiny: products") and "2.00 × the sgemm bound" in line


def _result(tool: str, seconds: list[float], ratios: list[float],
            accuracy: float = 0.98) -> Result:
    return Result(tool, epoch_seconds=seconds, bound_ratios=ratios, accuracy=accuracy,
                  samples_per_second=1000.0, peak_rss_mb=300.0)


def test_bound_ratio_is_the_median_of_the_rounds():
    result = _result("neuroflow", [1.0, 5.0, 1.2], [1.8, 9.0, 1.9])
    assert result.seconds == 1.2
    assert result.bound_ratio == 1.9
    assert math.isnan(Result("empty").bound_ratio)


def test_ratio_to_pairs_the_epochs_of_each_round():
    # the machine slows down for rounds 2-3: paired ratios stay 0.8, the ratio of the
    # medians (2.4 / 2.0) does not
    mine = _result("neuroflow", [0.8, 2.4, 2.4], [1.0] * 3)
    reference = _result("pytorch", [1.0, 3.0, 3.0], [1.0] * 3)
    assert mine.ratio_to(reference) == pytest.approx(0.8)
    assert mine.seconds / reference.seconds == pytest.approx(0.8)
    drifting = _result("neuroflow", [0.8, 0.8, 2.4], [1.0] * 3)
    assert drifting.ratio_to(reference) == pytest.approx(0.8)
    assert drifting.seconds / reference.seconds == pytest.approx(0.8 / 3.0)


def test_checks_judge_each_target():
    results = {"mlp-b128": {
        "neuroflow": _result("neuroflow", [0.7] * 3, [1.7] * 3, accuracy=0.980),
        "pytorch": _result("pytorch", [0.9] * 3, [2.2] * 3, accuracy=0.981),
        "sklearn": _result("sklearn", [1.1] * 3, [2.7] * 3, accuracy=0.976),
    }, "wide-b128": {"neuroflow": _result("neuroflow", [5.8] * 3, [1.66] * 3)}}
    verdicts = {text: (ok, value) for text, ok, value in checks(results)}
    assert verdicts["batch 128: neuroflow ≤ 0.9 × PyTorch"] == (True, "0.78")
    assert verdicts["batch 128: neuroflow ≤ 0.75 × scikit-learn"] == (True, "0.64")
    assert verdicts["batch 128: accuracy within 0.3 points of scikit-learn"][0] is False
    assert verdicts["batch 128: neuroflow ≤ 2 × sgemm bound"] == (True, "1.70")
    assert verdicts["wide: neuroflow ≤ 1.5 × sgemm bound"] == (False, "1.66")
    assert "batch 32: neuroflow ≤ 1.0 × PyTorch" not in verdicts  # not measured
