import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.datasets import mnist, parse_idx, read_idx
from neuroflow.datasets.mnist import DATA_DIR

MD5 = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}


def _idx(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = bytes([0, 0, type_code, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


@pytest.mark.parametrize("name", sorted(MD5))
def test_bundled_files_are_the_originals(name):
    data = gzip.decompress((DATA_DIR / name).read_bytes())
    assert hashlib.md5(data).hexdigest() == MD5[name]


def test_mnist_shapes_dtypes_ranges():
    x_train, y_train, x_test, y_test = mnist()
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert sorted(np.unique(y_test)) == list(range(10))
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]


def test_mnist_unflattened():
    x_train, _, _, _ = mnist(flatten=False)
    assert x_train.shape == (60000, 28, 28)


def test_idx_round_trip_plain_and_gzip(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a.idx").write_bytes(_idx(array))
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(_idx(array)))
    assert np.array_equal(read_idx(tmp_path / "a.idx"), array)
    assert np.array_equal(read_idx(tmp_path / "a.idx.gz"), array)


def test_idx_big_endian_types():
    array = np.array([1.5, -2.0], dtype=">f4")
    np.testing.assert_array_equal(parse_idx(_idx(array, 0x0D)), [1.5, -2.0])


def test_mnist_from_user_directory(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([0, 1, 2, 3, 9], dtype=np.uint8)
    for split in ("train", "t10k"):
        (tmp_path / f"{split}-images-idx3-ubyte").write_bytes(_idx(images))
        (tmp_path / f"{split}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(labels)))
    x_train, y_train, x_test, _ = nf.datasets.mnist(tmp_path)
    assert x_train.shape == (5, 784)
    np.testing.assert_allclose(x_train[0], images[0].reshape(-1) / 255, rtol=1e-6)
    assert y_train.tolist() == [0, 1, 2, 3, 9]


def test_bad_magic():
    with pytest.raises(nf.DatasetError, match=r"bad IDX magic number 0x12345678"):
        parse_idx(b"\x12\x34\x56\x78" + bytes(8))


def test_too_short():
    with pytest.raises(nf.DatasetError, match=r"expected an IDX file, received 2 bytes"):
        parse_idx(b"\x00\x00")


def test_truncated_header():
    with pytest.raises(nf.DatasetError, match=r"truncated IDX header: expected 16 bytes"):
        parse_idx(bytes([0, 0, 8, 3, 0, 0]))


def test_truncated_data():
    data = _idx(np.zeros((4, 5), dtype=np.uint8))
    with pytest.raises(nf.DatasetError, match=r"IDX file truncated: dimensions \(4, 5\) need 32 "
                                              r"bytes, received 31"):
        parse_idx(data[:-1])


def test_trailing_bytes():
    with pytest.raises(nf.DatasetError, match="has trailing bytes"):
        parse_idx(_idx(np.zeros(3, dtype=np.uint8)) + b"x")


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "x.gz"
    data = gzip.compress(_idx(np.arange(600, dtype=np.uint8).reshape(6, 100)))
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(nf.DatasetError, match="cannot read or decompress"):
        read_idx(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(nf.DatasetError, match="nope.idx': no such file"):
        read_idx(tmp_path / "nope.idx")
    with pytest.raises(nf.DatasetError, match="path: expected a directory of MNIST IDX files"):
        mnist(tmp_path / "nowhere")
    with pytest.raises(nf.DatasetError, match=r"path: expected train-images-idx3-ubyte\(\.gz\)"):
        mnist(tmp_path)


def test_wrong_image_shape(tmp_path):
    for split in ("train", "t10k"):
        (tmp_path / f"{split}-images-idx3-ubyte").write_bytes(
            _idx(np.zeros((2, 10, 10), dtype=np.uint8)))
        (tmp_path / f"{split}-labels-idx1-ubyte").write_bytes(_idx(np.zeros(2, dtype=np.uint8)))
    with pytest.raises(nf.DatasetError, match=r"train images '.*train-images-idx3-ubyte': "
                                              r"expected uint8 \(n, 28, 28\)"):
        mnist(tmp_path)


def test_dataset_error_is_value_error():
    assert issubclass(nf.DatasetError, ValueError)


# ---------------------------------------------------------------------------- reliability review
def _mnist_dir(tmp_path, images, labels, label_type=0x08):
    for split in ("train", "t10k"):
        (tmp_path / f"{split}-images-idx3-ubyte").write_bytes(_idx(images))
        (tmp_path / f"{split}-labels-idx1-ubyte").write_bytes(_idx(labels, label_type))
    return tmp_path


def test_d26_zero_image_idx_file_names_the_file(tmp_path):
    """D.26: 0.1 said 'cannot reshape array of size 0 into shape (0,newaxis)'."""
    _mnist_dir(tmp_path, np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8))
    with pytest.raises(nf.DatasetError, match=r"train images '.*train-images-idx3-ubyte': "
                                              r"expected at least one image, received an IDX "
                                              r"file of 0 images"):
        mnist(tmp_path)
    assert read_idx(tmp_path / "train-images-idx3-ubyte").shape == (0, 28, 28)


def test_d26_dimensions_whose_product_wraps_int64(tmp_path):
    """D.26: dimensions (2^31, 2^31, 4) wrapped int64 in 0.1: a NumPy reshape message and a
    wrong byte count. Sizes are now Python integers and the file is named."""
    path = tmp_path / "wrap.idx"
    header = bytes([0, 0, 0x08, 3]) + b"".join(d.to_bytes(4, "big")
                                               for d in (2 ** 31, 2 ** 31, 4))
    path.write_bytes(header)
    need = 16 + 2 ** 31 * 2 ** 31 * 4
    with pytest.raises(nf.DatasetError, match=rf"wrap.idx: IDX dimensions \(2147483648, "
                                              rf"2147483648, 4\) need {need} bytes, more than"):
        read_idx(path)
    with pytest.raises(nf.DatasetError, match=rf"need {need} bytes, received 16"):
        parse_idx(header)


def test_b16_float_label_file_is_refused(tmp_path):
    """B.16: a float IDX label file (e.g. 0.5) passed the '<= 9' check and was truncated."""
    _mnist_dir(tmp_path, np.zeros((2, 28, 28), np.uint8), np.array([0.5, 3.0], ">f4"), 0x0D)
    with pytest.raises(nf.DatasetError, match=r"train labels '.*train-labels-idx1-ubyte': "
                                              r"expected integer labels \(IDX type ubyte\), "
                                              r"received float32"):
        mnist(tmp_path)


def test_negative_labels_are_refused(tmp_path):
    _mnist_dir(tmp_path, np.zeros((2, 28, 28), np.uint8), np.array([1, -3], np.int8), 0x09)
    with pytest.raises(nf.DatasetError, match="expected digits 0-9, received -3"):
        mnist(tmp_path)


def test_idx_size_is_checked_against_the_header_before_reading(tmp_path, monkeypatch):
    """Bounded reading: the declared size is compared with the file (plain) or with
    max_bytes (gzip) before the elements are read."""
    plain = tmp_path / "short.idx"
    plain.write_bytes(_idx(np.zeros((1000, 28, 28), np.uint8))[:100])
    reads = []
    original = Path.open

    def tracking_open(self, *args, **kwargs):
        stream = original(self, *args, **kwargs)
        read = stream.read

        def counted(size=-1):
            data = read(size)
            reads.append(len(data))
            return data

        stream.read = counted
        return stream

    monkeypatch.setattr(Path, "open", tracking_open)
    with pytest.raises(nf.DatasetError, match=r"IDX file truncated: dimensions \(1000, 28, 28\) "
                                              r"need 784016 bytes, received 100"):
        read_idx(plain)
    assert sum(reads) <= 2 + 16  # the gzip probe and the header, not the elements
    monkeypatch.undo()
    packed = tmp_path / "big.idx.gz"
    packed.write_bytes(gzip.compress(_idx(np.zeros((50, 28, 28), np.uint8))))
    with pytest.raises(nf.DatasetError, match=r"need 39216 bytes, more than the 1000 accepted"):
        read_idx(packed, max_bytes=1000)
    trailing = tmp_path / "trail.idx.gz"
    trailing.write_bytes(gzip.compress(_idx(np.zeros(3, np.uint8)) + b"xx"))
    with pytest.raises(nf.DatasetError, match="has trailing bytes"):
        read_idx(trailing)


def test_idx_must_be_a_regular_file(tmp_path):
    with pytest.raises(nf.DatasetError, match="expected a file, received a directory"):
        read_idx(tmp_path)
    fifo = tmp_path / "fifo-idx"
    os.mkfifo(fifo)
    with pytest.raises(nf.DatasetError, match="expected a regular file, received a named pipe"):
        read_idx(fifo)


def test_idx_memory_error_names_the_file(tmp_path, monkeypatch):
    path = tmp_path / "m.idx.gz"
    path.write_bytes(gzip.compress(_idx(np.zeros((4, 4), np.uint8))))

    def exhausted(self, *args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(gzip.GzipFile, "read", exhausted)
    with pytest.raises(nf.DatasetError, match=r"m.idx.gz': not enough memory to read it"):
        read_idx(path)
