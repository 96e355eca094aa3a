"""Every plot runs headless and writes a non-empty image of the expected size."""

import struct

import numpy as np
import pytest

# optional extra (pip install 'neuroflow[plot]'): skip, rather than fail at run time
pytest.importorskip("matplotlib")

import neuroflow as nf  # noqa: E402
from neuroflow import plotting  # noqa: E402
from neuroflow.callbacks import History  # noqa: E402
from neuroflow.datasets import make_circles, make_moons  # noqa: E402
from neuroflow.experiments import cost_curve  # noqa: E402

DPI = 50


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _check(figure, tmp_path, figsize, name="figure.png"):
    from matplotlib.figure import Figure

    assert isinstance(figure, Figure)
    path = plotting.save(figure, tmp_path / name, dpi=DPI)
    assert path.stat().st_size > 1000
    assert _png_size(path) == (int(figsize[0] * DPI), int(figsize[1] * DPI))


@pytest.fixture(scope="module")
def moons():
    return make_moons(120, noise=0.1, seed=0)


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(0)
    x = rng.random((40, 784)).astype(np.float32)
    y = rng.integers(0, 10, size=40)
    net = nf.Network.from_sizes([784, 12, 10], seed=0)
    return net, x, y


def test_architecture_elides_large_layers(tmp_path):
    net = nf.Network.from_sizes([784, 32, 10], seed=0)
    figure = plotting.architecture(net, max_neurons=6, figsize=(6, 4))
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert "⋮\n+779" in texts and "⋮\n+27" in texts and "⋮\n+5" in texts
    # 6 neurons shown per column but one is the marker: 5 * 5 * 2 edges
    assert len(figure.axes[0].collections[0].get_segments()) == 50
    _check(figure, tmp_path, (6, 4))


def test_architecture_edge_colour_follows_weight_sign(tmp_path):
    net = nf.Network([nf.Dense(2, 1)], seed=0)
    net.layers[0].params["W"][:] = [[2.0], [-1.0]]
    figure = plotting.architecture(net, figsize=(4, 3))
    colours = figure.axes[0].collections[0].get_colors()
    assert colours[0][2] > colours[0][0]          # positive: blue
    assert colours[1][0] > colours[1][2]          # negative: orange
    widths = figure.axes[0].collections[0].get_linewidths()
    assert widths[0] > widths[1]                  # |2| > |-1|
    _check(figure, tmp_path, (4, 3))


def test_cost_vs_weight_titles_name_the_simulated_behaviour(tmp_path, moons):
    x, y = moons
    net = nf.Network.from_sizes([2, 4, 2], hidden="tanh", seed=0)
    before = [p.copy() for p in net.parameters()]
    figure = plotting.cost_vs_weight(net, x[:40], y[:40], layer=1, weight=(0, 1), steps=5,
                                     figsize=(9, 5))
    curve = cost_curve(net, x[:40], y[:40], layer=1, weight=(0, 1), steps=5)
    panels = len(curve.paths)
    assert len(figure.axes) == 2 * panels                   # the curve, the cost per step
    assert [ax.get_title() for ax in figure.axes[:panels]] == [
        f"η = {p.learning_rate:.3g}: {p.behaviour}" for p in curve.paths]
    for old, new in zip(before, net.parameters()):
        np.testing.assert_array_equal(old, new)
    _check(figure, tmp_path, (9, 5))
    figure = plotting.cost_vs_weight(net, x[:40], y[:40], learning_rates=[0.5, 5.0],
                                     figsize=(6, 4))
    assert len(figure.axes) == 4
    _check(figure, tmp_path, (6, 4), "two.png")


def test_learning_curves_from_history_and_dict(tmp_path, moons):
    x, y = moons
    net = nf.Network.from_sizes([2, 4, 2], seed=0)
    history = net.fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    figure = plotting.learning_curves(history, figsize=(9, 3))
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["loss", "accuracy", "learning rate"]
    assert len(figure.axes[0].get_lines()) == 2                      # training and validation
    _check(figure, tmp_path, (9, 3))
    _check(plotting.learning_curves({"loss": [1.0, 0.5]}, figsize=(4, 3)), tmp_path, (4, 3),
           "dict.png")


