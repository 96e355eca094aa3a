"""Reader for the IDX format of the MNIST files (gzip-compressed or plain).

Layout: a big-endian magic number ``0x0000TTDD`` (``TT`` the element type, ``DD`` the
number of dimensions), one big-endian uint32 per dimension, then the elements in C order.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from neuroflow.errors import DatasetError

__all__ = ["read_idx", "parse_idx"]

_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def parse_idx(data: bytes, source: str = "data") -> np.ndarray:
    """Decode the bytes of an IDX file; raise :class:`DatasetError` when malformed."""
    if len(data) < 4:
        raise DatasetError(f"{source}: expected an IDX file, received {len(data)} bytes "
                           "(shorter than the 4-byte magic number)")
    if data[0] != 0 or data[1] != 0 or data[2] not in _TYPES or data[3] == 0:
        raise DatasetError(f"{source}: bad IDX magic number 0x{data[:4].hex()}, expected "
                           "0x0000TTDD with a known type TT and DD >= 1 dimensions")
    dtype = _TYPES[data[2]]
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{source}: truncated IDX header: expected {header} bytes for "
                           f"{ndim} dimensions, received {len(data)}")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        kind = "truncated" if len(data) < expected else "has trailing bytes"
        raise DatasetError(f"{source}: IDX file {kind}: dimensions {shape} need {expected} "
                           f"bytes, received {len(data)}")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file; ``.gz`` files are decompressed."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError as error:
        raise DatasetError(f"{path}: file not found") from error
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(f"{path}: cannot read or decompress ({error})") from error
    return parse_idx(raw, str(path))
