r"""The terminal rendering of a traced pass: aligned tables with the equation of each line.

:func:`format_trace` writes a :class:`~neuroflow.backprop.Trace` as text: the label,
prediction and probabilities of a classifier; the forward pass with ``W``, ``b`` and each
``z = x W + b`` split into the terms shown, the others and ``b``; the cost; the backward
pass; the cost after one step. A layer with many inputs shows the
:func:`informative_inputs`: the largest rows of :math:`\partial C/\partial W`.

Importing this module makes :func:`format_trace` the renderer of :meth:`Trace.format
<neuroflow.backprop.Trace.format>` and ``str(trace)`` (the reference pass sits below its
presentation and does not import it), and loads :mod:`neuroflow.explain_conv`, the text
of a network whose first layer is a convolution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroflow import explain_conv  # noqa: F401  (the text of a convolution's trace)
from neuroflow.backprop import LayerTrace, Trace

__all__ = ["format_trace", "informative_inputs"]

#: dC/da of each loss, as printed in the trace (n samples, k outputs), and C.
_LOSS_GRADIENTS = {"mse": "dC/da = 2 (a - y) / (n k)", "cross_entropy": "dC/da = -y / (n a)",
                   "binary_cross_entropy": "dC/da = (a - y) / (a (1 - a) n k)"}
_LOSS_VALUES = {
    "mse": "C = (1/(n k)) sum (a - y)^2",
    "cross_entropy": "C = -(1/n) sum y log a",
    "binary_cross_entropy": "C = -(1/(n k)) sum [y log a + (1 - y) log(1 - a)]",
}
_PRETTY = [("dC/d", "∂C/∂"), ("delta", "δ"), ("eta", "η"), (" * ", " ⊙ "), ("sum", "Σ"),
           ("^T", "ᵀ"), ("<-", "←"), ("Delta ", "Δ")]
_HEADINGS = {"p": "(the probability of every class; they add up to 1)",
             "a": "(the outputs a, not probabilities; the prediction is the largest output)",
             "multi": "(multi-label: output j is the probability that label j is on; "
                      "predicted on: p >= 0.5)"}
_WRAP = 10  # every output is shown up to this many; wider tables continue in blocks this wide


# ------------------------------------------------------------------ what to show
def informative_inputs(trace: Trace, count: int, layer: int = 0) -> list[int]:
    r"""The ``count`` inputs of layer ``layer`` with the largest rows of ``dC/dW``.

    The score of input ``i`` is the norm of row ``i`` of :math:`\partial C/\partial W =
    x^\top \delta`: the inputs whose weights the step changes most. An input that is 0 in
    every sample has an all-zero row and is only chosen when no row is nonzero. Ties go to
    the larger :math:`|\sum_s x_{si}\, \partial C/\partial x_{si}|`, then the smaller index.

    Parameters
    ----------
    trace : Trace
        What :func:`neuroflow.trace` returned.
    count : int
        How many inputs to return (at most ``in_features`` of the layer).
    layer : int
        Position of the layer (0: the network inputs; ``l``: the neurons of layer ``l - 1``).

    Returns
    -------
    list of int
        Input indices in ascending order; fewer than ``count`` when fewer rows are nonzero.
    """
    if not 0 <= _whole(layer, "layer") < len(trace.layers):
        raise ValueError(f"layer: expected a layer index from 0 to {len(trace.layers) - 1}, "
                         f"received {layer!r}")
    record = trace.layers[layer]
    if _whole(count, "count") < 1:
        raise ValueError(f"count: expected a positive whole number, received {count!r}")
    row_norm = np.linalg.norm(record.weight_gradient.astype(np.float64), axis=1)
    influence = np.zeros_like(row_norm)
    if record.weight is not None:
        input_gradient = record.delta.astype(np.float64) @ record.weight.astype(np.float64).T
        influence = np.abs((record.x * input_gradient).sum(axis=0))
    ranked = np.lexsort((np.arange(row_norm.size), -influence, -row_norm))
    nonzero = ranked[row_norm[ranked] > 0]
    chosen = (nonzero if nonzero.size else ranked)[:count]
    return sorted(int(i) for i in chosen)


# ------------------------------------------------------------------ the text
def format_trace(trace: Trace, precision: int = 4, max_rows: int = 8, max_columns: int = 8,
                 unicode: bool = True, *, inputs: Sequence[int] | None = None,
                 classes: Sequence[int] | None = None, class_names: Sequence[Any] | None = None,
                 image_shape: tuple[int, int] | None = None,
                 sample_indices: Sequence[int] | None = None, rate_source: str | None = None,
                 step_rule: str | None = None) -> str:
    """Aligned tables of every quantity of ``trace``, with the equation of each.

    Parameters
    ----------
    trace : Trace
        What :func:`neuroflow.trace` returned.
    precision, max_rows : int
        Significant digits of each number (-0 prints as 0); sample rows shown.
    max_columns : int
        Inputs and neurons shown per layer when there are more (the
        :func:`informative_inputs`; outputs beyond 10: the largest mean ``|a - y|``).
    unicode : bool
        Write δ, ∂, ⊙, η and Σ; ``False`` keeps plain ASCII.
    inputs, classes : sequence of int, optional
        The network inputs (rows of the first ``W``), the output neurons to show, in order.
    class_names : sequence, optional
        Names of the classes (``k`` of them; two for a single sigmoid output).
    image_shape : (rows, columns), optional
        The inputs are the pixels of such an image: each is also named ``(row, col)``.
    sample_indices : sequence of int, optional
        The samples' positions in their data set, which label the rows (default 0..n-1).
    rate_source, step_rule : str, optional
        Where eta came from (``"given"``, ``"the model's own"``); what the weight change
        is when not ``-eta dC/dW`` (an optimiser's step).
    """
    for name, value in (("precision", precision), ("max_rows", max_rows),
                        ("max_columns", max_columns)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, received: {value!r}")
    n = trace.target.shape[0]
    first, last = trace.layers[0], trace.layers[-1]
    shown = [_indices(inputs, first.in_features, "inputs") if inputs is not None
             else _default_inputs(trace, 0, max_columns)]
    shown += [_default_inputs(trace, index, max_columns) for index in range(1, len(trace.layers))]
    shown.append(_indices(classes, last.out_features, "classes") if classes is not None
                 else _default_classes(trace, max_columns))
    samples = list(range(n)) if sample_indices is None else [int(s) for s in sample_indices]
    if len(samples) != n:
        raise ValueError(f"sample_indices: expected {n} indices (one per sample), received "
                         f"{len(samples)}")
    if image_shape is not None and int(np.prod(image_shape)) != first.in_features:
        raise ValueError(f"image_shape: expected a shape of {first.in_features} pixels, "
                         f"received {tuple(image_shape)}")
    table = _Tables(precision, max_rows, samples, unicode)
    say = table.say
    lines = [
        f"Trace of one gradient-descent step: network {' -> '.join(map(str, trace.sizes))}, "
        f"{n} sample{'s' if n != 1 else ''}, loss {trace.loss}, learning rate "
        + say(f"eta = {trace.learning_rate:g}") + (f", {rate_source}" if rate_source else "")]
    lines += _prediction(trace, table, class_names)
    lines += ["", "FORWARD PASS  (each layer: z = x W + b, a = f(z))"]
    for index, layer in enumerate(trace.layers):
        rows, columns = shown[index], shown[index + 1]
        lines += ["", _title(layer)] + (_choice_note(trace, rows, inputs is not None,
                                                      image_shape, say) if index == 0 else [])
        if len(columns) < layer.out_features:
            why = ("chosen" if classes is not None else "those with the largest mean |a - y|")\
                if layer is last else f"those with the largest rows of dC/dW in layer {index + 2}"
            lines.append(say(f"  neurons shown: {len(columns)} of {layer.out_features} "
                             f"({why})"))
        picture = image_shape if index == 0 else None  # the inputs are its pixels
        lines += table.samples("x (network input)" if index == 0 else f"x = a of layer {index}",
                               layer.x, rows, "x" if index == 0 else "n", _pixels(rows, picture))
        labels = _row_labels(rows, picture)
        if layer.weight is not None:
            lines += table.weights("W  (row i: input i; column j: neuron j)", layer.weight,
                                   rows, columns, labels)
        if layer.bias is not None:
            lines += table.vector("b", layer.bias, columns)
        lines += table.samples("z = x W + b", layer.z, columns)
        if layer.weight is not None:
            lines += _check(trace, index, rows, columns, table)
        lines += table.samples(f"a = {layer.activation}(z)", layer.a, columns)
    lines += ["", say(f"COST  {_LOSS_VALUES.get(trace.loss, 'C')} = ") + table.number(trace.cost)]
    lines += table.samples("y (target)", trace.target, shown[-1])
    lines += table.samples("e = a - y (output error)", trace.output_error, shown[-1])
    lines += ["", "BACKWARD PASS  (from the output layer back to the first)"]
    for index in range(len(trace.layers) - 1, -1, -1):
        layer = trace.layers[index]
        rows, columns = shown[index], shown[index + 1]
        labels = _row_labels(rows, image_shape if index == 0 else None)
        lines += ["", _title(layer)]
        if layer.activation_gradient is not None:
            rule = _LOSS_GRADIENTS.get(trace.loss, "dC/da") if layer is last else \
                f"dC/da = delta_{index + 2} W_{index + 2}^T"
            lines += table.samples(rule, layer.activation_gradient, columns)
        lines += table.samples(layer.delta_rule, layer.delta, columns)
        lines += table.weights("dC/dW = x^T delta", layer.weight_gradient, rows, columns,
                               labels, _zero_rows(layer, rows))
        if layer.bias_gradient is not None:
            lines += table.vector("dC/db = sum_samples delta", layer.bias_gradient, columns)
        steps = ("-eta dC/dW", "-eta dC/db") if step_rule is None else (step_rule,) * 2
        lines += table.weights(f"Delta W = {steps[0]}  (eta = {trace.learning_rate:g})",
                               layer.weight_change, rows, columns, labels)
        if layer.bias_change is not None:
            lines += table.vector(f"Delta b = {steps[1]}", layer.bias_change, columns)
    lines += _after_step(trace, table)
    return "\n".join(lines)


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected a whole number, received {value!r}")
    return int(value)


def _indices(values: Sequence[int], size: int, name: str) -> list[int]:
    chosen = [_whole(value, name) for value in values]
    bad = [value for value in chosen if not 0 <= value < size]
    if not chosen or bad or len(set(chosen)) != len(chosen):
        raise ValueError(f"{name}: expected distinct indices from 0 to {size - 1}, received "
                         f"{list(values)!r}")
    return chosen


def _default_inputs(trace: Trace, layer: int, count: int) -> list[int]:
    size = trace.layers[layer].in_features
    return list(range(size)) if size <= count else informative_inputs(trace, count, layer)


def _default_classes(trace: Trace, count: int) -> list[int]:
    k = trace.layers[-1].out_features
    if k <= max(_WRAP, count):
        return list(range(k))
    error = np.abs(trace.output_error.astype(np.float64)).mean(axis=0)
    return sorted(int(j) for j in np.argsort(-error, kind="stable")[:count])


def _title(layer: LayerTrace) -> str:
    return f"layer {layer.index + 1}: Dense {layer.in_features} -> {layer.out_features}, " \
        f"activation {layer.activation}"


def _pixels(rows: list[int], image_shape: tuple[int, int] | None) -> list[str] | None:
    """``(row,col)`` of each input in ``rows`` of an image (``None``: not an image)."""
    return None if image_shape is None else \
        [f"({i // image_shape[1]},{i % image_shape[1]})" for i in rows]


def _row_labels(rows: list[int], image_shape: tuple[int, int] | None) -> list[str]:
    pixels = _pixels(rows, image_shape) or [""] * len(rows)
    return [f"in {i} {pixel}".rstrip() for i, pixel in zip(rows, pixels)]


def _choice_note(trace: Trace, rows: list[int], given: bool,
                 image_shape: tuple[int, int] | None, say: Any) -> list[str]:
    """Which inputs are shown and why, when not all of them are."""
    first = trace.layers[0]
    notes = [] if image_shape is None else [
        f"  the inputs are the pixels of a {image_shape[0]} x {image_shape[1]} image: input i "
        f"is pixel (row, col) = (i // {image_shape[1]}, i % {image_shape[1]})"]
    if len(rows) < first.in_features:
        zero = int((~np.any(first.x != 0, axis=0)).sum())
        why = "chosen" if given else "those with the largest rows of dC/dW"
        notes.append(say(f"  inputs shown: {len(rows)} of {first.in_features} ({why}); "
                         f"{zero} inputs are 0 in every sample, so their rows of "
                         "dC/dW = x^T delta are 0"))
    return notes


def _prediction(trace: Trace, table: _Tables, class_names: Sequence[Any] | None
                ) -> list[str]:
    """Label, prediction and every class's probability, sample by sample: a softmax or a
    single sigmoid output; several sigmoids with binary cross-entropy (multi-label: each
    label's own probability, on at p >= 0.5); another cost on one-hot class labels (the
    outputs, the largest being the prediction). Nothing for regression."""
    probabilities, target = trace.probabilities, trace.target
    multi = probabilities is None and trace.loss == "binary_cross_entropy"
    one_hot = target.shape[1] > 1 and bool(np.all(((target == 0) | (target == 1))
                                                  & (target.sum(axis=1, keepdims=True) == 1)))
    if probabilities is None and not (multi or one_hot):
        return []  # regression
    a = trace.output if probabilities is None else probabilities
    k, symbol = a.shape[1], "a" if probabilities is None and not multi else "p"
    if class_names is not None and len(class_names) != k:
        raise ValueError(f"class_names: expected {k} names, one per class: {len(class_names)}")
    names = [str(name) for name in (class_names if class_names is not None else range(k))]
    target = target if k == target.shape[1] else np.hstack([1 - target, target])
    lines = ["", "PREDICTION  " + _HEADINGS["multi" if multi else symbol]]
    for row, sample in enumerate(table.samples_shown):
        if multi:
            on, guess = target[row] >= 0.5, a[row] >= 0.5
            sets = ["{" + ", ".join(names[j] for j in np.flatnonzero(m)) + "}" for m in (on, guess)]
            text, right = f"labels on {sets[0]}, prediction {sets[1]}", bool((on == guess).all())
        else:
            label, best = int(np.argmax(target[row])), int(np.argmax(a[row]))
            text, right = (f"label {names[label]}, prediction {names[best]} "
                           f"({symbol} = {table.number(a[row, best])})"), label == best
        lines.append(f"  sample {sample}: {text}, {'correct' if right else 'wrong'}")
    return lines + table.samples(symbol, a, list(range(k)), labels=names)[1:]


def _check(trace: Trace, layer: int, rows: list[int], columns: list[int],
           table: _Tables) -> list[str]:
    """``z_j = shown + others + b_j`` of the first sample, for the neurons shown."""
    shown, others, bias = trace.layers[layer].weighted_sum_terms(rows)
    z = trace.layers[layer].z[0].astype(np.float64)
    sample = table.samples_shown[0]
    rest = trace.layers[layer].in_features - len(rows)
    if rest:
        heading = (f"  check z_j = (sum_i x_i W_ij over the {len(rows)} inputs shown) + "
                   f"(the same over the other {rest}) + b_j, sample {sample}")
        head, parts = ["shown", "others", "b_j", "z_j"], [shown, others, bias, z]
    else:
        heading = f"  check z_j = (sum_i x_i W_ij over every input i) + b_j, sample {sample}"
        head, parts = ["sum", "b_j", "z_j"], [shown, bias, z]
    cells = [[table.number(part[j]) for part in parts] for j in columns]
    return [table.say(heading)] + table.grid([f"n{j}" for j in columns], head, cells)


def _zero_rows(layer: LayerTrace, rows: list[int]) -> int:
    """Rows of ``dC/dW`` not shown that are all zero."""
    hidden = ~np.isin(np.arange(layer.in_features), rows)
    return int((~np.any(layer.weight_gradient[hidden] != 0, axis=1)).sum())


def _after_step(trace: Trace, table: _Tables) -> list[str]:
    before, after = trace.cost_before_step, trace.cost_after_step
    if not (np.isfinite(before) and np.isfinite(after)):
        return []
    change = after - before
    verdict = (f"the cost went {'down' if change < 0 else 'up'} by "
               f"{table.number(abs(change))}" if change else "the cost did not change")
    return ["", table.say(f"AFTER ONE STEP  (W <- W + Delta W and b <- b + Delta b in every "
                          f"layer, eta = {trace.learning_rate:g}, on a float64 copy; the "
                          "network is not changed)"),
            f"  C before = {table.number(before)}, C after = {table.number(after)}: {verdict}"]


class _Tables:
    """Render arrays as right-aligned tables under a heading line."""

    def __init__(self, precision: int, max_rows: int, samples: list[int],
                 unicode: bool) -> None:
        self.precision = precision
        self.samples_shown = samples[:max_rows]
        self.sample_count = len(samples)
        self.unicode = unicode

    def say(self, text: str) -> str:
        """``text`` with δ, ∂, η, Σ ... when writing Unicode."""
        if self.unicode:
            for plain, pretty in _PRETTY:
                text = text.replace(plain, pretty)
        return text

    def number(self, value: Any) -> str:
        """``value`` to the precision; a negative zero is written 0."""
        return f"{float(value) + 0.0:.{self.precision}g}"

    def grid(self, row_labels: list[str], column_labels: list[str], rows: list[list[str]],
             sub_labels: list[str] | None = None) -> list[str]:
        cells = column_labels + (sub_labels or []) + [c for row in rows for c in row]
        width = max(len(cell) for cell in cells) + 2
        indent = "      " + " " * max(len(label) for label in row_labels + [""])
        lines = [indent + "  ".join(c.rjust(width) for c in column_labels)]
        if sub_labels:
            lines.append(indent + "  ".join(c.rjust(width) for c in sub_labels))
        lines += ["      " + label.ljust(len(indent) - 6) + "  ".join(c.rjust(width)
                                                                     for c in row)
                  for label, row in zip(row_labels, rows)]
        return [line.rstrip() for line in lines]

    def _matrix(self, heading: str, array: np.ndarray, rows: list[int], row_labels: list[str],
                columns: list[int], column_labels: list[str], sub_labels: list[str] | None
                ) -> list[str]:
        cells = [[self.number(array[i, j]) for j in columns] for i in rows]
        left = array.shape[1] - len(columns)
        lines = [f"  {self.say(heading)}    shape {array.shape}"]
        for start in range(0, len(columns), _WRAP):  # blocks of at most _WRAP columns
            part = slice(start, start + _WRAP)
            labels, block = column_labels[part], [row[part] for row in cells]
            notes = sub_labels[part] if sub_labels else None
            if left and start + _WRAP >= len(columns):  # the columns left out, counted
                labels, block = labels + [f"+{left}"], [row + ["..."] for row in block]
                notes = notes + [""] if notes else None
            lines += self.grid(row_labels, labels, block, notes)
        return lines

    def samples(self, heading: str, array: np.ndarray, columns: list[int],
                column_name: str = "n", sub_labels: list[str] | None = None,
                labels: list[str] | None = None) -> list[str]:
        """Rows are samples, columns the neurons (or inputs) ``columns``."""
        rows = list(range(len(self.samples_shown)))
        lines = self._matrix(heading, array, rows, [f"sample {s}" for s in self.samples_shown],
                             columns, labels or [f"{column_name}{j}" for j in columns],
                             sub_labels)
        if self.sample_count > len(rows):
            lines.append(f"      ... {self.sample_count - len(rows)} more sample rows")
        return lines

    def weights(self, heading: str, array: np.ndarray, rows: list[int], columns: list[int],
                row_labels: list[str], zero_rows: int | None = None) -> list[str]:
        """Rows are inputs i, columns neurons j: entry (i, j) belongs to weight w_ij."""
        lines = self._matrix(heading, array, rows, row_labels, columns,
                             [f"n{j}" for j in columns], None)
        left = array.shape[0] - len(rows)
        if left:
            zeros = f" ({zero_rows} of them all 0)" if zero_rows else ""
            lines.append(f"      ... {left} more in rows{zeros}")
        return lines

    def vector(self, heading: str, array: np.ndarray, columns: list[int]) -> list[str]:
        lines = self._matrix(heading, array.reshape(1, -1), [0], [""], columns,
                             [f"n{j}" for j in columns], None)
        lines[0] = f"  {self.say(heading)}    shape {array.shape}"
        return lines


# Trace.format and str(trace) render through this module (see the module docstring)
Trace.renderer = format_trace
