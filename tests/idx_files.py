"""Writing MNIST-format (IDX) files for tests: one helper, imported by name (a module named
``conftest`` is ambiguous once a test folder has a conftest.py of its own)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def write_idx(path: Path, array: np.ndarray) -> None:
    """``array`` as an uint8 IDX file (the MNIST format: magic, big-endian dimensions)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())
