r"""The reference implementation of backpropagation, written from its equations.

:func:`trace` recomputes, for one sample or a small batch, every quantity of
backpropagation from its textbook equation, layer by layer:

.. math::
    z^{(l)} = a^{(l-1)} W^{(l)} + b^{(l)}, \qquad a^{(l)} = f^{(l)}(z^{(l)})

    \delta^{(L)} = \partial C / \partial z^{(L)}
        \quad\text{(fused: } (a - y)/n \text{ for softmax + cross-entropy)}

    \delta^{(l)} = (\delta^{(l+1)} W^{(l+1)\top}) \odot f'^{(l)}(z^{(l)})

    \partial C/\partial W^{(l)} = a^{(l-1)\top} \delta^{(l)}, \qquad
    \partial C/\partial b^{(l)} = \textstyle\sum_{\text{samples}} \delta^{(l)}, \qquad
    \Delta W^{(l)} = -\eta\, \partial C/\partial W^{(l)}

This is the reference the fast path is tested against: :meth:`Network.forward
<neuroflow.network.Network.forward>` and :meth:`Network.backward
<neuroflow.network.Network.backward>` (fused, buffer-reusing, whole-batch code) must give
the same numbers to 1e-12 in float64 (``tests/test_backprop.py``). It shares nothing with
that path but the layers' parameters and the activations' and losses' own definitions: it
does not call ``backward`` and leaves the layers' caches alone.

The result is a :class:`Trace` of :class:`LayerTrace` records (arrays for a notebook).
Its text form (``str(trace)``, :meth:`Trace.format`: aligned tables with the equation of
each line) lives in the layer above, :mod:`neuroflow.explain`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from neuroflow import activations as _activations
from neuroflow import losses as _losses
from neuroflow.layers import Conv2D, Dense
from neuroflow.network import Network

__all__ = ["trace", "Trace", "LayerTrace"]


@dataclass
class LayerTrace:
    r"""Every number of one Dense layer in the traced pass.

    Shapes: ``n`` samples, ``in_features`` inputs, ``out_features`` neurons.

    Attributes
    ----------
    index : int
        Position of the layer in the network (0 = first hidden layer).
    activation : str
        Name of the activation ``f``.
    x : ndarray (n, in_features)
        The layer's input ``a^(l-1)`` (the network input for layer 0).
    z : ndarray (n, out_features)
        Weighted sums ``z = x W + b``.
    a : ndarray (n, out_features)
        Activations ``a = f(z)``.
    activation_gradient : ndarray (n, out_features) or None
        ``dC/da``; ``None`` for an output layer whose delta is fused with the loss.
    delta : ndarray (n, out_features)
        ``delta = dC/dz``.
    weight_gradient : ndarray (in_features, out_features)
        ``dC/dW = x^T delta``.
    bias_gradient : ndarray (out_features,) or None
        ``dC/db = sum over samples of delta`` (``None`` without bias).
    weight_change, bias_change : ndarray
        The change of one plain gradient-descent step, ``-eta dC/dW`` and ``-eta dC/db``.
    delta_rule : str
        The equation used for ``delta`` (fused, element-wise or softmax Jacobian).
    weight : ndarray (in_features, out_features) or None
        A copy of the layer's weights ``W`` at the time of the trace.
    bias : ndarray (out_features,) or None
        A copy of its biases ``b`` (``None`` without bias).
    """

    index: int
    activation: str
    x: np.ndarray
    z: np.ndarray
    a: np.ndarray
    activation_gradient: np.ndarray | None
    delta: np.ndarray
    weight_gradient: np.ndarray
    bias_gradient: np.ndarray | None
    weight_change: np.ndarray
    bias_change: np.ndarray | None
    delta_rule: str
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None

    @property
    def in_features(self) -> int:
        return int(self.x.shape[1])

    @property
    def out_features(self) -> int:
        return int(self.z.shape[1])

    def weighted_sum_terms(self, inputs: Any, sample: int = 0
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""Split :math:`z_j = \sum_i x_i W_{ij} + b_j` of one sample into the sum over
        ``inputs`` (indices), the sum over every other input, and :math:`b_j`.

        Returns three float64 arrays ``(out_features,)`` whose sum is ``z[sample]`` up to
        rounding (the bias is zeros without bias).
        """
        if self.weight is None:
            raise ValueError("weight: expected the layer's weights in the trace, received None")
        terms = self.x[sample].astype(np.float64)[:, None] * self.weight.astype(np.float64)
        shown = np.zeros(self.in_features, dtype=bool)
        shown[np.asarray(inputs, dtype=np.int64)] = True
        bias = np.zeros(self.out_features) if self.bias is None else \
            self.bias.astype(np.float64)
        return terms[shown].sum(axis=0), terms[~shown].sum(axis=0), bias


