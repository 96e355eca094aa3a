"""Saving and loading models as one safetensors file: plain tensors and JSON, so loading
never executes code.

File layout (format 2.0)
------------------------
A standard safetensors file (8-byte little-endian header length, a JSON header, then the
raw tensor bytes). Tensors:

``layers.{i}.{key}``
    Every entry of ``network.layers[i].state()``: ``W (in_features, out_features)`` and
    ``b (out_features,)`` for :class:`~neuroflow.layers.Dense`, plus any non-trained state
    of other layers (BatchNorm's running statistics, Dropout's ``fixed_mask`` when set).
    Stored in the network's dtype.
``optimizer.{index}.{slot}``
    The optimiser's per-parameter state (``Optimizer.state_dict()``), when saved.
``preprocessing.{key}``
    Arrays of ``network.preprocessing.state()``, when the network has preprocessing.
``callbacks.{index}.{key}``
    Arrays of a stateful callback's state (e.g. EarlyStopping's best weights).

The header's ``__metadata__`` (string to string) holds:

``format``            ``"neuroflow"``
``format_version``    ``"MAJOR.MINOR"`` (:data:`FORMAT_VERSION`). A reader accepts any minor
                      version of its own major version (minor versions only add optional
                      fields), reads major version 1 (neuroflow 0.1) with a
                      :class:`~neuroflow.errors.ModelFileWarning`, and refuses a newer
                      major version with a clear message.
``architecture``      JSON of :meth:`Network.get_config`: layers (type, sizes, activation,
                      initialiser, ...), loss and dtype.
``sha256``            hex SHA-256 of the whole file's content (:func:`file_digest`): every
                      other metadata field, in sorted key order, as ``key NUL value NUL``,
                      then ``NUL`` and every tensor, in sorted name order, as ``name NUL
                      dtype NUL shape NUL bytes`` (dtype as kind and size, e.g. ``f4``;
                      shape as comma-separated integers; bytes little-endian, C order).
                      Format 1 hashed the tensors only (:func:`tensor_digest`).
``training``          optional JSON: ``epochs_trained``, ``seed``, ``rng`` (the bit
                      generator's state, whose ``bit_generator`` names its type),
                      ``history`` (:meth:`History.to_dict`), ``optimizer`` (``{"config":
                      ..., "iterations": ...}`` or null), ``run`` (the last ``fit``'s batch
                      size, shuffling, sample counts and data fingerprint, which resuming
                      checks; or null) and ``callbacks`` (stateful callbacks' states:
                      ``[{"type", "state", "arrays"}]``; optional).
``class_names``       optional JSON list of the output classes' original labels (one per
                      class, all different).
``feature_names``     optional JSON list of the input columns' names (one per input).
``preprocessing``     optional JSON config of ``network.preprocessing``.
``neuroflow_version`` the version that wrote the file (informational, but hashed).

:func:`capture` produces exactly these fields from a network; :func:`save`,
:meth:`Network.copy` and resuming all use it, so no path can forget one. Loading checks
the file's type and size before reading it, then everything (format, version, the hash,
JSON structure, every tensor's name, dtype, shape and finiteness against the
architecture) before building the network, and raises
:class:`~neuroflow.errors.ModelFileError` (a :class:`ValueError`) for any defect. Names
found in the file are only ever looked up in neuroflow's own registries.

Saving is atomic (:func:`neuroflow.files.write_atomic`): the target is always either the
old complete file or the new one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from neuroflow.backend import to_numpy
from neuroflow.errors import ModelFileError, ModelFileWarning
from neuroflow.files import write_atomic
from neuroflow.network import Network, as_dtype, parameters_diverged

__all__ = [
    "save", "load", "to_bytes", "from_bytes", "load_into", "FORMAT", "FORMAT_VERSION",
]

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


# ============================================================================ saving
def save(network: Network, path: str | os.PathLike[str], include_optimizer: bool = True) -> None:
    """Write ``network`` to ``path`` as one safetensors file, atomically.

    Parameters
    ----------
    network : Network
        The model: everything :func:`capture` describes is saved (weights, layer
        state, architecture, class and feature names, preprocessing, and the training
        state: epochs trained, random generator, history, run settings, callback states).
    path : str or path-like
        Target file (conventionally ``*.safetensors``); replaced if it exists. See
        :func:`neuroflow.files.write_atomic` for what happens with symlinks, devices and
        permission bits.
    include_optimizer : bool
        Also save the optimiser's configuration, step count and per-parameter state
        (``optimizer.*`` tensors), which :func:`neuroflow.training.fit` needs to resume
        training exactly. ``False`` gives a smaller file for inference.

    Raises
    ------
    ValueError
        When ``path`` is not a path, or the optimiser's learning rate is a schedule that
        cannot be described as JSON (use a :mod:`neuroflow.schedules` object, or
        ``include_optimizer=False``).
    OSError
        When the file cannot be written; the target is then left untouched.
    """
    target = _check_path(path, "path")
    write_atomic(target, to_bytes(network, include_optimizer=include_optimizer),
                 argument="path")


def _check_path(path: object, argument: str) -> Path:
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ValueError(f"{argument}: expected a file path (str or path-like), received "
                         f"{path!r}")
    return Path(path)


def capture(network: Network, include_optimizer: bool = True
            ) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """Everything a model is, as the model file's metadata strings and tensors.

    This one description serves :func:`save`, :func:`load`, :meth:`Network.copy`,
    resuming and checkpoints, so no path can forget a field: it covers every attribute
    named in :data:`neuroflow.network.STATE_FIELDS` (a test keeps that list complete).
    See the module docstring for the fields.
    """
    from neuroflow import __version__

    tensors: dict[str, np.ndarray] = {}
    for i, layer in enumerate(network.layers):
        for key, value in layer.state().items():
            tensors[f"layers.{i}.{key}"] = np.ascontiguousarray(to_numpy(value),
                                                                 dtype=network.dtype)
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "architecture": json.dumps(network.get_config()),
        "neuroflow_version": __version__,
    }
    bit_generator = network.rng.bit_generator
    training: dict[str, Any] = {
        "epochs_trained": int(network.epochs_trained),
        "seed": network.seed,
        "rng": _jsonable(bit_generator.state),
        "history": None if network.history is None else network.history.to_dict(),
        "optimizer": None,
        "run": network.training_run,
    }
    optimizer = network.optimizer
    if include_optimizer and optimizer is not None:
        config = optimizer.get_config()
        try:
            json.dumps(config)
        except (TypeError, ValueError) as error:
            raise ValueError(
                "include_optimizer: the optimizer's configuration cannot be saved as JSON "
                f"({error}); give it a learning-rate schedule from neuroflow.schedules or "
                "save with include_optimizer=False") from error
        training["optimizer"] = {"config": config, "iterations": int(optimizer.iterations)}
        for key, value in optimizer.state_dict().items():
            tensors[f"optimizer.{key}"] = np.ascontiguousarray(to_numpy(value))
    states = network.current_callback_states()
    if states:
        training["callbacks"] = _callback_entries(states, tensors)
    metadata["training"] = json.dumps(training)
    if network.class_names is not None:
        metadata["class_names"] = json.dumps(_jsonable(list(network.class_names)))
    if network.feature_names is not None:
        metadata["feature_names"] = json.dumps(list(network.feature_names))
    if network.preprocessing is not None:
        metadata["preprocessing"] = json.dumps(network.preprocessing.get_config())
        for key, value in network.preprocessing.state().items():
            tensors[f"preprocessing.{key}"] = np.ascontiguousarray(value)
    return metadata, tensors


def _callback_entries(states: list[dict[str, Any]], tensors: dict[str, np.ndarray]
                      ) -> list[dict[str, Any]]:
    """The JSON entries of callback states; their arrays go to ``callbacks.{i}.{key}``."""
    entries = []
    for index, entry in enumerate(states):
        values: dict[str, Any] = {}
        arrays: list[str] = []
        for key, value in entry["state"].items():
            if isinstance(value, np.ndarray) or hasattr(value, "__array_namespace__"):
                if _CALLBACK_KEY.fullmatch(key) is None:
                    raise ValueError(f"{entry['type']}.get_state: array key {key!r} must be "
                                     "letters, digits, '_' and '.'")
                tensors[f"callbacks.{index}.{key}"] = np.ascontiguousarray(to_numpy(value))
                arrays.append(key)
            else:
                values[key] = _jsonable(value)
        try:
            json.dumps(values, allow_nan=True)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{entry['type']}.get_state: expected JSON values and arrays, "
                             f"received {error}") from None
        entries.append({"type": entry["type"], "state": values, "arrays": arrays})
    return entries


def to_bytes(network: Network, include_optimizer: bool = True) -> bytes:
    """The model file's bytes (what :func:`save` writes); see the module docstring."""
    from safetensors.numpy import save as _serialize

    metadata, tensors = capture(network, include_optimizer=include_optimizer)
    metadata["sha256"] = file_digest(metadata, tensors)
    return _serialize(tensors, metadata=metadata)


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


