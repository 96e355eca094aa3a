"""``neuroflow predict`` (and ``evaluate``) inputs: CSV rows, ``.npy`` arrays and images.

Finding numbers refer to the reliability review (reliability.md, sections B, C and D)."""

from __future__ import annotations

import io
import os
import pickle
import re

import numpy as np
import pytest
from PIL import Image, ImageFile

import neuroflow as nf
from neuroflow.cli import evaluate as cli_evaluate
from neuroflow.cli import main, read_inputs
from neuroflow.cli import predict as cli_predict
from neuroflow.errors import DatasetError


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def outputs(out: str) -> np.ndarray:
    return np.array([[float(v) for v in line.split(",")[2:]]
                     for line in out.strip().splitlines()[1:]])


@pytest.fixture
def model2(tmp_path) -> tuple[object, str]:
    net = nf.Network.from_sizes([2, 3], seed=0)
    path = tmp_path / "m2.safetensors"
    net.save(str(path))
    return net, str(path)


@pytest.fixture(scope="module")
def model784(tmp_path_factory) -> tuple[object, str]:
    net = nf.Network.from_sizes([784, 10], seed=0)
    path = tmp_path_factory.mktemp("m") / "m784.safetensors"
    net.save(str(path))
    return net, str(path)


def npz_bytes() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, a=np.zeros(3))
    return buffer.getvalue()