@dataclass
class Trace:
    """The forward and backward pass of :func:`trace`, for a notebook or a terminal.

    Attributes
    ----------
    layers : list of LayerTrace
        Input to output.
    loss : str
        Name of the cost function.
    cost : float
        Mean cost ``C`` of the batch.
    target : ndarray (n, k)
        Targets as rows (class labels one-hot encoded).
    output_error : ndarray (n, k)
        ``e = a - y``, the difference between output and target.
    learning_rate : float
        ``eta`` of the weight change shown.
    sizes : list of int
        Layer sizes, input first.
    cost_before_step, cost_after_step : float
        The mean cost of the batch with the parameters as they are, and after one plain
        gradient-descent step of every layer, ``W - eta dC/dW`` and ``b - eta dC/db``.
        Both are computed in float64 on copies of the parameters (the network is not
        modified), so they compare exactly; ``cost_before_step`` equals ``cost`` up to
        the rounding of the network's dtype.
    """

    layers: list[LayerTrace]
    loss: str
    cost: float
    target: np.ndarray
    output_error: np.ndarray
    learning_rate: float
    sizes: list[int] = field(default_factory=list)
    cost_before_step: float = float("nan")
    cost_after_step: float = float("nan")

    @property
    def output(self) -> np.ndarray:
        """The network output ``a^(L)`` ``(n, k)``."""
        return self.layers[-1].a

    @property
    def probabilities(self) -> np.ndarray | None:
        r"""The probability of every class ``(n, k)``: a softmax output
        :math:`a_j = e^{z_j} / \sum_m e^{z_m}` (rows add up to 1), or :math:`[1 - p, p]`
        for a classifier's single sigmoid output :math:`p`; ``None`` for other outputs
        (regression, several independent sigmoids)."""
        last = self.layers[-1]
        if last.activation == "softmax":
            return last.a
        if last.activation == "sigmoid" and last.out_features == 1 and \
                self.loss in ("binary_cross_entropy", "cross_entropy"):
            return np.hstack([1 - last.a, last.a])
        return None

    def gradients(self) -> dict[str, np.ndarray]:
        """``dC/dparam`` keyed like :meth:`Network.named_parameters` (``layers.{i}.W``)."""
        grads: dict[str, np.ndarray] = {}
        for layer in self.layers:
            grads[f"layers.{layer.index}.W"] = layer.weight_gradient
            if layer.bias_gradient is not None:
                grads[f"layers.{layer.index}.b"] = layer.bias_gradient
        return grads

    #: Writes a trace as text: ``renderer(trace, precision, max_rows, max_columns,
    #: unicode) -> str``. :mod:`neuroflow.explain` (imported with the package) installs
    #: :func:`~neuroflow.explain.format_trace`; this module does not import its renderer.
    renderer: ClassVar[Callable[..., str] | None] = None
    #: Traces a network whose first layer is ``Conv2D``: ``convolution_tracer(network, x, y,
    #: learning_rate) -> Trace`` (one receptive field), installed by
    #: :mod:`neuroflow.receptive_field` (imported with the package), which sits above.
    convolution_tracer: ClassVar[Callable[..., Trace] | None] = None

    def format(self, precision: int = 4, max_rows: int = 8, max_columns: int = 8,
               unicode: bool = True, **options: Any) -> str:
        """Aligned tables of every quantity, with the equation of each
        (:func:`neuroflow.explain.format_trace`).

        Parameters
        ----------
        precision : int
            Significant digits of each number.
        max_rows, max_columns : int
            Sample rows shown; inputs and neurons shown per layer when there are more
            (chosen by the size of their gradients; the others are counted).
        unicode : bool
            Write δ, ∂, ⊙, η and Σ; ``False`` keeps plain ASCII.
        **options
            What else the renderer takes (``inputs``, ``classes``, ``class_names``,
            ``image_shape``, ``sample_indices``: see :func:`~neuroflow.explain.format_trace`).
        """
        render = Trace.renderer
        if render is None:  # only when neuroflow.explain was never imported
            raise RuntimeError("Trace.format: no renderer; import neuroflow.explain")
        return render(self, precision=precision, max_rows=max_rows, max_columns=max_columns,
                      unicode=unicode, **options)

    def __str__(self) -> str:
        return self.format()


