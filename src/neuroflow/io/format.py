"""The model file format's constants and checksums: its name and version, the limits a
reader enforces, and the SHA-256 digests (see :mod:`neuroflow.io` for the layout)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np

__all__ = ["FORMAT", "FORMAT_VERSION", "file_digest", "tensor_digest"]

FORMAT = "neuroflow"
FORMAT_VERSION = "2.0"
_MAJOR = 2
#: Format 1 (neuroflow 0.1) files still load, with a warning: their hash covers tensors only.
_OLDEST_MAJOR = 1

_SAFETENSORS_DTYPES = {"float32": "F32", "float64": "F64"}
_RNG_BIT_GENERATORS = {cls.__name__: cls for cls in (
    np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937, np.random.Philox,
    np.random.SFC64)}
#: Largest epoch or step count a file may hold.
_MAX_COUNT = 10**12
#: Largest JSON header accepted (bytes); real headers are a few kilobytes.
_MAX_HEADER = 64 * 1024 * 1024
#: Width allowed for layers whose parameter shapes are not known before building,
#: beyond the number of scalars actually present in the file.
_MIN_WIDTH_BOUND = 4096
_OPTIMIZER_KEY = re.compile(r"^(\d{1,9})\.([A-Za-z_][A-Za-z0-9_]*)$")
_CALLBACK_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,199}")


def tensor_digest(tensors: dict[str, np.ndarray]) -> str:
    """SHA-256 (hex) over ``name NUL dtype NUL shape NUL bytes`` of each tensor, by name
    (the check of format 1.x files, which covered the tensors only)."""
    digest = hashlib.sha256()
    _update_with_tensors(digest, tensors)
    return digest.hexdigest()


def file_digest(metadata: dict[str, str], tensors: dict[str, np.ndarray]) -> str:
    """SHA-256 (hex) over the whole file's content (format 2): every metadata field but
    ``sha256`` itself, in sorted key order, as ``key NUL value NUL`` (UTF-8), then a
    ``NUL`` and every tensor as in :func:`tensor_digest`. Any change of any byte that
    the file's meaning depends on changes it."""
    digest = hashlib.sha256()
    for key in sorted(metadata):
        if key != "sha256":
            digest.update(key.encode("utf-8") + b"\0" + str(metadata[key]).encode("utf-8")
                          + b"\0")
    digest.update(b"\0")
    _update_with_tensors(digest, tensors)
    return digest.hexdigest()


def _update_with_tensors(digest: Any, tensors: dict[str, np.ndarray]) -> None:
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        little = array.astype(array.dtype.newbyteorder("<"), copy=False)
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(array.dtype.kind.encode() + str(array.dtype.itemsize).encode() + b"\0")
        digest.update(",".join(str(s) for s in array.shape).encode() + b"\0")
        digest.update(little.tobytes())


def _jsonable(value: Any) -> Any:
    """Convert NumPy scalars and arrays inside ``value`` to plain JSON types."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
