"""``neuroflow train``: one training path for every data source (MNIST-style IDX folders
and CSV files), and no option silently ignored.

The finding numbers refer to the reliability review (``reliability.md``); each test fails
(or hangs) on 0.1's code (commit fc4b353), except the one marked as passing there.
"""

from __future__ import annotations

import shlex
import signal
from pathlib import Path

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import cli
from neuroflow.cli import main
from neuroflow.cli import train as cli_train


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, idx_dir) -> Path:
    """One epoch of 784-6-10 (relu, softmax, cross_entropy, adam 0.001, seed 0, float32)."""
    path = tmp_path_factory.mktemp("ckpt") / "c.safetensors"
    assert main(["train", "--data", str(idx_dir), "--layers", "784,6,10", "--epochs", "1",
                 "--batch-size", "30", "--quiet", "--out", str(path)]) == 0
    return path


@pytest.fixture
def pets(tmp_path, monkeypatch) -> Path:
    """``pets.csv`` (2 features, text classes cat/dog, 50 rows) in the working folder."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(1)
    rows = []
    for i in range(50):
        label = "dog" if i % 2 else "cat"
        rows.append(f"{rng.normal() + 3 * (i % 2):.4f},{rng.normal():.4f},{label}")
    path = tmp_path / "pets.csv"
    path.write_text("width,height,animal\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture
def prices(tmp_path, monkeypatch) -> Path:
    """``prices.csv``: 2 features and a real-valued target (regression), 40 rows."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 2))
    y = x @ [2.0, -1.0] + 0.5
    path = tmp_path / "prices.csv"
    path.write_text("a,b,price\n" + "".join(f"{p:.5f},{q:.5f},{t:.5f}\n"
                                            for (p, q), t in zip(x, y)))
    return path


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str, *fragments: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], err
    return lines[0]


def interrupt_after_first_checkpoint(monkeypatch) -> None:
    """Send SIGINT to this process right after the first per-epoch checkpoint is saved, as
    a Ctrl-C during the second epoch would."""
    save = nf.callbacks.ModelCheckpoint.on_epoch_end
    fired: list[bool] = []

    def on_epoch_end(self, epoch, logs=None):
        save(self, epoch, logs)
        if not fired:
            fired.append(True)
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(nf.callbacks.ModelCheckpoint, "on_epoch_end", on_epoch_end)


# ---------------------------------------------------------------------------- A.2, A.4
def test_a2_csv_training_saves_to_the_default_out(capsys, pets):
    """A.2: without --out, 0.1 trained on the CSV file and then crashed in ``net.save(None)``
    (TypeError traceback, model lost)."""
    code, out, err = run(capsys, "train", "--data", "pets.csv", "--epochs", "2", "--quiet")
    assert code == 0, err
    assert "saved model to model.safetensors" in out and "10 held-out rows" in out
    net = nf.load("model.safetensors")
    assert net.class_names == ["cat", "dog"] and net.epochs_trained == 2


def test_a4_csv_ctrl_c_keeps_a_checkpoint_and_prints_a_working_resume(capsys, pets,
                                                                      monkeypatch):
    """A.4: 0.1's CSV training wrote no per-epoch checkpoint, so Ctrl-C lost everything
    ("interrupted", nothing on disk). Now: exit 130, the checkpoint of the last complete
    epoch, a resume command that continues it, and resuming equals an uninterrupted run."""
    common = ["--data", "pets.csv", "--target", "animal", "--batch-size", "8", "--quiet"]
    assert run(capsys, "train", *common, "--epochs", "3", "--out", "whole.safetensors")[0] == 0
    with monkeypatch.context() as patch:
        interrupt_after_first_checkpoint(patch)
        code, _, err = run(capsys, "train", *common, "--epochs", "3", "--out",
                           "part.safetensors")
    assert code == cli.EXIT_INTERRUPTED == 130
    lines = err.strip().splitlines()
    assert lines[0] == ("neuroflow train: interrupted; the last checkpoint (epoch 1) is at "
                        "part.safetensors")
    assert nf.load("part.safetensors").epochs_trained == 1
    command = shlex.split(lines[1].removeprefix("resume with: "))
    assert command[:4] == ["neuroflow", "train", "--resume", "part.safetensors"]
    assert "--target" in command and "animal" in command
    code, _, err = run(capsys, *command[1:], "--quiet")
    assert code == 0, err
    whole, part = nf.load("whole.safetensors"), nf.load("part.safetensors")
    assert part.epochs_trained == 3
    assert all(np.array_equal(p, q) for p, q in zip(whole.parameters(), part.parameters()))
    assert np.array_equal(whole.preprocessing.mean, part.preprocessing.mean)