# ============================================================================ copying
def copy(network: Network, dtype: str | np.dtype | type | None = None) -> Network:
    """An independent copy of ``network`` made from :func:`capture`, so it holds
    everything a saved and loaded model would: weights, layer state (BatchNorm
    statistics, Dropout's ``fixed_mask``), preprocessing, class and feature names,
    optimiser and training state. With ``dtype`` the floating-point arrays of the
    layers and the optimiser are converted. The copy is on ``network``'s back-end."""
    metadata, tensors = capture(network)
    if dtype is not None:
        name = as_dtype(dtype).name
        config = json.loads(metadata["architecture"])
        config["dtype"] = name
        metadata["architecture"] = json.dumps(config)
        tensors = {key: value.astype(name) if key.startswith(("layers.", "optimizer."))
                   else value for key, value in tensors.items()}
    clone = _build(_parse_fields(metadata, tensors, "copy"), "copy")
    if network.backend != "numpy":
        clone.to_backend(network.backend)
    return clone


# ============================================================================ loading
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


class _Parsed:
    """A model file whose every field has been checked, before any network is built."""

    def __init__(self) -> None:
        self.tensors: dict[str, np.ndarray] = {}
        self.config: dict[str, Any] = {}
        self.layers: list[Any] = []
        self.training: dict[str, Any] | None = None
        self.optimizer: Any = None
        self.class_names: list[Any] | None = None
        self.feature_names: list[str] | None = None
        self.preprocessing: dict[str, Any] | None = None


