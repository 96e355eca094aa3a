"""A network's parameters and gradients laid end to end: :class:`ParameterBuffer`.

An optimiser's rule is the same arithmetic for every scalar, so it can update all of a
network's parameters with one pass per operation over one long array instead of one pass
per tensor (a few dozen NumPy calls per step instead of a few hundred). For that,
:meth:`neuroflow.Network.pack_parameters` copies every parameter into one flat array and
every gradient into another, and replaces each layer's ``params[key]`` and
``grads[key]`` by views of them: the layers compute with their tensors as before, the
optimiser steps on the flat arrays, and both see the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np

__all__ = ["ParameterBuffer", "Pair"]

#: A parameter and its gradient, same shape.
Pair = tuple[np.ndarray, np.ndarray]


class ParameterBuffer(Sequence[Pair]):
    """Parameters and their gradients, each laid end to end in one flat NumPy array.

    The buffer is also the sequence of its ``(parameter, gradient)`` pairs (views of the
    flat arrays, in order), so it goes wherever pairs are accepted.

    Parameters
    ----------
    names : sequence of str
        One name per parameter (a network uses ``layers.{i}.{key}``).
    parameters, gradients : sequence of ndarray
        The arrays whose values are copied in, pairwise of the same shape.
    dtype : dtype
        Of both flat arrays.

    Attributes
    ----------
    parameters, gradients : ndarray
        The flat arrays, ``(size,)``.
    names : tuple of str
    shapes : tuple of tuple of int
    offsets : tuple of int
        Where each parameter starts in the flat arrays; ``offsets[-1]`` is the size.
    """

    def __init__(self, names: Sequence[str], parameters: Sequence[np.ndarray],
                 gradients: Sequence[np.ndarray], dtype: np.dtype) -> None:
        if not len(names) == len(parameters) == len(gradients):
            raise ValueError("names, parameters, gradients: expected one of each per "
                             f"parameter, received {len(names)}, {len(parameters)} and "
                             f"{len(gradients)}")
        self.names = tuple(names)
        self.shapes = tuple(tuple(p.shape) for p in parameters)
        sizes = [math.prod(shape) for shape in self.shapes]
        self.offsets = tuple(int(n) for n in np.cumsum([0] + sizes))
        self.parameters = np.empty(self.offsets[-1], dtype=dtype)
        self.gradients = np.zeros(self.offsets[-1], dtype=dtype)
        self._pairs = list(zip(self.views(self.parameters), self.views(self.gradients)))
        for (param, grad), value, gradient in zip(self._pairs, parameters, gradients):
            param[...] = value
            grad[...] = gradient

    def views(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views of ``flat`` (any array laid out like :attr:`parameters`, e.g. an
        optimiser's state), one per parameter, in the parameters' shapes."""
        return [flat[start:stop].reshape(shape)
                for start, stop, shape in zip(self.offsets, self.offsets[1:], self.shapes)]

    @property
    def size(self) -> int:
        """Number of scalars."""
        return self.offsets[-1]

    def __len__(self) -> int:
        return len(self._pairs)

    @overload
    def __getitem__(self, index: int) -> Pair: ...

    @overload
    def __getitem__(self, index: slice) -> list[Pair]: ...

    def __getitem__(self, index: int | slice) -> Pair | list[Pair]:
        return self._pairs[index]

    def __iter__(self) -> Iterator[Pair]:
        return iter(self._pairs)

    def holds(self, parameters: Sequence[np.ndarray], gradients: Sequence[np.ndarray]) -> bool:
        """Whether ``parameters`` and ``gradients`` are this buffer's views, in order."""
        return len(parameters) == len(gradients) == len(self._pairs) and all(
            p is mine and g is my_grad
            for p, g, (mine, my_grad) in zip(parameters, gradients, self._pairs))

    def __repr__(self) -> str:
        return (f"ParameterBuffer({len(self)} parameters, {self.size:,} scalars, "
                f"dtype={self.parameters.dtype.name})")
