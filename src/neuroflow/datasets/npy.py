"""Read a NumPy ``.npy`` array safely: never unpickled, header checked before the data.

The header (magic number, dtype, shape) is read and validated first; the file's size must
match what it declares, so nothing larger than the file (and ``MAX_NPY_BYTES``) is ever
allocated, and a file that is not ``.npy`` (text renamed ``.npy``, an ``.npz`` archive, a
pickle) gets a one-line message naming it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from tokenize import TokenError
from typing import Any

import numpy as np

from neuroflow.datasets._files import check_file, reading
from neuroflow.errors import DatasetError

__all__ = ["read_npy", "MAX_NPY_BYTES"]

#: Largest ``.npy`` file read, in bytes.
MAX_NPY_BYTES = 1 << 31
_MAGIC = b"\x93NUMPY"


def _what_it_is(start: bytes) -> str:
    if start.startswith(b"PK\x03\x04"):
        return "a zip archive (an .npz file? save one array with np.save)"
    if start[:1] == b"\x80":
        return "a Python pickle"
    try:
        start.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data"
    return "text"


def _header(stream: Any, source: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    fmt = np.lib.format
    try:
        version = fmt.read_magic(stream)
        if version == (1, 0):
            return fmt.read_array_header_1_0(stream)
        if version == (2, 0):
            return fmt.read_array_header_2_0(stream)
        reader = getattr(fmt, "_read_array_header", None)
        if reader is None:
            raise ValueError(f"format version {version[0]}.{version[1]} is not supported")
        return reader(stream, version)
    except (ValueError, SyntaxError, TokenError, RecursionError, MemoryError) as error:
        # NumPy parses the header's dict with ast.literal_eval: a mangled header can end
        # in any of the parser's errors
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DatasetError(f"{source}: malformed .npy header ({message})") from None


def read_npy(path: str | os.PathLike[str], max_bytes: int = MAX_NPY_BYTES) -> np.ndarray:
    """Read a ``.npy`` file holding one numeric (bool, integer or float) array.

    Parameters
    ----------
    path : str or PathLike
        A regular file written by ``np.save``.
    max_bytes : int
        Largest file accepted.

    Returns
    -------
    ndarray
        As saved (any byte order or memory layout).

    Raises
    ------
    DatasetError
        One line naming the file: missing, not a regular file, too large, not a
        ``.npy`` file, object/string/complex/structured/date dtypes (object arrays
        would need unpickling, which is never done), or a size that does not match the
        header.
    """
    path = Path(path)
    source = f".npy file {str(path)!r}"
    size = check_file(path, ".npy file", max_bytes)
    with reading(path, ".npy file"), path.open("rb") as stream:
        start = stream.read(len(_MAGIC))
        if start != _MAGIC:
            start += stream.read(58)
            raise DatasetError(f"{source}: expected a NumPy .npy array (written by np.save), "
                               f"received {_what_it_is(start) if start else 'an empty file'}")
        stream.seek(0)
        shape, _, dtype = _header(stream, source)
        if dtype.hasobject or dtype.kind not in "biuf":
            raise DatasetError(f"{source}: expected a numeric array (bool, integer or float), "
                               f"received dtype {dtype}")
        expected = stream.tell() + math.prod(shape) * dtype.itemsize
        if size != expected:
            kind = "truncated" if size < expected else "has trailing bytes"
            raise DatasetError(f"{source}: file {kind}: shape {shape} of {dtype} needs "
                               f"{expected} bytes, received {size}")
        stream.seek(0)
        try:
            array = np.load(stream, allow_pickle=False)
        except (ValueError, EOFError) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DatasetError(f"{source}: cannot be read ({message})") from None
    return np.asarray(array)
