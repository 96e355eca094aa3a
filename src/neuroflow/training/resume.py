"""Resuming ``fit`` from a checkpoint exactly: the record of a run's settings
(:func:`run_settings`, :func:`data_fingerprint`), the check that a resumed run repeats
them (:func:`check_same_run`) and the restore itself (:func:`resume`)."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np

from neuroflow import optimizers as _optimizers
from neuroflow.io import load_into
from neuroflow.network import Network

__all__ = ["run_settings", "data_fingerprint", "check_same_run", "resume"]


def data_fingerprint(*arrays: np.ndarray | None, rows: int = 64) -> str:
    """A short hash of ``arrays`` (same length along axis 0): their shapes, dtypes and up
    to ``rows`` evenly spaced rows. It tells data sets apart cheaply (microseconds for
    MNIST); it does not detect every edit of a single value."""
    digest = hashlib.sha256()
    for array in arrays:
        if array is None:
            digest.update(b"none")
            continue
        picked = np.linspace(0, array.shape[0] - 1, min(rows, array.shape[0])).astype(np.int64)
        digest.update(f"{array.shape}{array.dtype.str}".encode())
        digest.update(np.ascontiguousarray(array[picked]).tobytes())
    return digest.hexdigest()[:16]


def run_settings(x: np.ndarray, target: np.ndarray, weights: np.ndarray | None,
                 validation: tuple[np.ndarray, np.ndarray] | None, batch_size: int,
                 shuffle: bool) -> dict[str, Any]:
    """What a resumed ``fit`` must repeat for its batches to be those of the interrupted
    run: batch size, shuffling, the training and validation sample counts and a
    :func:`data_fingerprint` of the (prepared) training data and weights."""
    return {"batch_size": int(batch_size), "shuffle": bool(shuffle),
            "samples": int(x.shape[0]),
            "validation_samples": 0 if validation is None else int(validation[0].shape[0]),
            "data_fingerprint": data_fingerprint(x, target, weights)}


#: How :func:`check_same_run` names each setting.
_SETTING_NAMES = {"batch_size": "batch_size", "shuffle": "shuffle",
                  "samples": "training samples", "validation_samples": "validation samples",
                  "data_fingerprint": "data fingerprint"}


def check_same_run(saved: dict[str, Any] | None, current: dict[str, Any],
                    path: str | os.PathLike[str]) -> None:
    """Refuse to resume with other data or settings than the checkpoint's run (checkpoints
    that predate this record are not checked)."""
    if saved is None:
        return
    differences = [f"{_SETTING_NAMES[key]} {saved[key]!r} -> {current[key]!r}"
                   for key in _SETTING_NAMES if key in saved and saved[key] != current[key]]
    if differences:
        raise ValueError(
            f"resume_from: the checkpoint {str(path)!r} was trained with other data or "
            f"settings ({'; '.join(differences)}), so its batches cannot continue exactly; "
            "resume with the same data and options, or load it with neuroflow.load and call "
            "fit without resume_from to train on from its weights")


def resume(network: Network, path: str | os.PathLike[str],
            optimizer: str | _optimizers.Optimizer | None) -> None:
    """Restore the checkpoint at ``path`` into ``network``."""
    load_into(network, path)
    restored = network.optimizer
    if optimizer is not None and restored is not None:
        name = optimizer.name if isinstance(optimizer, _optimizers.Optimizer) else optimizer
        if not isinstance(name, str) or name.lower() != restored.name:
            raise ValueError(f"optimizer: the checkpoint {str(path)!r} continues with "
                             f"{restored.name!r}, received: {name!r}")
