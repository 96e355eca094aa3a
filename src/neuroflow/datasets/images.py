"""Read images (PNG, JPEG, BMP, GIF) through Pillow, and folders of them laid out one
sub-folder per class.

::

    shapes/
        circle/  a.png b.jpg ...
        square/  c.png ...

gives classes ``["circle", "square"]`` (sorted folder names) and one row of pixels per
image.

Every image goes through the same two rules, in :func:`read_image` and
:func:`mnist_polarity`, whether it is read by :func:`load_images` or by
``neuroflow predict``:

1. **Transparency.** Transparent parts are background: the image is composited over a
   background that contrasts with its ink, white under dark ink (drawing apps and HTML
   canvases export dark strokes on a transparent background), black under light ink. The
   ink's brightness is the alpha-weighted mean brightness of the colour. Opaque images are
   unchanged.
2. **Polarity** (``invert="auto"``). MNIST digits are light ink on a dark background. An
   image whose mean brightness (after rule 1) is above one half is taken as dark ink on
   light paper and inverted (``1 - pixel``); ``invert="yes"`` always inverts, ``"no"``
   never does.

Sizes are checked from the file's header before any pixel is decoded, so a huge image is
refused at once.
"""

from __future__ import annotations

import os
import struct
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from neuroflow._constraints import Constraints, Options, PathLike, validate
from neuroflow.datasets._files import check_file, reading
from neuroflow.datasets.csv import DTYPE, TabularData
from neuroflow.errors import DatasetError

__all__ = ["load_images", "read_image", "mnist_polarity", "image_files", "image_size",
           "first_image", "IMAGE_SUFFIXES", "MAX_PIXELS", "MAX_IMAGE_BYTES", "INVERT_CHOICES"]

#: File name endings read as images (compared case-insensitively).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
#: The Pillow formats opened; nothing else is tried (no plugin that runs external tools).
_FORMATS = ("PNG", "JPEG", "BMP", "GIF")
#: Largest image accepted, in pixels (width x height), checked before decoding.
MAX_PIXELS = 1 << 24
#: Largest image file read, in bytes.
MAX_IMAGE_BYTES = 64 << 20
#: Values of the ``invert`` option.
INVERT_CHOICES = ("auto", "yes", "no")
#: What each argument of :func:`load_images` accepts (see :mod:`neuroflow._constraints`).
_parameter_constraints: dict[str, Constraints] = {"load_images": {
    "folder": [PathLike("a folder path")],
    "color": [Options(("grey", "rgb"))],
    "invert": [Options(INVERT_CHOICES)],
    "dtype": DTYPE,
    "on_invert": [callable, None],
}}
_LUMA = np.array([0.299, 0.587, 0.114])


def read_image(path: str | os.PathLike[str], *, color: str = "grey",
               size: tuple[int, int] | None = None, max_pixels: int = MAX_PIXELS,
               size_of: str | None = None) -> np.ndarray:
    """Decode one image file to floats in [0, 1], transparency composited (rule 1).

    Parameters
    ----------
    path : str or PathLike
        A PNG, JPEG, BMP or GIF file (GIF: the first frame); grey, palette, RGB, RGBA,
        grey + alpha, CMYK, 1, 8 or 16 bits per channel.
    color : {"grey", "rgb"}
        ``"grey"``: ``(height, width)`` brightness (ITU-R 601 luma
        ``0.299 R + 0.587 G + 0.114 B``); ``"rgb"``: ``(height, width, 3)``.
    size : (width, height) or None
        The size the image must have; checked from the header, before decoding.
    max_pixels : int
        Largest ``width * height`` accepted, also checked before decoding.
    size_of : str or None
        Where ``size`` comes from, for the message (e.g. the first image of a folder).

    Returns
    -------
    ndarray of float64

    Raises
    ------
    DatasetError
        One line naming the file: not a regular file, too large a file, not an image of
        a supported format, a size other than ``size`` or above ``max_pixels``, or a
        truncated or corrupted image.
    """
    if color not in ("grey", "rgb"):
        raise ValueError(f"color: expected 'grey' or 'rgb', received {color!r}")
    path = Path(path)
    source = f"image {str(path)!r}"
    check_file(path, "image", MAX_IMAGE_BYTES)
    with reading(path, "image"), warnings.catch_warnings():
        # Pillow's own decompression-bomb limit (MAX_IMAGE_PIXELS) warns below twice the
        # limit; make it an error too. Our max_pixels check normally comes first.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path, formats=_FORMATS) as image:  # reads the header only
                width, height = image.size
                if size is not None and (width, height) != tuple(size):
                    like = f" like {size_of}" if size_of else ""
                    raise DatasetError(f"{source}: expected a {size[0]}x{size[1]} image{like}, "
                                       f"received {width}x{height}")
                if width * height > max_pixels:
                    raise DatasetError(f"{source}: expected at most {max_pixels} pixels, "
                                       f"received {width}x{height}")
                image.load()
                return _to_array(image, color)
        except DatasetError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise DatasetError(f"{source}: refused as a decompression bomb ({error})") from None
        except Image.UnidentifiedImageError:
            raise DatasetError(f"{source}: expected a PNG, JPEG, BMP or GIF image, received "
                               "a file Pillow cannot identify as one") from None
        except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error,
                IndexError, KeyError, TypeError) as error:
            if isinstance(error, OSError) and error.errno is not None:
                raise  # a failing read, reported by reading()
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DatasetError(f"{source}: truncated or corrupted image ({message})") from None


