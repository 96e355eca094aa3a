"""The safetensors header of a model file, checked as a whole before any field is used.

:func:`parse_header` turns the 8-byte length and the JSON header into a :class:`Header`:
every key, type, length and range is checked first (tensor names and metadata are
strings, dtypes are known names, shapes are lists of non-negative integers,
``data_offsets`` are exactly two integers that tile the data section without gaps or
overlaps and match the dtype and shape), so that the code after it only ever meets
well-formed values. Every defect raises :class:`~neuroflow.errors.ModelFileError`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NamedTuple

import numpy as np

from neuroflow.errors import ModelFileError
from neuroflow.io.format import _MAX_HEADER, _first_line

__all__ = ["Header", "TensorEntry", "parse_header", "header_length"]

#: Safetensors dtype names that NumPy can hold, and their little-endian NumPy dtypes.
DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I8": "i1", "I16": "<i2",
          "I32": "<i4", "I64": "<i8", "U8": "u1", "U16": "<u2", "U32": "<u4",
          "U64": "<u8", "BOOL": "?"}
_NUMPY_DTYPES = {name: np.dtype(code) for name, code in DTYPES.items()}
_CODES = {dtype: f"{dtype.kind}{dtype.itemsize}" for dtype in _NUMPY_DTYPES.values()}
#: The keys of a tensor's entry, all required (the safetensors specification).
_ENTRY_KEYS = frozenset({"dtype", "shape", "data_offsets"})
#: Most dimensions a tensor may have (neuroflow writes at most two).
_MAX_DIMENSIONS = 32


class TensorEntry(NamedTuple):
    """One tensor as the header declares it.

    Attributes
    ----------
    name : str
        The tensor's name (e.g. ``layers.0.W``).
    dtype : numpy.dtype
        Its element type, little-endian as stored.
    shape : tuple of int
        Its shape (non-negative sizes).
    begin, end : int
        Its bytes within the data section: ``data[begin:end]``.
    code : str
        The dtype as the digests write it: kind and size (``f4``, ``i8``, ``b1``).
    """

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int
    end: int
    #: The dtype as the digests write it: kind and size (``f4``, ``i8``, ``b1``).
    code: str


class Header(NamedTuple):
    """A checked safetensors header.

    Attributes
    ----------
    length : int
        Length of the JSON header in bytes; the data section starts at ``8 + length``.
    metadata : dict of str to str
        The ``__metadata__`` object (empty when absent).
    tensors : tuple of TensorEntry
        The tensors, in the order of their bytes.
    data_size : int
        Length of the data section: the end of the last tensor.
    """

    length: int
    metadata: dict[str, str]
    tensors: tuple[TensorEntry, ...]
    data_size: int


def header_length(prefix: bytes, size: int, source: str) -> int:
    """The JSON header's length from the file's first 8 bytes, checked against the
    file's ``size``: at least 2 bytes (``{}``), at most the rest of the file."""
    if len(prefix) < 8:
        raise ModelFileError(f"{source}: not a safetensors file (only {len(prefix)} bytes; "
                             "truncated or empty)")
    length = int.from_bytes(prefix[:8], "little")
    if length > min(size - 8, _MAX_HEADER) or length < 2:
        raise ModelFileError(f"{source}: not a safetensors file (header length {length} "
                             f"does not fit the {size}-byte file; truncated or foreign)")
    return length


def parse_header(prefix: bytes, raw: bytes, size: int, source: str) -> Header:
    """Check the 8-byte length ``prefix`` and JSON header ``raw`` of a ``size``-byte file
    as a whole, and return them as a :class:`Header`.

    Raises
    ------
    ModelFileError
        For any defect, naming what was expected and what was found.
    """
    length = header_length(prefix, size, source)
    if len(raw) != length:
        raise ModelFileError(f"{source}: truncated (the header is {length} bytes, the file "
                             f"holds {len(raw)} of them)")
    document, escapes = _decode(raw, source)
    metadata: dict[str, str] = {}
    entries: list[TensorEntry] = []
    for key, value in document.items():
        if key == "__metadata__":
            metadata = _metadata(value, source, escapes)
        else:
            entries.append(_entry(key, value, source, escapes))
    entries.sort(key=lambda entry: (entry.begin, entry.end))
    position = 0
    for entry in entries:
        if entry.begin != position:
            problem = "overlaps the one before" if entry.begin < position else \
                "leaves a gap after the one before"
            raise ModelFileError(f"{source}: header: tensor {entry.name!r} starts at byte "
                                 f"{entry.begin} of the data, expected {position} (it "
                                 f"{problem})")
        position = entry.end
    expected = size - 8 - length
    if position != expected:
        raise ModelFileError(f"{source}: truncated or corrupted (the header describes "
                             f"{8 + length + position} bytes, the file has {size})")
    return Header(length, metadata, tuple(entries), position)


