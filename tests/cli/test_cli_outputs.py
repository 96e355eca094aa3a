"""The CLI's outputs and its contract: every output is checked before any work, written
atomically, never over an input; bounded options; one line on stderr for every error.

The finding numbers refer to the reliability review (``reliability.md``); each test fails
(or hangs: FIFOs, unbounded epochs) on 0.1's code (commit fc4b353).
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import cli
from neuroflow.cli import _keys as cli_keys
from neuroflow.cli import main

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "m.safetensors"
    nf.Network.from_sizes([3, 4, 2], seed=0).save(path)
    return path


@pytest.fixture
def no_training(monkeypatch) -> None:
    """Fail the test if a command starts training: outputs are checked before any work."""
    def refuse(*args, **kwargs):
        raise AssertionError("training started before the output was checked")

    monkeypatch.setattr(nf.Network, "fit", refuse)


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str, *fragments: str) -> str:
    assert "Traceback" not in err and "Warning" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], err
    return lines[0]


def fifo(path: Path) -> Path:
    try:
        os.mkfifo(path)
    except (OSError, AttributeError) as error:
        pytest.skip(f"cannot create a FIFO here: {error}")
    return path


def char_device(path: Path) -> Path:
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # what /dev/full is
    except OSError as error:
        pytest.skip(f"cannot create a device node here: {error}")
    return path


# ---------------------------------------------------------------------------- A.1
@pytest.mark.usefixtures("no_training")
def test_a1_train_out_on_a_device_is_refused_before_training(capsys, idx_dir, tmp_path):
    """A.1: ``train --out /dev/full`` replaced the device node with a model (rc 0)."""
    device = char_device(tmp_path / "full")
    code, _, err = run(capsys, "train", "--data", idx_dir, "--layers", "784,4,10",
                       "--epochs", "1", "--quiet", "--out", device)
    assert code == 2
    one_line(err, "neuroflow train: error: --out:", "is a character device")
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_a1_every_command_refuses_a_fifo(capsys, model, tmp_path):
    """A.1 for predict/export/plot: a FIFO target (a device in 0.1's report) is refused
    with exit 2 before any work; 0.1 replaced it, or blocked forever opening it."""
    (tmp_path / "x.csv").write_text("1,2,3\n")
    node = fifo(tmp_path / "out.onnx")
    for argv, flag in [(["predict", model, tmp_path / "x.csv", "--out", node], "--out"),
                       (["export", model, "--onnx", node], "--onnx")]:
        code, _, err = run(capsys, *argv)
        assert code == 2
        one_line(err, f"{flag}: ", "is a FIFO")
    plot_node = fifo(tmp_path / "a.png")
    code, _, err = run(capsys, "plot", "architecture", "--layers", "2,3,1", "--out", plot_node)
    assert code == 2
    one_line(err, "--out: ", "is a FIFO")
    assert stat.S_ISFIFO(os.stat(node).st_mode) and stat.S_ISFIFO(os.stat(plot_node).st_mode)


# ---------------------------------------------------------------------------- A.5
@pytest.mark.usefixtures("no_training")
def test_a5_outputs_may_not_be_inputs(capsys, idx_dir, model, tmp_path):
    """A.5: 0.1 wrote predictions over the model and over the input CSV, an ONNX file over
    the model, and a model over the IDX training images, all with rc 0."""
    work = tmp_path / "m.safetensors"
    work.write_bytes(model.read_bytes())
    rows = tmp_path / "x.csv"
    rows.write_text("1,2,3\n4,5,6\n")
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(20)))
    images = idx_dir / "train-images-idx3-ubyte"
    before = {p: p.read_bytes() for p in (work, rows, data, images)}
    cases = [
        (["predict", work, rows, "--out", work], "--out: ", "is the input file"),
        (["predict", work, rows, "--out", rows], "--out: ", "is the input file"),
        (["train", "--data", data, "--out", data, "--quiet"], "--out: ", "is the input file"),
        (["train", "--data", idx_dir, "--out", images, "--quiet"], "--out: ",
         "is the input file"),
        (["export", work, "--onnx", work], "--onnx: expected a file name ending in .onnx",
         "m.safetensors"),
        (["export", work, "--onnx", tmp_path / "m.txt"], "--onnx: expected a file name "
         "ending in .onnx", "m.txt"),
    ]
    for argv, *fragments in cases:
        code, out, err = run(capsys, *argv)
        assert code == 2, (argv, err)
        one_line(err, *fragments)
    assert {p: p.read_bytes() for p in before} == before
    onnx_named = tmp_path / "model.onnx"  # a model file that happens to end in .onnx
    onnx_named.write_bytes(model.read_bytes())
    code, _, err = run(capsys, "export", onnx_named, "--onnx", onnx_named)
    assert code == 2
    one_line(err, "--onnx: ", "is the input file")
    assert onnx_named.read_bytes() == model.read_bytes()
    assert not (tmp_path / "m.txt").exists()


# ---------------------------------------------------------------------------- A.6, D.26
def test_a6_predict_out_is_atomic(capsys, model, tmp_path, monkeypatch):
    """A.6: on a full disk 0.1 truncated the previous predictions file mid-row and said
    ``[Errno 28] No space left on device`` without a path."""
    (tmp_path / "x.csv").write_text("1,2,3\n")
    target = tmp_path / "preds.csv"
    target.write_text("previous predictions\n")

    def full(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    code, _, err = run(capsys, "predict", model, tmp_path / "x.csv", "--out", target)
    assert code == 2
    one_line(err, "neuroflow predict: error: --out: cannot write", "preds.csv",
             "No space left on device", "the previous file is unchanged")
    assert target.read_text() == "previous predictions\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    monkeypatch.undo()
    code, _, err = run(capsys, "predict", model, tmp_path / "x.csv", "--out", target)
    assert code == 0 and target.read_text().startswith("input,class,")


@pytest.mark.usefixtures("no_training")
def test_d26_missing_folder_and_empty_paths(capsys, idx_dir, model, tmp_path):
    """D.26: ``--out nodir/x.safetensors`` named the temporary file and only failed after
    the first epoch; ``export --onnx ''`` said ``Device or resource busy: '..tmp' -> '.'``."""
    code, _, err = run(capsys, "train", "--data", idx_dir, "--quiet", "--out",
                       tmp_path / "nodir" / "x.safetensors")
    assert code == 2
    line = one_line(err, "--out: the folder", "nodir' does not exist")
    assert ".tmp" not in line
    code, _, err = run(capsys, "export", model, "--onnx", "")
    assert code == 2
    one_line(err, "--onnx: expected a path, received an empty string ''")
    code, _, err = run(capsys, "plot", "architecture", "--out", tmp_path / "no" / "a.png")
    assert code == 2
    one_line(err, "--out: the folder")


# ---------------------------------------------------------------------------- D.21, D.24, D.25
def test_d21_d24_d25_train_out_is_a_plain_path_written_through_links(capsys, idx_dir,
                                                                      tmp_path):
    """D.21: 0.1's model files were always 0600; D.24: a symlinked --out became a regular
    file and its target kept the old model; D.25: ``--out 'm{epoch}.safetensors'`` wrote
    checkpoints to ``m1...`` but the final model to the literal name, and ``m{}`` failed
    after the first epoch."""
    previous = os.umask(0o022)
    try:
        common = ["--data", idx_dir, "--layers", "784,4,10", "--batch-size", "30", "--quiet"]
        literal = tmp_path / "m{epoch}.safetensors"
        assert run(capsys, "train", *common, "--epochs", "2", "--out", literal)[0] == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == ["m{epoch}.safetensors"]
        assert stat.S_IMODE(literal.stat().st_mode) == 0o644
        assert run(capsys, "train", *common, "--epochs", "1",
                   "--out", tmp_path / "m{}.safetensors")[0] == 0
        runs = tmp_path / "runs"
        runs.mkdir()
        assert run(capsys, "train", *common, "--epochs", "1",
                   "--out", runs / "a.safetensors")[0] == 0
        latest = tmp_path / "latest.safetensors"
        latest.symlink_to(runs / "a.safetensors")
        code, _, err = run(capsys, "train", "--resume", latest, "--data", idx_dir,
                           "--epochs", "2", "--batch-size", "30", "--quiet")
        assert code == 0, err
        assert latest.is_symlink() and nf.load(runs / "a.safetensors").epochs_trained == 2
    finally:
        os.umask(previous)


# ---------------------------------------------------------------------------- bounds
@pytest.mark.parametrize(("argv", "fragments"), [
    (["train", "--epochs", "99999999999999999999999"],
     ["argument --epochs: expected a whole number from 1 to 100000, received "
      "99999999999999999999999"]),
    (["train", "--epochs", "1e23"],
     ["argument --epochs: expected a whole number from 1 to 100000, received '1e23'"]),
    (["train", "--epochs", "100001"], ["--epochs:", "100000", "100001"]),
    (["plot", "architecture", "--dpi", "100000"],
     ["argument --dpi: expected a whole number from 10 to 1000, received 100000"]),
    (["plot", "architecture", "--dpi", "0"], ["--dpi:", "from 10 to 1000"]),
    (["plot", "boundary", "--epochs", "0,100000000"],
     ["argument --epochs: expected at most 8 epochs, each from 0 to 10000"]),
    (["plot", "boundary", "--epochs", "0,1,2,3,4,5,6,7,8"], ["--epochs: expected at most 8"]),
    (["plot", "architecture", "--layers", "2,100000,2"],
     ["argument --layers: expected at most 16 sizes of at most 4096 each"]),
    (["train", "--data", "x.csv", "--seed", "-3"],
     ["argument --seed: expected a non-negative integer, received -3"]),
    (["plot", "boundary", "--seed", "-1"], ["--seed: expected a non-negative integer"]),
])
def test_b20_c18_d26_options_are_bounded(capsys, argv, fragments):
    """B.20/C.18/D.26: 0.1 ran ``--epochs 99999999999999999999999`` and ``plot boundary
    --epochs 100000000`` "forever", gave a 35-line traceback for ``--dpi 100000``, and
    reported CSV ``--seed -3`` with NumPy's words. Each is one line naming the option,
    the bound and the value."""
    code, _, err = run(capsys, *argv)
    assert code == 2
    one_line(err, *fragments)


# ---------------------------------------------------------------------------- D.22
def test_d22_closed_stdout_ends_quietly_in_process(capsys, model, monkeypatch):
    """D.22: a reader that stops reading (``| head -1``) gave a "Broken pipe" error line
    (rc 2) in 0.1; now nothing is printed and the status is 141 (128 + SIGPIPE)."""
    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Closed())
    code = main(["summary", str(model)])
    monkeypatch.undo()
    assert code == cli.EXIT_BROKEN_PIPE == 141
    assert capsys.readouterr().err == ""


def test_d22_closed_pipe_in_a_subprocess(model, tmp_path):
    """D.22 for real: ``neuroflow summary M`` into a pipe whose reader has gone. No
    "Broken pipe" line, no "Exception ignored" at exit, status 141."""
    process = subprocess.Popen([sys.executable, "-m", "neuroflow", "summary", str(model)],
                               env=ENV, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first line is written
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert stderr == ""


# ---------------------------------------------------------------------------- D.23, D.26
def test_d23_value_beyond_float32_is_one_line_without_warnings(capsys, tmp_path, model,
                                                               monkeypatch):
    """D.23: a finite 1e300 printed NumPy RuntimeWarnings and then blamed "NaN or
    infinity"; now one line suggests ``--dtype float64``, which then works."""
    monkeypatch.chdir(tmp_path)  # the default --out lands here, writable for any user
    data = tmp_path / "huge.csv"
    data.write_text("a,b,y\n" + "".join(f"{1e300 if i == 3 else i},{i % 4},{i % 2}\n"
                                        for i in range(20)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _, err = run(capsys, "train", "--data", data, "--epochs", "1", "--quiet",
                           "--out", tmp_path / "h.safetensors")
    assert code == 2
    one_line(err, "--data", "1e+300", "beyond the float32 range", "use --dtype float64")
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    code, _, err = run(capsys, "train", "--data", data, "--epochs", "1", "--quiet",
                       "--dtype", "float64", "--out", tmp_path / "h.safetensors")
    assert code == 0, err
    target = tmp_path / "target.csv"
    target.write_text("a,price\n" + "".join(f"{i},{1e300 if i == 5 else i * 1.5}\n"
                                             for i in range(20)))
    code, _, err = run(capsys, "train", "--data", target, "--quiet")
    assert code == 2
    one_line(err, "the target", "1e+300", "use --dtype float64")
    np.save(tmp_path / "huge.npy", np.array([[1.0, 2.0, 1e300]]))
    code, _, err = run(capsys, "predict", model, tmp_path / "huge.npy")
    assert code == 2
    one_line(err, "INPUT", "beyond the float32 range", "--dtype float64")


def test_d26_memory_and_os_errors_are_one_line_naming_the_file(capsys, monkeypatch):
    """C.17/D.26: 0.1 let MemoryError through as a 17-line traceback, and OSErrors read
    ``[Errno 13] ...``; now one line naming the file, exit 2."""
    def out_of_memory(path, **options):
        raise MemoryError("Unable to allocate 1.00 TiB for an array")

    monkeypatch.setattr(cli_keys, "load", out_of_memory)
    code, _, err = run(capsys, "summary", "/dev/zero")
    assert code == 2
    one_line(err, "neuroflow summary: error: out of memory", "1.00 TiB", "'/dev/zero'")

    def denied(path, **options):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(cli_keys, "load", denied)
    code, _, err = run(capsys, "summary", "secret.safetensors")
    assert code == 2
    one_line(err, "neuroflow summary: error: secret.safetensors: Permission denied")


# ---------------------------------------------------------------------------- B.15, D.26 plot
def test_b15_plot_of_a_csv_model_uses_its_own_data(capsys, tmp_path, monkeypatch):
    """B.15: 0.1 plotted a confusion matrix labelled cat/dog for a 2-input CSV model,
    computed on two-moons labels, and exited 0. Now it asks for --data FILE.csv and uses
    it."""
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    rows = "".join(f"{rng.normal() + 3 * (i % 2):.4f},{rng.normal():.4f},"
                   f"{'dog' if i % 2 else 'cat'}\n" for i in range(30))
    Path("pets.csv").write_text("width,height,animal\n" + rows)
    assert run(capsys, "train", "--data", "pets.csv", "--epochs", "1", "--quiet",
               "--out", "pets.safetensors")[0] == 0
    code, _, err = run(capsys, "plot", "confusion", "pets.safetensors", "--out", "c.png")
    assert code == 2
    one_line(err, "--data: pets.safetensors was trained on its own data", "--data FILE.csv")
    assert not Path("c.png").exists()
    code, out, err = run(capsys, "plot", "confusion", "pets.safetensors", "--data", "pets.csv",
                         "--out", "c.png", "--dpi", "20")
    assert code == 0, err
    assert Path("c.png").read_bytes()[:4] == b"\x89PNG"


def test_d26_plot_curves_of_a_bad_history_is_one_line(capsys, tmp_path, monkeypatch):
    """D.26: a history of dicts gave NumPy's "inhomogeneous shape" message."""
    pytest.importorskip("matplotlib")
    net = nf.Network.from_sizes([2, 2], seed=0)
    net.history = nf.callbacks.History.from_dict({"history": {"loss": [{"a": 1}, 0.5]}})
    monkeypatch.setattr(cli_keys, "load", lambda path, **options: net)
    code, _, err = run(capsys, "plot", "curves", "m.safetensors", "--out", tmp_path / "c.png")
    assert code == 2
    one_line(err, "plot curves: the history in m.safetensors holds values that are not "
                  "numbers under 'loss'")


@pytest.mark.parametrize("argv", [
    ["train", "--out", ""], ["train", "--resume", ""], ["predict", "m.safetensors", "x.csv",
                                                      "--out", ""],
    ["gradcheck", ""], ["explain", ""], ["plot", "architecture", "", "--out", "a.png"],
    ["export", "m.safetensors", "--onnx", ""],
], ids=["train-out", "train-resume", "predict-out", "gradcheck", "explain", "plot", "export"])
def test_an_empty_path_is_refused_not_read_as_not_given(capsys, argv):
    """The CLI fuzz test found '' read as "not given": `train --out ''` saved to
    model.safetensors and `gradcheck ''` checked a fresh network, exit 0."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "expected a path, received an empty string" in err[0]
