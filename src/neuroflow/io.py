"""Saving and loading models as one safetensors file (no pickle, no code execution).

Tensors are named ``layers.{i}.{param}``; the metadata holds ``format`` ("neuroflow"),
``format_version`` and the JSON architecture.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from neuroflow.errors import ModelFileError
from neuroflow.network import Network

__all__ = ["save", "load", "FORMAT", "FORMAT_VERSION"]

FORMAT = "neuroflow"
FORMAT_VERSION = "1.0"


def save(network: Network, path: str | os.PathLike[str], include_optimizer: bool = True) -> None:
    """Write ``network`` to ``path`` atomically (temporary file beside it, then rename)."""
    from safetensors.numpy import save as _serialize

    tensors = {f"layers.{i}.{key}": np.ascontiguousarray(value)
               for i, layer in enumerate(network.layers) for key, value in layer.state().items()}
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "architecture": json.dumps(network.get_config())}
    payload = _serialize(tensors, metadata=metadata)
    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                         dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: str | os.PathLike[str]) -> Network:
    """Read a model written by :func:`save`; raise :class:`ModelFileError` on any defect."""
    from safetensors import SafetensorError
    from safetensors.numpy import load as _deserialize

    target = Path(path)
    try:
        data = target.read_bytes()
    except OSError as error:
        raise ModelFileError(f"model file {str(target)!r}: cannot be read ({error.strerror})"
                             ) from error
    try:
        tensors = _deserialize(data)
        header_length = int.from_bytes(data[:8], "little")
        metadata: dict[str, Any] = json.loads(data[8:8 + header_length]).get("__metadata__", {})
    except (SafetensorError, ValueError, UnicodeDecodeError) as error:
        raise ModelFileError(f"model file {str(target)!r}: not a safetensors file ({error})"
                             ) from error
    if metadata.get("format") != FORMAT:
        raise ModelFileError(f"model file {str(target)!r}: not a neuroflow model (format "
                             f"{metadata.get('format')!r})")
    try:
        config = json.loads(metadata["architecture"])
        network = Network.from_config(config, seed=0)
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"model file {str(target)!r}: invalid architecture ({error})"
                             ) from error
    for i, layer in enumerate(network.layers):
        state = {}
        for key, expected in layer.state().items():
            name = f"layers.{i}.{key}"
            if name not in tensors or tensors[name].shape != expected.shape:
                raise ModelFileError(f"model file {str(target)!r}: tensor {name} missing or of "
                                     f"the wrong shape (expected {expected.shape})")
            state[key] = tensors[name].astype(network.dtype)
        layer.load_state(state)
    return network
