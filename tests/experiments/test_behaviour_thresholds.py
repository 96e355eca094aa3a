"""The thresholds of ``neuroflow.experiments.behaviour`` at and around each value its
docstring states: a flat or nearly flat path stalls (D11: a flat sweep row was named
"converges", being the best of runs that all failed), rounding noise on a flat path is
neither divergence nor oscillation, and the quarter of rising steps, the 5% tolerance and
the settled last fifth each switch the name exactly where documented."""

from __future__ import annotations

import numpy as np
import pytest

from neuroflow.experiments import behaviour, classify
from neuroflow.experiments.sweep import sweep_rows


def test_the_documented_thresholds():
    assert behaviour.FLAT == 1e-3 and behaviour.REVERSALS == 0.25
    assert "0.001" in behaviour.__doc__ and "a quarter" in behaviour.__doc__


@pytest.mark.parametrize("end, expected", [
    (1000.0, "stalls"),        # perfectly flat
    (999.5, "stalls"),         # spans 0.05%
    (999.0, "stalls"),         # spans exactly 0.1% of C_0 (0.001 * 1000 == 1.0)
    (998.99, "crawls"),        # just beyond: a fall, not a stall
    (900.0, "crawls"),
])
def test_stall_threshold_on_the_drop(end, expected):
    costs = np.linspace(1000.0, end, 11)
    assert classify(costs) == expected
    assert classify(costs, floor=0.0) == expected


def test_stall_threshold_counts_rises_too_and_scales_with_the_start():
    assert classify([1000.0, 1001.0, 1000.0]) == "stalls"           # noise within 0.1%
    assert classify([1000.0, 1000.0, 1000.5]) == "stalls"           # ends a hair above
    assert classify([1000.0, 1000.0, 1001.01]) == "diverges"        # beyond 0.1%: above
    assert classify([0.001, 0.000999]) == "stalls"                  # relative, not absolute
    assert classify([0.001, 0.0005], floor=0.0005) == "converges"   # halved: not flat
    assert classify([0.0, 0.0, 0.0]) == "stalls"
    assert classify([0.0, 1e-300]) == "diverges"                    # from 0, any rise counts


def test_a_flat_row_stalls_even_when_every_run_is_flat():
    # the review's case: learning rates too small to move the loss, and the least bad run
    # sat "at the floor" and was called converged
    flat = [0.78963951777655] * 4
    nearly = [0.78963951777655, 0.7896390, 0.7896385, 0.7896380]
    rows = sweep_rows([("sgd", 1e-308, flat, 0.215), ("sgd", 1e-9, nearly, 0.215)])
    assert [row.behaviour for row in rows] == ["stalls", "stalls"]
    learner = [0.79, 0.5, 0.2, 0.1]
    rows = sweep_rows([("sgd", 1e-9, flat, 0.2), ("sgd", 1.0, learner, 0.9)])
    assert [row.behaviour for row in rows] == ["stalls", "converges"]


@pytest.mark.parametrize("rises, expected", [(1, "crawls"), (2, "oscillates"),
                                             (3, "oscillates")])
def test_oscillation_threshold_is_a_quarter_of_the_steps(rises, expected):
    # 8 steps falling from 10 to about 0; ``rises`` of them go up a little: 2 of 8 is a
    # quarter. The floor is far below, so a path that does not oscillate crawls.
    path = [10.0]
    for step in range(8):
        path.append(path[-1] + 0.5 if step < rises else path[-1] - 1.5)
    assert classify(path, floor=-100.0) == expected


@pytest.mark.parametrize("moves, expected", [
    ([1, 1, 1, 1, 1, 1, 1, 1], "converges"),
    ([1, 1, 1, 1, -1, -1, -1, -1], "converges"),    # 1 reversal of 8 steps
    ([1, 1, 1, -1, -1, -1, 1, 1], "oscillates"),    # 2 reversals: a quarter
])
def test_oscillation_threshold_counts_reversed_steps(moves, expected):
    costs = [1.0, 0.5, 0.25, 0.12, 0.06, 0.03, 0.015, 0.01, 0.005]  # falling every step
    positions = np.cumsum([0.0, *moves])
    assert classify(costs, floor=0.0, positions=positions) == expected


@pytest.mark.parametrize("lowest, expected", [(0.0499, "converges"), (0.05, "converges"),
                                              (0.0501, "crawls")])
def test_convergence_tolerance_is_five_percent_of_the_possible_drop(lowest, expected):
    # from 1.0 towards a floor of 0: converged once within 0.05 of it
    assert classify([1.0, 0.5, lowest], floor=0.0) == expected


@pytest.mark.parametrize("before_last, expected", [(0.04, "converges"), (0.05, "converges"),
                                                   (0.0501, "crawls")])
def test_settled_rule_without_a_floor_uses_the_last_fifth(before_last, expected):
    # 10 steps: the last fifth is the last 2 costs; settled when they differ by at most
    # 5% of the whole drop (1.0 -> 0.0 here)
    path = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, before_last, 0.0]
    assert classify(path) == expected
