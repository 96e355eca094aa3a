"""The cost-against-one-weight figure labels each column by what its drawn path did: the
label is read back from the matplotlib Axes and checked against the shape of the arrays
drawn there (a monotone approach, crossings of the minimum, a growing distance from it),
and ``neuroflow plot --help`` names as many learning rates as the figure draws."""

import contextlib
import re

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import neuroflow as nf  # noqa: E402
from neuroflow import plotting  # noqa: E402
from neuroflow.cli import main  # noqa: E402
from neuroflow.experiments import classify, cost_curve  # noqa: E402
from neuroflow.experiments.cost_curve import RATES  # noqa: E402

NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


@pytest.fixture(scope="module")
def moons():
    x, y = nf.datasets.make_moons(n_samples=400, seed=0)
    return x[:64], y[:64]


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """The figure ``neuroflow plot cost-weight`` draws (its save replaced by a catch)."""
    figures = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plotting, "save", lambda figure, path, dpi=100: figures.append(figure))
        out = tmp_path_factory.mktemp("plot") / "c.png"
        assert main(["plot", "cost-weight", "--out", str(out)]) == 0
    return figures[0]


def _fresh(seed=0):
    """The network ``neuroflow plot cost-weight`` draws by default."""
    return nf.Network.from_sizes([2, 4, 2], hidden="tanh", output="softmax", seed=seed,
                                 dtype="float64")


def _columns(figure):
    """Per column: (label, steps w_t, steps C_t, w*, C*) read back from the top Axes."""
    columns = []
    for ax in figure.axes:
        title = ax.get_title()
        if not title.startswith("η ="):
            continue
        lines = {line.get_label(): line for line in ax.get_lines()}
        steps, lowest = lines["steps"], lines["lowest C (w*)"]
        columns.append((title.split(": ")[1], np.asarray(steps.get_xdata(), float),
                        np.asarray(steps.get_ydata(), float),
                        float(lowest.get_xdata()[0]), float(lowest.get_ydata()[0])))
    return columns


def _assert_shape(label, positions, costs, minimum, floor):
    distance = positions - minimum
    floor = min(floor, float(costs.min()))
    lands = costs - floor <= 0.05 * (costs[0] - floor)
    if label == "converges":          # gets there and stays near
        assert lands.any()
        assert abs(distance[-1]) <= abs(distance[0]), distance
    elif label == "oscillates":       # crosses the minimum back and forth, not once
        signs = np.sign(distance[distance != 0])
        assert np.count_nonzero(signs[1:] != signs[:-1]) >= 2, distance
        assert abs(distance[-1]) <= abs(distance[0])
    elif label == "diverges":         # thrown further from the minimum, the cost up
        assert not np.all(np.isfinite(costs)) or (
            abs(distance[-1]) > abs(distance[0]) and costs[-1] > costs[0]), (distance, costs)
    elif label == "crawls":           # still on its way down, not there
        assert not lands.any() and costs[-1] < costs[0]


def test_each_label_is_the_shape_of_the_path_drawn_beside_it(drawn):
    columns = _columns(drawn)
    assert len(columns) == 4
    labels = [label for label, *_ in columns]
    assert {"converges", "oscillates", "diverges"} <= set(labels), labels
    for label, positions, costs, minimum, floor in columns:
        # true by construction: the label is classify() of the drawn arrays ...
        assert label == classify(costs, floor=floor, positions=positions, minimum=minimum)
        # ... and the drawn path has that label's shape
        _assert_shape(label, positions, costs, minimum, floor)


def test_one_learning_rate_gets_the_label_of_its_path_not_of_its_size(moons):
    net = _fresh()
    labels = set()
    for weight in [(0, 1), (1, 0)]:
        figure = plotting.cost_vs_weight(net, *moons, layer=0, weight=weight,
                                         learning_rates=[9.5], steps=10)
        (label, positions, costs, minimum, floor), = _columns(figure)
        _assert_shape(label, positions, costs, minimum, floor)
        labels.add(label)
    assert len(labels) == 2, labels


def test_plot_help_names_as_many_rates_as_the_figure_draws(drawn, moons, capsys):
    with contextlib.suppress(SystemExit):
        main(["plot", "--help"])
    helped = " ".join(capsys.readouterr().out.split())
    named = re.search(r"cost-weight \(the cost against one weight with gradient-descent "
                      r"paths for (\w+) learning rates", helped)
    assert named is not None, helped
    assert len(_columns(drawn)) == NUMBERS[named.group(1)] == RATES
    # a weight where no rate oscillates or diverges still gets four rates
    curve = cost_curve(_fresh(seed=1), *moons, steps=3)
    assert len(curve.paths) == RATES
    assert len(set(curve.learning_rates)) == RATES