def seven() -> np.ndarray:
    image = np.zeros((28, 28), dtype=np.uint8)
    image[5:8, 6:22] = 255
    for row in range(8, 23):
        image[row, 20 - (row - 8) // 2:23 - (row - 8) // 2] = 255
    return image


# ---------------------------------------------------------------------------- CSV
def test_b8_predict_keeps_the_first_row_after_a_bom(capsys, tmp_path, model2):
    """B.8: 0.1's predict dropped row 1 of a file starting with a BOM (2 rows out of 3)."""
    net, model = model2
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf1.0,2.0\n-1.0,-2.0\n3,4\n")
    code, out, err = run(capsys, "predict", model, tmp_path / "bom.csv")
    assert code == 0, err
    np.testing.assert_allclose(outputs(out), net.predict(np.array([[1, 2], [-1, -2], [3, 4]])),
                               atol=1e-5)


@pytest.mark.parametrize("first", ["1.0,", "1.0,abc"])
def test_b8_predict_bad_row_1_is_an_error_not_a_header(capsys, tmp_path, model2, first):
    """B.8: 0.1 took a row 1 with an empty or non-numeric cell as a header and skipped it."""
    _, model = model2
    (tmp_path / "x.csv").write_text(f"{first}\n-1.0,-2.0\n")
    code, _, err = run(capsys, "predict", model, tmp_path / "x.csv")
    assert code == 2
    one_error_line(err, "x.csv': row 1, column 2")


def test_header_and_delimiter_options(capsys, tmp_path, model2):
    net, model = model2
    (tmp_path / "semi.txt").write_text("2019;2020\n1;2\n")
    code, _, err = run(capsys, "predict", model, tmp_path / "semi.txt")
    one_error_line(err, "the file seems to use ';'", "--delimiter")
    code, out, err = run(capsys, "predict", model, tmp_path / "semi.txt", "--delimiter", ";")
    assert code == 0 and len(outputs(out)) == 2  # numbers in row 1: data
    code, out, err = run(capsys, "predict", model, tmp_path / "semi.txt", "--delimiter", ";",
                         "--header")
    assert code == 0 and len(outputs(out)) == 1
    (tmp_path / "tabs.txt").write_text("a\tb\n1\t2\n")
    code, out, err = run(capsys, "predict", model, tmp_path / "tabs.txt", "--delimiter", "tab")
    assert code == 0 and len(outputs(out)) == 1
    code, _, err = run(capsys, "predict", model, tmp_path / "tabs.txt", "--delimiter", "tab",
                       "--no-header")
    one_error_line(err, "row 1, column 1 ('column_1'): expected a number, received 'a'")
    code, _, err = run(capsys, "predict", model, tmp_path / "tabs.txt", "--delimiter", "ab")
    assert code == 2
    one_error_line(err, "--delimiter", "expected one character")


def test_evaluate_and_train_accept_the_csv_options():
    parser = nf.cli.build_parser()
    for command in (["evaluate", "m.safetensors"], ["train"]):
        args = parser.parse_args([*command, "--no-header", "--delimiter", "semicolon"])
        assert args.header is False and args.delimiter == ";"
        assert parser.parse_args(command).header is None


def test_b16_predict_matches_columns_by_feature_name(capsys, tmp_path, model2, monkeypatch):
    """B.16: 0.1 matched CSV columns by position, so reordered columns gave wrong results
    silently. With the model's feature names, a header is matched by name."""
    net, model = model2
    net.feature_names = ["width", "height"]
    monkeypatch.setattr(cli_predict, "load_model", lambda path, args: net)
    (tmp_path / "swapped.csv").write_text("height,width\n2,1\n4,3\n")
    code, out, err = run(capsys, "predict", model, tmp_path / "swapped.csv")
    assert code == 0, err
    np.testing.assert_allclose(outputs(out), net.predict(np.array([[1, 2], [3, 4]])), atol=1e-5)
    (tmp_path / "extra.csv").write_text("height,width,colour\n2,1,5\n")
    code, _, err = run(capsys, "predict", model, tmp_path / "extra.csv")
    assert code == 2
    one_error_line(err, "extra.csv'", "not in the model: 'colour'")
    (tmp_path / "short.csv").write_text("width\n1\n")
    code, _, err = run(capsys, "predict", model, tmp_path / "short.csv")
    one_error_line(err, "missing 'height'")
    (tmp_path / "bare.csv").write_text("1,2\n")  # no header: by position
    code, out, _ = run(capsys, "predict", model, tmp_path / "bare.csv")
    np.testing.assert_allclose(outputs(out), net.predict(np.array([[1, 2]])), atol=1e-5)


def test_b16_evaluate_matches_columns_by_feature_name(capsys, tmp_path, monkeypatch):
    """B.16: evaluate on a CSV with reordered columns used them by position in 0.1."""
    net = nf.Network.from_sizes([2, 2], seed=1)
    net.class_names = ["cat", "dog"]
    net.feature_names = ["width", "height"]
    monkeypatch.setattr(cli_evaluate, "load_model", lambda path, args: net)
    rows = np.array([[0.5, -1.0], [2.0, 0.1], [-1.0, 1.5]])
    labels = ["cat", "dog", "dog"]
    lines = ["animal,height,width"] + [f"{n},{h},{w}" for (w, h), n in zip(rows, labels)]
    (tmp_path / "test.csv").write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, "evaluate", "m.safetensors", "--data", tmp_path / "test.csv",
                         "--target", "animal")
    assert code == 0, err
    expected = net.evaluate(rows, np.array([0, 1, 1]))
    assert f"loss: {expected['loss']:.4f}" in out


def test_predict_fifo_input_is_refused_at_once(capsys, tmp_path, model2):
    _, model = model2
    os.mkfifo(tmp_path / "pipe.csv")
    code, _, err = run(capsys, "predict", model, tmp_path / "pipe.csv")
    assert code == 2
    one_error_line(err, "pipe.csv': expected a regular file, received a named pipe")


# ---------------------------------------------------------------------------- .npy
def test_b16_integer_npy_is_scaled_like_uint8(capsys, tmp_path, model784):
    """B.16: 0.1 divided only uint8 by 255, so int64 pixels 0-255 saturated the model."""
    net, model = model784
    pixels = seven().astype(np.int64)[None]
    np.save(tmp_path / "int64.npy", pixels)
    code, out, err = run(capsys, "predict", model, tmp_path / "int64.npy")
    assert code == 0, err
    np.testing.assert_allclose(outputs(out), net.predict(pixels.reshape(1, -1) / 255.0),
                               atol=1e-5)


def test_b16_integer_npy_outside_0_255_is_refused(capsys, tmp_path, model784):
    _, model = model784
    np.save(tmp_path / "wide.npy", np.arange(784, dtype=np.int32).reshape(1, 784))
    code, _, err = run(capsys, "predict", model, tmp_path / "wide.npy")
    assert code == 2
    one_error_line(err, "wide.npy'", "8-bit pixels in 0..255", "received values in [0, 783]",
                   "save the array as float")