def test_confusion_matrix(tmp_path):
    figure = plotting.confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2], class_names=["a", "b", "c"],
                                       figsize=(5, 4))
    assert "3 of 4 correct" in figure.axes[0].get_title()
    assert [t.get_text() for t in figure.axes[0].texts][:3] == ["1", "0", "0"]
    _check(figure, tmp_path, (5, 4))


def test_first_layer_weights_and_misclassified(tmp_path, digits):
    net, x, y = digits
    figure = plotting.first_layer_weights(net, figsize=(4, 4))
    assert sum(1 for ax in figure.axes if ax.images) == 12
    _check(figure, tmp_path, (4, 4))
    figure = plotting.misclassified(net, x, y, max_images=9, figsize=(4, 4))
    wrong = int((net.predict_classes(x) != y).sum())
    assert f"{wrong} of 40 misclassified" in figure.get_suptitle()
    _check(figure, tmp_path, (4, 4), "wrong.png")


def test_decision_boundary_and_over_time(tmp_path, moons):
    x, y = moons
    net = nf.Network.from_sizes([2, 8, 2], hidden="tanh", seed=0)
    _check(plotting.decision_boundary(net, x, y, resolution=30, figsize=(4, 4)), tmp_path,
           (4, 4))
    xc, yc = make_circles(120, seed=0)
    net = nf.Network.from_sizes([2, 8, 2], hidden="tanh", seed=0)
    figure = plotting.decision_boundary_over_time(net, xc, yc, epochs=(0, 2, 5), resolution=30,
                                                  figsize=(9, 3), learning_rate=0.02)
    assert net.epochs_trained == 5
    assert [ax.get_title().split(":")[0] for ax in figure.axes] == ["epoch 0", "epoch 2",
                                                                    "epoch 5"]
    _check(figure, tmp_path, (9, 3))


def test_save_svg(tmp_path):
    figure = plotting.learning_curves({"loss": [1.0, 0.5]}, figsize=(4, 3))
    path = plotting.save(figure, tmp_path / "curves.svg")
    assert path.read_text().lstrip().startswith("<?xml") and "<svg" in path.read_text()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda net: plotting.architecture(net, max_neurons=1), "max_neurons: expected"),
        (lambda net: plotting.architecture("net"), "network: expected a neuroflow Network"),
        (lambda net: plotting.architecture(net, figsize=(0, 1)), "figsize: expected"),
        (lambda net: plotting.cost_vs_weight(net, [[0, 0]], [0], layer=5), "layer: expected"),
        (lambda net: plotting.cost_vs_weight(net, [[0, 0]], [0], weight=(9, 0)),
         r"weight: expected \(i, j\)"),
        (lambda net: plotting.cost_vs_weight(net, [[0, 0]], [0], learning_rates=[-1]),
         "learning_rates: expected positive numbers"),
        (lambda net: plotting.learning_curves(History()), "history: expected"),
        (lambda net: plotting.first_layer_weights(net), r"image_shape: expected \(height"),
        (lambda net: plotting.confusion_matrix([0, 1], [0, 1], class_names=["a"]),
         "class_names: expected 2 names"),
        (lambda net: plotting.decision_boundary_over_time(net, [[0, 0]], [0], epochs=(5, 1)),
         "epochs: expected increasing"),
        (lambda net: plotting.save(plotting.learning_curves({"loss": [1.0]}), "a.jpg"),
         r"path: expected a file name ending in .png or .svg"),
    ],
)
def test_bad_arguments_raise(call, match):
    net = nf.Network.from_sizes([2, 3, 2], seed=0)
    with pytest.raises(ValueError, match=match):
        call(net)


def test_decision_boundary_needs_two_inputs(digits):
    net, x, y = digits
    with pytest.raises(ValueError, match="network: expected 2 inputs"):
        plotting.decision_boundary(net, x, y)
