"""Writing model files: :func:`capture` describes a network as metadata strings and
tensors, :func:`to_bytes` serialises that, :func:`save` writes it atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save as _serialize

from neuroflow._version import __version__
from neuroflow.backend import to_numpy
from neuroflow.files import write_atomic
from neuroflow.io.format import (
    _CALLBACK_KEY,
    FORMAT,
    FORMAT_VERSION,
    SIGNATURE_KEY,
    _jsonable,
    file_digest,
    file_signature,
    sign_key_bytes,
)
from neuroflow.network import Network

__all__ = ["save", "capture", "to_bytes"]


def save(network: Network, path: str | os.PathLike[str], include_optimizer: bool = True,
         sign_key: bytes | str | None = None) -> None:
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
    write_atomic(target, to_bytes(network, include_optimizer=include_optimizer,
                                  sign_key=sign_key), argument="path")


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


def to_bytes(network: Network, include_optimizer: bool = True,
             sign_key: bytes | str | None = None) -> bytes:
    """The model file's bytes (what :func:`save` writes); see the module docstring.
    With ``sign_key`` the HMAC-SHA256 (:func:`~neuroflow.io.format.file_signature`) is
    recorded first, so that the SHA-256 covers it too."""
    key = None if sign_key is None else sign_key_bytes(sign_key)
    metadata, tensors = capture(network, include_optimizer=include_optimizer)
    if key is not None:
        metadata[SIGNATURE_KEY] = file_signature(key, metadata, tensors)
    metadata["sha256"] = file_digest(metadata, tensors)
    return _serialize(tensors, metadata=metadata)
