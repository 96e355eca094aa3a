"""Reading model files: :func:`load` reads a file only once its header proves its size,
:func:`from_bytes` checks the integrity and every field (:mod:`neuroflow.io.validate`)
and only then builds the network."""

from __future__ import annotations

import json
import os
import stat
import warnings
from typing import Any

from safetensors.numpy import load as _deserialize

from neuroflow import preprocessing as _preprocessing
from neuroflow.errors import ModelFileError, ModelFileWarning
from neuroflow.io.format import (
    _MAX_HEADER,
    FORMAT,
    _first_line,
    file_digest,
    tensor_digest,
)
from neuroflow.io.validate import _check_layer_tensors, _check_version, _parse_fields, _Parsed
from neuroflow.io.writer import _check_path
from neuroflow.layers import Dense
from neuroflow.network import Network

__all__ = ["load", "from_bytes"]


def load(path: str | os.PathLike[str]) -> Network:
    """Read a model written by :func:`save`.

    The returned network has everything :func:`capture` saved: weights and layer state,
    and, when they were saved, its optimiser (with state and step count),
    ``epochs_trained``, ``history``, the random generator (of the saved bit-generator
    type), ``class_names``, ``feature_names``, ``preprocessing`` and the callback
    states, so that ``fit`` continues exactly where the saved run stopped.

    The file is checked before it is read whole: it must be a regular file whose 8-byte
    header length and JSON header fit its size, and the tensors the header declares
    must fill the rest exactly.

    Raises
    ------
    ModelFileError
        When the file cannot be read, or is truncated, corrupted, tampered with, foreign
        or of a newer major format version. The message says what is wrong.
    ValueError
        When ``path`` is not a path.
    """
    target = _check_path(path, "path")
    source = f"model file {str(target)!r}"
    try:
        if not stat.S_ISREG(os.stat(target).st_mode):  # a FIFO would block open()
            raise ModelFileError(f"{source}: cannot be read (not a regular file)")
        with open(target, "rb", buffering=0) as stream:
            info = os.fstat(stream.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ModelFileError(f"{source}: cannot be read (not a regular file)")
            data = _read_bounded(stream, info.st_size, source)
    except IsADirectoryError:
        raise ModelFileError(f"{source}: cannot be read (it is a directory)") from None
    except (OSError, MemoryError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise ModelFileError(f"{source}: cannot be read ({reason})") from None
    return from_bytes(data, source)


def _read_bounded(stream: Any, size: int, source: str) -> bytes:
    """The file's bytes, read only once its header proves the size is the model's."""
    prefix = stream.read(8)
    header_length = _header_length(prefix, size, source)
    header = stream.read(header_length)
    entries = _header_json(header, source)
    ends = [entry.get("data_offsets", [0, 0])[1] for key, entry in entries.items()
            if key != "__metadata__" and isinstance(entry, dict)
            and isinstance(entry.get("data_offsets"), list) and entry["data_offsets"]]
    body = max([e for e in ends if isinstance(e, int)], default=0)
    if 8 + header_length + body != size:
        raise ModelFileError(f"{source}: truncated or corrupted (the header describes "
                             f"{8 + header_length + body} bytes, the file has {size})")
    rest = stream.read(body)
    return prefix + header + rest


def _header_length(prefix: bytes, size: int, source: str) -> int:
    if len(prefix) < 8:
        raise ModelFileError(f"{source}: not a safetensors file (only {len(prefix)} bytes; "
                             "truncated or empty)")
    header_length = int.from_bytes(prefix[:8], "little")
    if header_length > min(size - 8, _MAX_HEADER) or header_length < 2:
        raise ModelFileError(f"{source}: not a safetensors file (header length {header_length} "
                             f"does not fit the {size}-byte file; truncated or foreign)")
    return header_length


def _header_json(raw: bytes, source: str) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ModelFileError(f"{source}: not a safetensors file (unreadable header: "
                             f"{_first_line(error)})") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{source}: not a safetensors file (header is not a JSON object)")
    return header


def from_bytes(data: bytes, source: str = "model file") -> Network:
    """Build a network from a model file's bytes; see :func:`load`."""
    return _build(_parse(data, source), source)


def _parse(data: bytes, source: str) -> _Parsed:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ModelFileError(f"{source}: expected bytes, received {type(data).__name__}")
    data = bytes(data)
    header_length = _header_length(data[:8], len(data), source)
    header = _header_json(data[8:8 + header_length], source)
    metadata = header.get("__metadata__")
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        found = metadata.get("format") if isinstance(metadata, dict) else None
        raise ModelFileError(f"{source}: not a neuroflow model (metadata format is {found!r}, "
                             f"expected {FORMAT!r})")
    major = _check_version(metadata.get("format_version"), source)
    try:
        tensors = dict(_deserialize(data))
    except Exception as error:  # the parser of untrusted bytes: any failure is a defect
        raise ModelFileError(f"{source}: corrupted tensor data ({_first_line(error)})"
                             ) from None
    expected_digest = metadata.get("sha256")
    if not isinstance(expected_digest, str):
        raise ModelFileError(f"{source}: metadata 'sha256' is missing")
    if major >= 2:
        if file_digest(metadata, tensors) != expected_digest:
            raise ModelFileError(f"{source}: SHA-256 of the file's metadata and tensors does "
                                 "not match the one recorded (the file is corrupted or was "
                                 "modified)")
    else:
        if tensor_digest(tensors) != expected_digest:
            raise ModelFileError(f"{source}: SHA-256 of the tensors does not match the one "
                                 "recorded (the file is corrupted or was modified)")
        warnings.warn(f"{source}: written in model format {metadata['format_version']}, whose "
                      "SHA-256 covers the tensors only, so changes to its metadata cannot be "
                      "detected; save it again to protect the whole file",
                      ModelFileWarning, stacklevel=3)
    return _parse_fields(metadata, tensors, source)


def _build(parsed: _Parsed, source: str) -> Network:
    config = parsed.config
    try:
        network = Network(parsed.layers, loss=config["loss"]["name"], seed=0,
                          dtype=config["dtype"])
    except Exception as error:
        raise ModelFileError(f"{source}: architecture: {_first_line(error)}") from None
    # Layers other than Dense are built now; check their state against the file.
    for i, layer in enumerate(network.layers):
        present = {name.split(".", 2)[2]: array for name, array in parsed.tensors.items()
                   if name.startswith(f"layers.{i}.")}
        expected = {key: tuple(value.shape) for key, value in layer.state().items()}
        optional = {key: present.pop(key) for key in getattr(layer, "optional_state", ())
                    if key in present}
        _check_layer_tensors(i, present, expected, source)
        if (present and not isinstance(layer, Dense)) or optional:  # Dense: loaded already
            try:
                layer.load_state({**{key: present[key] for key in expected}, **optional})
            except Exception as error:
                raise ModelFileError(f"{source}: layer {i} state: {_first_line(error)}"
                                     ) from None
    if parsed.optimizer is not None:
        optimizer, state, iterations = parsed.optimizer
        parameters = network.parameters()
        for key, array in state.items():
            index = int(key.split(".", 1)[0])
            if index >= len(parameters):
                raise ModelFileError(f"{source}: tensor 'optimizer.{key}' refers to parameter "
                                     f"{index}; the network has {len(parameters)}")
            if array.shape != parameters[index].shape:
                raise ModelFileError(f"{source}: tensor 'optimizer.{key}' has shape "
                                     f"{array.shape}, its parameter has shape "
                                     f"{parameters[index].shape}")
        optimizer.load_state_dict(state, iterations)
        network.optimizer = optimizer
    if parsed.training is not None:
        training = parsed.training
        network.epochs_trained = training["epochs_trained"]
        network.seed = training["seed"]
        if training["rng"] is not None:
            network.rng = training["rng"]  # the saved bit generator's own type and state
        network.history = training["history"]
        network.training_run = training["run"]
        network.callback_states = training["callbacks"]
    network.class_names = parsed.class_names
    network.feature_names = parsed.feature_names
    if parsed.preprocessing is not None:
        network.preprocessing = _build_preprocessing(parsed, source)
    network.rebind_random_generator()
    return network


def _build_preprocessing(parsed: _Parsed, source: str) -> Any:
    config = parsed.preprocessing
    assert config is not None  # the caller checks
    state = {name[len("preprocessing."):]: array for name, array in parsed.tensors.items()
             if name.startswith("preprocessing.")}
    try:
        return _preprocessing.from_config(config, state)
    except Exception as error:
        raise ModelFileError(f"{source}: preprocessing: {_first_line(error)}") from None
