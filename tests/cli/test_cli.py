"""The command line, in-process (``neuroflow.cli.main``) and as ``python -m neuroflow``."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from idx_files import write_idx

import neuroflow as nf
from neuroflow.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


# ---------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory) -> Path:
    """A tiny MNIST-shaped data set: 200 training and 60 test images of 28x28."""
    folder = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    for split, n in (("train", 200), ("t10k", 60)):
        labels = rng.integers(0, 10, n)
        images = (rng.random((n, 28, 28)) * 40).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, 2 * label:2 * label + 6, 4:24] = 250
        write_idx(folder / f"{split}-images-idx3-ubyte", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte", labels)
    return folder


@pytest.fixture(scope="module")
def model(tmp_path_factory, idx_dir) -> Path:
    path = tmp_path_factory.mktemp("model") / "m.safetensors"
    assert main(["train", "--data", str(idx_dir), "--layers", "784,12,10", "--epochs", "2",
                 "--batch-size", "32", "--out", str(path), "--quiet"]) == 0
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *fragments: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], err


def png(image: np.ndarray, colour: int, filters: tuple[int, ...] = (0,), depth: int = 8,
        palette: np.ndarray | None = None) -> bytes:
    """Encode ``uint8 (h, w, c)`` as a PNG, cycling through ``filters`` row by row."""
    height, width = image.shape[:2]
    raw = image.reshape(height, -1).astype(np.int64)
    if depth == 16:  # each sample v becomes the 16-bit value v * 257
        raw = np.repeat(raw, 2, axis=1)
    bpp = raw.shape[1] // width
    out = bytearray()
    previous = np.zeros(raw.shape[1], np.int64)
    for y in range(height):
        kind = filters[y % len(filters)]
        line = raw[y]
        left = np.concatenate([np.zeros(bpp, np.int64), line[:-bpp]])
        upper_left = np.concatenate([np.zeros(bpp, np.int64), previous[:-bpp]])
        if kind == 0:
            encoded = line
        elif kind == 1:
            encoded = line - left
        elif kind == 2:
            encoded = line - previous
        elif kind == 3:
            encoded = line - (left + previous) // 2
        else:
            p = left + previous - upper_left
            pa, pb, pc = abs(p - left), abs(p - previous), abs(p - upper_left)
            predicted = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, previous,
                                                                          upper_left))
            encoded = line - predicted
        out += bytes([kind]) + (encoded % 256).astype(np.uint8).tobytes()
        previous = line

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    chunks = chunk(b"IHDR", header)
    if palette is not None:
        chunks += chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    return (b"\x89PNG\r\n\x1a\n" + chunks + chunk(b"IDAT", zlib.compress(bytes(out)))
            + chunk(b"IEND", b""))


# ---------------------------------------------------------------------------- train & resume
def test_train_writes_model_and_checkpoint(capsys, idx_dir, tmp_path):
    out = tmp_path / "net.safetensors"
    code, stdout, err = run(capsys, "train", "--data", idx_dir, "--layers", "784,8,10",
                            "--epochs", "1", "--out", out)
    assert code == 0, err
    assert "Network: 784 -> 8 -> 10" in stdout and "test accuracy:" in stdout
    assert f"saved model to {out}" in stdout
    assert nf.load(out).epochs_trained == 1


def test_train_resume_equals_uninterrupted(capsys, idx_dir, tmp_path):
    common = ["--data", idx_dir, "--layers", "784,8,10", "--batch-size", "50", "--quiet",
              "--validation-split", "0.2"]
    whole, part = tmp_path / "whole.safetensors", tmp_path / "part.safetensors"
    assert run(capsys, "train", *common, "--epochs", "3", "--out", whole)[0] == 0
    assert run(capsys, "train", *common, "--epochs", "1", "--out", part)[0] == 0
    code, _, err = run(capsys, "train", "--resume", part, "--data", idx_dir, "--epochs", "3",
                       "--batch-size", "50", "--quiet", "--validation-split", "0.2")
    assert code == 0, err
    a, b = nf.load(whole), nf.load(part)
    assert b.epochs_trained == 3
    assert all(np.array_equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_train_divergence_exits_1_with_message(capsys, idx_dir, tmp_path):
    code, _, err = run(capsys, "train", "--data", idx_dir, "--layers", "784,8,10",
                       "--optimizer", "sgd", "--learning-rate", "1e30", "--epochs", "3",
                       "--quiet", "--out", tmp_path / "d.safetensors")
    assert code == 1
    assert_one_line_error(err, "became", "epoch 1, batch", "try a lower one",
                          "no epoch was completed")


def test_ctrl_c_in_subprocess_reports_checkpoint_and_resume_command(capsys, idx_dir, tmp_path):
    out = tmp_path / "run.safetensors"
    process = subprocess.Popen(
        [sys.executable, "-m", "neuroflow", "train", "--data", str(idx_dir), "--layers",
         "784,8,10", "--epochs", "100000", "--batch-size", "20", "--out", str(out), "--quiet"],
        env=ENV, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not out.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted; the last checkpoint (epoch " in stderr and str(out) in stderr
    assert "resume with: neuroflow train --resume" in stderr
    done = nf.load(out).epochs_trained
    assert done >= 1
    code, _, err = run(capsys, "train", "--resume", out, "--data", idx_dir, "--epochs",
                       done + 1, "--batch-size", "20", "--quiet")
    assert code == 0, err
    assert nf.load(out).epochs_trained == done + 1


# ---------------------------------------------------------------------------- summary, evaluate
def test_summary_shows_layers_and_training_state(capsys, model):
    code, out, _ = run(capsys, "summary", model)
    assert code == 0
    assert "Network: 784 -> 12 -> 10" in out and "trainable parameters: 9,550" in out
    assert "epochs trained: 2" in out and "optimizer: Adam" in out and "last epoch: loss=" in out


def test_evaluate(capsys, model, idx_dir):
    code, out, _ = run(capsys, "evaluate", model, "--data", idx_dir)
    assert code == 0
    assert "samples: 60" in out and "accuracy:" in out and "loss:" in out


# ---------------------------------------------------------------------------- predict
def test_predict_csv_to_stdout_and_file(capsys, model, tmp_path):
    rows = np.random.default_rng(0).random((3, 784))
    csv_path = tmp_path / "x.csv"
    csv_path.write_text(",".join(f"p{i}" for i in range(784)) + "\n"
                        + "\n".join(",".join(f"{v:.4f}" for v in row) for row in rows) + "\n")
    code, out, _ = run(capsys, "predict", model, csv_path)
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "input,class," + ",".join(f"output_{i}" for i in range(10))
    net = nf.load(model)
    expected = net.predict_classes(np.round(rows, 4))
    assert [line.split(",")[1] for line in lines[1:]] == [str(c) for c in expected]
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "2", "3"]
    target = tmp_path / "pred.csv"
    code, out, err = run(capsys, "predict", model, csv_path, "--out", target)
    assert code == 0 and out == "" and "wrote 3 predictions" in err
    assert target.read_text().strip().splitlines() == lines


def test_predict_npy_images_and_png(capsys, model, tmp_path):
    images = np.random.default_rng(2).integers(0, 256, size=(2, 28, 28)).astype(np.uint8)
    np.save(tmp_path / "x.npy", images)
    code, out, _ = run(capsys, "predict", model, tmp_path / "x.npy")
    assert code == 0 and len(out.strip().splitlines()) == 3
    net = nf.load(model)
    by_npy = net.predict(images.reshape(2, -1) / 255.0)
    folder = tmp_path / "digits"
    folder.mkdir()
    for i, image in enumerate(images):  # dark background: not inverted by --invert auto
        dark = image // 4
        (folder / f"d{i}.png").write_bytes(png(dark[:, :, None], 0, filters=(4,)))
        (folder / f"l{i}.png").write_bytes(png(np.repeat(255 - dark[:, :, None], 3, 2), 2))
    code, out, err = run(capsys, "predict", model, folder)
    assert code == 0, err
    lines = out.strip().splitlines()[1:]
    assert [Path(line.split(",")[0]).name for line in lines] == ["d0.png", "d1.png", "l0.png",
                                                                  "l1.png"]
    outputs = np.array([[float(v) for v in line.split(",")[2:]] for line in lines])
    expected = net.predict(images.reshape(2, -1) // 4 / 255.0)
    assert np.allclose(outputs[:2], expected, atol=1e-5)
    assert np.allclose(outputs[2:], expected, atol=1e-3)  # light images were inverted
    assert by_npy.shape == (2, 10)


def test_predict_with_class_names(capsys, tmp_path):
    net = nf.Network.from_sizes([2, 3], seed=0)
    net.class_names = ["red", "green", "blue"]
    path = tmp_path / "named.safetensors"
    net.save(str(path))
    (tmp_path / "x.csv").write_text("0.5,1\n")
    code, out, _ = run(capsys, "predict", path, tmp_path / "x.csv")
    assert code == 0
    header, row = out.strip().splitlines()
    assert header == "input,class,red,green,blue"
    assert row.split(",")[1] == ["red", "green", "blue"][int(net.predict_classes([[0.5, 1]])[0])]


# ---------------------------------------------------------------------------- misuse
def test_misuse_missing_and_corrupt_files(capsys, model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default --out lands here, writable for any user
    code, _, err = run(capsys, "summary", tmp_path / "nope.safetensors")
    assert code == 2
    assert_one_line_error(err, "neuroflow summary: error:", "cannot be read")
    corrupt = tmp_path / "corrupt.safetensors"
    data = bytearray(model.read_bytes())
    data[-1] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    code, _, err = run(capsys, "evaluate", corrupt)
    assert code == 2
    assert_one_line_error(err, "SHA-256")
    code, _, err = run(capsys, "predict", model, tmp_path / "missing.csv")
    assert code == 2
    assert_one_line_error(err, "INPUT: no such file or directory")
    code, _, err = run(capsys, "train", "--data", tmp_path / "nodata", "--quiet")
    assert code == 2
    assert_one_line_error(err, "--data: no such file or directory")


def test_misuse_bad_inputs(capsys, model, tmp_path):
    (tmp_path / "narrow.csv").write_text("1,2,3\n4,5,6\n")
    code, _, err = run(capsys, "predict", model, tmp_path / "narrow.csv")
    assert code == 2
    assert_one_line_error(err, "expected 784 values per row", "received 3")
    (tmp_path / "ragged.csv").write_text("1,2,3\n4,5\n")
    code, _, err = run(capsys, "predict", model, tmp_path / "ragged.csv")
    assert_one_line_error(err, "row 2 has 2 values")
    (tmp_path / "words.csv").write_text("1,2\nx,y\n")
    code, _, err = run(capsys, "predict", model, tmp_path / "words.csv")
    assert_one_line_error(err, "words.csv", "row 2", "expected a number")
    (tmp_path / "bad.png").write_bytes(b"this is not an image")
    code, _, err = run(capsys, "predict", model, tmp_path / "bad.png")
    assert code == 2
    assert_one_line_error(err, "bad.png", "expected a PNG")
    (tmp_path / "small.png").write_bytes(png(np.zeros((10, 12, 1), np.uint8), 0))
    code, _, err = run(capsys, "predict", model, tmp_path / "small.png")
    assert code == 2
    assert_one_line_error(err, "expected a 28x28 image, received 12x10")
    (tmp_path / "x.json").write_text("[]")
    code, _, err = run(capsys, "predict", model, tmp_path / "x.json")
    assert_one_line_error(err, "expected .csv/.txt rows")
    np.save(tmp_path / "nan.npy", np.full((1, 784), np.nan))
    code, _, err = run(capsys, "predict", model, tmp_path / "nan.npy")
    assert code == 2
    assert_one_line_error(err, "expected finite values")
    tiny = tmp_path / "tiny.safetensors"
    nf.Network.from_sizes([3, 2], seed=0).save(str(tiny))
    code, _, err = run(capsys, "predict", tiny, tmp_path / "small.png")
    assert_one_line_error(err, "PNG images need a model with 784 inputs")


def test_misuse_wrong_width_model(capsys, idx_dir, tmp_path):
    tiny = tmp_path / "tiny.safetensors"
    nf.Network.from_sizes([3, 2], seed=0).save(str(tiny))
    code, _, err = run(capsys, "evaluate", tiny, "--data", idx_dir)
    assert code == 2
    assert_one_line_error(err, "the model takes 3 inputs, the data has 784 columns")
    code, _, err = run(capsys, "train", "--resume", tiny, "--data", idx_dir, "--quiet")
    assert code == 2
    assert_one_line_error(err, "--resume: the model takes 3 inputs")


@pytest.mark.parametrize(("argv", "fragment"), [
    (["train", "--optimizer", "adamax"], "expected one of"),
    (["train", "--activation", "swish"], "expected one of"),
    (["train", "--epochs", "0"], "--epochs: expected a whole number from 1 to 100000, "
                                 "received 0"),
    (["train", "--learning-rate", "nan"], "expected a positive float"),
    (["train", "--layers", "784"], "expected at least two positive sizes"),
    (["train", "--dtype", "float16"], "invalid choice"),
    (["predict", "m.safetensors", "x.png", "--invert", "maybe"], "invalid choice"),
    (["predict", "m.safetensors"], "the following arguments are required"),
    (["frobnicate"], "invalid choice"),
    (["train", "--no-such-option"], "unrecognized arguments"),
])
def test_misuse_unknown_option_values(capsys, argv, fragment):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert_one_line_error(err, "error:", fragment)


def test_every_command_has_complete_help(capsys):
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert {"train", "evaluate", "predict", "summary", "gradcheck"} <= set(commands)
    for name, command in commands.items():
        assert command.description, name
        for action in command._actions:
            assert action.help, (name, action.dest)
        code, out, _ = run(capsys, name, "--help")
        assert code == 0 and out.startswith(f"usage: neuroflow {name}")
        for action in command._actions:
            for flag in action.option_strings:
                assert flag in out, (name, flag)


def test_main_reads_each_command_line_alone_with_the_parser_it_keeps(capsys, model):
    """``main`` keeps one parser per process: what one call parsed never shows in the next
    (every value equals a fresh parser's), and a usage error leaves it usable."""
    from neuroflow import cli

    lines = [["train", "--epochs", "3", "--layers", "784,8,10", "--seed", "5"],
             ["predict", str(model), "a.csv", "--invert", "yes"], ["train"],
             ["predict", str(model), "b.csv"],
             ["plot", "curves", str(model), "--dpi", "50"], ["plot", "curves", str(model)]]

    def parsed(parser, argv):  # a handler is made with its parser: compared by name
        values = vars(parser.parse_args(argv))
        handler = values.pop("handler")
        return values, handler.__module__, handler.__qualname__

    for argv in lines:
        assert parsed(cli._parser(), argv) == parsed(build_parser(), argv)
    assert cli._parser() is cli._parser()
    assert run(capsys, "train", "--epochs", "zero")[0] == 2
    assert parsed(cli._parser(), ["train"]) == parsed(build_parser(), ["train"])


# ---------------------------------------------------------------------------- subprocess
def test_module_entry_point_help_and_errors(tmp_path):
    done = subprocess.run([sys.executable, "-m", "neuroflow", "--help"], env=ENV, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "predict" in done.stdout
    done = subprocess.run([sys.executable, "-m", "neuroflow", "predict", "none.safetensors",
                           "x.csv"], env=ENV, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert_one_line_error(done.stderr, "neuroflow predict: error:", "cannot be read")