def _parse(data: bytes, source: str) -> _Parsed:
    from safetensors.numpy import load as _deserialize

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


def _parse_fields(metadata: dict[str, Any], tensors: dict[str, np.ndarray],
                  source: str) -> _Parsed:
    """Check every metadata field and tensor (the integrity check is done)."""
    parsed = _Parsed()
    parsed.tensors = tensors
    parsed.config = _json_field(metadata, "architecture", source, dict)
    dtype = _check_architecture(parsed, source)
    parsed.layers = _layers_from_config(parsed, dtype, source)
    out_features = parsed.layers[-1].out_features

    training = _json_field(metadata, "training", source, dict, required=False)
    if training is not None:
        parsed.training = _check_training(training, parsed, dtype, source)
    if "class_names" in metadata:
        names = _json_field(metadata, "class_names", source, list)
        if not all(isinstance(n, (str, int, float, bool)) for n in names) or \
                any(isinstance(n, float) and not math.isfinite(n) for n in names):
            raise ModelFileError(f"{source}: metadata 'class_names' must be a list of "
                                 "strings or finite numbers")
        if len(names) != max(out_features, 2) or len(set(map(repr, names))) != len(names):
            raise ModelFileError(f"{source}: metadata 'class_names' must hold "
                                 f"{max(out_features, 2)} different names (one per class of "
                                 f"the {out_features}-output layer), found {len(names)}")
        parsed.class_names = names
    if "feature_names" in metadata:
        features = _json_field(metadata, "feature_names", source, list)
        in_features = parsed.layers[0].in_features
        if not all(isinstance(n, str) for n in features) or len(features) != in_features \
                or len(set(features)) != len(features):
            raise ModelFileError(f"{source}: metadata 'feature_names' must hold "
                                 f"{in_features} different strings (one per input), found "
                                 f"{len(features)}")
        parsed.feature_names = features
    if "preprocessing" in metadata:
        parsed.preprocessing = _json_field(metadata, "preprocessing", source, dict)
    for name in sorted(parsed.tensors):
        prefix = name.split(".", 1)[0]
        if prefix not in ("layers", "optimizer", "preprocessing", "callbacks"):
            raise ModelFileError(f"{source}: unexpected tensor {name!r}")
        if prefix == "preprocessing" and parsed.preprocessing is None:
            raise ModelFileError(f"{source}: tensor {name!r} without preprocessing metadata")
        if prefix == "optimizer" and parsed.optimizer is None:
            raise ModelFileError(f"{source}: tensor {name!r} without optimizer metadata")
        if prefix == "callbacks" and not (parsed.training or {}).get("callbacks"):
            raise ModelFileError(f"{source}: tensor {name!r} without callback metadata")
        array = parsed.tensors[name]
        if array.dtype.kind == "f" and not _all_finite(array):
            raise ModelFileError(f"{source}: tensor {name!r} holds NaN or infinite values")
    return parsed


