"""Read a folder of PNG images laid out one sub-folder per class.

::

    shapes/
        circle/  a.png b.png ...
        square/  c.png ...

gives classes ``["circle", "square"]`` (sorted folder names) and one row of pixels per
image. PNGs are decoded by neuroflow's own zlib-based reader (no imaging library).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from neuroflow._png import PNGError, read_png, to_grayscale
from neuroflow.datasets.csv import TabularData
from neuroflow.errors import DatasetError

__all__ = ["load_images"]


def load_images(folder: str | os.PathLike[str], *, color: str = "grey",
                dtype: str = "float32") -> TabularData:
    """Load ``folder/<class name>/*.png`` as inputs and class labels.

    Parameters
    ----------
    folder : str or PathLike
        A directory holding one sub-directory per class (at least two).
    color : {"grey", "rgb"}
        ``"grey"``: one brightness per pixel (ITU-R 601 luma, alpha blended over black);
        ``"rgb"``: three values per pixel (alpha blended over black).
    dtype : {"float32", "float64"}
        Type of ``x``.

    Returns
    -------
    TabularData
        ``x (n, height * width * channels)`` in [0, 1] (row-major pixels, channels
        last), ``y (n,)`` int64 class indices, ``class_names`` the folder names, and
        ``feature_names`` ``pixel_{row}_{column}[_{channel}]``. Files load in sorted order
        within each class.

    Raises
    ------
    DatasetError
        For a missing folder, fewer than two class folders, a class with no PNG, an
        unreadable PNG (naming the file) or images of different sizes.
    """
    if color not in ("grey", "rgb"):
        raise ValueError(f"color: expected 'grey' or 'rgb', received {color!r}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype: expected 'float32' or 'float64', received {dtype!r}")
    root = Path(folder)
    if not root.is_dir():
        raise DatasetError(f"image folder {str(root)!r}: no such directory")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise DatasetError(f"image folder {str(root)!r}: expected one sub-folder per class "
                           f"(at least 2), received {len(classes)}")
    rows: list[np.ndarray] = []
    labels: list[int] = []
    shape: tuple[int, ...] | None = None
    first_file = None
    for index, name in enumerate(classes):
        files = sorted(p for p in (root / name).iterdir() if p.suffix.lower() == ".png")
        if not files:
            raise DatasetError(f"image folder {str(root)!r}: class folder {name!r} holds no "
                               ".png files")
        for file in files:
            try:
                image = read_png(file)
            except (PNGError, OSError) as error:
                raise DatasetError(f"image {str(file)!r}: {error}") from None
            pixels = to_grayscale(image) if color == "grey" else _rgb(image)
            if shape is None:
                shape, first_file = pixels.shape, file
            elif pixels.shape != shape:
                raise DatasetError(
                    f"image {str(file)!r}: expected {shape[1]}x{shape[0]} pixels like "
                    f"{str(first_file)!r}, received {pixels.shape[1]}x{pixels.shape[0]}")
            rows.append(pixels.reshape(-1))
            labels.append(index)
    assert shape is not None
    if color == "grey":
        names = [f"pixel_{r}_{c}" for r in range(shape[0]) for c in range(shape[1])]
    else:
        names = [f"pixel_{r}_{c}_{k}" for r in range(shape[0]) for c in range(shape[1])
                 for k in "rgb"]
    return TabularData(x=np.stack(rows).astype(dtype), y=np.asarray(labels, dtype=np.int64),
                       feature_names=names, target_name="class", task="classification",
                       class_names=classes)


def _rgb(image: np.ndarray) -> np.ndarray:
    """``(height, width, 3)`` floats in [0, 1], alpha blended over black."""
    pixels = image.astype(np.float64) / 255.0
    channels = pixels.shape[2]
    alpha = pixels[:, :, -1:] if channels in (2, 4) else 1.0
    colour = pixels[:, :, :3] if channels >= 3 else np.repeat(pixels[:, :, :1], 3, axis=2)
    return colour * alpha
