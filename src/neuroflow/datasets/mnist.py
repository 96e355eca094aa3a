"""MNIST handwritten digits (LeCun, Cortes & Burges), bundled with the package.

60,000 training and 10,000 test images of 28x28 grey pixels, License CC BY-SA 3.0.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from neuroflow.datasets.idx import read_idx
from neuroflow.errors import DatasetError

__all__ = ["mnist", "DATA_DIR"]

DATA_DIR = Path(__file__).with_name("data")
_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def _find(directory: Path, stem: str) -> Path:
    for candidate in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        if (directory / candidate).is_file():
            return directory / candidate
    raise DatasetError(f"path: expected {stem}(.gz) in {directory}, found no such file")


def mnist(path: str | os.PathLike[str] | None = None, flatten: bool = True
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load MNIST as ``(x_train, y_train, x_test, y_test)``.

    Parameters
    ----------
    path : str or path, optional
        A directory with the four IDX files (gzip or plain); the bundled copy by default.
    flatten : bool
        Images as rows of 784 pixels ``(n, 784)`` (default) or as ``(n, 28, 28)``.

    Returns
    -------
    x_train : float32 (60000, 784), pixels scaled to [0, 1]
    y_train : int64 (60000,), digits 0-9
    x_test : float32 (10000, 784)
    y_test : int64 (10000,)
    """
    directory = DATA_DIR if path is None else Path(path)
    if not directory.is_dir():
        raise DatasetError(f"path: expected a directory of MNIST IDX files, received {str(path)!r}")
    files = {key: _find(directory, stem) for key, stem in _FILES.items()}
    arrays = {key: read_idx(file) for key, file in files.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        image_file, label_file = str(files[f"x_{split}"]), str(files[f"y_{split}"])
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise DatasetError(f"{split} images {image_file!r}: expected uint8 (n, 28, 28), "
                               f"received {images.dtype} {images.shape}")
        if images.shape[0] == 0:
            raise DatasetError(f"{split} images {image_file!r}: expected at least one image, "
                               "received an IDX file of 0 images")
        if labels.dtype.kind not in "iu":
            raise DatasetError(f"{split} labels {label_file!r}: expected integer labels (IDX "
                               f"type ubyte), received {labels.dtype} values")
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise DatasetError(f"{split} labels {label_file!r}: expected ({images.shape[0]},) "
                               f"to match the images, received {labels.shape}")
        if labels.min() < 0 or labels.max() > 9:
            bad = labels.min() if labels.min() < 0 else labels.max()
            raise DatasetError(f"{split} labels {label_file!r}: expected digits 0-9, received "
                               f"{bad}")
    result = []
    for split in ("train", "test"):
        images = arrays[f"x_{split}"]
        x = images.reshape(images.shape[0], -1) if flatten else images
        x = x.astype(np.float32)
        x /= np.float32(255)
        result += [x, arrays[f"y_{split}"].astype(np.int64)]
    return result[0], result[1], result[2], result[3]