def _all_finite(array: np.ndarray) -> bool:
    return bool(np.isfinite(array).all())


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _check_version(version: object, source: str) -> int:
    """The file's major format version: this one, or 1 (read with a warning)."""
    match = re.fullmatch(r"(\d{1,6})\.(\d{1,6})", version) if isinstance(version, str) else None
    if match is None:
        raise ModelFileError(f"{source}: metadata 'format_version' must look like "
                             f"'MAJOR.MINOR', found {version!r}")
    major = int(match.group(1))
    if major > _MAJOR:
        raise ModelFileError(
            f"{source}: written in model format version {version}, newer than this "
            f"neuroflow reads ({FORMAT_VERSION}); upgrade neuroflow to load it")
    if major < _OLDEST_MAJOR:
        raise ModelFileError(f"{source}: model format version {version} is not supported "
                             f"(this neuroflow reads {_OLDEST_MAJOR}.x to {_MAJOR}.x)")
    return major


def _json_field(metadata: dict[str, Any], key: str, source: str, kind: type,
                required: bool = True) -> Any:
    if key not in metadata:
        if required:
            raise ModelFileError(f"{source}: metadata {key!r} is missing")
        return None
    try:
        value = json.loads(metadata[key])
    except (TypeError, ValueError, RecursionError) as error:
        raise ModelFileError(f"{source}: metadata {key!r} is not valid JSON "
                             f"({_first_line(error)})") from None
    if not isinstance(value, kind):
        raise ModelFileError(f"{source}: metadata {key!r} must be a JSON "
                             f"{'object' if kind is dict else 'list'}, found "
                             f"{type(value).__name__}")
    return value


def _check_architecture(parsed: _Parsed, source: str) -> np.dtype:
    from neuroflow import losses

    config = parsed.config
    layers = config.get("layers")
    if not isinstance(layers, list) or not layers or not all(isinstance(c, dict) for c in layers):
        raise ModelFileError(f"{source}: architecture 'layers' must be a non-empty list of "
                             "layer descriptions")
    dtype_name = config.get("dtype")
    if dtype_name not in _SAFETENSORS_DTYPES:
        raise ModelFileError(f"{source}: architecture dtype must be 'float32' or 'float64', "
                             f"found {dtype_name!r}")
    loss = config.get("loss")
    if not isinstance(loss, dict) or not isinstance(loss.get("name"), str):
        raise ModelFileError(f"{source}: architecture 'loss' must be an object with a name")
    try:
        losses.get(loss["name"])
    except ValueError as error:
        raise ModelFileError(f"{source}: architecture loss: {error}") from None
    return np.dtype(dtype_name)


