r"""The terminal rendering of a traced pass: aligned tables with the equation of each line.

:func:`format_trace` writes a :class:`~neuroflow.backprop.Trace` (the numbers of one
forward and backward pass, computed by the reference implementation
:func:`neuroflow.backprop.trace`) as text: the forward pass layer by layer, the cost, then
the backward pass from the output layer to the first, each quantity under its equation.
``print(nf.trace(...))`` and ``neuroflow explain`` show it.

Importing this module makes :func:`format_trace` the renderer of
:meth:`Trace.format <neuroflow.backprop.Trace.format>` and ``str(trace)`` (the package
imports it): the reference pass sits below its presentation and does not import it.
"""

from __future__ import annotations

import numpy as np

from neuroflow.backprop import Trace

__all__ = ["format_trace"]

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


def format_trace(trace: Trace, precision: int = 4, max_rows: int = 8, max_columns: int = 8,
                 unicode: bool = True) -> str:
    """Aligned tables of every quantity of ``trace``, with the equation of each.

    Parameters
    ----------
    trace : Trace
        What :func:`neuroflow.trace` returned.
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
    n = trace.target.shape[0]
    lines = [
        f"Trace of one gradient-descent step: network {' -> '.join(map(str, trace.sizes))}, "
        f"{n} sample{'s' if n != 1 else ''}, loss {trace.loss}, learning rate "
        f"eta = {trace.learning_rate:g}",
        "",
        "FORWARD PASS  (each layer: z = x W + b, a = f(z))",
    ]
    for layer in trace.layers:
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
        f"COST  {_LOSS_VALUES.get(trace.loss, 'C')} = {trace.cost:.{precision}g}",
    ]
    lines += table.samples("y (target)", trace.target)
    lines += table.samples("e = a - y (output error)", trace.output_error)
    lines += ["", "BACKWARD PASS  (from the output layer back to the first)"]
    for layer in reversed(trace.layers):
        lines.append("")
        lines.append(f"layer {layer.index + 1}: Dense {layer.in_features} -> "
                     f"{layer.out_features}, activation {layer.activation}")
        if layer.activation_gradient is not None:
            is_output = layer is trace.layers[-1]
            rule = _LOSS_GRADIENTS.get(trace.loss, "dC/da") if is_output else \
                f"dC/da = delta_{layer.index + 2} W_{layer.index + 2}^T"
            lines += table.samples(rule, layer.activation_gradient)
        lines += table.samples(layer.delta_rule, layer.delta)
        lines += table.weights("dC/dW = x^T delta", layer.weight_gradient)
        if layer.bias_gradient is not None:
            lines += table.vector("dC/db = sum_samples delta", layer.bias_gradient)
        lines += table.weights(f"Delta W = -eta dC/dW  (eta = {trace.learning_rate:g})",
                               layer.weight_change)
        if layer.bias_change is not None:
            lines += table.vector("Delta b = -eta dC/db", layer.bias_change)
    text = "\n".join(lines)
    if unicode:
        for plain, pretty in _PRETTY:
            text = text.replace(plain, pretty)
        text = text.replace("Delta ", "Δ")
    return text


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


# Trace.format and str(trace) render through this module (see the module docstring)
Trace.renderer = format_trace