def _decode(raw: bytes, source: str) -> tuple[dict[str, Any], bool]:
    """The header's JSON object (strict UTF-8, no duplicate keys, no NaN or Infinity), and
    whether it may hold a lone surrogate (a string that UTF-8 cannot encode), which only
    a ``\\uD800``-``\\uDFFF`` escape can produce."""
    try:
        text = raw.decode("utf-8")
        document = _DECODER.decode(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ModelFileError(f"{source}: not a safetensors file (unreadable header: "
                             f"{_first_line(error)})") from None
    if not isinstance(document, dict):
        raise ModelFileError(f"{source}: not a safetensors file (header is not a JSON object)")
    return document, _SURROGATE_ESCAPE.search(text) is not None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        keys = [key for key, _ in pairs]
        twice = next(key for key in keys if keys.count(key) > 1)
        raise ValueError(f"key {twice!r} appears twice")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_no_constant)
#: A JSON escape of a UTF-16 surrogate (``\\ud800`` to ``\\udfff``, any case).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _text(value: str) -> bool:
    """Whether ``value`` is text that UTF-8 can hold (JSON escapes allow lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _metadata(value: object, source: str, escapes: bool) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ModelFileError(f"{source}: header '__metadata__' must be an object of strings, "
                             f"found {_kind(value)}")
    for key, text in value.items():
        if type(text) is not str or escapes and not (_text(key) and _text(text)):
            found = "text that is not valid Unicode" if isinstance(text, str) else _kind(text)
            raise ModelFileError(f"{source}: header '__metadata__' must map names to strings, "
                                 f"found {found} for {key!r}")
    return value


def _count(value: object) -> bool:
    """A non-negative JSON integer (``type`` is exact: JSON's ``true`` is no count)."""
    return type(value) is int and value >= 0


def _entry(name: str, value: object, source: str, escapes: bool) -> TensorEntry:
    """One tensor's entry, checked: the common case in a few tests, and the precise
    message from :func:`_entry_problem` otherwise."""
    if type(value) is dict and len(value) == 3 and name and not (escapes and not _text(name)):
        dtype_name, shape, offsets = (value.get("dtype"), value.get("shape"),
                                      value.get("data_offsets"))
        dtype = _NUMPY_DTYPES.get(dtype_name) if type(dtype_name) is str else None
        if dtype is not None and type(shape) is list and len(shape) <= _MAX_DIMENSIONS and \
                type(offsets) is list and len(offsets) == 2:
            begin, end = offsets
            count = 1
            for size in shape:
                if type(size) is not int or size < 0:
                    break
                count *= size
            else:
                if type(begin) is int and type(end) is int and 0 <= begin <= end and \
                        end - begin == count * dtype.itemsize:
                    return TensorEntry(name, dtype, tuple(shape), begin, end, _CODES[dtype])
    raise _entry_problem(name, value, source, escapes)


def _entry_problem(name: str, value: object, source: str, escapes: bool) -> ModelFileError:
    """What is wrong with an entry that :func:`_entry` refused, in words."""
    if not name or escapes and not _text(name):
        return ModelFileError(f"{source}: header: tensor name {name!r} is not valid text")
    if not isinstance(value, dict) or value.keys() != _ENTRY_KEYS:
        keys = sorted(value) if isinstance(value, dict) else _kind(value)
        return _entry_error(source, name, "must be an object with exactly 'data_offsets', "
                                          f"'dtype' and 'shape', found {keys}")
    dtype_name = value["dtype"]
    if type(dtype_name) is not str or dtype_name not in _NUMPY_DTYPES:
        return _entry_error(source, name, f"dtype must be one of {', '.join(DTYPES)}, found "
                                          f"{dtype_name!r}")
    shape = value["shape"]
    if type(shape) is not list or len(shape) > _MAX_DIMENSIONS or \
            not all(_count(size) for size in shape):
        return _shape_error(source, name, shape)
    offsets = value["data_offsets"]
    if type(offsets) is not list or len(offsets) != 2 or not _count(offsets[0]) or \
            not _count(offsets[1]) or offsets[0] > offsets[1]:
        return _entry_error(source, name, "data_offsets must be two integers [begin, end] "
                                          f"with 0 <= begin <= end, found {offsets!r}")
    needed = math.prod(shape) * _NUMPY_DTYPES[dtype_name].itemsize
    return _entry_error(source, name, f"data_offsets {offsets} hold "
                                      f"{offsets[1] - offsets[0]} bytes, shape {shape} of "
                                      f"{dtype_name} needs {needed}")


def _shape_error(source: str, name: str, shape: object) -> ModelFileError:
    return _entry_error(source, name, f"shape must be a list of at most {_MAX_DIMENSIONS} "
                                      f"non-negative integers, found {shape!r}")


def _entry_error(source: str, name: str, problem: str) -> ModelFileError:
    return ModelFileError(f"{source}: header: tensor {name!r}: {problem}")


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value),
                                                                         type(value).__name__)


def tensor_arrays(header: Header, data: bytes | memoryview) -> dict[str, np.ndarray]:
    """The tensors of a checked ``header`` as native NumPy arrays (copies), from the file's
    bytes ``data`` (the data section starts at ``8 + header.length``)."""
    start = 8 + header.length
    arrays: dict[str, np.ndarray] = {}
    for entry in header.tensors:
        native = entry.dtype.newbyteorder("=")
        count = math.prod(entry.shape)
        if count == 0:
            arrays[entry.name] = np.empty(entry.shape, dtype=native)
            continue
        flat = np.frombuffer(data, dtype=entry.dtype, count=count, offset=start + entry.begin)
        arrays[entry.name] = flat.astype(native).reshape(entry.shape)
    return arrays