def _layers_from_config(parsed: _Parsed, dtype: np.dtype, source: str) -> list[Any]:
    """Unbuilt layers, checked against the tensors; Dense layers get their weights now."""
    from neuroflow.layers import Dense, layer_from_config

    layer_tensors: dict[int, dict[str, np.ndarray]] = {}
    for name, array in parsed.tensors.items():
        if not name.startswith("layers."):
            continue
        match = re.fullmatch(r"layers\.(\d{1,9})\.([A-Za-z_][A-Za-z0-9_]*)", name)
        if match is None or int(match.group(1)) >= len(parsed.config["layers"]):
            raise ModelFileError(f"{source}: unexpected tensor {name!r}")
        if array.dtype != dtype:
            raise ModelFileError(f"{source}: tensor {name!r} has dtype {array.dtype}, the "
                                 f"architecture says {dtype.name}")
        layer_tensors.setdefault(int(match.group(1)), {})[match.group(2)] = array
    total = sum(a.size for a in parsed.tensors.values())
    layers = []
    previous: int | None = None
    for i, layer_config in enumerate(parsed.config["layers"]):
        try:
            layer = layer_from_config(layer_config)
        except Exception as error:  # constructors validate their arguments
            raise ModelFileError(f"{source}: architecture layer {i}: "
                                 f"{_first_line(error)}") from None
        for side in ("in_features", "out_features"):
            width = getattr(layer, side, None)
            if not isinstance(width, int) or width <= 0:
                raise ModelFileError(f"{source}: architecture layer {i}: {side} must be a "
                                     f"positive integer, found {width!r}")
        if previous is not None and layer.in_features != previous:
            raise ModelFileError(f"{source}: architecture layer {i}: in_features "
                                 f"{layer.in_features} does not match the previous layer's "
                                 f"out_features {previous}")
        previous = layer.out_features
        present = layer_tensors.get(i, {})
        if isinstance(layer, Dense):
            expected: dict[str, tuple[int, ...]] = {"W": (layer.in_features,
                                                          layer.out_features)}
            if layer.use_bias:
                expected["b"] = (layer.out_features,)
            _check_layer_tensors(i, present, expected, source)
            layer.load_state({key: present[key] for key in expected})  # parameter order
        elif max(layer.in_features, layer.out_features) > max(total, _MIN_WIDTH_BOUND):
            raise ModelFileError(f"{source}: architecture layer {i}: width "
                                 f"{max(layer.in_features, layer.out_features)} is larger "
                                 "than the file's tensors allow")
        layers.append(layer)
    return layers


def _check_layer_tensors(index: int, present: dict[str, np.ndarray],
                         expected: dict[str, tuple[int, ...]], source: str) -> None:
    for key, shape in expected.items():
        name = f"layers.{index}.{key}"
        if key not in present:
            raise ModelFileError(f"{source}: tensor {name!r} is missing")
        if present[key].shape != tuple(shape):
            raise ModelFileError(f"{source}: tensor {name!r} has shape {present[key].shape}, "
                                 f"the architecture needs {tuple(shape)}")
    extra = sorted(set(present) - set(expected))
    if extra:
        raise ModelFileError(f"{source}: unexpected tensor 'layers.{index}.{extra[0]}'")


