"""CSV and image-folder readers: parsing, target detection and every malformed case."""

import struct
import zlib

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.datasets import load_csv, load_images
from neuroflow.errors import DatasetError


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_string_labels_become_sorted_classes(tmp_path):
    path = write(tmp_path, "length,width,species\n1.0,2.0,setosa\n3,4,virginica\n\n"
                           "5,6,setosa\n")
    data = load_csv(path, target="species")
    x, y = data
    assert x.dtype == np.float32 and x.tolist() == [[1, 2], [3, 4], [5, 6]]
    assert y.tolist() == [0, 1, 0] and y.dtype == np.int64
    assert data.class_names == ["setosa", "virginica"]
    assert data.task == "classification" and data.target_name == "species"
    assert data.feature_names == ["length", "width"]


def test_target_kinds_and_overrides(tmp_path):
    path = write(tmp_path, "a,b\n0.5,3\n1.5,7\n2.5,3\n")
    data = load_csv(path)  # last column, few integers -> classes
    assert data.task == "classification" and data.class_names == [3, 7]
    assert data.y.tolist() == [0, 1, 0]
    data = load_csv(path, target="b", task="regression", dtype="float64")
    assert data.task == "regression" and data.y.tolist() == [3.0, 7.0, 3.0]
    data = load_csv(path, target=0)  # floats -> regression
    assert data.task == "regression" and data.feature_names == ["b"]
    data = load_csv(path, target=0, task="classification")
    assert data.class_names == [0.5, 1.5, 2.5]
    assert load_csv(path, target=None).y is None


def test_no_header_and_delimiter(tmp_path):
    path = write(tmp_path, "1;2;0\n3;4;1\n")
    data = load_csv(path, delimiter=";")
    assert data.x.tolist() == [[1, 2], [3, 4]] and data.feature_names == ["column_1",
                                                                           "column_2"]
    forced = load_csv(write(tmp_path, "1,2,3\n4,5,6\n", "h.csv"), header=True)
    assert forced.feature_names == ["1", "2"] and forced.x.tolist() == [[4, 5]]


def test_missing_values_fail_or_drop(tmp_path):
    path = write(tmp_path, "a,b,label\n1,2,x\n3,,y\n5,6,NA\n7,8,x\n")
    with pytest.raises(DatasetError, match=r"row 3, column 2 \('b'\): missing value ''; fix "
                                           r"it or pass missing='drop'"):
        load_csv(path)
    data = load_csv(path, missing="drop")
    assert data.x.tolist() == [[1, 2], [7, 8]] and data.dropped_rows == [3, 4]
    assert data.class_names == ["x"]
    with pytest.raises(DatasetError, match="no rows left after dropping 2"):
        load_csv(write(tmp_path, "a,b\n?,1\n2,null\n", "m.csv"), missing="drop")


@pytest.mark.parametrize(("text", "options", "match"), [
    ("a,b,c\n1,2,x\n3,4\n", {}, r"row 3 has 2 values, expected 3 like row 1"),
    ("a,b,c\n1,2,x\n3,4,y,9\n", {}, r"row 3 has 4 values, expected 3"),
    ("a,b,c\n1,2,x\n3,abc,y\n", {}, r"row 3, column 2 \('b'\): expected a number, "
                                    r"received 'abc'"),
    ("1,2,0\n3,inf,1\n", {}, r"row 2, column 2 \('column_2'\): expected a finite number"),
    ("a,b\n1,cat\n", {"task": "regression"}, r"row 2, column 2 \('b'\): a regression "
                                             r"target must be a number, received 'cat'"),
    ("", {}, "no rows"),
    ("a,b\n", {}, "a header but no data rows"),
])
def test_malformed_files(tmp_path, text, options, match):
    with pytest.raises(DatasetError, match=match):
        load_csv(write(tmp_path, text), **options)


@pytest.mark.parametrize(("options", "match"), [
    ({"target": "colour"}, "target: expected one of the columns a, b, received 'colour'"),
    ({"target": 5}, r"target: expected a column name or an index in \[-2, 1\]"),
    ({"delimiter": ",,"}, "delimiter: expected one character"),
    ({"missing": "impute"}, "missing: expected 'fail' or 'drop'"),
    ({"task": "ranking"}, "task: expected 'auto', 'classification' or 'regression'"),
    ({"header": "yes"}, r"header: expected None \(decide from row 1\), True or False"),
    ({"dtype": "int8"}, "dtype: expected 'float32' or 'float64'"),
])
def test_bad_arguments(tmp_path, options, match):
    with pytest.raises(ValueError, match=match):
        load_csv(write(tmp_path, "a,b\n1,2\n"), **options)


def test_bad_arguments_and_files_more(tmp_path):
    with pytest.raises(ValueError, match="needs a header row"):
        load_csv(write(tmp_path, "1,2\n"), target="b")
    with pytest.raises(DatasetError, match="no such file"):
        load_csv(tmp_path / "absent.csv")


def png_bytes(pixels):
    """A minimal 8-bit greyscale PNG of ``pixels (h, w)`` uint8."""
    height, width = pixels.shape

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_load_images_folder_per_class(tmp_path):
    for name, value in (("dark", 10), ("light", 240)):
        (tmp_path / name).mkdir()
        for i in range(3):
            (tmp_path / name / f"{i}.png").write_bytes(
                png_bytes(np.full((4, 3), value + i, dtype=np.uint8)))
    data = load_images(tmp_path)
    assert data.x.shape == (6, 12) and data.class_names == ["dark", "light"]
    assert data.y.tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_allclose(data.x[0], 10 / 255, rtol=1e-6)
    rgb = load_images(tmp_path, color="rgb")
    assert rgb.x.shape == (6, 36) and rgb.feature_names[:3] == ["pixel_0_0_r", "pixel_0_0_g",
                                                                 "pixel_0_0_b"]
    net = nf.Network.from_sizes([12, 2], seed=0)
    net.fit(data.x, data.y, epochs=1, verbose=0)


def test_load_images_errors(tmp_path):
    with pytest.raises(DatasetError, match="no such directory"):
        load_images(tmp_path / "none")
    (tmp_path / "a").mkdir()
    with pytest.raises(DatasetError, match=r"at least 2\), received 1"):
        load_images(tmp_path)
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "1.png").write_bytes(png_bytes(np.zeros((2, 2), dtype=np.uint8)))
    with pytest.raises(DatasetError, match=r"class folder 'b' holds no image \(.png, .jpg"):
        load_images(tmp_path)
    (tmp_path / "b" / "1.png").write_bytes(png_bytes(np.zeros((3, 2), dtype=np.uint8)))
    with pytest.raises(DatasetError, match=r"expected a 2x2 image like .*, received 2x3"):
        load_images(tmp_path)
    (tmp_path / "b" / "1.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError, match=r"1.png': expected a PNG, JPEG, BMP or GIF image"):
        load_images(tmp_path)
    with pytest.raises(ValueError, match="color: expected 'grey' or 'rgb'"):
        load_images(tmp_path, color="cmyk")
    with pytest.raises(ValueError, match="dtype: expected 'float32' or 'float64'"):
        load_images(tmp_path, dtype="uint8")
