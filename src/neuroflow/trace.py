r"""Trace one forward and backward pass through a network, number by number.

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

It does not call :meth:`Network.backward`; the tests check that both give the same
numbers. The result is a :class:`Trace` of :class:`LayerTrace` records (arrays for a
notebook) whose ``str()`` is a set of aligned tables with the equation of each line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuroflow import activations as _activations
from neuroflow import losses as _losses
from neuroflow.layers import Dense
from neuroflow.network import Network

__all__ = ["trace", "Trace", "LayerTrace"]

#: dC/da of each loss, as printed in the trace (n samples, k outputs).
_LOSS_GRADIENTS = {
    "mse": "dC/da = 2 (a - y) / (n k)",
    "cross_entropy": "dC/da = -y / (n a)",
    "binary_cross_entropy": "dC/da = (a - y) / (a (1 - a) n k)",
}
_LOSS_VALUES = {
    "mse": "C = (1/(n k)) sum (a - y)^2",
    "cross_entropy": "C = -(1/n) sum y log a",
    "binary_cross_entropy": "C = -(1/(n k)) sum [y log a + (1 - y) log(1 - a)]",
}
_PRETTY = [("dC/d", "∂C/∂"), ("delta", "δ"), ("eta", "η"), (" * ", " ⊙ "), ("sum", "Σ"),
           ("^T", "ᵀ")]


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

    @property
    def in_features(self) -> int:
        return int(self.x.shape[1])

    @property
    def out_features(self) -> int:
        return int(self.z.shape[1])


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
    """

    layers: list[LayerTrace]
    loss: str
    cost: float
    target: np.ndarray
    output_error: np.ndarray
    learning_rate: float
    sizes: list[int] = field(default_factory=list)

    @property
    def output(self) -> np.ndarray:
        """The network output ``a^(L)`` ``(n, k)``."""
        return self.layers[-1].a

    def gradients(self) -> dict[str, np.ndarray]:
        """``dC/dparam`` keyed like :meth:`Network.named_parameters` (``layers.{i}.W``)."""
        grads: dict[str, np.ndarray] = {}
        for layer in self.layers:
            grads[f"layers.{layer.index}.W"] = layer.weight_gradient
            if layer.bias_gradient is not None:
                grads[f"layers.{layer.index}.b"] = layer.bias_gradient
        return grads

    def format(self, precision: int = 4, max_rows: int = 8, max_columns: int = 8,
               unicode: bool = True) -> str:
        """Aligned tables of every quantity, with the equation of each.

        Parameters
        ----------
        precision : int
            Significant digits of each number.
        max_rows, max_columns : int
            Larger arrays show their first rows/columns and a count of those left out.
        unicode : bool
            Write δ, ∂, ⊙, η and Σ; ``False`` keeps plain ASCII.
        """
        for name, value in (("precision", precision), ("max_rows", max_rows),
                            ("max_columns", max_columns)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive integer, received: {value!r}")
        table = _Tables(precision, max_rows, max_columns)
        n = self.target.shape[0]
        lines = [
            f"Trace of one gradient-descent step: network {' -> '.join(map(str, self.sizes))}, "
            f"{n} sample{'s' if n != 1 else ''}, loss {self.loss}, learning rate "
            f"eta = {self.learning_rate:g}",
            "",
            "FORWARD PASS  (each layer: z = x W + b, a = f(z))",
        ]
        for layer in self.layers:
            lines.append("")
            lines.append(f"layer {layer.index + 1}: Dense {layer.in_features} -> "
                         f"{layer.out_features}, activation {layer.activation}")
            x_name = "x (network input)" if layer.index == 0 else \
                f"x = a of layer {layer.index}"
            lines += table.samples(x_name, layer.x, "x" if layer.index == 0 else "n")
            lines += table.samples("z = x W + b", layer.z)
            lines += table.samples(f"a = {layer.activation}(z)", layer.a)
        lines += [
            "",
            f"COST  {_LOSS_VALUES.get(self.loss, 'C')} = {self.cost:.{precision}g}",
        ]
        lines += table.samples("y (target)", self.target)
        lines += table.samples("e = a - y (output error)", self.output_error)
        lines += ["", "BACKWARD PASS  (from the output layer back to the first)"]
        for layer in reversed(self.layers):
            lines.append("")
            lines.append(f"layer {layer.index + 1}: Dense {layer.in_features} -> "
                         f"{layer.out_features}, activation {layer.activation}")
            if layer.activation_gradient is not None:
                is_output = layer is self.layers[-1]
                rule = _LOSS_GRADIENTS.get(self.loss, "dC/da") if is_output else \
                    f"dC/da = delta_{layer.index + 2} W_{layer.index + 2}^T"
                lines += table.samples(rule, layer.activation_gradient)
            lines += table.samples(layer.delta_rule, layer.delta)
            lines += table.weights("dC/dW = x^T delta", layer.weight_gradient)
            if layer.bias_gradient is not None:
                lines += table.vector("dC/db = sum_samples delta", layer.bias_gradient)
            lines += table.weights(f"Delta W = -eta dC/dW  (eta = {self.learning_rate:g})",
                                   layer.weight_change)
            if layer.bias_change is not None:
                lines += table.vector("Delta b = -eta dC/db", layer.bias_change)
        text = "\n".join(lines)
        if unicode:
            for plain, pretty in _PRETTY:
                text = text.replace(plain, pretty)
            text = text.replace("Delta ", "Δ")
        return text

    def __str__(self) -> str:
        return self.format()


class _Tables:
    """Render arrays as right-aligned tables under a heading line."""

    def __init__(self, precision: int, max_rows: int, max_columns: int) -> None:
        self.precision = precision
        self.max_rows = max_rows
        self.max_columns = max_columns

    def _cells(self, values: np.ndarray) -> list[str]:
        return [f"{float(v):.{self.precision}g}" for v in values]

    def _grid(self, row_labels: list[str], column_labels: list[str],
              rows: list[list[str]], indent: str = "      ") -> list[str]:
        width = max(len(cell) for cell in column_labels + [c for row in rows for c in row])
        label_width = max(len(label) for label in row_labels + [""])
        head = indent + " " * label_width + "  ".join(c.rjust(width + 2) for c in column_labels)
        body = [indent + label.ljust(label_width) + "  ".join(c.rjust(width + 2) for c in row)
                for label, row in zip(row_labels, rows)]
        return [head.rstrip()] + body

    def _matrix(self, heading: str, array: np.ndarray, row_name: str,
                column_name: str, shape: tuple[int, ...] | None = None) -> list[str]:
        n_rows, n_columns = array.shape
        shown_rows = min(n_rows, self.max_rows)
        shown_columns = min(n_columns, self.max_columns)
        column_labels = [f"{column_name}{j}" for j in range(shown_columns)]
        if shown_columns < n_columns:
            column_labels.append(f"+{n_columns - shown_columns}")
        rows = []
        for i in range(shown_rows):
            cells = self._cells(array[i, :shown_columns])
            if shown_columns < n_columns:
                cells.append("...")
            rows.append(cells)
        row_labels = [f"{row_name}{i}" if row_name else "" for i in range(shown_rows)]
        lines = [f"  {heading}    shape {array.shape if shape is None else shape}"]
        lines += self._grid(row_labels, column_labels, rows)
        if shown_rows < n_rows:
            lines.append(f"      ... {n_rows - shown_rows} more {row_name.strip()} rows")
        return lines

    def samples(self, heading: str, array: np.ndarray, column_name: str = "n") -> list[str]:
        """Rows are samples, columns neurons (or inputs)."""
        return self._matrix(heading, array, "sample ", column_name)

    def weights(self, heading: str, array: np.ndarray) -> list[str]:
        """Rows are inputs i, columns neurons j: entry (i, j) belongs to weight w_ij."""
        return self._matrix(heading, array, "in ", "n")

    def vector(self, heading: str, array: np.ndarray) -> list[str]:
        return self._matrix(heading, array.reshape(1, -1), "", "n", array.shape)


def trace(network: Network, x: Any, y: Any, learning_rate: float = 0.1) -> Trace:
    r"""Forward and backward pass of ``network`` on ``(x, y)``, every number recorded.

    Parameters
    ----------
    network : Network
        A network of :class:`~neuroflow.layers.Dense` layers; it is not modified (its
        layer caches are not touched either: the trace computes on its own).
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
    for index, layer in enumerate(network.layers):
        if not isinstance(layer, Dense):
            raise ValueError(f"network: trace supports Dense layers only, received "
                             f"layers[{index}] = {type(layer).__name__}")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) \
            or not np.isfinite(learning_rate) or learning_rate < 0:
        raise ValueError(f"learning_rate: expected a finite number >= 0, received: "
                         f"{learning_rate!r}")
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
            delta_rule=rule,
        ))
        delta_next = delta
    records.reverse()
    return Trace(layers=records, loss=loss.name, cost=float(cost), target=dense_target,
                 output_error=output - dense_target, learning_rate=float(learning_rate),
                 sizes=network.sizes)


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