def _nonnegative_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_training(training: dict[str, Any], parsed: _Parsed, dtype: np.dtype,
                    source: str) -> dict[str, Any]:
    from neuroflow.callbacks import History

    checked: dict[str, Any] = {}
    epochs = training.get("epochs_trained", 0)
    if not _nonnegative_int(epochs) or epochs > _MAX_COUNT:
        raise ModelFileError(f"{source}: training 'epochs_trained' must be an integer in "
                             f"0..{_MAX_COUNT}, found {epochs!r}")
    checked["epochs_trained"] = epochs
    seed = training.get("seed")
    if seed is not None and not _nonnegative_int(seed):
        raise ModelFileError(f"{source}: training 'seed' must be a non-negative integer or "
                             f"null, found {seed!r}")
    checked["seed"] = seed
    rng = training.get("rng")
    checked["rng"] = None
    if rng is not None:
        name = rng.get("bit_generator") if isinstance(rng, dict) else None
        if name not in _RNG_BIT_GENERATORS:
            raise ModelFileError(f"{source}: training 'rng' must name one of "
                                 f"{', '.join(sorted(_RNG_BIT_GENERATORS))}, found {name!r}")
        try:
            bit_generator = _RNG_BIT_GENERATORS[name]()
            bit_generator.state = rng
        except Exception as error:  # numpy validates the state it is given
            raise ModelFileError(f"{source}: training 'rng' holds an invalid state "
                                 f"({_first_line(error)})") from None
        checked["rng"] = np.random.Generator(bit_generator)
    history = training.get("history")
    checked["history"] = None
    if history is not None:
        valid = (isinstance(history, dict) and isinstance(history.get("epoch", []), list)
                 and all(_nonnegative_int(e) for e in history.get("epoch", []))
                 and isinstance(history.get("history", {}), dict)
                 and all(isinstance(v, list) and all(_number(x) or x is None
                                                      or isinstance(x, list) for x in v)
                         for v in history.get("history", {}).values())
                 and (history.get("partial") is None or (
                     isinstance(history["partial"], dict)
                     and all(_number(x) for x in history["partial"].values()))))
        if not valid:
            raise ModelFileError(f"{source}: training 'history' must be an object with an "
                                 "'epoch' list of integers, a 'history' object of lists (of "
                                 "numbers, or of findings) and an optional 'partial' object "
                                 "of numbers")
        checked["history"] = History.from_dict(history)
    checked["run"] = _check_run(training.get("run"), source)
    checked["callbacks"] = _check_callbacks(training.get("callbacks"), parsed, source)
    optimizer = training.get("optimizer")
    if optimizer is not None:
        parsed.optimizer = _check_optimizer(optimizer, parsed, dtype, source)
    return checked


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_callbacks(entries: object, parsed: _Parsed, source: str
                     ) -> list[dict[str, Any]] | None:
    """Callback states: a list of ``{"type", "state", "arrays"}`` whose arrays are the
    ``callbacks.{i}.{key}`` tensors; returned as ``{"type", "state"}`` with the arrays
    put back into each state."""
    if entries is None:
        return None
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("type"), str)
            and isinstance(e.get("state"), dict) and isinstance(e.get("arrays"), list)
            and all(isinstance(k, str) and _CALLBACK_KEY.fullmatch(k) for k in e["arrays"])
            for e in entries):
        raise ModelFileError(f"{source}: training 'callbacks' must be a list of objects with "
                             "a 'type' name, a 'state' object and an 'arrays' list of keys")
    states = []
    expected = set()
    for index, entry in enumerate(entries):
        state = dict(entry["state"])
        for key in entry["arrays"]:
            name = f"callbacks.{index}.{key}"
            if name not in parsed.tensors:
                raise ModelFileError(f"{source}: tensor {name!r} is missing")
            state[key] = parsed.tensors[name]
            expected.add(name)
        states.append({"type": entry["type"], "state": state})
    extra = sorted(n for n in parsed.tensors if n.startswith("callbacks.") and n not in expected)
    if extra:
        raise ModelFileError(f"{source}: unexpected tensor {extra[0]!r}")
    return states


#: Fields of the training ``run`` record and the test each value must pass.
_RUN_FIELDS = {
    "batch_size": lambda v: _nonnegative_int(v) and v > 0,
    "shuffle": lambda v: isinstance(v, bool),
    "samples": lambda v: _nonnegative_int(v) and v > 0,
    "validation_samples": _nonnegative_int,
    "data_fingerprint": lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{1,64}", v),
}


