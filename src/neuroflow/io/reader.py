"""Reading model files: :func:`load` reads a file only once its header, checked as a whole
(:mod:`neuroflow.io.header`), proves its size; :func:`from_bytes` checks the integrity,
the signature when a key is given, and every field (:mod:`neuroflow.io.validate`), and
only then builds the network."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import warnings
from typing import Any

from neuroflow import preprocessing as _preprocessing
from neuroflow.errors import ModelFileError, ModelFileWarning
from neuroflow.io.format import (
    _FORMAT1_FIELDS,
    _FORMAT1_TRAINING,
    FORMAT,
    SIGNATURE_KEY,
    _feed,
    _first_line,
    sign_key_bytes,
)
from neuroflow.io.header import Header, header_length, parse_header, tensor_arrays
from neuroflow.io.validate import _check_layer_tensors, _check_version, _parse_fields, _Parsed
from neuroflow.io.writer import _check_path
from neuroflow.layers import Dense
from neuroflow.network import Network

__all__ = ["load", "from_bytes"]


def load(path: str | os.PathLike[str], key: bytes | str | None = None,
         strict: bool = False) -> Network:
    """Read a model written by :func:`save`.

    The returned network has everything :func:`capture` saved: weights and layer state,
    and, when they were saved, its optimiser (with state and step count),
    ``epochs_trained``, ``history``, the random generator (of the saved bit-generator
    type), ``class_names``, ``feature_names``, ``preprocessing`` and the callback
    states, so that ``fit`` continues exactly where the saved run stopped.

    The file is checked before it is read whole: it must be a regular file whose 8-byte
    header length and JSON header fit its size, the header must be well-formed as a
    whole (:func:`neuroflow.io.header.parse_header`), and the tensors it declares must
    fill the rest exactly.

    Parameters
    ----------
    path : str or path-like
        The model file.
    key : bytes or str, optional
        The secret key the file was signed with (``save(..., sign_key=key)``). The
        SHA-256 that every file carries detects corruption, not tampering (anyone can
        compute it again); with ``key`` the file must carry an HMAC-SHA256 made with the
        same key, so unsigned, mis-signed and format-1 files (which cannot be signed) are
        refused.
    strict : bool
        Refuse format-1 files (neuroflow 0.1, whose hash covers the tensors only) instead
        of reading them with a :class:`~neuroflow.errors.ModelFileWarning`.

    Raises
    ------
    ModelFileError
        When the file cannot be read, or is truncated, corrupted, foreign, of a newer
        major format version, not signed with ``key`` (when given), or format 1 with
        ``strict`` or with fields that format 1 does not have. The message says what is
        wrong.
    ValueError
        When ``path`` is not a path, or ``key`` is not a key.
    """
    target = _check_path(path, "path")
    secret = None if key is None else sign_key_bytes(key, "key")
    source = f"model file {str(target)!r}"
    try:
        if not stat.S_ISREG(os.stat(target).st_mode):  # a FIFO would block open()
            raise ModelFileError(f"{source}: cannot be read (not a regular file)")
        with open(target, "rb", buffering=0) as stream:
            info = os.fstat(stream.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ModelFileError(f"{source}: cannot be read (not a regular file)")
            header, data = _read_bounded(stream, info.st_size, source)
    except IsADirectoryError:
        raise ModelFileError(f"{source}: cannot be read (it is a directory)") from None
    except (OSError, MemoryError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise ModelFileError(f"{source}: cannot be read ({reason})") from None
    return _build(_decode(header, data, source, secret, strict), source)


def _read_bounded(stream: Any, size: int, source: str) -> tuple[Header, bytes]:
    """The file's checked header and bytes, read whole only once its header proves the
    size is the model's."""
    prefix = stream.read(8)
    length = header_length(prefix, size, source)
    raw = stream.read(length)
    header = parse_header(prefix, raw, size, source)
    rest = stream.read(header.data_size)
    if len(rest) != header.data_size:
        raise ModelFileError(f"{source}: truncated while it was read (the header describes "
                             f"{header.data_size} bytes of tensors, {len(rest)} were read)")
    return header, prefix + raw + rest


def from_bytes(data: bytes, source: str = "model file", key: bytes | str | None = None,
               strict: bool = False) -> Network:
    """Build a network from a model file's bytes; see :func:`load` (``key`` and
    ``strict`` as there)."""
    secret = None if key is None else sign_key_bytes(key, "key")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ModelFileError(f"{source}: expected bytes, received {type(data).__name__}")
    data = bytes(data)
    length = header_length(data[:8], len(data), source)
    header = parse_header(data[:8], data[8:8 + length], len(data), source)
    return _build(_decode(header, data, source, secret, strict), source)


