"""The model file format's constants and checksums: its name and version, the limits a
reader enforces, and the SHA-256 digests (see :mod:`neuroflow.io` for the layout)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["FORMAT", "FORMAT_VERSION", "file_digest", "tensor_digest", "file_signature",
           "SIGNATURE_KEY", "MIN_KEY_BYTES", "sign_key_bytes"]

FORMAT = "neuroflow"
#: 2.1 added the image layers (Conv2D, MaxPool2D, AvgPool2D, GlobalAveragePooling2D,
#: Flatten; per-channel BatchNorm and Dropout with an ``input_shape``); 2.2 the
#: ``Pipeline`` preprocessing (e.g. one-hot categories, then standardisation: its steps'
#: arrays are tensors ``preprocessing.{step}.{key}``); 2.0 and 2.1 files load.
FORMAT_VERSION = "2.2"
_MAJOR = 2
#: Format 1 (neuroflow 0.1) files still load, with a warning: their hash covers tensors only.
_OLDEST_MAJOR = 1
#: Metadata fields of format 1 (neuroflow 0.1); a file that says it is format 1 and holds
#: any other field was edited, and is refused.
_FORMAT1_FIELDS = frozenset({"format", "format_version", "architecture", "sha256", "training",
                             "class_names", "preprocessing", "neuroflow_version"})
#: Fields of format 1's ``training`` JSON.
_FORMAT1_TRAINING = frozenset({"epochs_trained", "seed", "rng", "history", "optimizer", "run"})
#: The metadata field that holds the SHA-256 (:func:`file_digest`).
_DIGEST_KEY = "sha256"
#: The metadata field that holds the HMAC-SHA256 of a signed file (:func:`file_signature`).
SIGNATURE_KEY = "hmac_sha256"
#: Shortest signing key accepted, in bytes.
MIN_KEY_BYTES = 16

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
    _feed(digest, None, _items(tensors))
    return digest.hexdigest()


def file_digest(metadata: dict[str, str], tensors: dict[str, np.ndarray]) -> str:
    """SHA-256 (hex) over the whole file's content (format 2): every metadata field but
    ``sha256`` itself, in sorted key order, as ``key NUL value NUL`` (UTF-8), then a
    ``NUL`` and every tensor as in :func:`tensor_digest`. Any change of any byte that
    the file's meaning depends on changes it.

    It detects corruption, not tampering: anyone who edits a file can compute it again.
    :func:`file_signature` is the check that needs a key."""
    digest = hashlib.sha256()
    _feed(digest, metadata, _items(tensors), skip=(_DIGEST_KEY,))
    return digest.hexdigest()


def file_signature(key: bytes, metadata: dict[str, str],
                   tensors: dict[str, np.ndarray]) -> str:
    """HMAC-SHA256 (hex) with ``key`` over the bytes :func:`file_digest` covers, without
    the ``sha256`` and ``hmac_sha256`` fields themselves (the SHA-256 is computed after
    signing, so it also covers the signature)."""
    signature = hmac.new(key, digestmod=hashlib.sha256)
    _feed(signature, metadata, _items(tensors), skip=(_DIGEST_KEY, SIGNATURE_KEY))
    return signature.hexdigest()


def sign_key_bytes(key: object, argument: str = "sign_key") -> bytes:
    """``key`` (bytes or str, UTF-8) as bytes, checked: at least :data:`MIN_KEY_BYTES`.

    Raises
    ------
    ValueError
        When ``key`` is not bytes or str, or is too short to be a secret.
    """
    if isinstance(key, str):
        key = key.encode("utf-8", "surrogatepass")
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise ValueError(f"{argument}: expected a secret key (bytes or str), received "
                         f"{type(key).__name__}")
    key = bytes(key)
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"{argument}: expected a key of at least {MIN_KEY_BYTES} bytes (e.g. "
                         f"32 random bytes: head -c 32 /dev/urandom > key), received "
                         f"{len(key)} bytes")
    return key


#: A tensor as the digests read it: name, dtype code (kind and size, ``f4``), shape and
#: its bytes (little-endian, C order).
_Item = tuple[str, str, tuple[int, ...], Any]


def _items(tensors: dict[str, np.ndarray]) -> list[_Item]:
    items = []
    for name, value in tensors.items():
        array = np.ascontiguousarray(value)
        little = array.astype(array.dtype.newbyteorder("<"), copy=False)
        items.append((name, f"{array.dtype.kind}{array.dtype.itemsize}", array.shape,
                      little.tobytes()))
    return items


def _feed(sink: Any, metadata: dict[str, str] | None, items: Iterable[_Item],
          skip: tuple[str, ...] = ()) -> None:
    """Write the digests' byte stream into ``sink`` (a hash or HMAC object): the
    metadata fields but ``skip`` (when ``metadata`` is given), then every tensor by name."""
    parts: list[Any] = []
    if metadata is not None:
        for key in sorted(metadata):
            if key not in skip:
                parts += (key.encode("utf-8"), b"\0", str(metadata[key]).encode("utf-8"), b"\0")
        parts.append(b"\0")
    for name, code, shape, data in sorted(items, key=lambda item: item[0]):
        parts += (name.encode("utf-8"), b"\0", code.encode(), b"\0",
                  ",".join(map(str, shape)).encode(), b"\0", data)
    sink.update(b"".join(parts))


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
