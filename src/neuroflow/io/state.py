"""A model's whole state moved without a file of one's own: :func:`copy` (in memory,
through :func:`~neuroflow.io.writer.capture`), :func:`load_into` (a checkpoint into a
running network, to resume) and :func:`is_finite` (whether it is worth saving)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from neuroflow._validation import as_dtype, parameters_diverged
from neuroflow.errors import ModelFileError
from neuroflow.io.reader import _build, load
from neuroflow.io.validate import _parse_fields
from neuroflow.io.writer import capture
from neuroflow.network import Network

__all__ = ["copy", "load_into", "is_finite"]


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


def load_into(network: Network, path: str | os.PathLike[str],
              key: bytes | str | None = None) -> None:
    """Restore a checkpoint into ``network`` so that training continues exactly.

    Every field of :data:`neuroflow.network.STATE_FIELDS` is taken from the file (the
    loaded model's, through :meth:`Network.adopt`); the layer objects stay ``network``'s.
    With ``key`` the file must be signed with it (see :func:`neuroflow.io.load`).

    Raises
    ------
    ModelFileError
        When the file is defective, or holds no optimiser state (saved with
        ``include_optimizer=False``), so that training could not continue exactly.
    ValueError
        When the checkpoint's architecture differs from ``network``'s.
    """
    saved = load(path, key=key)
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