def test_b16_ambiguous_shape_is_refused(capsys, tmp_path, model784):
    """B.16: 0.1 reshaped (3, 4, 196) as 'a stack of images' because 4 * 196 = 784."""
    _, model = model784
    np.save(tmp_path / "odd.npy", np.zeros((3, 4, 196)))
    code, _, err = run(capsys, "predict", model, tmp_path / "odd.npy")
    assert code == 2
    one_error_line(err, "odd.npy'", "expected an array of shape (n, 784) or (784,), (28, 28) "
                                    "or (n, 28, 28), received (3, 4, 196)")


def test_npy_image_shapes(tmp_path):
    stack = np.stack([seven(), 255 - seven()])
    np.save(tmp_path / "stack.npy", stack)
    np.save(tmp_path / "one.npy", seven())
    np.save(tmp_path / "flat.npy", (seven() / 255.0).reshape(-1))
    np.save(tmp_path / "bool.npy", seven() > 0)
    x, labels = read_inputs([str(tmp_path / n) for n in ("stack.npy", "one.npy", "flat.npy",
                                                         "bool.npy")], 784)
    assert x.shape == (5, 784) and len(labels) == 5
    for row in (x[0], x[2], x[3], x[4]):
        np.testing.assert_allclose(row, seven().reshape(-1) / 255.0)
    assert labels[0].endswith("stack.npy:1") and labels[2].endswith("one.npy:1")


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda p: p.write_text("1,2,3\n"), "expected a NumPy .npy array (written by np.save), "
                                        "received text"),
    (lambda p: p.write_bytes(b""), "received an empty file"),
    (lambda p: p.write_bytes(pickle.dumps([1, 2])), "received a Python pickle"),
    (lambda p: p.write_bytes(npz_bytes()), "received a zip archive"),
    (lambda p: np.save(p, np.array([{"a": 1}], dtype=object)), "expected a numeric array "
                                                                "(bool, integer or float), "
                                                                "received dtype object"),
    (lambda p: np.save(p, np.zeros(784, dtype=complex)), "received dtype complex128"),
    (lambda p: np.save(p, np.array(["a"])), "received dtype <U1"),
])
def test_d26_bad_npy_is_one_line_naming_the_file(capsys, tmp_path, model784, make, fragment):
    """D.26: a text file renamed .npy gave NumPy's 'contains pickled (object) data ... load
    it unsafely' message in 0.1; nothing is ever unpickled."""
    _, model = model784
    path = tmp_path / "bad.npy"
    make(path)
    code, _, err = run(capsys, "predict", model, path)
    assert code == 2
    one_error_line(err, "bad.npy'", fragment)
    assert "pickle" not in err.lower() or "received a Python pickle" in err


def test_truncated_npy_is_refused_from_its_header(capsys, tmp_path, model784):
    _, model = model784
    path = tmp_path / "cut.npy"
    np.save(path, np.zeros((100, 784)))
    path.write_bytes(path.read_bytes()[:5000])
    code, _, err = run(capsys, "predict", model, path)
    one_error_line(err, "cut.npy'", "file truncated: shape (100, 784) of float64 needs")


def test_non_finite_npy_names_the_sample(capsys, tmp_path, model2):
    _, model = model2
    np.save(tmp_path / "nan.npy", np.array([[1.0, 2.0], [np.inf, 0.0]]))
    code, _, err = run(capsys, "predict", model, tmp_path / "nan.npy")
    one_error_line(err, "nan.npy'", "expected finite values, received NaN or infinity in "
                                    "sample 2")


