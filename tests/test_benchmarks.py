"""The speed harness's arithmetic: FLOP counts, the products of a step, floors and the
verdicts. Nothing here is timed against a threshold; timing belongs to the harness."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import floors, gpu, models, run, workers
from benchmarks.probe import describe_kernels
from benchmarks.run import (
    CONFIGS,
    MLP,
    ROOT,
    Probe,
    Result,
    Worker,
    blas_environment,
    checks,
    epoch_flops,
    format_table,
    inference_check,
    inference_ratios,
    info_section,
    kernels_by_tool,
    machine_description,
    tight_over_loose,
    worker_environment,
)


def test_epoch_flops_counts_three_products_per_weight():
    # 784-256-128-10: 234,752 weights, 6 FLOPs each per sample -> 1.41 MFLOP
    weights = 784 * 256 + 256 * 128 + 128 * 10
    assert epoch_flops(MLP, 1) == 6 * weights
    assert epoch_flops(MLP, 1, first_input_gradient=False) == 6 * weights - 2 * 784 * 256
    assert epoch_flops(MLP, 60000) == 60000 * 6 * weights


def test_tight_count_leaves_out_only_the_first_input_gradient():
    # 784-256-128-10: forward + weight gradient for 3 layers, input gradient for 2
    tight = epoch_flops(MLP, 1, first_input_gradient=False)
    assert tight == 2 * (2 * 784 * 256) + 3 * (2 * 256 * 128) + 3 * (2 * 128 * 10)
    assert tight == 1_007_104  # 1.01 MFLOP per sample, against 1.41 loose
    assert tight_over_loose({"sizes": MLP}) == pytest.approx(1_007_104 / 1_408_512)
    # deep 784-(256×6)-10: only the 784×256 input gradient is dropped
    deep = CONFIGS["deep-b128"]["sizes"]
    assert epoch_flops(deep, 1) - epoch_flops(deep, 1, first_input_gradient=False) == (
        2 * 784 * 256)
    # a single layer computes two products only
    assert epoch_flops([5, 3], 4, first_input_gradient=False) == 4 * 2 * (2 * 5 * 3)


def test_table_reports_the_tight_ratio_with_the_loose_one_beside():
    # an epoch at 2.4 × the tight bound is at 2.4 × 1.01 / 1.41 = 1.72 × the loose one
    row = format_table("mlp-b128", {"neuroflow": _result("neuroflow", [0.7], [2.4])})[0]
    assert "| 2.40 (1.72) |" in row


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
    # 2 full batches + 4 rows
    floor = floors.measure({"sizes": [20, 16, 3], "batch_size": 8}, n_samples=20)
    assert floor.products > 0 and floor.optimizer > 0
    assert floor.total == pytest.approx(floor.products + floor.optimizer)
    flops = sum(2 * m * k * n for _, m, k, n, _ in floors.step_products([20, 16, 3], 8))
    assert floor.flops == pytest.approx(flops * 20 / 8)
    line = floors.describe("tiny", floor, bound=floor.total / 2)
    assert line.startswith("- tiny: products") and "2.00 × the sgemm bound" in line
    assert 0 < floor.inference < 1 and "samples/s at most" in line


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
        "pytorch": _result("pytorch", [1.0] * 3, [2.2] * 3, accuracy=0.981),
        "sklearn": _result("sklearn", [1.4] * 3, [2.7] * 3, accuracy=0.976),
    }, "wide-b128": {"neuroflow": _result("neuroflow", [5.8] * 3, [1.66] * 3),
                     "pytorch": _result("pytorch", [6.0] * 3, [1.7] * 3)}}
    floor = floors.Floor(products=0.5, optimizer=0.1, flops=1e9)
    verdicts = {text: (ok, value) for text, ok, value in checks(results, {"mlp-b128": floor})}
    assert verdicts["mlp-b128: neuroflow ≤ 0.70 × PyTorch"] == (True, "0.70")
    assert verdicts["mlp-b128: neuroflow ≤ 0.55 × scikit-learn"] == (True, "0.50")
    assert verdicts["mlp-b128: accuracy within 0.3 points of PyTorch"] == (True, "0.10 points")
    ok, value = verdicts["mlp-b128: neuroflow ≤ 1.25 × the floor's matrix products alone"]
    assert ok is False and value.startswith("1.40")
    assert verdicts["wide-b128: neuroflow ≤ 0.90 × PyTorch"] == (False, "0.97")
    assert "mlp-b32: neuroflow ≤ 0.60 × PyTorch" not in verdicts  # not measured
    # without floors the products target is not judged
    assert not any("products" in text for text, _, _ in checks(results))


def _inference(neuroflow: float, pytorch: float) -> dict[str, Result]:
    mine, reference = _result("neuroflow", [1.0], [1.0]), _result("pytorch", [1.0], [1.0])
    mine.samples_per_second, reference.samples_per_second = neuroflow, pytorch
    return {"neuroflow": mine, "pytorch": reference}


def test_inference_is_judged_on_every_configuration():
    # 0.1's report: fast enough on batch 128, slower on batch 32 and deep
    results = {"mlp-b32": _inference(323_363, 344_410), "mlp-b128": _inference(380_000, 345_141),
               "wide-b128": _inference(47_792, 38_682), "deep-b128": _inference(143_135, 157_334)}
    ratios = inference_ratios(results)
    assert list(ratios) == ["mlp-b32", "mlp-b128", "wide-b128", "deep-b128"]
    assert ratios["mlp-b128"] == pytest.approx(380_000 / 345_141)
    text, ok, value = inference_check(results)
    assert text == ("inference samples/s ≥ 1.1 × PyTorch on every MLP configuration "
                    "(4 measured)")
    assert ok is False  # three rows of four miss the target: one row does not decide
    assert value.startswith("mlp-b32 0.94, mlp-b128 1.10, wide-b128 1.24, deep-b128 0.91")
    assert value.endswith("worst deep-b128 0.91 ×")
    verdicts = {text: ok for text, ok, _ in checks(results)}
    assert verdicts[text] is False


def test_inference_passes_only_when_every_row_does():
    passing = {"mlp-b128": _inference(120.0, 100.0), "wide-b128": _inference(111.0, 100.0)}
    assert inference_check(passing)[1] is True
    one_short = {**passing, "deep-b128": _inference(109.0, 100.0)}
    assert inference_check(one_short)[1] is False
    # a configuration without PyTorch is not judged; none at all gives no verdict
    alone = {"mlp-b128": {"neuroflow": _result("neuroflow", [1.0], [1.0])}}
    assert inference_ratios(alone) == {} and inference_check(alone) is None


# ------------------------------------------------ the kernel the workers run (issue 26)
def test_workers_run_without_both_forced_kernel_variables():
    driver = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576",
              "OPENBLAS_NUM_THREADS": "2", "PATH": "/bin"}
    env = worker_environment(base=driver)
    assert env == {"OPENBLAS_NUM_THREADS": "2", "PATH": "/bin"}
    assert driver["OPENBLAS_CORETYPE"] == "Haswell"  # the driver's own stays as it is
    assert worker_environment(keep_forced_kernel=True, base=driver) == driver
    # one of the two alone is removed too
    assert "OPENBLAS_L2_SIZE" not in worker_environment(base={"OPENBLAS_L2_SIZE": "1"})


def test_probe_measures_in_the_workers_environment(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "1048576")
    probe = Probe(1)
    try:
        assert probe.environment == {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None}
        for library in probe.blas:
            assert set(library) == {"internal_api", "version", "architecture", "num_threads"}
        assert probe.sgemm(repeats=1, size=256) > 0
        floor = probe.floor({"sizes": [20, 16, 3], "batch_size": 8}, 20)
        assert isinstance(floor, floors.Floor) and floor.products > 0 and floor.optimizer > 0
    finally:
        probe.quit()
    assert probe.process.returncode == 0
    kept = Probe(1, worker_environment(keep_forced_kernel=True))
    try:
        assert kept.environment == {"OPENBLAS_CORETYPE": "Haswell",
                                    "OPENBLAS_L2_SIZE": "1048576"}
    finally:
        kept.quit()


def test_a_worker_reports_the_kernel_it_runs():
    config = {"sizes": [784, 8, 10], "batch_size": 64, "epochs": 1, "seed": 0, "threads": 1,
              "train_samples": 128}
    worker = Worker("neuroflow", config)
    try:
        ready = worker.ask()
        assert ready["ready"] is True
        assert all(set(library) == {"internal_api", "version", "architecture", "num_threads"}
                   for library in ready["blas"])
    finally:
        worker.process.kill()
        worker.process.wait()


def test_the_report_names_each_tools_kernel_and_the_environment():
    openblas = {"internal_api": "openblas", "version": "0.3.31", "architecture": "SkylakeX",
                "num_threads": 2}
    mkl = {"internal_api": "mkl", "version": "2024.2", "architecture": "ATen AVX512",
           "num_threads": 2}
    results = {name: {"neuroflow": Result("neuroflow", blas=[openblas]),
                      "pytorch": Result("pytorch", blas=[mkl])}
               for name in ("mlp-b32", "mlp-b128")}
    kernels = kernels_by_tool(results)
    assert kernels == {"neuroflow": "openblas 0.3.31 SkylakeX kernel, 2 thread(s)",
                       "pytorch": "mkl 2024.2 ATen AVX512 kernel, 2 thread(s)"}
    assert describe_kernels([]) == "no BLAS library found"
    text = blas_environment({"OPENBLAS_CORETYPE": "Haswell"},
                            {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None})
    assert text == ("driver: OPENBLAS_CORETYPE=Haswell; workers: both unset (the kernel the "
                    "CPU picks)")
    machine = machine_description(kernels, text)
    assert machine["BLAS kernel, neuroflow"].startswith("openblas 0.3.31 SkylakeX")
    assert machine["BLAS environment"] == text
    assert "instruction sets" in machine


# ------------------------------------------------------------ make bench-gpu (issue 26)
def test_without_a_gpu_bench_gpu_says_so_in_one_line_and_exits_0(monkeypatch, capsys):
    monkeypatch.setattr(gpu.shutil, "which", lambda name: None)  # no nvidia-smi
    monkeypatch.setitem(sys.modules, "cupy", None)  # no CuPy
    assert gpu.find_gpu() is None
    assert gpu.main([]) == 0
    out, err = capsys.readouterr()
    assert out.count("\n") == 1 and out.startswith("benchmarks.gpu: no CUDA GPU found")
    assert err == ""


def test_bench_gpu_as_make_runs_it_here():
    if gpu.find_gpu() is not None:
        pytest.skip("this machine has a GPU: the command would benchmark it")
    done = subprocess.run([sys.executable, "-m", "benchmarks.gpu"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "benchmarks.gpu: no CUDA GPU found (nvidia-smi lists none, CuPy sees none); "
        "nothing measured"]


def test_a_missing_library_is_named_with_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "jax", None)
    gpu.serve("jax-gpu", {"configs": ["mlp-b128", "wide-b128"], "device": "gpu"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["config"] for line in lines] == ["mlp-b128", "wide-b128"]
    assert lines[0]["skipped"] == "jax not installed (pip install 'jax[cuda12]' optax)"


def test_the_gpu_script_runs_its_neuroflow_tool_on_the_cpu(tmp_path, capsys):
    # --device cpu runs the same code on NumPy: a check of the script, not a benchmark
    out = tmp_path / "gpu.md"
    assert gpu.main(["--device", "cpu", "--tools", "neuroflow-cupy", "--configs", "mlp-b1024",
                     "--epochs", "1", "--train-samples", "2048", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith("| mlp-b1024 |"))
    cells = [cell.strip() for cell in row.split("|")[1:-1]]
    assert cells[1] == "neuroflow-cupy" and float(cells[2]) > 0 and float(cells[6]) > 0
    assert row in out.read_text()


def test_gpu_table_gives_ratios_to_jax_and_pytorch():
    def measured(seconds: float, compile_seconds: float | None = None) -> dict:
        return {"config": "mlp-b128", "epoch_seconds": [seconds, seconds * 3, seconds],
                "compile_seconds": compile_seconds, "accuracy": 0.98,
                "samples_per_second": 1e6, "device": "cuda"}

    rows = gpu.table({"neuroflow-cupy": [measured(0.5)], "pytorch-cuda": [measured(1.0)],
                      "jax-gpu": [measured(0.25, compile_seconds=1.5)]}, ["mlp-b128"])
    assert rows[2] == "| mlp-b128 | neuroflow-cupy | 0.500 | – | 2.00 | 0.50 | 98.00 | 1,000,000 |"
    assert rows[4].startswith("| mlp-b128 | jax-gpu | 0.250 | 1.50 | 1.00 | 0.25 |")
    skipped = gpu.table({"neuroflow-cupy": [measured(0.5)],
                         "jax-gpu": [{"config": "mlp-b128", "skipped": "out of time"}]},
                        ["mlp-b128"])
    assert "| 0.500 | – | – | – |" in skipped[2]
    assert skipped[3] == "| mlp-b128 | jax-gpu | not measured: out of time | | | | | |"


def test_the_report_shows_neuroflow_info_with_and_without_the_forced_kernel(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)
    lines = info_section(worker_environment())
    text = "\n".join(lines)
    assert lines[0] == "### `neuroflow info`"
    assert text.count("```\nneuroflow ") == 2  # both runs printed
    workers, machine = text.split("In this machine's environment:")
    assert "forced kernel: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE not set" in workers
    assert "forced kernel: OPENBLAS_CORETYPE=Haswell" in machine
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    assert "this machine's environment" not in "\n".join(info_section(worker_environment()))


def test_the_gpu_scripts_jax_epoch_matches_neuroflow_on_the_cpu(capsys):
    # same weights, batches and Adam: the test accuracies after 1 + 1 epochs agree
    pytest.importorskip("jax")
    pytest.importorskip("optax")
    assert gpu.main(["--device", "cpu", "--tools", "neuroflow-cupy,jax-gpu", "--configs",
                     "mlp-b1024", "--epochs", "1", "--train-samples", "1024"]) == 0
    rows = {cells[1]: cells for cells in (
        [cell.strip() for cell in line.split("|")[1:-1]]
        for line in capsys.readouterr().out.splitlines() if line.startswith("| mlp-b1024 |"))}
    assert float(rows["jax-gpu"][3]) > 0  # the compile time, reported beside the epoch
    assert abs(float(rows["jax-gpu"][6]) - float(rows["neuroflow-cupy"][6])) < 1.0


# ------------------------------------------------------- JAX and the CNN row (CPU harness)
#: Tiny versions of the benchmark's networks: an MLP and conv-pool-conv-pool-dense.
TINY = {"mlp": {"sizes": [784, 12, 10], "batch_size": 32, "seed": 3},
        "cnn": {"stack": "conv4k3,pool2,conv6k3,pool2,dense12", "input": 784, "outputs": 10,
                "batch_size": 32, "seed": 3}}


@pytest.fixture(scope="module")
def mnist_head():
    import neuroflow as nf

    x, y, x_test, y_test = nf.datasets.mnist()
    # 80 samples: two full batches of 32 and a partial one of 16
    return x[:80], y[:80], x_test[:50], y_test[:50]


def _parameter_pairs(network):
    return [(entry["W"], entry["b"]) for entry in models.describe_layers(network)
            if "W" in entry]


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_the_jax_and_pytorch_tools_start_and_train_as_neuroflow(kind, mnist_head):
    # the same weights (the same initial outputs), batches (neuroflow's permutation; the
    # MLP's 80 samples end in a partial batch) and Adam: after one epoch every parameter
    # and the epoch's mean loss agree
    torch = pytest.importorskip("torch", reason="the [bench] extra (torch)")
    pytest.importorskip("jax", reason="the [bench] extra (jax)")
    pytest.importorskip("optax", reason="the [bench] extra (optax)")

    import neuroflow as nf

    # the CNN on two full batches only (its JAX epoch compiles in half the time)
    data = mnist_head if kind == "mlp" else (mnist_head[0][:64], mnist_head[1][:64],
                                             *mnist_head[2:])
    x, y, x_test, y_test = data
    config = {**TINY[kind], "epochs": 1, "threads": torch.get_num_threads()}
    reference = models.neuroflow_network(config)
    before = _parameter_pairs(reference)
    jax_tool = workers.JaxTool(config, data)
    torch_tool = workers.TorchTool(config, data)
    expected = reference.predict(x_test)
    assert expected.std() > 1e-3  # untrained, but not constant
    with torch.no_grad():
        torch_probabilities = torch.softmax(torch_tool.model(torch_tool.x_test), dim=1)
    np.testing.assert_allclose(torch_probabilities.numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(jax_tool.trainer.predict(x_test), expected, atol=1e-6)

    history = reference.fit(x, y, epochs=1, batch_size=32, verbose=0,
                            optimizer=nf.optimizers.Adam(**models.ADAM))
    seconds: list[float] = []
    for tool in (jax_tool, torch_tool):
        tool.run(seconds.append)
    assert len(seconds) == 2 and min(seconds) > 0 and jax_tool.compile_seconds > 0
    assert jax_tool.losses[0] == pytest.approx(history.history["loss"][0], rel=1e-5)
    got_jax = [(np.asarray(w), np.asarray(b)) for w, b in jax_tool.trainer.params]
    modules = [m for m in torch_tool.model if hasattr(m, "weight")]
    got_torch = [(m.weight.detach().numpy(), m.bias.detach().numpy()) for m in modules]
    for (w0, _), (w, b), (wj, bj), (wt, bt) in zip(before, _parameter_pairs(reference),
                                                   got_jax, got_torch):
        wt = wt.T if w.ndim == 2 else wt  # Linear keeps W transposed
        assert np.abs(w - w0).max() > 1e-3  # the Adam steps moved the weights
        np.testing.assert_allclose(wj, w, atol=1e-6)
        np.testing.assert_allclose(bj, b, atol=1e-6)
        np.testing.assert_allclose(wt, w, atol=1e-6)
        np.testing.assert_allclose(bt, b, atol=1e-6)
    scores = jax_tool.evaluate()
    assert scores["accuracy"] == pytest.approx(
        float((reference.predict_classes(x_test) == y_test).mean()))
    assert scores["samples_per_second"] > 0
    assert jax_tool.kernels()[0]["internal_api"] == "xla"


def test_the_cnn_products_are_its_im2col_gemms():
    config = run.CONFIGS["cnn-b128"]
    network = models.neuroflow_network({**config, "seed": 0})
    products = {name: (m, k, n) for name, m, k, n, _ in models.step_products(network, 128)}
    # conv32k3 on 28x28: 26x26 positions of 9 pixels; no input gradient (first layer)
    assert products["layer 1 x W"] == (128 * 26 * 26, 9, 32)
    assert products["layer 1 xᵀ δ"] == (9, 128 * 26 * 26, 32)
    assert "layer 1 δ Wᵀ" not in products
    # conv64k3 on the pooled 13x13x32: 11x11 positions of 288 inputs
    assert products["layer 3 x W"] == (128 * 11 * 11, 288, 64)
    assert products["layer 3 δ Wᵀ"] == (128 * 11 * 11, 64, 288)
    # dense128 on the flattened 64x5x5, then the output layer
    assert products["layer 6 x W"] == (128, 1600, 128)
    assert products["layer 7 δ Wᵀ"] == (128, 10, 128)
    per_sample = 2 * (2 * 676 * 9 * 32 + 3 * 121 * 288 * 64 + 3 * 1600 * 128 + 3 * 128 * 10)
    assert run.config_flops(config, 1, first_input_gradient=False) == pytest.approx(per_sample)
    assert run.config_flops(config, 1) == pytest.approx(per_sample + 2 * 676 * 9 * 32)
    # an MLP's count is the one epoch_flops gives
    assert run.config_flops({"sizes": MLP, "batch_size": 128}, 10) == epoch_flops(MLP, 10)


def test_the_cnn_floor_times_its_products_and_adam():
    floor = floors.measure({**TINY["cnn"], "batch_size": 8}, n_samples=20)
    assert floor.products > 0 and floor.optimizer > 0 and 0 < floor.inference < 10
    assert floor.flops == pytest.approx(run.config_flops(TINY["cnn"], 20, False))


def test_scikit_learn_sits_out_the_cnn_and_the_table_shows_both_references():
    assert run.tools_for(run.CONFIGS["cnn-b128"], run.TOOLS) == ["neuroflow", "pytorch", "jax"]
    assert run.tools_for(run.CONFIGS["mlp-b128"], run.TOOLS) == run.TOOLS
    jax = _result("jax", [0.5, 0.5], [1.0, 1.0])
    jax.compile_seconds = 2.5
    rows = format_table("mlp-b128", {"neuroflow": _result("neuroflow", [1.0, 0.6], [1.0] * 2),
                                     "pytorch": _result("pytorch", [2.0, 1.0], [1.0] * 2),
                                     "jax": jax})
    assert rows[0].startswith("| mlp-b128 | neuroflow | 0.800 | – | 0.55 | 1.60 |")
    assert rows[2].startswith("| mlp-b128 | jax | 0.500 | 2.50 | 0.38 | 1.00 |")
    alone = format_table("cnn-b128", {"neuroflow": _result("neuroflow", [1.0], [1.0])})
    assert alone[0].startswith("| cnn-b128 | neuroflow | 1.000 | – | – | – |")
    # the CNN row is not judged against the MLPs' inference target
    results = {"cnn-b128": _inference(1.0, 100.0), "mlp-b128": _inference(120.0, 100.0)}
    assert list(inference_ratios(results)) == ["mlp-b128"]


def test_cores_used_is_cpu_time_over_wall_time():
    assert workers.cores_used(3.0, 2.0) == 1.5
    assert workers.cores_used(1.0, 0.0) == 0.0
    before = workers.cpu_seconds()
    np.linalg.svd(np.random.default_rng(0).random((300, 300)))
    assert workers.cpu_seconds() > before
    results = {"mlp-b128": {"jax": Result("jax", cores_used=1.96)},
               "cnn-b128": {"jax": Result("jax", cores_used=1.5)}}
    assert run.cores_line(results, 2).endswith("busy): jax 1.96/1.50.")


def test_a_confined_worker_runs_on_that_many_cores():
    code = ("import os; from benchmarks.workers import confine_to_cores; confine_to_cores(1); "
            "print(len(os.sched_getaffinity(0)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
