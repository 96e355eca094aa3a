r"""Which weights are worth watching: the gradient of the cost with respect to each
weight, and whether the input feeding the weight varies at all.

:class:`WeightProbe` holds a float64 copy of a network and a batch ``(x, y)`` and reads
the cost :math:`C` and :math:`\partial C/\partial W_{ij}` while weights are moved by
hand; :func:`rank_weights` orders the weights by :math:`|\partial C/\partial W_{ij}|`,
leaving out those that cannot teach anything (a zero gradient, a constant input), and
:func:`informative_weight` picks the first. No plotting library is needed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow.network import Network

__all__ = ["WeightIndex", "WeightProbe", "rank_weights", "informative_weight"]

WeightIndex = tuple[int, int, int]  # (layer, i, j): W[i, j] of network.layers[layer]


class WeightProbe:
    """A float64 copy of a network and a batch, to read the cost and its gradient while
    a few weights are moved by hand.

    Parameters
    ----------
    network : Network
        Copied (``network.copy(dtype="float64")``, preprocessing included); never modified.
    x : array (n, in_features)
        Raw inputs (the network's preprocessing is applied).
    y : array
        Targets, as ``fit`` takes them.
    """

    def __init__(self, network: Network, x: Any, y: Any) -> None:
        if not isinstance(network, Network):
            raise ValueError(f"network: expected a neuroflow Network, received "
                             f"{type(network).__name__}")
        self.network = network.copy(dtype="float64")
        self.inputs = self.network.prepare_inputs(x, "x")
        self.target = self.network.prepare_targets(y, "y")
        if self.inputs.shape[0] != self.target.shape[0]:
            raise ValueError(f"y: expected {self.inputs.shape[0]} targets (one per row of x), "
                             f"received {self.target.shape[0]}")

    def weight_layers(self) -> list[int]:
        """Indices of the layers that hold a weight matrix ``W``."""
        return [index for index, layer in enumerate(self.network.layers) if "W" in layer.params]

    def check(self, layer: object, weight: object, argument: str = "weight") -> WeightIndex:
        """Validate ``layer`` (an index into ``network.layers``) and ``weight = (i, j)``."""
        layers = self.weight_layers()
        if isinstance(layer, bool) or not isinstance(layer, int) or layer not in layers:
            raise ValueError(f"layer: expected the index of a layer with weights (one of "
                             f"{layers}), received: {layer!r}")
        shape = self.network.layers[layer].params["W"].shape
        if not (isinstance(weight, (tuple, list)) and len(weight) == 2 and
                all(isinstance(v, int) and not isinstance(v, bool) for v in weight) and
                0 <= weight[0] < shape[0] and 0 <= weight[1] < shape[1]):
            raise ValueError(f"{argument}: expected (i, j) with 0 <= i < {shape[0]} and "
                             f"0 <= j < {shape[1]}, received: {weight!r}")
        return layer, int(weight[0]), int(weight[1])

    def get(self, index: WeightIndex) -> float:
        """The current value of weight ``index``."""
        layer, i, j = index
        return float(self.network.layers[layer].params["W"][i, j])

    def set(self, index: WeightIndex, value: float) -> None:
        """Set weight ``index`` to ``value`` (in place)."""
        layer, i, j = index
        self.network.layers[layer].params["W"][i, j] = value

    def cost(self) -> float:
        """:math:`C` on the batch at the current weights."""
        return float(self.network.loss.value(self.network.forward(self.inputs), self.target))

    def cost_and_gradients(self) -> float:
        """:math:`C`, filling every layer's ``grads`` with :math:`\\partial C/\\partial\\theta`."""
        output = self.network.forward(self.inputs)
        cost = float(self.network.loss.value(output, self.target))
        self.network.backward(self.target, input_gradient=False)
        return cost

    def gradient(self, index: WeightIndex) -> tuple[float, float]:
        """``(C, ∂C/∂w)`` at the current weights for weight ``index``."""
        cost = self.cost_and_gradients()
        layer, i, j = index
        return cost, float(self.network.layers[layer].grads["W"][i, j])

    def layer_inputs(self) -> list[np.ndarray]:
        """What each layer receives on the batch: ``x`` for layer 0, the previous layer's
        output for the others, shape ``(n, fan_in)``."""
        received = []
        signal = self.inputs
        for layer in self.network.layers:
            received.append(signal)
            signal = layer.forward(signal, False)
        return received


def rank_weights(network: Network, x: Any, y: Any, layer: int | None = None,
                 probe: WeightProbe | None = None) -> list[WeightIndex]:
    r"""Weights ``(layer, i, j)`` in decreasing :math:`|\partial C/\partial W_{ij}|` on
    ``(x, y)``, leaving out every weight that cannot teach anything.

    Left out: weights whose gradient is exactly zero, and weights wired to a constant
    input: for layer 0 an input feature equal on every row of ``x`` (the always-zero
    corner pixels of MNIST), for a deeper layer a unit of the layer below whose output
    is the same on every row (a dead ReLU, a saturated sigmoid). With a single row of
    ``x`` every input is constant, so only inputs equal to zero are left out.

    Parameters
    ----------
    network : Network
    x, y : arrays
        The batch the cost :math:`C` is measured on.
    layer : int, optional
        Rank the weights of ``network.layers[layer]`` only (default: every layer).

    Returns
    -------
    list of (int, int, int)
        Possibly empty.
    """
    probe = probe or WeightProbe(network, x, y)
    layers = probe.weight_layers()
    if layer is not None:
        probe.check(layer, (0, 0), "layer")
        layers = [layer]
    received = probe.layer_inputs()
    probe.cost_and_gradients()
    scores: list[np.ndarray] = []
    indices: list[WeightIndex] = []
    for index in layers:
        signal = received[index]
        scale = np.maximum(np.max(np.abs(signal), axis=0), 1.0)
        if signal.shape[0] > 1:
            constant = np.ptp(signal, axis=0) <= 1e-12 * scale
        else:
            constant = np.all(signal == 0, axis=0)
        gradient = np.abs(probe.network.layers[index].grads["W"])
        usable = ~constant[:, None] & (gradient > 0)
        rows, columns = np.nonzero(usable)
        scores.append(gradient[rows, columns])
        indices.extend((index, int(r), int(c)) for r, c in zip(rows, columns))
    if not indices:
        return []
    order = np.argsort(-np.concatenate(scores), kind="stable")
    return [indices[k] for k in order]


def informative_weight(network: Network, x: Any, y: Any,
                       layer: int | None = None) -> WeightIndex:
    r"""The weight with the largest :math:`|\partial C/\partial w|` on ``(x, y)`` that is
    not wired to a constant input (see :func:`rank_weights`).

    Returns
    -------
    (layer, i, j) : (int, int, int)
        :math:`W_{ij}` of ``network.layers[layer]``.

    Raises
    ------
    ValueError
        When every weight's gradient is zero or fed by a constant input: then no weight
        shows how the cost changes.
    """
    ranked = rank_weights(network, x, y, layer)
    if not ranked:
        raise ValueError("x, y: expected a batch on which some weight has a non-zero "
                         "gradient and a non-constant input, received one where every "
                         "gradient is zero or every input constant")
    return ranked[0]