# ---------------------------------------------------------------------------- images
def test_b10_predict_inverts_dark_ink_on_transparent_and_says_so(capsys, tmp_path, model784):
    """B.10: 0.1 turned black ink on a transparent background into a blank image (the
    prediction was the blank image's argmax). It is now the MNIST-like digit, and the
    inversion is reported on standard error."""
    net, model = model784
    rgba = np.zeros((28, 28, 4), dtype=np.uint8)
    rgba[:, :, 3] = seven()
    Image.fromarray(rgba, "RGBA").save(tmp_path / "canvas.png")
    code, out, err = run(capsys, "predict", model, tmp_path / "canvas.png")
    assert code == 0
    np.testing.assert_allclose(outputs(out), net.predict(seven().reshape(1, -1) / 255.0),
                               atol=1e-5)
    assert err.startswith("neuroflow predict: note: inverted 1 of 1 images to light-on-dark")
    assert "canvas.png" in err
    code, out, err = run(capsys, "predict", model, tmp_path / "canvas.png", "--invert", "no")
    assert code == 0 and err == ""


def test_predict_reads_a_directory_of_mixed_formats(capsys, tmp_path, model784):
    net, model = model784
    folder = tmp_path / "digits"
    folder.mkdir()
    Image.fromarray(seven()).save(folder / "a.png")
    Image.fromarray(seven()).convert("RGB").save(folder / "b.bmp")
    Image.fromarray(255 - seven()).save(folder / "c.gif")
    (folder / "notes.txt").write_text("ignored")
    code, out, err = run(capsys, "predict", model, folder)
    assert code == 0, err
    lines = out.strip().splitlines()[1:]
    assert [line.split(",")[0].rsplit("/", 1)[-1] for line in lines] == ["a.png", "b.bmp",
                                                                          "c.gif"]
    expected = net.predict(seven().reshape(1, -1) / 255.0)
    np.testing.assert_allclose(outputs(out), np.repeat(expected, 3, axis=0), atol=1e-5)
    assert "inverted 1 of 3 images" in err and "c.gif" in err


def test_c19_predict_refuses_a_huge_png_without_decoding(capsys, tmp_path, model784,
                                                         monkeypatch):
    """C.19: 0.1 spent 38.7 s decoding a 4096x4096 PNG before saying it was not 28x28."""
    _, model = model784
    pixels = np.zeros((4096, 4096), dtype=np.uint8)
    pixels[::5] = 255
    Image.fromarray(pixels).save(tmp_path / "huge.png")

    def refuse(self, *args, **kwargs):
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    code, _, err = run(capsys, "predict", model, tmp_path / "huge.png")
    assert code == 2
    one_error_line(err, "huge.png': expected a 28x28 image, received 4096x4096")


def test_image_errors_are_one_line(capsys, tmp_path, model784, model2):
    _, model = model784
    (tmp_path / "fake.jpg").write_bytes(b"not a jpeg")
    code, _, err = run(capsys, "predict", model, tmp_path / "fake.jpg")
    assert code == 2
    one_error_line(err, "fake.jpg'", "expected a PNG, JPEG, BMP or GIF image")
    Image.fromarray(seven()).save(tmp_path / "ok.png")
    code, _, err = run(capsys, "predict", model2[1], tmp_path / "ok.png")
    one_error_line(err, "PNG images need a model with 784 inputs")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "predict", model, empty)
    one_error_line(err, "INPUT: no images")


def test_read_image_errors_are_dataset_errors(tmp_path):
    (tmp_path / "x.gif").write_bytes(b"GIF89a")
    with pytest.raises(DatasetError, match=re.escape("x.gif'")):
        read_inputs([str(tmp_path / "x.gif")], 784)


def test_integer_npy_rows_for_a_model_with_preprocessing_are_plain_values(tmp_path):
    """Integer .npy pixels are scaled by 1/255 only for a raw-pixel model; a CSV-trained
    model (with a scaler) gets its integer feature values unchanged."""
    from neuroflow.cli import read_inputs

    np.save(tmp_path / "rows.npy", np.array([[3, 200], [7, 100]], dtype=np.int64))
    as_values, _ = read_inputs([str(tmp_path / "rows.npy")], 2, pixels=False)
    as_pixels, _ = read_inputs([str(tmp_path / "rows.npy")], 2, pixels=True)
    assert as_values.tolist() == [[3.0, 200.0], [7.0, 100.0]]
    np.testing.assert_allclose(as_pixels, as_values / 255)
