"""``neuroflow explain`` and ``neuroflow plot`` driven in-process, in a temporary folder."""

import pytest

import neuroflow as nf
from neuroflow.cli import explain as cli_explain
from neuroflow.cli import main
from neuroflow.cli import plot as cli_plot


def _run(argv):
    try:
        return main(argv)
    except SystemExit as exit_:  # argparse usage errors
        return exit_.code


@pytest.fixture(scope="module")
def mnist_model():
    x_train, y_train, _, _ = nf.datasets.mnist()
    net = nf.Network.from_sizes([784, 9, 10], seed=0)
    net.fit(x_train[:300], y_train[:300], epochs=2, batch_size=100, validation_split=0.2,
            verbose=0)
    return net


def test_explain_fresh_network_prints_the_trace(capsys):
    assert _run(["explain", "--layers", "2,3,1", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "network 2 -> 3 -> 1" in out
    assert "z = x W + b" in out and "δ = (a - y) / (n k)" in out and "ΔW = -η ∂C/∂W" in out
    assert out.index("FORWARD PASS") < out.index("BACKWARD PASS")


def test_explain_ascii_and_learning_rate(capsys):
    assert _run(["explain", "--layers", "3,4,2", "--ascii", "--learning-rate", "0.5"]) == 0
    out = capsys.readouterr().out
    assert out.isascii() and "eta = 0.5" in out and "delta = (a - y) / n" in out


def test_explain_model_sample_matches_trace(monkeypatch, capsys, mnist_model):
    monkeypatch.setattr(cli_explain, "load_model", lambda path, args: mnist_model)
    assert _run(["explain", "model.safetensors", "--sample", "3", "--learning-rate", "0.1"]) \
        == 0
    out = capsys.readouterr().out
    _, _, x_test, y_test = nf.datasets.mnist()
    # the CLI traces a float64 copy and labels the row with the sample's real index
    expected = nf.trace(mnist_model.copy("float64"), x_test[3:4], y_test[3:4],
                        learning_rate=0.1)
    assert out.strip() == expected.format(sample_indices=[3], image_shape=(28, 28),
                                          rate_source="given").strip()
    assert "network 784 -> 9 -> 10" in out and "+776" in out     # 784 inputs elided
    assert "sample 3" in out and "sample 0" not in out


def test_explain_errors(monkeypatch, capsys, mnist_model):
    monkeypatch.setattr(cli_explain, "load_model", lambda path, args: mnist_model)
    assert _run(["explain", "model.safetensors", "--sample", "99999"]) == 2
    assert "--sample: expected an index in [0, 9999]" in capsys.readouterr().err
    assert _run(["explain", "m.safetensors", "--layers", "2,3"]) == 2
    assert "give either MODEL or --layers" in capsys.readouterr().err
    assert _run(["explain", "--layers", "2,3", "--data", "mnist"]) == 2
    assert "the network has 2 inputs" in capsys.readouterr().err


@pytest.mark.parametrize(("kind", "extra"), [
    ("architecture", ["--layers", "4,6,3"]),
    ("cost-weight", []),
    ("boundary", ["--data", "circles", "--epochs", "0,3"]),
])
def test_plot_fresh_network_kinds(tmp_path, capsys, kind, extra):
    out = tmp_path / f"{kind}.png"
    assert _run(["plot", kind, "--out", str(out), "--dpi", "40"] + extra) == 0
    assert out.read_bytes()[:4] == b"\x89PNG" and out.stat().st_size > 1000
    assert f"wrote {out}" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["curves", "confusion", "weights", "misclassified"])
def test_plot_model_kinds(tmp_path, monkeypatch, kind, mnist_model):
    monkeypatch.setattr(cli_plot, "load_model", lambda path, args: mnist_model)
    out = tmp_path / f"{kind}.svg"
    assert _run(["plot", kind, "model.safetensors", "--out", str(out)]) == 0
    assert "<svg" in out.read_text()


def test_plot_errors(tmp_path, capsys):
    assert _run(["plot", "weights", "--out", str(tmp_path / "w.png")]) == 2
    assert "expected a MODEL file" in capsys.readouterr().err
    assert _run(["plot", "architecture", "--out", str(tmp_path / "w.jpg")]) == 2
    assert "--out: expected a file name ending in .png or .svg" in capsys.readouterr().err
    assert _run(["plot", "histogram"]) == 2
    assert "expected one of architecture" in capsys.readouterr().err
    assert _run(["plot", "boundary", "--epochs", "a,b", "--out", str(tmp_path / "b.png")]) == 2
    assert "--epochs: expected comma-separated integers" in capsys.readouterr().err


def test_plot_curves_without_history(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli_plot, "load_model",
                        lambda path, args: nf.Network.from_sizes([2, 2], seed=0))
    assert _run(["plot", "curves", "m.safetensors", "--out", str(tmp_path / "c.png")]) == 2
    assert "holds no training history" in capsys.readouterr().err