def _to_array(image: Any, color: str) -> np.ndarray:
    """Pixels of a loaded Pillow image as floats in [0, 1], transparency composited."""
    mode = image.mode
    if mode.startswith("I") or mode == "F":  # 16-bit grey (I;16, I;16B) or 32-bit
        grey = np.asarray(image, dtype=np.float64)
        scale = 65535.0 if mode != "F" else max(float(grey.max(initial=0.0)), 1.0)
        grey = np.clip(grey / scale, 0.0, 1.0)
        alpha = np.ones_like(grey)
        key = image.info.get("transparency")
        if isinstance(key, int):  # a tRNS colour key: that grey level is transparent
            alpha[np.asarray(image) == key] = 0.0
        rgb = np.repeat(grey[:, :, None], 3, axis=2)
    else:
        # RGBA keeps palette transparency (tRNS), colour keys, LA/PA and CMYK correct
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float64) / 255.0
        rgb, alpha = rgba[:, :, :3], rgba[:, :, 3]
    if np.any(alpha < 1.0):
        weight = float(alpha.sum())
        ink = float((rgb @ _LUMA * alpha).sum() / weight) if weight > 0 else 0.0
        background = 0.0 if ink > 0.5 else 1.0  # contrast with the ink
        rgb = rgb * alpha[:, :, None] + background * (1.0 - alpha[:, :, None])
    if color == "rgb":
        return np.ascontiguousarray(rgb)
    return np.clip(rgb @ _LUMA, 0.0, 1.0)


def mnist_polarity(pixels: np.ndarray, invert: str = "auto") -> tuple[np.ndarray, bool]:
    """Apply rule 2: make ``pixels`` (in [0, 1]) light ink on a dark background like MNIST.

    Parameters
    ----------
    pixels : ndarray
        ``(height, width)`` grey or ``(height, width, 3)`` colour values in [0, 1].
    invert : {"auto", "yes", "no"}
        "auto": invert when the mean brightness (luma for colour) is above one half,
        i.e. dark ink on light paper; "yes": always; "no": never.

    Returns
    -------
    (ndarray, bool)
        The pixels, and whether they were inverted.
    """
    if invert not in INVERT_CHOICES:
        raise ValueError(f"invert: expected 'auto', 'yes' or 'no', received {invert!r}")
    grey = pixels @ _LUMA if pixels.ndim == 3 else pixels
    flip = invert == "yes" or (invert == "auto" and float(np.mean(grey)) > 0.5)
    return (1.0 - pixels if flip else pixels), flip


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """``(width, height)`` of an image from its header; no pixel is decoded.

    Raises
    ------
    DatasetError
        As :func:`read_image` does, naming the file: not a regular file, too large a file,
        or not an image of a supported format.
    """
    path = Path(path)
    check_file(path, "image", MAX_IMAGE_BYTES)
    with reading(path, "image"):
        try:
            with Image.open(path, formats=_FORMATS) as image:
                width, height = image.size
                return int(width), int(height)
        except Image.UnidentifiedImageError:
            raise DatasetError(f"image {str(path)!r}: expected a PNG, JPEG, BMP or GIF image, "
                               "received a file Pillow cannot identify as one") from None
        except (SyntaxError, ValueError, EOFError, struct.error, zlib.error, IndexError,
                KeyError, TypeError) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DatasetError(f"image {str(path)!r}: truncated or corrupted image "
                               f"({message})") from None