def test_a4_csv_divergence_exits_1_naming_the_checkpoint(capsys, prices):
    """A.4: 0.1 reported CSV divergence with exit 2 and no checkpoint line; now exit 1 and
    the message says where the last good checkpoint is (or that none was written)."""
    code, _, err = run(capsys, "train", "--data", "prices.csv", "--optimizer", "sgd",
                       "--learning-rate", "1e30", "--epochs", "5", "--quiet",
                       "--out", "div.safetensors")
    assert code == 1
    one_line(err, "neuroflow train: error:", "checkpoint")


def test_a4_csv_resume_refuses_other_data(capsys, pets):
    """CSV --resume (refused outright by 0.1) checks that the file is the same: other rows
    would put other rows in the held-out split."""
    assert run(capsys, "train", "--data", "pets.csv", "--epochs", "1", "--quiet",
               "--out", "c.safetensors")[0] == 0
    text = pets.read_text().splitlines()
    Path("other.csv").write_text("\n".join(text[:1] + text[1:][::-1]) + "\n")
    code, _, err = run(capsys, "train", "--resume", "c.safetensors", "--data", "other.csv",
                       "--epochs", "2", "--quiet")
    assert code == 2
    one_line(err, "other data")
    Path("three.csv").write_text("width,height,animal\n" + "1,2,cat\n3,4,dog\n5,6,bird\n" * 4)
    code, _, err = run(capsys, "train", "--resume", "c.safetensors", "--data", "three.csv",
                       "--epochs", "2", "--quiet")
    assert code == 2
    one_line(err, "--data: the classes of three.csv", "differ from the checkpoint's")


# ---------------------------------------------------------------------------- B.14
@pytest.mark.parametrize(("option", "value", "fragment"), [
    ("--layers", "784,99,10", "cannot change the architecture"),
    ("--activation", "tanh", "cannot change the architecture"),
    ("--output-activation", "sigmoid", "cannot change the architecture"),
    ("--loss", "mse", "cannot change the loss"),
    ("--dtype", "float64", "cannot change the floating-point type"),
    ("--seed", "5", "cannot change the random seed"),
    ("--optimizer", "sgd", "cannot change the optimiser"),
    ("--learning-rate", "0.5", "cannot change the optimiser"),
])
def test_b14_resume_refuses_changed_options(capsys, idx_dir, checkpoint, tmp_path, option,
                                            value, fragment, monkeypatch):
    """B.14: ``train --resume R --optimizer sgd --learning-rate 0.5 --layers 784,99,10
    --dtype float64 --seed 5`` exited 0 in 0.1 and used none of them."""
    monkeypatch.setattr(nf.Network, "fit", lambda *a, **k: pytest.fail("trained"))
    code, _, err = run(capsys, "train", "--resume", checkpoint, "--data", idx_dir,
                       "--epochs", "2", "--out", tmp_path / "r.safetensors", option, value)
    assert code == 2
    line = one_line(err, f"neuroflow train: error: {option}: {fragment} of a resumed model",
                    f"it is read from --resume {checkpoint}", f"drop {option}")
    assert f"received {value}" in line


