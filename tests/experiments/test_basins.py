"""A cost with two basins (neuroflow.experiments.basins) and the one-weight names of
classify(..., minimum=w*), checked on the parabola's textbook regimes."""

import numpy as np
import pytest

from neuroflow.experiments import basins, classify, two_basin_problem


def parabola(rate: float, start: float = 1.0, steps: int = 12, centre: float = 0.5):
    """Gradient descent on C(w) = (w - centre)² / 2: d <- (1 - rate) d."""
    positions = centre + (start - centre) * (1 - rate) ** np.arange(steps + 1)
    return (positions - centre) ** 2 / 2, positions


@pytest.mark.parametrize("rate, expected", [(0.02, "crawls"), (0.5, "converges"),
                                            (1.0, "converges"), (1.5, "oscillates"),
                                            (2.2, "diverges")])
def test_the_parabolas_regimes_read_from_the_distance_to_the_minimum(rate, expected):
    costs, positions = parabola(rate)
    assert classify(costs, floor=0.0, positions=positions, minimum=0.5) == expected


def test_one_overshoot_is_not_an_oscillation_and_moving_away_crawls():
    # crosses w* = 0 once, lands further out than it was, then comes back from that side:
    # the figure would show one jump and a one-sided approach, which converges
    positions = np.array([1.0, -1.5, -0.5, -0.1, -0.01])
    assert classify(positions**2, floor=0.0, positions=positions, minimum=0.0) == \
        "converges"
    # back and forth across w* on every step, shrinking: oscillates
    positions = np.array([1.0, -0.9, 0.8, -0.7, 0.6])
    assert classify(positions**2, floor=0.0, positions=positions, minimum=0.0) == \
        "oscillates"
    # only one crossing in four steps is too few, however far it swings
    positions = np.array([1.0, 0.9, 0.8, -0.7, -0.6])
    assert classify(positions**2, floor=0.0, positions=positions, minimum=0.0) != \
        "oscillates"
    # pulled away from w* without crossing it (another basin) and not ending further
    positions = np.array([1.0, 1.2, 0.9, 0.8])
    costs = np.array([1.0, 0.9, 0.85, 0.8])
    assert classify(costs, floor=0.0, positions=positions, minimum=0.0) == "crawls"


def test_minimum_needs_positions():
    with pytest.raises(ValueError, match="minimum: expected positions too"):
        classify([1.0, 0.5], minimum=0.0)


def test_each_run_ends_in_the_basin_it_starts_in():
    found = basins(*two_basin_problem(), seeds=range(6), steps=200)
    assert len(found.minima) == 2 and found.best == 1
    for run in found.runs:
        assert found.basin_of(run.positions[0]) == found.basin_of(run.positions[-1]) == \
            run.basin
    assert {run.basin for run in found.runs} == {0, 1}


@pytest.mark.parametrize("options, message", [
    ({"low": 1.0, "high": 0.0}, "low, high: expected finite numbers with low < high"),
    ({"learning_rate": 0.0}, "learning_rate: expected a positive number"),
    ({"steps": 0}, "steps: expected an integer >= 1"),
    ({"points": 2}, "points: expected an integer >= 3"),
    ({"seeds": []}, "seeds: expected at least one seed"),
    ({"weight": (3, 0)}, "weight"),
])
def test_bad_arguments_are_refused_by_name(options, message):
    with pytest.raises(ValueError, match=message):
        basins(*two_basin_problem(), **options)
