"""The teaching figures show what the library computes: labels measured by simulation,
weights that matter, landscapes equal to direct cost evaluations, derivatives equal to
finite differences, animations with the frames they promise."""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.cli import main
from neuroflow.datasets import make_moons
from neuroflow.experiments import (
    classify,
    cost_curve,
    cost_surface,
    informative_weight,
    rank_weights,
    training_path,
)

matplotlib = pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")

from neuroflow import plotting  # noqa: E402


def _run(argv):
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


def _direct_cost(network, x, y, weights=None):
    """C on (x, y) of a float64 copy with the weights ``{(layer, i, j): value}`` set."""
    net = network.copy(dtype="float64")
    for (layer, i, j), value in (weights or {}).items():
        net.layers[layer].params["W"][i, j] = value
    return net.loss.value(net.forward(net.prepare_inputs(x)), net.prepare_targets(y))


@pytest.fixture(scope="module")
def moons():
    x, y = make_moons(200, noise=0.15, seed=0)
    return x[:64], y[:64]


@pytest.fixture(scope="module")
def curve(moons):
    net = nf.Network.from_sizes([2, 4, 2], hidden="tanh", seed=0)
    return net, cost_curve(net, *moons)


# ------------------------------------------------------------------ the cost along one weight
def test_every_label_is_the_measured_behaviour(curve):
    net, result = curve
    labels = [path.behaviour for path in result.paths]
    assert labels == ["crawls", "converges", "oscillates", "diverges"]
    assert result.learning_rates == sorted(result.learning_rates)
    for path in result.paths:
        assert path.behaviour == classify(path.costs, floor=result.floor,
                                          positions=path.positions)
        assert path.positions[0] == result.start


def test_diverging_path_rises_and_converging_one_arrives_first(curve):
    _, result = curve
    paths = {path.behaviour: path for path in result.paths}
    assert paths["diverges"].costs[-1] > paths["diverges"].costs[0]

    def first_within_5_percent(path):
        gap = path.costs - result.floor
        near = np.flatnonzero(gap <= 0.05 * gap[0])
        return int(near[0]) if near.size else len(path.costs)

    converged_at = first_within_5_percent(paths["converges"])
    assert converged_at < len(paths["converges"].costs)
    assert converged_at < first_within_5_percent(paths["crawls"])
    assert paths["crawls"].costs[-1] < paths["crawls"].costs[0]   # it does fall