def test_b14_resume_accepts_options_equal_to_the_checkpoint(capsys, idx_dir, checkpoint,
                                                            tmp_path):
    """Giving the checkpoint's own settings again is not a change: accepted. (The
    counterpart of the B.14 refusals, guarding against over-refusal; it passes on 0.1.)"""
    code, _, err = run(capsys, "train", "--resume", checkpoint, "--data", idx_dir,
                       "--epochs", "2", "--batch-size", "30", "--quiet",
                       "--out", tmp_path / "r.safetensors", "--layers", "784,6,10",
                       "--optimizer", "adam", "--learning-rate", "0.001", "--seed", "0",
                       "--dtype", "float32", "--activation", "relu")
    assert code == 0, err
    assert nf.load(tmp_path / "r.safetensors").epochs_trained == 2


def test_b14_csv_honours_loss_output_activation_and_layers(capsys, pets):
    """B.14: 0.1's CSV training ignored --loss and --output-activation and replaced an
    explicit --layers 784,256,128,10 (equal to the MNIST default) by inputs,64,outputs."""
    code, _, err = run(capsys, "train", "--data", "pets.csv", "--epochs", "1", "--quiet",
                       "--loss", "binary_cross_entropy", "--layers", "2,5,1",
                       "--out", "b.safetensors")
    assert code == 0, err
    net = nf.load("b.safetensors")
    assert net.loss.name == "binary_cross_entropy" and net.sizes == [2, 5, 1]
    assert net.layers[-1].activation.name == "sigmoid"
    code, _, err = run(capsys, "train", "--data", "pets.csv", "--epochs", "1", "--quiet",
                       "--layers", "784,256,128,10")
    assert code == 2
    one_line(err, "--layers: expected 2 inputs (feature columns) first and 2 outputs last, "
                  "received 784,256,128,10")
    code, _, err = run(capsys, "train", "--data", "pets.csv", "--epochs", "1", "--quiet",
                       "--output-activation", "sigmoid")
    assert code == 2
    one_line(err, "softmax")  # cross_entropy needs softmax: refused, not ignored


def test_b14_csv_loss_must_suit_the_target(capsys, prices, pets):
    """B.14: a classification loss on a regression target (and the reverse) is refused
    naming --loss, not ignored."""
    code, _, err = run(capsys, "train", "--data", "prices.csv", "--loss", "cross_entropy",
                       "--quiet")
    assert code == 2
    one_line(err, "--loss: cross_entropy needs class labels", "'price'")
    # mse on a class column is the quadratic-cost classifier: one-hot targets, an accuracy
    code, out, err = run(capsys, "train", "--data", "pets.csv", "--loss", "mse", "--quiet",
                         "--epochs", "1", "--out", "mse.safetensors")
    assert code == 0, err
    assert "test accuracy:" in out
    net = nf.load("mse.safetensors")
    assert net.loss.name == "mse" and net.out_features == 2


def test_d26_mnist_layers_must_end_in_the_number_of_classes(capsys, idx_dir, tmp_path):
    """D.26: ``--layers 784,16,5`` on MNIST blamed ``y: expected class labels in [0, 4]``."""
    code, _, err = run(capsys, "train", "--data", idx_dir, "--layers", "784,16,5",
                       "--quiet", "--out", tmp_path / "x.safetensors")
    assert code == 2
    one_line(err, "--layers: the last size must be 10, one output per class", "received 5")


def test_d26_csv_without_feature_columns_names_the_cause(capsys, tmp_path, monkeypatch):
    """D.26: a semicolon CSV gave ``sizes[0]: expected a positive integer, received: 0``;
    now the message points at --delimiter, and --delimiter ';' trains."""
    monkeypatch.chdir(tmp_path)
    Path("semi.csv").write_text("a;b;y\n" + "".join(f"{i};{i};{i % 2}\n" for i in range(10)))
    code, _, err = run(capsys, "train", "--data", "semi.csv", "--quiet")
    assert code == 2
    one_line(err, "semi.csv", "--delimiter")
    code, _, err = run(capsys, "train", "--data", "semi.csv", "--delimiter", ";", "--quiet",
                       "--epochs", "1")
    assert code == 0, err
    assert nf.load("model.safetensors").sizes == [2, 64, 2]


