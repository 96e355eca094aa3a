"""The trace of a network whose first layer is Conv2D: one receptive field, whose printed
sum z = sum x K + b equals the layer's own pre-activation to the printed digits, and the
gradient and step of its kernel, in nf.trace and in `neuroflow explain`."""

from __future__ import annotations

import re

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import cli
from neuroflow.receptive_field import ConvolutionTrace


def conv_network(stride: int = 1, padding: str = "valid") -> nf.Network:
    """Conv2D (3 filters of 2x3x3, ReLU, biases 0.1, -0.2, 0.05) -> max-pool -> Dense."""
    conv = nf.Conv2D(3, 3, stride=stride, padding=padding, activation="relu",
                     input_shape=(2, 7, 7))
    filters, rows, columns = conv.output_shape
    net = nf.Network([conv, nf.MaxPool2D(2), nf.Flatten(),
                      nf.Dense(filters * (rows // 2) * (columns // 2), 4,
                               activation="softmax")],
                     loss="cross_entropy", seed=1, dtype="float64")
    net.layers[0].params["b"][...] = [0.1, -0.2, 0.05]
    return net


def own_pass(net: nf.Network, x: np.ndarray, y: np.ndarray):
    """The layer's own z (n, F, oh, ow) and dC/dK of the first layer, on a copy."""
    work = net.copy()
    work.forward(work.prepare_inputs(x))
    work.backward(work.prepare_targets(y))
    conv = work.layers[0]
    n, (filters, rows, columns) = x.shape[0], conv.output_shape
    z = conv.cache["z"].reshape(n, rows, columns, filters).transpose(0, 3, 1, 2)
    return z, conv.grads["W"]


def printed_grid(text: str, heading: str, channel: int) -> np.ndarray:
    """The numbers of the table under ``heading`` (channel ``channel``) in ``text``."""
    block = text.split(f"  {heading}, channel {channel}\n", 1)[1].splitlines()[1:4]
    return np.array([[float(v) for v in line.split()[-3:]] for line in block])


X = np.random.default_rng(5).normal(size=(2, 2, 7, 7))
Y = np.array([1, 3])


def test_the_printed_sum_is_the_layers_own_z_to_the_printed_digits():
    net = conv_network()
    before = [p.copy() for p in net.parameters()]
    result = nf.trace(net, X, Y, learning_rate=0.5)
    assert isinstance(result, ConvolutionTrace)
    text = result.format(unicode=False)
    z, kernel_gradient = own_pass(net, X, Y)
    a = np.maximum(z, 0)
    row, column = np.unravel_index(np.argmax(a[0, 0]), a.shape[2:])  # the default
    assert f"filter 0 at output position (row {row}, column {column}) of sample 0: the " \
           "position with the largest activation a of filter 0" in text
    found = re.search(r"z = sum x\.K \+ b = (\S+) \+ \(?([^ )]+)\)? = (\S+)\n", text)
    assert found is not None
    assert found.group(3) == f"{z[0, 0, row, column]:.4g}"
    assert float(found.group(2)) == 0.1
    assert f"the layer's own z at this position: {z[0, 0, row, column]:.4g}" in text
    # the patch and the kernel as printed are x and K there; by hand their sum is z
    total = 0.1
    for channel in range(2):
        patch = printed_grid(text, "x  (the input patch)", channel)
        kernel = printed_grid(text, "K  (the kernel of filter 0)", channel)
        np.testing.assert_allclose(patch, X[0, channel, row:row + 3, column:column + 3],
                                   rtol=1e-3)
        np.testing.assert_allclose(kernel, net.layers[0].params["W"][0, channel], rtol=1e-3)
        total += float(np.sum(patch * kernel))
        gradient = printed_grid(text, "dC/dK = sum over the 2 samples and 25 positions of "
                                "delta * x", channel)
        np.testing.assert_allclose(gradient, kernel_gradient[0, channel], rtol=1e-3)
        step = printed_grid(text, "Delta K = -eta dC/dK  (eta = 0.5)", channel)
        np.testing.assert_allclose(step, -0.5 * kernel_gradient[0, channel], rtol=1e-3)
    assert total == pytest.approx(z[0, 0, row, column], abs=2e-3)
    assert all(np.array_equal(p, q) for p, q in zip(before, net.parameters()))  # untouched


def test_chosen_filter_and_position_with_padding_and_stride():
    """``same`` padding with stride 2: the field of position (0, 0) starts in the padding,
    and the sum still is the layer's z; delta there times the patch is its part of dC/dK."""
    net = conv_network(stride=2, padding="same")
    result = nf.trace(net, X, Y)
    field = result.receptive_field(filter=2, position=(0, 3), sample=1)
    z, kernel_gradient = own_pass(net, X, Y)
    assert field.weighted_sum + field.bias == pytest.approx(z[1, 2, 0, 3], abs=1e-12)
    assert (field.top, field.left) == (-1, 5)
    assert np.all(field.patch[:, 0, :] == 0)                  # the padding row
    np.testing.assert_array_equal(field.patch[:, 1:, :2], X[1, :, 0:2, 5:7])
    np.testing.assert_allclose(field.kernel_gradient, kernel_gradient[2], rtol=1e-12)
    np.testing.assert_allclose(field.contribution, field.delta * field.patch)
    text = str(result.format(filter=2, position=(0, 3), sample=1, sample_indices=[40, 41]))
    assert "filter 2 at output position (row 0, column 3) of sample 41: given" in text
    assert "input rows -1..1, columns 5..7 (outside the image: zero padding)" in text
    assert f"z = Σ x·K + b = {field.weighted_sum:.4g} + 0.05 = " \
           f"{field.weighted_sum + field.bias:.4g}" in text
    assert "∂C/∂K = Σ over the 2 samples and 16 positions of δ · x" in text
    # the map: 8 x 8 drawn (the image and the padding), the window's 3 rows framed, its
    # first row in the padding, its right column too
    picture = text.split("the window framed\n", 1)[1].split("\n  x  (the input", 1)[0]
    rows = picture.splitlines()
    assert len(rows) == 8 + 2 and rows[0].strip() == rows[4].strip() == "-------"
    assert rows[1].endswith("|0 0 0|") and all(row.endswith("0|") for row in rows[2:4])
    assert all(row.endswith("0") for row in rows[5:])


def test_the_cost_after_the_step_is_that_of_every_parameter_moved():
    net = conv_network()
    result = nf.trace(net, X, Y, learning_rate=0.3)
    moved = net.copy()
    for name, param, _ in moved.named_parameters():
        param -= 0.3 * result.gradients()[name]
    targets = moved.prepare_targets(Y)
    after = moved.loss.value(moved.forward(moved.prepare_inputs(X)), targets)
    assert result.cost_after_step == pytest.approx(after, rel=1e-12)
    assert result.cost_before_step == pytest.approx(result.cost, rel=1e-12)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0)


