"""What ``neuroflow explain`` shows of an MNIST-sized model: the label, the prediction and
every class's probability, the informative inputs (never a blank pixel), W and b so that
z = xW + b adds up, every class, and the cost after the step; and the library parts
(``informative_inputs``, ``Trace.probabilities``, ``weighted_sum_terms``, the step costs)
on their own."""

import re

import numpy as np
import pytest
from idx_files import write_idx

import neuroflow as nf
from neuroflow.cli import _keys as cli_keys
from neuroflow.cli import explain as cli_explain
from neuroflow.cli import main
from neuroflow.explain import format_trace, informative_inputs

NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?"


def _run(argv):
    try:
        return main(argv)
    except SystemExit as exit_:  # argparse usage errors
        return exit_.code


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A 28 x 28 IDX folder whose border pixels are 0 in every image (as in MNIST)."""
    folder = tmp_path_factory.mktemp("idx_views")
    rng = np.random.default_rng(0)
    for split, n in (("train", 60), ("t10k", 20)):
        labels = np.arange(n) % 10
        images = np.zeros((n, 28, 28), dtype=np.uint8)
        images[:, 6:22, 6:22] = (rng.random((n, 16, 16)) ** 3 * 255).astype(np.uint8)
        for index, label in enumerate(labels):  # a class-dependent stroke, fully on
            images[index, 8 + label, 8:20] = 255
        write_idx(folder / f"{split}-images-idx3-ubyte", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte", labels)
    return folder


@pytest.fixture(scope="module")
def model(tmp_path_factory, data):
    """A 784-12-10 float32 model trained a little on ``data``, saved."""
    x, y, _, _ = nf.datasets.mnist(data)
    net = nf.Network.from_sizes([784, 12, 10], seed=0)
    net.fit(x, y, epochs=3, batch_size=20, verbose=0)
    path = tmp_path_factory.mktemp("model_views") / "m.safetensors"
    net.save(str(path))
    return path


def _explain(capsys, model, data, *options):
    assert _run(["explain", str(model), "--data", str(data), "--sample", "7", *options]) == 0
    return capsys.readouterr().out


def _table_row(out, heading, row_label="sample 7", after=0):
    """The column labels and the numbers of row ``row_label`` of the first table whose
    heading starts with ``heading`` at or after character ``after``."""
    lines = out[after:].splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(heading))
    header = lines[start + 1].split()
    row = next(line for line in lines[start + 2:] if line.strip().startswith(row_label))
    cells = row.strip()[len(row_label):].split()
    return header, [float(cell) for cell in cells if cell != "..."]


def _pixel_row(i):
    return f"in {i} ({i // 28},{i % 28})"


def _sample_and_net(model, data):
    _, _, x_test, y_test = nf.datasets.mnist(data)
    return x_test[7:8], y_test[7:8], nf.load(str(model)).copy("float64")


# ------------------------------------------------------------------ the CLI
def test_label_prediction_and_every_probability(capsys, model, data):
    out = _explain(capsys, model, data, "--precision", "12")
    x, y, net = _sample_and_net(model, data)
    probabilities = net.predict(x)[0]
    summary = re.search(r"sample 7: label (\d), prediction (\d) \(p = (" + NUMBER + r")\)", out)
    assert summary is not None
    assert int(summary.group(1)) == int(y[0])
    assert int(summary.group(2)) == int(np.argmax(probabilities))
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("PREDICTION"))
    header = lines[at + 2].split()
    printed = [float(v) for v in lines[at + 3].split()[2:]]
    assert header == [str(j) for j in range(10)]
    assert sum(printed) == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(printed, probabilities, atol=1e-9)


def test_every_class_and_the_real_sample_index_by_default(capsys, model, data):
    out = _explain(capsys, model, data)
    header, _ = _table_row(out, "e = a - y")
    assert header == [f"n{j}" for j in range(10)]           # 8 and 9 included
    assert "sample 7" in out and "sample 0" not in out
    assert not re.search(r"(?<![\w.])-0(?![\w.])", out)      # no negative zero
    assert "C before = " in out and "the cost went down" in out


def test_default_inputs_are_informative_pixels(capsys, model, data):
    out = _explain(capsys, model, data)
    x, _, _ = _sample_and_net(model, data)
    all_x, _, _, _ = nf.datasets.mnist(data)
    header, values = _table_row(out, "x (network input)")
    shown = [int(label[1:]) for label in header if label.startswith("x")]
    assert len(shown) == 8 and header[-1] == "+776"
    assert all(x[0, i] != 0 for i in shown)                # never a blank pixel
    assert all(all_x[:, i].any() for i in shown)
    np.testing.assert_allclose(values, x[0, shown], atol=1e-4)
    i = shown[0]
    assert f"in {i} ({i // 28},{i % 28})" in out           # pixels named (row, col)


def test_pixels_inputs_and_classes_choose_what_is_shown(capsys, model, data):
    out = _explain(capsys, model, data, "--pixels", "300,0,405", "--classes", "3,8,9")
    header, _ = _table_row(out, "x (network input)")
    assert header == ["x300", "x0", "x405", "+781"]
    assert "in 300 (10,20)" in out and "in 0 (0,0)" in out
    assert _table_row(out, "e = a - y")[0] == ["n3", "n8", "n9", "+7"]
    assert "neurons shown: 3 of 10 (chosen)" in out
    assert not re.search(r"(?<![\w.])-0(?![\w.])", out)      # ΔW of blank pixel 0: 0, not -0
    out = _explain(capsys, model, data, "--inputs", "3", "--classes", "all")
    header, _ = _table_row(out, "x (network input)")
    assert len(header) == 4 and header[-1] == "+781"
    assert _table_row(out, "e = a - y")[0] == [f"n{j}" for j in range(10)]


@pytest.mark.parametrize(("options", "message"), [
    (["--pixels", "784"], "--pixels: expected input indices from 0 to 783"),
    (["--pixels", "3,x"], "--pixels: expected comma-separated input indices"),
    (["--pixels", "3,3"], "--pixels: expected at most 100 distinct input indices"),
    (["--classes", "10"], "--classes: expected output neurons from 0 to 9"),
    (["--classes", "3,,4"], "--classes: expected 'all' or at most 100 distinct class"),
    (["--inputs", "0"], "--inputs: expected a whole number from 1 to 100, received 0"),
    (["--inputs", "2", "--pixels", "4"], "--pixels: give either --inputs N or --pixels"),
])
def test_bad_choices_exit_2_naming_the_option(capsys, model, data, options, message):
    assert _run(["explain", str(model), "--data", str(data), *options]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err and captured.out == ""


def test_inputs_beyond_a_small_network(capsys):
    assert _run(["explain", "--layers", "2,3,1", "--inputs", "3"]) == 2
    assert "--inputs: expected a number from 1 to 2" in capsys.readouterr().err


def test_costs_before_and_after_the_step_are_exact(capsys, model, data):
    out = _explain(capsys, model, data, "--precision", "12", "--learning-rate", "0.01")
    found = re.search(f"C before = ({NUMBER}), C after = ({NUMBER}): the cost went down", out)
    assert found is not None
    before, after = float(found.group(1)), float(found.group(2))
    x, y, net = _sample_and_net(model, data)
    target = net.prepare_targets(y)
    net.forward(x)
    net.backward(target)
    assert before == pytest.approx(net.loss.value(net.forward(x), target), rel=1e-10)
    for _, parameter, gradient in net.named_parameters():
        parameter -= 0.01 * gradient
    assert after == pytest.approx(net.loss.value(net.forward(x), target), rel=1e-10)
    assert after < before


def test_printed_w_and_b_reproduce_z(capsys, model, data):
    out = _explain(capsys, model, data, "--precision", "15")
    x_header, x_values = _table_row(out, "x (network input)")
    inputs = [label for label in x_header if label.startswith("x")]
    z_header, _ = _table_row(out, "z = x W + b")
    neuron = z_header[0]
    column = z_header.index(neuron)
    weights = [_table_row(out, "W  (row i", row_label=_pixel_row(int(label[1:])))[1][column]
               for label in inputs]
    start = out.index("check z_j")
    _, (shown, others, bias, z) = _table_row(out, "check z_j", row_label=f"{neuron} ",
                                             after=start - 200)
    assert float(np.dot(x_values, weights)) == pytest.approx(shown, abs=1e-12)
    assert shown + others + bias == pytest.approx(z, abs=1e-12)
    _, b_values = _table_row(out, "b    shape", row_label="")
    assert b_values[column] == pytest.approx(bias, abs=1e-15)


def test_printed_gradients_equal_network_backward(monkeypatch, capsys, model, data):
    traces = []
    monkeypatch.setattr(cli_explain, "trace",
                        lambda *args, **kw: traces.append(nf.trace(*args, **kw)) or traces[-1])
    out = _explain(capsys, model, data, "--precision", "17")
    x, y, net = _sample_and_net(model, data)
    net.forward(x)
    net.backward(net.prepare_targets(y))
    expected = {name: gradient.copy() for name, _, gradient in net.named_parameters()}
    for name, gradient in traces[0].gradients().items():
        np.testing.assert_allclose(gradient, expected[name], rtol=0, atol=1e-12)
    # the printed numbers: the first layer's dC/dW rows of the inputs shown
    header, _ = _table_row(out, "x (network input)")
    neurons, _ = _table_row(out, "z = x W + b")
    first = int(header[0][1:])
    _, row = _table_row(out, "∂C/∂W = xᵀ δ    shape (784", row_label=_pixel_row(first))
    columns = [int(label[1:]) for label in neurons if label.startswith("n")]
    np.testing.assert_allclose(row, expected["layers.0.W"][first, columns], rtol=0,
                               atol=1e-12)


def test_class_names_are_printed_and_chosen(monkeypatch, capsys, model, data):
    net = nf.load(str(model))
    net.class_names = ["zero", "one", "two", "three", "four", "five", "six", "seven",
                       "eight", "nine"]
    monkeypatch.setattr(cli_keys, "load", lambda path, **options: net)
    out = _explain(capsys, model, data, "--classes", "eight,nine")
    assert re.search(r"sample 7: label \w+, prediction \w+", out)
    assert "eight" in out and "nine" in out
    assert _table_row(out, "e = a - y")[0] == ["n8", "n9", "+8"]
    assert net.dtype == np.float32                          # the model was not converted


def test_a_csv_model_is_explained_on_its_own_rows(capsys, tmp_path, monkeypatch):
    """``--data FILE.csv`` with a CSV-trained model: the row's label by class name and the
    probabilities the model predicts for the raw row (its standardisation applied once).
    It exited 2 ("expected 'mnist' or a directory of IDX files")."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    rows = ["weight,height,animal"]
    for i in range(80):
        cat = i % 2 == 0
        rows.append(f"{rng.normal(4 if cat else 25):.2f},{rng.normal(25 if cat else 55):.1f},"
                    f"{'cat' if cat else 'dog'}")
    (tmp_path / "pets.csv").write_text("\n".join(rows) + "\n")
    assert main(["train", "--data", "pets.csv", "--epochs", "20", "--quiet",
                 "--out", "pets.safetensors"]) == 0
    capsys.readouterr()
    assert _run(["explain", "pets.safetensors", "--data", "pets.csv", "--sample", "3"]) == 0
    out = capsys.readouterr().out
    net = nf.load("pets.safetensors")
    x, y = nf.datasets.load_csv("pets.csv", target="animal")
    probabilities = net.predict(x[3:4])[0]
    label = net.class_names[int(y[3])]
    assert f"sample 3: label {label}, prediction " in out
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("PREDICTION"))
    assert lines[at + 2].split() == list(net.class_names)
    printed = [float(v) for v in lines[at + 3].split()[2:]]
    np.testing.assert_allclose(printed, probabilities, rtol=1e-3)