def _class_folders(root: Path) -> list[str]:
    """The class folders of an image folder (sorted, hidden ones skipped), at least two."""
    if not root.is_dir():
        raise DatasetError(f"image folder {str(root)!r}: no such directory")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise DatasetError(f"image folder {str(root)!r}: expected one sub-folder per class "
                           f"(at least 2), received {len(classes)}")
    return classes


def _class_images(root: Path, name: str) -> list[Path]:
    files = image_files(root / name)
    if not files:
        raise DatasetError(f"image folder {str(root)!r}: class folder {name!r} holds no "
                           f"image ({', '.join(IMAGE_SUFFIXES)}) files")
    return files


def first_image(folder: str | os.PathLike[str]) -> Path:
    """The image :func:`load_images` reads first (the first file of the first class
    folder), whose header gives every image's size: a caller can check it against a
    network before any image is decoded (:func:`image_size`)."""
    root = Path(folder)
    return _class_images(root, _class_folders(root)[0])[0]


def image_files(folder: Path) -> list[Path]:
    """The image files directly in ``folder`` (by suffix, hidden files skipped), sorted."""
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))


def load_images(folder: str | os.PathLike[str], *, color: str = "grey",
                invert: str = "auto", dtype: str = "float32",
                on_invert: Callable[[Path], None] | None = None) -> TabularData:
    """Load ``folder/<class name>/*.png|jpg|jpeg|bmp|gif`` as inputs and class labels.

    Parameters
    ----------
    folder : str or PathLike
        A directory holding one sub-directory per class (at least two).
    color : {"grey", "rgb"}
        ``"grey"``: one brightness per pixel (ITU-R 601 luma); ``"rgb"``: three values
        per pixel. Either way transparency is composited as the module docstring says.
    invert : {"auto", "yes", "no"}
        Polarity (see the module docstring), the same rule as ``neuroflow predict
        --invert``, decided per image: "auto" (default) turns dark-ink-on-light images
        into MNIST's light-on-dark. Pass "no" when brightness itself tells the classes
        apart (photos, shades).
    dtype : {"float32", "float64"}
        Type of ``x``.
    on_invert : callable or None
        Called with the path of every image that was inverted.

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
        For a missing folder, fewer than two class folders, a class with no image, an
        unreadable image (naming the file) or images of different sizes (refused from
        the header, before decoding).
    """
    validate("load_images", {"folder": folder, "color": color, "invert": invert,
                             "dtype": dtype, "on_invert": on_invert},
             _parameter_constraints["load_images"])
    root = Path(folder)
    classes = _class_folders(root)
    rows: list[np.ndarray] = []
    labels: list[int] = []
    size: tuple[int, int] | None = None
    first_file = None
    for index, name in enumerate(classes):
        for file in _class_images(root, name):
            pixels = read_image(file, color=color, size=size,
                                size_of=repr(str(first_file)) if first_file else None)
            pixels, flipped = mnist_polarity(pixels, invert)
            if flipped and on_invert is not None:
                on_invert(file)
            if size is None:
                size, first_file = (pixels.shape[1], pixels.shape[0]), file
            rows.append(pixels.reshape(-1))
            labels.append(index)
    assert size is not None
    width, height = size
    if color == "grey":
        names = [f"pixel_{r}_{c}" for r in range(height) for c in range(width)]
    else:
        names = [f"pixel_{r}_{c}_{k}" for r in range(height) for c in range(width)
                 for k in "rgb"]
    return TabularData(x=np.stack(rows).astype(dtype), y=np.asarray(labels, dtype=np.int64),
                       feature_names=names, target_name="class", task="classification",
                       class_names=classes)