def test_d28_non_root_rank_divergence_exits_1(capsys, idx_dir, tmp_path, monkeypatch):
    """D.28: under --distributed, ranks other than 0 returned 130 ("interrupted") when the
    loss diverged, so mpiexec exited 131 instead of 1."""
    monkeypatch.setattr(cli_train, "_is_root", lambda args: False)

    def diverge(*args, **kwargs):
        raise nf.TrainingDivergedError("loss became nan")

    monkeypatch.setattr(nf.Network, "fit", diverge)
    assert run(capsys, "train", "--data", idx_dir, "--layers", "784,4,10", "--quiet",
               "--out", tmp_path / "x.safetensors")[0] == 1


def test_b11_preset_runs_resume_exactly_with_their_callbacks(capsys, idx_dir, tmp_path,
                                                              monkeypatch):
    """B.11: ``--preset mnist-best`` could not be resumed (refused with --resume), and its
    best-epoch selection (EarlyStopping with restore_best) was not checkpointed, so a
    resumed run ended on other weights. The preset's callbacks now get their saved state
    back: interrupted and resumed equals uninterrupted, best-epoch weights included."""
    monkeypatch.chdir(tmp_path)
    common = ["--preset", "mnist-best", "--data", str(idx_dir), "--layers", "784,16,10",
              "--epochs", "4", "--batch-size", "16", "--quiet"]
    assert run(capsys, "train", *common, "--out", "whole.safetensors")[0] == 0
    with monkeypatch.context() as patch:
        interrupt_after_first_checkpoint(patch)
        code, _, err = run(capsys, "train", *common, "--out", "part.safetensors")
    assert code == cli.EXIT_INTERRUPTED
    command = shlex.split(err.strip().splitlines()[1].removeprefix("resume with: "))
    assert "--preset" in command and "mnist-best" in command
    assert run(capsys, *command[1:], "--quiet")[0] == 0
    whole, part = nf.load("whole.safetensors"), nf.load("part.safetensors")
    assert part.epochs_trained == whole.epochs_trained == 4
    assert all(np.array_equal(p, q) for p, q in zip(whole.parameters(), part.parameters()))
    assert [s["type"] for s in part.callback_states] == ["EarlyStopping"]


def test_a4_image_folders_take_the_same_training_path(capsys, tmp_path, monkeypatch):
    """One training path for every data source: a folder of images, one sub-folder per
    class, trains like MNIST and CSV (default --out, per-epoch checkpoint, held-out test
    score), keeps the folder names as class names, and predict prints them."""
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    for label, (name, bright) in enumerate((("circle", 200), ("square", 60))):
        (tmp_path / "shapes" / name).mkdir(parents=True)
        for i in range(12):
            pixels = (rng.random((28, 28)) * 40).astype(np.uint8)
            pixels[8:20, 8:20] = bright + label
            Image.fromarray(pixels).save(tmp_path / "shapes" / name / f"{i}.png")
    code, out, err = run(capsys, "train", "--data", "shapes", "--layers", "784,8,3",
                         "--epochs", "2", "--quiet")
    assert code == 2 and "--layers: the last size must be 2, one output per class folder" in err
    code, out, err = run(capsys, "train", "--data", "shapes", "--layers", "784,8,2",
                         "--epochs", "2", "--quiet")
    assert code == 0, err
    assert "4 held-out images" in out and "saved model to model.safetensors" in out
    net = nf.load("model.safetensors")
    assert net.class_names == ["circle", "square"] and net.epochs_trained == 2
    code, out, err = run(capsys, "predict", "model.safetensors", "shapes/circle/0.png")
    assert code == 0 and out.splitlines()[1].split(",")[1] in ("circle", "square")
