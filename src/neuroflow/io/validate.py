"""Checking a model file's fields before anything is built: :func:`_parse_fields` and
the ``_check_*`` validators of each metadata field and tensor. Every defect raises
:class:`~neuroflow.errors.ModelFileError`; names found in the file are only ever looked
up in neuroflow's own registries."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from neuroflow import losses as _losses
from neuroflow import optimizers as _optimizers
from neuroflow import schedules as _schedules
from neuroflow._validation import all_finite
from neuroflow.errors import ModelFileError
from neuroflow.hooks import History
from neuroflow.io.format import (
    _CALLBACK_KEY,
    _MAJOR,
    _MAX_COUNT,
    _MIN_WIDTH_BOUND,
    _OLDEST_MAJOR,
    _OPTIMIZER_KEY,
    _RNG_BIT_GENERATORS,
    _SAFETENSORS_DTYPES,
    FORMAT_VERSION,
    _first_line,
)
from neuroflow.layers import Dense, layer_from_config

__all__: list[str] = []


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
        if array.dtype.kind == "f" and not all_finite(array):
            raise ModelFileError(f"{source}: tensor {name!r} holds NaN or infinite values")
    return parsed


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
        _losses.get(loss["name"])
    except ValueError as error:
        raise ModelFileError(f"{source}: architecture loss: {error}") from None
    return np.dtype(dtype_name)


def _layers_from_config(parsed: _Parsed, dtype: np.dtype, source: str) -> list[Any]:
    """Unbuilt layers, checked against the tensors; Dense layers get their weights now."""
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
    if not (isinstance(entry, dict) and isinstance(entry.get("config"), dict)
            and _nonnegative_int(entry.get("iterations"))
            and entry["iterations"] <= _MAX_COUNT):
        raise ModelFileError(f"{source}: training 'optimizer' must hold a 'config' object and "
                             "a non-negative integer 'iterations'")
    config = dict(entry["config"])
    rate = config.get("learning_rate")
    if isinstance(rate, dict):
        try:
            config["learning_rate"] = _schedules.get(rate)
        except Exception as error:
            raise ModelFileError(f"{source}: optimizer learning-rate schedule cannot be "
                                 f"rebuilt ({_first_line(error)})") from None
    try:
        optimizer = _optimizers.get(config)
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
