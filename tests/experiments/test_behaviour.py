"""What a gradient-descent path did, named from the path: crawls, converges, oscillates,
diverges (neuroflow.experiments.behaviour), on paths of known shape, including the
quadratic cost's own gradient-descent paths."""

import numpy as np
import pytest

from neuroflow.experiments import BEHAVIOURS, classify


def quadratic_path(rate: float, steps: int = 20, curvature: float = 1.0):
    """Gradient descent on C(w) = curvature w² / 2 from w = 1: w <- (1 - rate curvature) w."""
    positions = [1.0]
    for _ in range(steps):
        positions.append(positions[-1] * (1 - rate * curvature))
    positions = np.array(positions)
    return curvature * positions**2 / 2, positions


@pytest.mark.parametrize("rate, expected", [(0.01, "crawls"), (0.5, "converges"),
                                            (1.0, "converges"), (1.9, "oscillates"),
                                            (2.5, "diverges")])
def test_the_quadratic_cost_behaves_as_theory_says(rate, expected):
    # factor |1 - rate| per step: < 1 falls (overshooting for rate > 1), > 1 grows
    costs, positions = quadratic_path(rate)
    assert classify(costs, floor=0.0, positions=positions) == expected


def test_overshooting_shows_in_the_positions_even_when_the_cost_falls():
    costs, positions = quadratic_path(1.9)  # the cost falls every step
    assert np.all(np.diff(costs) < 0)
    assert classify(costs, floor=0.0) == "converges"  # the cost alone cannot tell
    assert classify(costs, floor=0.0, positions=positions) == "oscillates"


def test_non_finite_or_ending_above_the_start_diverges():
    assert classify([1.0, 0.5, np.inf]) == "diverges"
    assert classify([1.0, 0.5, np.nan, 0.1]) == "diverges"
    assert classify([1.0, 0.9, 1.1]) == "diverges"


def test_a_climb_that_settles_below_the_start_does_not_diverge():
    # a sweep's η = 10 on moons: up to 16 × the start, then down to almost 0
    assert classify([0.7, 11.0, 4.0, 0.5, 1e-3, 1e-7], floor=1e-7) == "converges"
    assert classify([0.7, 11.0, 0.5, 3.0, 0.4, 2.0, 0.3], floor=0.01) == "oscillates"


def test_without_a_floor_a_path_converges_once_it_has_settled():
    assert classify([1.0, 0.5, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]) == "converges"
    assert classify([1.0, 0.9, 0.8, 0.7, 0.6, 0.5]) == "crawls"
    assert classify([1.0, 1.0]) == "stalls"  # no progress at all


def test_every_name_is_listed_and_bad_input_is_refused():
    assert set(BEHAVIOURS) == {"stalls", "crawls", "converges", "oscillates", "diverges"}
    with pytest.raises(ValueError, match="costs: expected at least 2"):
        classify([1.0])
    with pytest.raises(ValueError, match="tolerance"):
        classify([1.0, 0.5], tolerance=1.5)
    with pytest.raises(ValueError, match="positions: expected 3 values"):
        classify([1.0, 0.5, 0.2], positions=[0.0, 1.0])
