"""One data path for every command (D14): ``evaluate``, ``explain``, ``sweep`` and
``predict`` take the sources ``train`` takes (MNIST, an IDX folder, an image folder, a CSV
file); a size mismatch is found from the first item, before the rest is decoded (D18); a
FIFO or device given as data is "not a regular file", not "no such file" (D17); a folder
that is neither kind of data is named as ``--data``, not ``path``."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from neuroflow import datasets
from neuroflow.cli import main


def make_images(folder: Path, size: int = 28, per_class: int = 5) -> Path:
    rng = np.random.default_rng(0)
    for label in ("cat", "dog"):
        (folder / label).mkdir(parents=True)
        for i in range(per_class):
            pixels = (rng.random((size, size)) * 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / label / f"{i}.png")
    return folder


def make_rows(path: Path, regression: bool = False) -> Path:
    rng = np.random.default_rng(1)
    x = rng.random((40, 3))
    y = x @ [1.0, -2.0, 0.5] if regression else np.where(x[:, 0] > 0.5, 1, 0)
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", fmt="%.6f")
    return path


def run(capsys, *args) -> tuple[int, str, str]:
    status = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def image_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sources")
    images = make_images(folder / "imgs")
    model = folder / "m.safetensors"
    assert main(["train", "--data", str(images), "--layers", "784,4,2", "--epochs", "1",
                 "--quiet", "--out", str(model)]) == 0
    return images, model


def test_evaluate_reads_an_image_folder(capsys, image_model):
    images, model = image_model
    status, out, err = run(capsys, "evaluate", model, "--data", images)
    assert status == 0, err
    assert "samples: 10" in out and "accuracy:" in out


def test_evaluate_refuses_class_folders_the_model_does_not_know(capsys, image_model, tmp_path):
    _, model = image_model
    other = make_images(tmp_path / "other")
    os.rename(other / "dog", other / "bird")
    status, _, err = run(capsys, "evaluate", model, "--data", other)
    assert status == 2 and "bird" in err and "cat, dog" in err
    assert len(err.strip().splitlines()) == 1


def test_explain_reads_an_image_folder(capsys, image_model):
    images, model = image_model
    status, out, err = run(capsys, "explain", model, "--data", images, "--sample", "5")
    assert status == 0, err
    assert out.strip()


def test_explain_and_plot_of_a_fresh_network_read_an_image_folder(capsys, image_model,
                                                                 tmp_path):
    images, _ = image_model
    status, out, err = run(capsys, "explain", "--layers", "784,3,2", "--data", images)
    assert status == 0, err
    big = make_images(tmp_path / "big", size=30)
    status, _, err = run(capsys, "explain", "--layers", "784,3,2", "--data", big)
    assert status == 2 and "900 pixels (30x30)" in err and "sub-folder" not in err


def test_predict_reads_an_image_folder_with_class_folders(capsys, image_model):
    images, model = image_model
    status, out, err = run(capsys, "predict", model, images)
    assert status == 0, err
    rows = out.strip().splitlines()
    assert len(rows) == 11 and rows[0].startswith("input,class")
    assert os.path.join("cat", "0.png") in rows[1]


def test_predict_reads_mnist_and_an_idx_folder(capsys, image_model, idx_dir):
    _, model = image_model
    status, out, err = run(capsys, "predict", model, idx_dir)
    assert status == 0, err
    assert len(out.strip().splitlines()) == 21  # the header and the 20 test images
    status, out, err = run(capsys, "predict", model, "mnist", idx_dir)
    assert status == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1 + 10_000 + 20 and lines[1].startswith("mnist:1,")


def test_sweep_reads_an_image_folder_and_csv_files(capsys, image_model, tmp_path):
    images, _ = image_model
    status, out, err = run(capsys, "sweep", "--data", images, "--learning-rates", "0.1",
                           "--epochs", "1", "--layers", "784,4,2")
    assert status == 0, err
    assert "8 training samples" in out and "2 held-out samples" in out
    rows = make_rows(tmp_path / "rows.csv")
    status, out, err = run(capsys, "sweep", "--data", rows, "--learning-rates", "0.1,1",
                           "--epochs", "2")
    assert status == 0, err
    assert "32 training samples" in out
    numbers = make_rows(tmp_path / "numbers.csv", regression=True)
    status, out, err = run(capsys, "sweep", "--data", numbers, "--learning-rates", "0.01",
                           "--epochs", "2")
    assert status == 0, err
    assert "mse" in out


def test_a_folder_too_small_to_hold_images_out_trains_and_sweeps(capsys, tmp_path):
    tiny = make_images(tmp_path / "tiny", per_class=2)  # under 10 images: none held out
    status, out, err = run(capsys, "train", "--data", tiny, "--layers", "784,3,2",
                           "--epochs", "1", "--quiet", "--out", tmp_path / "m.safetensors")
    assert status == 0, err
    assert "saved model" in out and "test accuracy" not in out
    status, out, err = run(capsys, "sweep", "--data", tiny, "--learning-rates", "0.1",
                           "--epochs", "1", "--layers", "784,3,2")
    assert status == 0, err
    assert "accuracy on the training samples" in out


def test_every_command_reads_an_idx_folder(capsys, idx_dir, tmp_path):
    model = tmp_path / "digits.safetensors"
    status, _, err = run(capsys, "train", "--data", idx_dir, "--layers", "784,4,10",
                         "--epochs", "1", "--quiet", "--out", model)
    assert status == 0, err
    for args in (["evaluate", model, "--data", idx_dir],
                 ["explain", model, "--data", idx_dir],
                 ["sweep", "--data", idx_dir, "--learning-rates", "0.1", "--epochs", "1"]):
        status, _, err = run(capsys, *args)
        assert status == 0, (args, err)


def test_predict_reads_the_training_csv_with_its_target_left_out(capsys, tmp_path):
    rng = np.random.default_rng(2)
    lines = ["width,height,animal"] + [
        f"{w:.3f},{h:.3f},{'cat' if w < 0.5 else 'dog'}" for w, h in rng.random((30, 2))]
    (tmp_path / "pets.csv").write_text("\n".join(lines) + "\n")
    model = tmp_path / "pets.safetensors"
    status, _, err = run(capsys, "train", "--data", tmp_path / "pets.csv", "--target",
                         "animal", "--epochs", "1", "--quiet", "--out", model)
    assert status == 0, err
    status, out, err = run(capsys, "predict", model, tmp_path / "pets.csv", "--target",
                           "animal")
    assert status == 0, err
    rows = out.strip().splitlines()
    assert rows[0] == "input,class,cat,dog" and len(rows) == 31
    # without --target, the column holding the model's class labels is left out, with a
    # one-line note, and the predictions are the same
    status, again, err = run(capsys, "predict", model, tmp_path / "pets.csv")
    assert status == 0, err
    assert again == out
    assert err.count("\n") == 1 and "note:" in err and "'animal'" in err


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any image is decoded (only headers may be read)."""
    def refuse(*args, **kwargs):
        raise AssertionError("an image was decoded")

    monkeypatch.setattr(datasets.images, "_to_array", refuse)