def test_curve_is_the_cost_of_the_network_and_the_network_is_untouched(curve, moons):
    net, result = curve
    index = (result.layer, result.i, result.j)
    for k in (0, len(result.weights) // 3, len(result.weights) - 1):
        expected = _direct_cost(net, *moons, {index: result.weights[k]})
        assert abs(result.costs[k] - expected) <= 1e-12
    assert result.paths[0].costs[0] == pytest.approx(_direct_cost(net, *moons), abs=1e-12)
    assert net.layers[result.layer].params["W"][result.i, result.j] == \
        np.float32(result.start)
    h = 1e-6
    slope = (_direct_cost(net, *moons, {index: result.start + h}) -
             _direct_cost(net, *moons, {index: result.start - h})) / (2 * h)
    assert result.gradient == pytest.approx(slope, rel=1e-5)


def test_informative_weight_is_never_fed_by_a_constant_input():
    """MNIST-like: blank corner pixels (always 0), a constant grey pixel, and a dead ReLU
    unit in the hidden layer."""
    rng = np.random.default_rng(0)
    x = rng.random((48, 30))
    x[:, :10] = 0.0
    x[:, 10] = 0.5
    y = rng.integers(0, 3, size=48)
    net = nf.Network.from_sizes([30, 8, 3], hidden="relu", seed=0, dtype="float64")
    net.layers[0].params["W"][:, 0] = -1.0
    net.layers[0].params["b"][0] = -5.0          # unit 0 never fires: its output is 0
    ranked = rank_weights(net, x, y)
    assert ranked
    assert all(not (layer == 0 and i <= 10) for layer, i, _ in ranked)
    assert all(not (layer == 1 and i == 0) for layer, i, _ in ranked)
    layer, i, j = informative_weight(net, x, y)
    result = cost_curve(net, x, y, learning_rates=[0.1], steps=1)
    assert (result.layer, result.i, result.j) == (layer, i, j)
    assert result.gradient != 0
    inputs = x if layer == 0 else np.maximum(x @ net.layers[0].params["W"]
                                             + net.layers[0].params["b"], 0)
    assert np.ptp(inputs[:, i]) > 0
    # the largest gradient among the allowed weights
    net.forward(x)
    net.backward(net.prepare_targets(y))
    allowed = [abs(net.layers[a].grads["W"][b, c]) for a, b, c in ranked]
    assert abs(result.gradient) == pytest.approx(max(allowed), rel=1e-12)
    figure = plotting.cost_vs_weight(net, x, y, learning_rates=[0.1, 1.0], steps=2)
    assert f"w[{i}, {j}] of layer {layer + 1}" == figure.axes[0].get_xlabel()


def test_informative_weight_refuses_a_batch_where_nothing_moves():
    net = nf.Network.from_sizes([3, 4, 2], hidden="relu", seed=0)
    with pytest.raises(ValueError, match="x, y: expected a batch on which some weight"):
        informative_weight(net, np.zeros((5, 3)), [0, 1, 0, 1, 0])


# ------------------------------------------------------------------ two weights
def test_landscape_grid_equals_direct_cost_evaluations(moons):
    net = nf.Network.from_sizes([2, 3, 2], hidden="tanh", seed=1)
    surface = cost_surface(net, *moons, span=(0.7, 0.4), resolution=5)
    assert surface.costs.shape == (5, 5)
    ranked = rank_weights(net, *moons)
    assert (surface.first, surface.second) == (ranked[0], ranked[1])
    for row, column in [(0, 0), (1, 3), (4, 2), (3, 4)]:
        expected = _direct_cost(net, *moons, {surface.first: surface.first_values[column],
                                              surface.second: surface.second_values[row]})
        assert abs(surface.costs[row, column] - expected) <= 1e-12
    assert abs(surface.costs[2, 2] - _direct_cost(net, *moons)) <= 1e-12


def test_training_path_starts_at_the_weights_and_lies_on_the_surface(moons):
    net = nf.Network.from_sizes([2, 3, 2], hidden="tanh", seed=1)
    before = [p.copy() for p in net.parameters()]
    first, second = (1, 0, 1), (0, 1, 2)
    path = training_path(net, *moons, first, second, epochs=2, learning_rate=0.5,
                         batch_size=16)
    assert path.positions.shape == (1 + 2 * 4, 2)
    assert tuple(path.positions[0]) == (float(net.layers[1].params["W"][0, 1]),
                                        float(net.layers[0].params["W"][1, 2]))
    assert path.costs[-1] < path.costs[0] and path.optimizer == "sgd"
    for step in (0, 3, 8):
        w1, w2 = path.positions[step]
        expected = _direct_cost(net, *moons, {first: w1, second: w2})
        assert abs(path.costs[step] - expected) <= 1e-12
    for old, new in zip(before, net.parameters()):
        np.testing.assert_array_equal(old, new)


# ------------------------------------------------------------------ figures
def test_activation_derivatives_drawn_equal_finite_differences():
    figure = plotting.activations()
    panels = [ax for ax in figure.axes if ax.get_title()]
    assert {ax.get_title() for ax in panels} == {
        name for name in nf.activations.names() if name != "softmax"}
    for ax in panels:
        function, derivative = [line for line in ax.get_lines()
                                if line.get_label() in ("f(z)", "f′(z)")]
        z, a = function.get_data()
        _, slope = derivative.get_data()
        numerical = (a[2:] - a[:-2]) / (z[2:] - z[:-2])
        smooth = np.abs(z[1:-1]) > 0.05          # ReLU and leaky ReLU bend at 0
        np.testing.assert_allclose(slope[1:-1][smooth], numerical[smooth], atol=2e-3,
                                   err_msg=ax.get_title())


def test_slides_style_uses_larger_fonts_and_adds_a_caption():
    paper = plotting.activations(names=["tanh"])
    slides = plotting.activations(names=["tanh"], style="slides")
    assert slides.axes[0].title.get_fontsize() > paper.axes[0].title.get_fontsize()
    assert slides.axes[0].get_lines()[-1].get_linewidth() > \
        paper.axes[0].get_lines()[-1].get_linewidth()
    assert slides._supxlabel is not None and paper._supxlabel is None
    with plotting.figure_style("slides"):
        big = plotting.confusion_matrix([0, 1], [0, 1])
    small = plotting.confusion_matrix([0, 1], [0, 1])
    assert big.axes[0].title.get_fontsize() > small.axes[0].title.get_fontsize()
    with pytest.raises(ValueError, match="style: expected one of paper, slides"):
        plotting.activations(style="poster")


def test_neurons_draws_every_hidden_neuron_over_the_plane(moons):
    net = nf.Network.from_sizes([2, 3, 2], hidden="tanh", seed=0)
    figure = plotting.neurons(net, *moons, resolution=12)
    maps = [ax for ax in figure.axes if ax.collections]
    assert len(maps) == 3 + 2
    digits = nf.Network.from_sizes([16, 5, 3], seed=0)
    images = np.random.default_rng(0).random((6, 16))
    images[:, [0, 3, 12]] = 0.0                          # a blank border pixel
    figure = plotting.neurons(digits, images)
    drawn = [ax.images[0] for ax in figure.axes if ax.images]
    assert len(drawn) == 5
    for index, image in enumerate(drawn):
        data = image.get_array()
        np.testing.assert_array_equal(np.flatnonzero(np.ma.getmaskarray(data)), [0, 3, 12])
        np.testing.assert_array_equal(data.data.ravel(),
                                      digits.layers[0].params["W"][:, index])


def test_gifs_have_one_frame_per_step(tmp_path, moons):
    net = nf.Network.from_sizes([2, 3, 2], hidden="tanh", seed=1)
    path = plotting.animate("cost-weight", net, *moons, tmp_path / "steps.gif", dpi=20,
                            learning_rates=[5.0], steps=2)
    assert Image.open(path).n_frames == 3
    path = plotting.animate("landscape", net, *moons, tmp_path / "land.gif", dpi=20,
                            epochs=1, batch_size=16, frames=3, resolution=7)
    assert Image.open(path).n_frames == 3
    path = plotting.animate("boundary", net, *moons, tmp_path / "b.gif", dpi=20,
                            epochs=[0, 1])
    assert Image.open(path).n_frames == 2 and net.epochs_trained == 1
    with pytest.raises(ValueError, match="path: expected a file name ending in .gif"):
        plotting.animate("landscape", net, *moons, tmp_path / "land.png")


# ------------------------------------------------------------------ the command line
@pytest.mark.parametrize(("kind", "extra"), [
    ("activations", []),
    ("landscape", ["--epochs", "1", "--style", "slides"]),
    ("neurons", ["--layers", "2,3,2", "--epochs", "2"]),
])
def test_cli_new_kinds_write_a_png(tmp_path, kind, extra):
    out = tmp_path / f"{kind}.png"
    assert _run(["plot", kind, "--out", str(out), "--dpi", "30"] + extra) == 0
    assert out.read_bytes()[:4] == b"\x89PNG" and out.stat().st_size > 1000


def test_cli_landscape_with_its_animation_trains_the_path_once(tmp_path, monkeypatch):
    """``--out`` and ``--animate`` draw one landscape: the path is trained once, and the
    still figure is the one drawn without an animation."""
    import neuroflow.plotting.landscape as landscape_module

    trained = []
    train = landscape_module.training_path
    monkeypatch.setattr(landscape_module, "training_path",
                        lambda *a, **k: trained.append(1) or train(*a, **k))
    alone, both, gif = tmp_path / "alone.png", tmp_path / "both.png", tmp_path / "l.gif"
    options = ["--epochs", "1", "--dpi", "30"]
    assert _run(["plot", "landscape", "--out", str(alone)] + options) == 0
    assert len(trained) == 1
    assert _run(["plot", "landscape", "--out", str(both), "--animate", str(gif)] + options) == 0
    assert len(trained) == 2 and Image.open(gif).n_frames > 2
    with Image.open(alone) as first, Image.open(both) as second:
        assert np.array_equal(np.asarray(first), np.asarray(second))


def test_cli_animate_and_weight_errors(tmp_path, capsys):
    assert _run(["plot", "curves", "m.safetensors", "--animate", str(tmp_path / "a.gif")]) == 2
    assert "--animate: plot curves has no animation" in capsys.readouterr().err
    model = tmp_path / "m.gif"
    model.write_bytes(b"GIF89a")
    assert _run(["plot", "landscape", str(model), "--animate", str(model)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--animate" in err and "Traceback" not in err
    assert _run(["plot", "cost-weight", "--weight", "3,0,0", "--out",
                 str(tmp_path / "c.png")]) == 2
    assert "--weight: expected a layer L holding weights, one of 1, 2" in \
        capsys.readouterr().err
    out = tmp_path / "b.gif"
    assert _run(["plot", "boundary", "--layers", "2,3,2", "--epochs", "0,1", "--animate",
                 str(out), "--dpi", "20"]) == 0
    assert Image.open(out).n_frames == 2