def trace(network: Network, x: Any, y: Any, learning_rate: float = 0.1) -> Trace:
    r"""Forward and backward pass of ``network`` on ``(x, y)``, every number recorded.

    Parameters
    ----------
    network : Network
        A network of :class:`~neuroflow.layers.Dense` layers; it is not modified (its
        layer caches are not touched either: the trace computes on its own). A network
        whose first layer is :class:`~neuroflow.layers.Conv2D` gives a
        :class:`~neuroflow.receptive_field.ConvolutionTrace` (one receptive field).
    x : array (n, in_features) or (in_features,)
        One sample or a small batch.
    y : array
        Its targets, in any form ``fit`` accepts (class labels, one-hot, real values).
    learning_rate : float
        ``eta`` of the weight change ``-eta dC/dW`` shown for one plain gradient-descent
        step.

    Returns
    -------
    Trace
        ``print(trace(...))`` shows aligned tables; the attributes hold the arrays.

    Notes
    -----
    The output delta is fused with the loss where the pair allows it (softmax +
    cross-entropy: :math:`\delta = (a - y)/n`; sigmoid + binary cross-entropy:
    :math:`\delta = (a - y)/(n k)`), otherwise it is :math:`\partial C/\partial a \odot
    f'(z)`, or the softmax Jacobian product :math:`a \odot (g - \langle g, a\rangle)`.
    """
    if not isinstance(network, Network):
        raise ValueError(f"network: expected a neuroflow Network, received "
                         f"{type(network).__name__}")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) \
            or not np.isfinite(learning_rate) or learning_rate < 0:
        raise ValueError(f"learning_rate: expected a finite number >= 0, received: "
                         f"{learning_rate!r}")
    if isinstance(network.layers[0], Conv2D) and Trace.convolution_tracer is not None:
        return Trace.convolution_tracer(network, x, y, learning_rate)
    for index, layer in enumerate(network.layers):
        if not isinstance(layer, Dense):
            raise ValueError(f"network: trace supports Dense layers only, received "
                             f"layers[{index}] = {type(layer).__name__} (or a first layer "
                             "Conv2D: one receptive field)")
    inputs = network.prepare_inputs(x, "x")
    target = network.prepare_targets(y, "y")
    if target.ndim == 1 and network.out_features == 1:
        target = target.reshape(-1, 1)
    if target.shape[0] != inputs.shape[0]:
        raise ValueError(f"y: expected {inputs.shape[0]} targets (one per row of x), received "
                         f"{target.shape[0]}")
    dtype = network.dtype
    eta = dtype.type(learning_rate)

    # forward pass: z = x W + b, a = f(z)
    forward: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    a = inputs
    dense_layers = [layer for layer in network.layers if isinstance(layer, Dense)]
    for layer in dense_layers:
        z = a @ layer.params["W"]
        if layer.use_bias:
            z = z + layer.params["b"]
        forward.append((a, z, layer.activation.forward(z)))
        a = forward[-1][2]
    output = a
    loss = network.loss
    cost = loss.value(output, target)
    dense_target = _dense_target(target, output)

    # backward pass, output layer first
    records: list[LayerTrace] = []
    n, k = output.shape
    delta_next: np.ndarray | None = None
    for index in range(len(dense_layers) - 1, -1, -1):
        layer = dense_layers[index]
        x_in, z, a = forward[index]
        activation = layer.activation
        grad_a: np.ndarray | None
        if delta_next is None:
            if isinstance(activation, _activations.Softmax) and \
                    isinstance(loss, _losses.CrossEntropy):
                # fused: softmax Jacobian times -y/(n a) collapses to (a - y)/n
                grad_a = None
                delta = (a - dense_target) / dtype.type(n)
                rule = "delta = (a - y) / n  (softmax + cross-entropy, fused)"
            elif isinstance(activation, _activations.Sigmoid) and \
                    isinstance(loss, _losses.BinaryCrossEntropy):
                # fused: sigma'(z) = a (1 - a) cancels the denominator of dC/da
                grad_a = None
                delta = (a - dense_target) / dtype.type(n * k)
                rule = "delta = (a - y) / (n k)  (sigmoid + binary cross-entropy, fused)"
            else:
                grad_a = loss.gradient(output, target)
                delta, rule = _delta_from_grad_a(activation, grad_a, z, a)
        else:
            grad_a = delta_next @ dense_layers[index + 1].params["W"].T
            delta, rule = _delta_from_grad_a(activation, grad_a, z, a)
            rule = rule.replace("dC/da", f"(delta_{index + 2} W_{index + 2}^T)")
        weight_gradient = x_in.T @ delta
        bias_gradient = delta.sum(axis=0) if layer.use_bias else None
        records.append(LayerTrace(
            index=index, activation=activation.name, x=x_in, z=z, a=a,
            activation_gradient=grad_a, delta=delta, weight_gradient=weight_gradient,
            bias_gradient=bias_gradient, weight_change=-eta * weight_gradient,
            bias_change=None if bias_gradient is None else -eta * bias_gradient,
            delta_rule=rule, weight=layer.params["W"].copy(),
            bias=layer.params["b"].copy() if layer.use_bias else None,
        ))
        delta_next = delta
    records.reverse()
    before, after = (_cost_in_float64(dense_layers, records, inputs, target, loss, step)
                     for step in (0.0, float(learning_rate)))
    return Trace(layers=records, loss=loss.name, cost=float(cost), target=dense_target,
                 output_error=output - dense_target, learning_rate=float(learning_rate),
                 sizes=network.sizes, cost_before_step=before, cost_after_step=after)


