"""The layer protocol: :class:`Layer`.

A layer owns its parameters ``params`` and their gradients ``grads`` (same keys, same
shapes). ``forward(x, training)`` computes the layer's output and caches what
``backward`` needs; ``backward(grad_output)`` stores the parameter gradients in
``grads`` and returns the gradient with respect to the layer's input.

Shapes follow one convention: ``x (n_samples, in_features)``, ``W (in_features,
out_features)``, ``b (out_features,)``.

Parameters are NumPy arrays, or arrays of another array-API library after
:meth:`Layer.to_backend` (see :mod:`neuroflow.backend`): ``forward`` and ``backward`` then
take and return arrays of that library. Gradients are always written into the existing
``grads`` arrays, and :meth:`Layer.load_state` writes into the existing ``params``, so
references to them (the network's :class:`~neuroflow.optimizers.ParameterBuffer`, whose
views they are) stay valid. Work-array reuse (``reuse_buffers``) is NumPy only.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from neuroflow.backend import namespace, to_backend, to_numpy

__all__ = ["Layer"]


class Layer:
    """Base class of layers.

    Subclasses set ``in_features``/``out_features``, create their parameters in
    :meth:`build` and implement :meth:`forward` and :meth:`backward`.
    """

    type_name: ClassVar[str] = ""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.in_features: int = 0
        self.out_features: int = 0
        self.built = False
        #: While ``True`` (``fit`` turns it on for the duration of training, on NumPy),
        #: training passes write into work arrays kept from the previous batch of the
        #: same size instead of allocating new ones: the arrays a training pass returns
        #: or caches stay valid until the next training pass. Inference never reuses
        #: arrays.
        self.reuse_buffers = False
        self._buffers: dict[tuple[str, tuple[int, ...]], np.ndarray] = {}

    def buffer(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
        """The NumPy work array ``name`` of ``shape`` while :attr:`reuse_buffers` is on
        (kept and handed out again, one per batch size, so the last partial batch gets
        its own), else ``None``: the caller allocates a new array."""
        if not self.reuse_buffers:
            return None
        key = (name, shape)
        array = self._buffers.get(key)
        if array is None or array.dtype != dtype:
            array = self._buffers[key] = np.empty(shape, dtype)
        return array

    @property
    def buffers(self) -> dict[tuple[str, tuple[int, ...]], np.ndarray]:
        """The work arrays kept while :attr:`reuse_buffers` is on, by ``(name, shape)``."""
        return dict(self._buffers)

    def release_buffers(self) -> None:
        """Stop reusing work arrays and drop the ones kept."""
        self.reuse_buffers = False
        self._buffers = {}

    def build(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Create the parameters (drawn from ``rng``) in ``dtype``; called by the network."""
        self.built = True

    def set_features(self, features: int) -> None:
        """Adopt the previous layer's width; only size-preserving layers (``Dropout``,
        ``BatchNorm``) accept being built without ``in_features``."""
        raise ValueError(f"{type(self).__name__}: expected in_features to be given, "
                         "received none")

    def set_input_shape(self, shape: tuple[int, ...]) -> None:
        """Adopt the previous layer's :attr:`output_shape` (called by the network for a
        layer given no input size): layers of vectors take its size, image layers
        (:mod:`neuroflow.layers.reshape`) its ``(channels, height, width)``."""
        self.set_features(math.prod(shape))

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input sample, without the batch axis: ``(in_features,)`` for
        vectors, ``(channels, height, width)`` for images."""
        return (self.in_features,)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Shape of one output sample, without the batch axis (``(out_features,)`` for
        vectors)."""
        return (self.out_features,)

    def to_backend(self, xp: Any, device: Any = None) -> None:
        """Move parameters, gradients and any state to array namespace ``xp`` (see
        :func:`neuroflow.backend.get_backend`); drops cached passes and work arrays."""
        self.release_buffers()
        self.params = {k: to_backend(v, xp, device) for k, v in self.params.items()}
        self.grads = {k: to_backend(v, xp, device) for k, v in self.grads.items()}

    def cast(self, dtype: np.dtype) -> None:
        """Convert parameters (and gradients) to ``dtype``: new arrays."""
        for key in self.params:
            self.params[key] = self.params[key].astype(dtype)
            self.grads[key] = np.zeros_like(self.params[key])

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Output for a batch ``x`` of shape ``(n, in_features)``."""
        raise NotImplementedError

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Inference-mode output for ``x``, as ``forward(x, training=False)``, but free to
        skip the cache and reuse its own temporaries (``predict`` and ``evaluate`` use it)."""
        return self.forward(x, training=False)

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Store dC/dparams in ``grads``; return dC/dx (``None`` when not needed)."""
        raise NotImplementedError

    @property
    def parameter_count(self) -> int:
        """Number of trainable scalars."""
        return int(sum(p.size for p in self.params.values()))

    def get_config(self) -> dict[str, Any]:
        """Describe the layer (no weights) so :func:`layer_from_config` rebuilds it."""
        return {"type": self.type_name}

    def state(self) -> dict[str, np.ndarray]:
        """Arrays saved with the model: the parameters plus any non-trained state."""
        return dict(self.params)

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore arrays produced by :meth:`state` (shapes already validated), onto the
        back-end the parameters are on; gradients are zeroed.

        A parameter that exists with the same shape and dtype is overwritten in place,
        so views of it (the network's parameter buffer) stay valid; others get new
        arrays.
        """
        xp = namespace(*self.params.values())
        for key, value in state.items():
            value = to_backend(np.array(to_numpy(value), copy=True), xp)
            current = self.params.get(key)
            if (current is not None and key in self.grads and current.shape == value.shape
                    and current.dtype == value.dtype):
                current[...] = value
                self.grads[key][...] = 0
            else:
                self.params[key] = value
                self.grads[key] = xp.zeros_like(value)
        self.built = True

    def __repr__(self) -> str:
        config = self.get_config()
        config.pop("type")
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in config.items())})"