def test_bad_filter_or_position_names_the_argument():
    result = nf.trace(conv_network(), X, Y)
    with pytest.raises(ValueError, match="filter: expected a whole number from 0 to 2, "
                                         "received 3"):
        result.receptive_field(filter=3)
    with pytest.raises(ValueError, match="position row: expected a whole number from 0 to 4"):
        result.receptive_field(position=(5, 0))
    with pytest.raises(ValueError, match=r"position: expected \(row, column\)"):
        result.receptive_field(position=(1,))


@pytest.fixture(scope="module")
def conv_model(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("conv") / "conv.safetensors"
    net = conv_network()
    net.optimizer = None
    net.save(str(path))
    return str(path)


def test_cli_explain_shows_the_chosen_receptive_field(conv_model, capsys):
    assert cli.main(["explain", conv_model, "--filter", "1", "--position", "2,3",
                     "--ascii", "--learning-rate", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "RECEPTIVE FIELD  layer 1: Conv2D, 3 filters of 2x3x3" in out
    assert "filter 1 at output position (row 2, column 3) of sample 0: given" in out
    assert re.search(r"z = sum x\.K \+ b = \S+ \+ \(-0\.2\) = \S+\n  the layer's own z", out)
    assert "Delta K = -eta dC/dK  (eta = 0.2), channel 1" in out


@pytest.mark.parametrize("arguments, message", [
    (["--filter", "3"], "--filter: expected a filter from 0 to 2, received 3"),
    (["--position", "5,0"], "--position: expected ROW from 0 to 4 and COL from 0 to 4"),
    (["--position", "a"], "expected ROW,COL like 12,7"),
    (["--pixels", "3"], "--pixels: not for a model whose first layer is Conv2D"),
])
def test_cli_explain_refuses_bad_convolution_options(conv_model, capsys, arguments, message):
    assert cli.main(["explain", conv_model, *arguments]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_explain_refuses_filter_for_a_dense_model(capsys):
    assert cli.main(["explain", "--layers", "2,3,1", "--filter", "0"]) == 2
    assert "--filter: only for a model whose first layer is Conv2D; this one's is Dense" in \
        capsys.readouterr().err


def test_cli_explain_steps_the_kernel_with_the_models_own_optimiser(tmp_path, capsys):
    """Adam's first step from an empty state moves every weight by its rate against the
    sign of its gradient: the printed Delta K is the optimiser's, not -eta dC/dK."""
    net = conv_network()
    net.optimizer = nf.optimizers.Adam(learning_rate=0.01)
    path = tmp_path / "adam.safetensors"
    net.save(str(path))
    assert cli.main(["explain", str(path), "--ascii"]) == 0
    out = capsys.readouterr().out
    assert "learning rate eta = 0.01, the model's own" in out
    for channel in range(2):
        gradient = printed_grid(out, "dC/dK = sum over the 1 sample and 25 positions of "
                                "delta * x", channel)
        step = printed_grid(out, "Delta K = the adam optimiser's step from its saved state  "
                            "(eta = 0.01)", channel)
        np.testing.assert_allclose(step, -0.01 * np.sign(gradient), rtol=1e-3)


def test_a_float32_network_is_traced_in_float64():
    """The trace runs on a float64 copy (of the float32 inputs the model sees): its z is
    the float64 layer's, to every digit."""
    net32 = conv_network().copy("float32")
    result = nf.trace(net32, X, Y)
    z, _ = own_pass(net32.copy("float64"), X.astype(np.float32), Y)
    assert result.z.dtype == np.float64 and net32.dtype == np.float32
    np.testing.assert_array_equal(result.z, z)
    field = result.receptive_field()
    assert field.weighted_sum + field.bias == pytest.approx(field.z, abs=1e-12)