def _cost_in_float64(dense_layers: list[Dense], records: list[LayerTrace],
                     inputs: np.ndarray, target: np.ndarray, loss: _losses.Loss,
                     step: float) -> float:
    """The mean cost after the step ``W - step dC/dW``, ``b - step dC/db`` of every layer,
    the forward pass recomputed in float64 on copies (``step = 0``: the cost as it is)."""
    a = inputs.astype(np.float64)
    for layer, record in zip(dense_layers, records):
        weight = layer.params["W"].astype(np.float64) - \
            step * record.weight_gradient.astype(np.float64)
        z = a @ weight
        if record.bias_gradient is not None:
            z = z + (layer.params["b"].astype(np.float64)
                     - step * record.bias_gradient.astype(np.float64))
        a = layer.activation.forward(z)
    dense = target.astype(np.float64) if target.dtype.kind == "f" else target
    return float(loss.value(a, dense))


def _delta_from_grad_a(activation: _activations.Activation, grad_a: np.ndarray,
                       z: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, str]:
    if isinstance(activation, _activations.Softmax):
        # softmax Jacobian da_j/dz_i = a_j (delta_ij - a_i):  dC/dz = a * (g - <g, a>)
        delta = a * (grad_a - (grad_a * a).sum(axis=1, keepdims=True))
        return delta, "delta = a * (dC/da - sum(dC/da * a))  (softmax Jacobian)"
    if activation.elementwise:
        return grad_a * activation.derivative(z, a), f"delta = dC/da * {activation.name}'(z)"
    return activation.backward(grad_a, z, a), f"delta = {activation.name} backward of dC/da"


def _dense_target(target: np.ndarray, output: np.ndarray) -> np.ndarray:
    if target.ndim == 2:
        return target.astype(output.dtype, copy=False)
    dense = np.zeros_like(output)
    dense[np.arange(target.shape[0]), target] = 1
    return dense
