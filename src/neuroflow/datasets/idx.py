"""Reader for the IDX format of the MNIST files (gzip-compressed or plain).

Layout: a big-endian magic number ``0x0000TTDD`` (``TT`` the element type, ``DD`` the
number of dimensions), one big-endian uint32 per dimension, then the elements in C order.

:func:`read_idx` reads the header first and checks the size it declares against the file
(and against ``MAX_IDX_BYTES``) before reading the elements, so a corrupted or hostile
header never makes it read or allocate more than that.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path
from typing import IO, cast

import numpy as np

from neuroflow.datasets._files import check_file, reading
from neuroflow.errors import DatasetError

__all__ = ["read_idx", "parse_idx", "MAX_IDX_BYTES"]

#: Largest IDX content read (after decompression), in bytes.
MAX_IDX_BYTES = 1 << 31

_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _magic(data: bytes, source: str) -> tuple[np.dtype, int]:
    """Element type and number of dimensions from the first 4 bytes."""
    if len(data) < 4:
        raise DatasetError(f"{source}: expected an IDX file, received {len(data)} bytes "
                           "(shorter than the 4-byte magic number)")
    if data[0] != 0 or data[1] != 0 or data[2] not in _TYPES or data[3] == 0:
        raise DatasetError(f"{source}: bad IDX magic number 0x{data[:4].hex()}, expected "
                           "0x0000TTDD with a known type TT and DD >= 1 dimensions")
    return _TYPES[data[2]], data[3]


def _shape(dims: bytes, ndim: int, received: int, source: str) -> tuple[int, ...]:
    if len(dims) < 4 * ndim:
        raise DatasetError(f"{source}: truncated IDX header: expected {4 + 4 * ndim} bytes for "
                           f"{ndim} dimensions, received {received}")
    return tuple(int.from_bytes(dims[4 * i:4 * i + 4], "big") for i in range(ndim))


def _build(body: bytes, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    if math.prod(shape) == 0:
        return np.zeros(shape, dtype=dtype.newbyteorder("="))
    array = np.frombuffer(body, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def parse_idx(data: bytes, source: str = "data") -> np.ndarray:
    """Decode the bytes of an IDX file; raise :class:`DatasetError` when malformed.

    A dimension of 0 gives an empty array of that shape (callers decide whether that is
    acceptable). Sizes are computed with Python integers, so no product of dimensions
    can overflow.
    """
    dtype, ndim = _magic(data, source)
    header = 4 + 4 * ndim
    shape = _shape(data[4:header], ndim, len(data), source)
    expected = header + math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        kind = "truncated" if len(data) < expected else "has trailing bytes"
        raise DatasetError(f"{source}: IDX file {kind}: dimensions {shape} need {expected} "
                           f"bytes, received {len(data)}")
    return _build(data[header:], dtype, shape)


def _read_exactly(stream: IO[bytes], count: int) -> bytes:
    """Up to ``count`` bytes (fewer only at the end of the stream)."""
    parts = []
    while count > 0:
        part = stream.read(min(count, 1 << 24))
        if not part:
            break
        parts.append(part)
        count -= len(part)
    return b"".join(parts)


def read_idx(path: str | os.PathLike[str], max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Read an IDX file; gzip-compressed files (``\\x1f\\x8b`` at the start) are
    decompressed on the fly.

    Parameters
    ----------
    path : str or PathLike
        A regular file (not a directory, FIFO or device).
    max_bytes : int
        Largest content accepted (header and elements, after decompression).

    Raises
    ------
    DatasetError
        Naming the file: missing, not a regular file, too large, bad magic number,
        truncated, trailing bytes, undecompressable or unreadable.
    """
    path = Path(path)
    source = str(path)
    file_size = check_file(path, "IDX file", max_bytes)
    with reading(path, "IDX file"), path.open("rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = cast(IO[bytes], gzip.GzipFile(fileobj=raw) if compressed else raw)
        try:
            return _read_stream(stream, source, file_size, compressed, max_bytes)
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise DatasetError(f"{source}: cannot read or decompress ({error})") from None


def _read_stream(stream: IO[bytes], source: str, file_size: int, compressed: bool,
                 max_bytes: int) -> np.ndarray:
    head = _read_exactly(stream, 4)
    dtype, ndim = _magic(head, source)
    dims = _read_exactly(stream, 4 * ndim)
    shape = _shape(dims, ndim, 4 + len(dims), source)
    header = 4 + 4 * ndim
    expected = header + math.prod(shape) * dtype.itemsize
    if expected > max_bytes:
        raise DatasetError(f"{source}: IDX dimensions {shape} need {expected} bytes, more "
                           f"than the {max_bytes} accepted")
    if not compressed and file_size != expected:
        kind = "truncated" if file_size < expected else "has trailing bytes"
        raise DatasetError(f"{source}: IDX file {kind}: dimensions {shape} need {expected} "
                           f"bytes, received {file_size}")
    body = _read_exactly(stream, expected - header + 1)  # one more: trailing bytes?
    received = header + len(body)
    if received != expected:
        kind = "truncated" if received < expected else "has trailing bytes"
        amount = received if received < expected else f"more than {expected}"
        raise DatasetError(f"{source}: IDX file {kind}: dimensions {shape} need {expected} "
                           f"bytes, received {amount} after decompression")
    return _build(body, dtype, shape)