def _decode(header: Header, data: bytes, source: str, key: bytes | None,
            strict: bool) -> _Parsed:
    """Check a model file whose header is checked: what it is (format, version, format-1
    rules), its integrity (SHA-256) and, with ``key``, its signature; then every field."""
    metadata = header.metadata
    if metadata.get("format") != FORMAT:
        raise ModelFileError(f"{source}: not a neuroflow model (metadata format is "
                             f"{metadata.get('format')!r}, expected {FORMAT!r})")
    major = _check_version(metadata.get("format_version"), source)
    if major < 2:
        _check_format1(header, source, key, strict)
    expected_digest = metadata.get("sha256")
    if expected_digest is None:
        raise ModelFileError(f"{source}: metadata 'sha256' is missing")
    view = memoryview(data)
    start = 8 + header.length
    items = [(entry.name, entry.code, entry.shape, view[start + entry.begin:start + entry.end])
             for entry in header.tensors]
    digest = hashlib.sha256()
    _feed(digest, metadata if major >= 2 else None, items, skip=("sha256",))
    if not hmac.compare_digest(digest.hexdigest().encode(), expected_digest.encode("utf-8")):
        covered = "the file's metadata and tensors" if major >= 2 else "the tensors"
        raise ModelFileError(f"{source}: SHA-256 of {covered} does not match the one "
                             "recorded (the file is corrupted or was modified)")
    if key is not None:
        _check_signature(metadata, items, key, source)
    tensors = tensor_arrays(header, data)
    if major < 2:
        warnings.warn(f"{source}: written in model format {metadata['format_version']}, whose "
                      "SHA-256 covers the tensors only, so changes to its metadata cannot be "
                      "detected; save it again to protect the whole file",
                      ModelFileWarning, stacklevel=3)
    return _parse_fields(metadata, tensors, source)


def _check_format1(header: Header, source: str, key: bytes | None, strict: bool) -> None:
    """Format 1 (neuroflow 0.1): refused with ``strict`` or a ``key`` (its hash covers the
    tensors only, and it cannot be signed), and when it holds any field format 1 does
    not have (a format-2 file relabelled as format 1, so that its metadata escape the
    hash)."""
    metadata = header.metadata
    version = metadata.get("format_version")
    if strict:
        raise ModelFileError(f"{source}: written in model format {version}, whose SHA-256 "
                             "covers the tensors only; refused (strict loading, --no-legacy "
                             "in the CLI); save it again with this neuroflow")
    if key is not None:
        raise ModelFileError(f"{source}: not signed (model format {version} cannot carry a "
                             "signature; a signed file was downgraded, or the file predates "
                             "signing); a key was given, so only files signed with it load")
    newer = [repr(name) for name in sorted(set(metadata) - _FORMAT1_FIELDS)]
    try:
        training = json.loads(metadata.get("training", "null"))
    except (ValueError, RecursionError):
        training = None  # reported when the field itself is checked
    if isinstance(training, dict):
        newer += [f"training {name!r}" for name in sorted(set(training) - _FORMAT1_TRAINING)]
        history = training.get("history")
        if isinstance(history, dict) and "partial" in history:
            newer.append("training history 'partial'")
    newer += [f"tensor {entry.name!r}" for entry in header.tensors
              if not entry.name.startswith(("layers.", "optimizer.", "preprocessing."))]
    if newer:
        raise ModelFileError(f"{source}: claims model format {version} but holds fields that "
                             f"only format 2 has ({', '.join(newer[:3])}); a "
                             "format-2 file relabelled as format 1 is refused, since format "
                             "1's hash would not cover its metadata")


def _check_signature(metadata: dict[str, str], items: list[Any], key: bytes,
                     source: str) -> None:
    recorded = metadata.get(SIGNATURE_KEY)
    if recorded is None:
        raise ModelFileError(f"{source}: not signed (no metadata {SIGNATURE_KEY!r}); a key "
                             "was given, so only files signed with it load")
    signature = hmac.new(key, digestmod=hashlib.sha256)
    _feed(signature, metadata, items, skip=("sha256", SIGNATURE_KEY))
    if not hmac.compare_digest(signature.hexdigest().encode(), recorded.encode("utf-8")):
        raise ModelFileError(f"{source}: signature ({SIGNATURE_KEY}) does not match the key "
                             "(the file was modified after signing, or signed with another "
                             "key)")


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