def _check_run(run: object, source: str) -> dict[str, Any] | None:
    """The ``run`` record of ``fit``'s settings (see :func:`neuroflow.training.run_settings`):
    null, or an object whose known fields are valid (fields a later minor version adds are
    dropped)."""
    if run is None:
        return None
    if not (isinstance(run, dict) and all(
            key not in run or test(run[key]) for key, test in _RUN_FIELDS.items())):
        raise ModelFileError(f"{source}: training 'run' must be null or an object with "
                             "positive integers 'batch_size' and 'samples', a boolean "
                             "'shuffle', a non-negative integer 'validation_samples' and a "
                             "hex 'data_fingerprint'")
    return {key: run[key] for key in _RUN_FIELDS if key in run}


def _check_optimizer(entry: object, parsed: _Parsed, dtype: np.dtype, source: str) -> Any:
    from neuroflow import optimizers

    if not (isinstance(entry, dict) and isinstance(entry.get("config"), dict)
            and _nonnegative_int(entry.get("iterations"))
            and entry["iterations"] <= _MAX_COUNT):
        raise ModelFileError(f"{source}: training 'optimizer' must hold a 'config' object and "
                             "a non-negative integer 'iterations'")
    config = dict(entry["config"])
    rate = config.get("learning_rate")
    if isinstance(rate, dict):
        try:
            from neuroflow import schedules  # type: ignore[attr-defined]

            config["learning_rate"] = schedules.get(rate)
        except Exception as error:
            raise ModelFileError(f"{source}: optimizer learning-rate schedule cannot be "
                                 f"rebuilt ({_first_line(error)})") from None
    try:
        optimizer = optimizers.get(config)
    except Exception as error:  # constructors validate their hyper-parameters
        raise ModelFileError(f"{source}: optimizer: {_first_line(error)}") from None
    state: dict[str, np.ndarray] = {}
    for name, array in parsed.tensors.items():
        if not name.startswith("optimizer."):
            continue
        key = name[len("optimizer."):]
        if _OPTIMIZER_KEY.fullmatch(key) is None:
            raise ModelFileError(f"{source}: unexpected tensor {name!r}")
        if array.dtype != dtype:
            raise ModelFileError(f"{source}: tensor {name!r} has dtype {array.dtype}, the "
                                 f"architecture says {dtype.name}")
        state[key] = array
    return optimizer, state, entry["iterations"]


def _build(parsed: _Parsed, source: str) -> Network:
    from neuroflow.layers import Dense

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
    try:
        from neuroflow import preprocessing  # type: ignore[attr-defined]
    except ImportError:
        raise ModelFileError(f"{source}: the model has preprocessing, which this neuroflow "
                             "cannot rebuild (no neuroflow.preprocessing module)") from None
    state = {name[len("preprocessing."):]: array for name, array in parsed.tensors.items()
             if name.startswith("preprocessing.")}
    try:
        return preprocessing.from_config(config, state)
    except Exception as error:
        raise ModelFileError(f"{source}: preprocessing: {_first_line(error)}") from None


# ============================================================================ resuming
def load_into(network: Network, path: str | os.PathLike[str]) -> None:
    """Restore a checkpoint into ``network`` so that training continues exactly.

    Every field of :data:`neuroflow.network.STATE_FIELDS` is taken from the file (the
    loaded model's, through :meth:`Network.adopt`); the layer objects stay ``network``'s.

    Raises
    ------
    ModelFileError
        When the file is defective, or holds no optimiser state (saved with
        ``include_optimizer=False``), so that training could not continue exactly.
    ValueError
        When the checkpoint's architecture differs from ``network``'s.
    """
    saved = load(path)
    source = f"model file {str(Path(path))!r}"
    if saved.get_config() != network.get_config():
        raise ValueError(f"resume_from: the checkpoint {str(path)!r} holds a network "
                         f"{saved!r}, which differs from this one {network!r}")
    if saved.optimizer is None:
        raise ModelFileError(f"{source}: holds no optimizer state (saved with "
                             "include_optimizer=False); training cannot resume exactly")
    network.adopt(saved)


def is_finite(network: Network) -> bool:
    """Whether every parameter of ``network`` is finite and can be squared and summed
    without overflow (see :func:`neuroflow.network.parameters_diverged`)."""
    return not parameters_diverged(network.parameters())