def test_tiny_network_mode_still_traces(capsys):
    assert _run(["explain", "--layers", "2,3,1", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "network 2 -> 3 -> 1" in out and "check z_j" in out and "+" not in \
        _table_row(out, "x (network input)", "sample 0")[0]
    assert "AFTER ONE STEP" in out and "PREDICTION" in out


# ------------------------------------------------------------------ the library
@pytest.fixture(scope="module")
def traced(model, data):
    x, y, net = _sample_and_net(model, data)
    return nf.trace(net, x, y, learning_rate=0.05), net, x, y


def test_informative_inputs_skip_constant_zero_pixels(traced):
    result, _, x, _ = traced
    chosen = informative_inputs(result, 20)
    assert chosen == sorted(chosen) and len(chosen) == 20
    assert all(x[0, i] != 0 for i in chosen)
    nonzero = int((x[0] != 0).sum())
    assert len(informative_inputs(result, 784)) == nonzero  # never a zero row
    hidden = informative_inputs(result, 4, layer=1)
    assert all(result.layers[0].a[0, j] != 0 for j in hidden)
    with pytest.raises(ValueError, match="count: expected a positive whole number"):
        informative_inputs(result, 0)
    with pytest.raises(ValueError, match="layer: expected a layer index from 0 to 1"):
        informative_inputs(result, 3, layer=2)


def test_probabilities_terms_and_step_costs(traced):
    result, net, x, y = traced
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-12)
    for index, layer in enumerate(result.layers):
        shown, others, bias = layer.weighted_sum_terms([0, 5, 7])
        np.testing.assert_allclose(shown + others + bias, layer.z[0], atol=1e-12)
        np.testing.assert_array_equal(bias, net.layers[index].params["b"])
    assert result.cost_before_step == pytest.approx(result.cost, rel=1e-12)
    copy = net.copy()
    copy.forward(x)
    copy.backward(copy.prepare_targets(y))
    for _, parameter, gradient in copy.named_parameters():
        parameter -= 0.05 * gradient
    after = copy.loss.value(copy.forward(x), copy.prepare_targets(y))
    assert result.cost_after_step == pytest.approx(after, rel=1e-12)
    assert result.cost_after_step < result.cost_before_step


def test_format_validates_its_choices(traced):
    result = traced[0]
    with pytest.raises(ValueError, match="inputs: expected distinct indices from 0 to 783"):
        format_trace(result, inputs=[784])
    with pytest.raises(ValueError, match="classes: expected distinct indices from 0 to 9"):
        format_trace(result, classes=[1, 1])
    with pytest.raises(ValueError, match="class_names: expected 10 names"):
        format_trace(result, class_names=["a"])
    with pytest.raises(ValueError, match="image_shape: expected a shape of 784 pixels"):
        format_trace(result, image_shape=(27, 28))
    with pytest.raises(ValueError, match="sample_indices: expected 1 indices"):
        format_trace(result, sample_indices=[1, 2])
    text = format_trace(result, inputs=[0, 1], unicode=False)
    assert "-0 " not in text and text.isascii() and "x0" in text