def test_train_layers_mismatch_is_found_from_the_first_header(capsys, tmp_path, no_decoding):
    big = make_images(tmp_path / "big", size=60)
    status, _, err = run(capsys, "train", "--data", big, "--layers", "784,4,2", "--epochs",
                         "1", "--quiet", "--out", tmp_path / "m.safetensors")
    assert status == 2
    assert re.fullmatch(r"neuroflow train: error: --layers: the first size must be the "
                        r"number of inputs, 3600 \(60x60 pixels, from '.*0\.png'\), "
                        r"received 784\n", err), err


def test_evaluate_explain_sweep_find_the_mismatch_from_the_first_header(
        capsys, image_model, tmp_path, no_decoding):
    _, model = image_model
    big = make_images(tmp_path / "big", size=60)
    for args in (["evaluate", model, "--data", big], ["explain", model, "--data", big],
                 ["sweep", "--data", big, "--learning-rates", "0.1", "--layers", "784,4,2"]):
        status, _, err = run(capsys, *args)
        assert status == 2, (args, err)
        assert len(err.strip().splitlines()) == 1 and "3600" in err and "784" in err, err


def test_train_resume_mismatch_is_found_from_the_first_header(capsys, image_model, tmp_path,
                                                              no_decoding):
    _, model = image_model
    big = make_images(tmp_path / "big", size=60)
    status, _, err = run(capsys, "train", "--data", big, "--resume", model, "--epochs", "2",
                         "--quiet", "--out", tmp_path / "again.safetensors")
    assert status == 2 and "--resume: the model takes 784 inputs" in err and "3600" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_as_data_is_not_a_regular_file(capsys, image_model, tmp_path):
    _, model = image_model
    fifo = tmp_path / "rows.csv"
    os.mkfifo(fifo)
    plain = tmp_path / "pipe"
    os.mkfifo(plain)
    for args in (["evaluate", model, "--data", fifo],
                 ["evaluate", model, "--data", plain],
                 ["train", "--data", fifo, "--epochs", "1", "--quiet",
                  "--out", tmp_path / "m.safetensors"],
                 ["train", "--data", plain, "--epochs", "1", "--quiet",
                  "--out", tmp_path / "m.safetensors"],
                 ["sweep", "--data", fifo, "--learning-rates", "0.1"],
                 ["explain", model, "--data", fifo]):
        status, _, err = run(capsys, *args)
        assert status == 2, (args, err)
        assert "named pipe (FIFO), not a regular file" in err and "no such" not in err, err
        assert len(err.strip().splitlines()) == 1


def test_a_device_as_data_is_not_a_regular_file(capsys, image_model):
    _, model = image_model
    status, _, err = run(capsys, "evaluate", model, "--data", os.devnull)
    assert status == 2 and "character device, not a regular file" in err


def test_a_folder_of_neither_kind_is_named_as_data(capsys, image_model, tmp_path):
    _, model = image_model
    (tmp_path / "empty").mkdir()
    for args in (["evaluate", model, "--data", tmp_path / "empty"],
                 ["sweep", "--data", tmp_path / "empty", "--learning-rates", "0.1"]):
        status, _, err = run(capsys, *args)
        assert status == 2
        assert err.startswith(f"neuroflow {args[0]}: error: --data: ") and "path:" not in err
        assert "sub-folder per class" in err


def test_missing_data_is_no_such_file(capsys, image_model, tmp_path):
    _, model = image_model
    status, _, err = run(capsys, "evaluate", model, "--data", tmp_path / "gone.csv")
    assert status == 2 and "--data: no such file or directory" in err
