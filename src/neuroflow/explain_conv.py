"""The text of a :class:`~neuroflow.receptive_field.ConvolutionTrace`: one receptive field
of one filter, checkable by hand, and the gradient of its kernel.

Importing this module (:mod:`neuroflow.explain` does) makes
:func:`format_convolution_trace` the renderer of :meth:`ConvolutionTrace.format
<neuroflow.receptive_field.ConvolutionTrace.format>` and ``str(trace)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroflow.receptive_field import ConvolutionTrace, ReceptiveField

__all__ = ["format_convolution_trace"]

_PRETTY = [("dC/d", "∂C/∂"), ("delta", "δ"), ("eta", "η"), ("sum", "Σ"), ("Delta ", "Δ"),
           ("x.K", "x·K"), (" * ", " · ")]


def format_convolution_trace(trace: ConvolutionTrace, precision: int = 4, unicode: bool = True,
                             *, filter: int = 0, position: Sequence[int] | None = None,
                             sample: int = 0, class_names: Sequence[Any] | None = None,
                             sample_indices: Sequence[int] | None = None,
                             rate_source: str | None = None,
                             step_rule: str | None = None) -> str:
    """One receptive field of ``trace`` as text: where the window lies in the image (a
    map of at most 64 x 64 pixels), the patch, the kernel, the bias and
    ``z = sum x K + b`` with the layer's own ``z``; ``delta`` there, this position's part
    of ``dC/dK``, the whole ``dC/dK`` and the step; the prediction and the cost.

    Parameters
    ----------
    trace : ConvolutionTrace
    precision : int
        Significant digits of each number (-0 prints as 0).
    unicode : bool
        Write δ, ∂, η, Σ and ·; ``False`` keeps plain ASCII.
    filter, position, sample
        Which receptive field (:meth:`ConvolutionTrace.receptive_field`).
    class_names : sequence, optional
        Names of the classes.
    sample_indices : sequence of int, optional
        The samples' positions in their data set (default 0..n-1).
    rate_source, step_rule : str, optional
        Where eta came from; what the change is when not ``-eta dC/dK``.
    """
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 1:
        raise ValueError(f"precision: expected a positive integer, received: {precision!r}")
    field_ = trace.receptive_field(filter, position, sample)
    n = trace.network_output.shape[0]
    labels = list(range(n)) if sample_indices is None else [int(s) for s in sample_indices]
    if len(labels) != n:
        raise ValueError(f"sample_indices: expected {n} indices (one per sample), received "
                         f"{len(labels)}")

    def say(text: str) -> str:
        if unicode:
            for plain, pretty in _PRETTY:
                text = text.replace(plain, pretty)
        return text

    def number(value: Any) -> str:
        return f"{float(value) + 0.0:.{precision}g}"

    f, channels = field_.filter, field_.patch.shape[0]
    kh, kw = field_.patch.shape[1:]
    rows = [f"row {field_.top + u}" for u in range(kh)]
    columns = [f"col {field_.left + v}" for v in range(kw)]
    offsets_rows, offsets_columns = [f"u={u}" for u in range(kh)], [f"v={v}" for v in range(kw)]

    def grids(heading: str, array: np.ndarray, row_names: list[str],
              column_names: list[str]) -> list[str]:
        lines = []
        for c in range(channels):
            lines.append(say(f"  {heading}" + (f", channel {c}" if channels > 1 else "")))
            lines += _grid(row_names, column_names, [[number(v) for v in row] for row in array[c]])
        return lines

    network = " -> ".join(trace.layer_names)
    lines = [say(f"Trace of one gradient-descent step: network {network}, {n} "
                 f"sample{'s' if n != 1 else ''}, loss {trace.loss}, learning rate "
                 f"eta = {trace.learning_rate:g}") + (f", {rate_source}" if rate_source else "")]
    lines += _prediction(trace, labels, class_names, number)
    lines += ["", say(f"COST  C = {number(trace.cost)}")]
    sample_name = labels[field_.sample]
    lines += ["", f"RECEPTIVE FIELD  layer 1: {trace.description}",
              f"  filter {f} at output position (row {field_.row}, column {field_.column}) of "
              f"sample {sample_name}: {field_.chosen} (choose another with filter= and "
              "position=, or --filter and --position)",
              f"  it sees input rows {field_.top}..{field_.top + kh - 1}, columns "
              f"{field_.left}..{field_.left + kw - 1}"
              + (" (outside the image: zero padding)" if _outside(trace, field_) else "")
              + f" of {channels} channel{'s' if channels != 1 else ''}: {channels} x {kh} x "
              f"{kw} = {field_.patch.size} numbers"]
    lines += _where(trace.images[field_.sample], field_)
    lines += grids("x  (the input patch)", field_.patch, rows, columns)
    lines += grids(f"K  (the kernel of filter {f})", field_.kernel, offsets_rows,
                   offsets_columns)
    lines += grids("x * K  (term by term)", field_.patch * field_.kernel, rows, columns)
    bias_text = number(field_.bias) if trace.bias is not None else "0 (no bias)"
    bias_term = f"({number(field_.bias)})" if field_.bias < 0 else number(field_.bias)
    lines += [f"  b = {bias_text}  (the bias of filter {f})",
              say(f"  z = sum x.K + b = {number(field_.weighted_sum)} + {bias_term} = "
                  f"{number(field_.weighted_sum + field_.bias)}"),
              f"  the layer's own z at this position: {number(field_.z)}",
              f"  a = {trace.activation}(z) = {number(field_.a)}"]
    steps = ("-eta dC/dK", "-eta dC/db") if step_rule is None else (step_rule,) * 2
    positions = int(np.prod(trace.z.shape[2:]))
    lines += ["", f"BACKWARD PASS  (the kernel of filter {f}: its gradient and the step)",
              say(f"  delta = dC/dz of filter {f} at this position = {number(field_.delta)}")]
    lines += grids("delta * x  (this position's part of dC/dK)", field_.contribution,
                   offsets_rows, offsets_columns)
    lines += grids(f"dC/dK = sum over the {n} sample{'s' if n != 1 else ''} and {positions} "
                   "positions of delta * x", field_.kernel_gradient, offsets_rows,
                   offsets_columns)
    if field_.bias_gradient is not None:
        lines.append(say(f"  dC/db = sum of delta = {number(field_.bias_gradient)}"))
    lines += grids(f"Delta K = {steps[0]}  (eta = {trace.learning_rate:g})",
                   field_.kernel_change, offsets_rows, offsets_columns)
    if field_.bias_change is not None:
        lines.append(say(f"  Delta b = {steps[1]} = {number(field_.bias_change)}"))
    before, after = trace.cost_before_step, trace.cost_after_step
    if np.isfinite(before) and np.isfinite(after):
        change = after - before
        verdict = (f"the cost went {'down' if change < 0 else 'up'} by {number(abs(change))}"
                   if change else "the cost did not change")
        lines += ["", say(f"AFTER ONE STEP  (every parameter of every layer changed, eta = "
                          f"{trace.learning_rate:g}, on a float64 copy; the network is not "
                          "changed)"),
                  f"  C before = {number(before)}, C after = {number(after)}: {verdict}"]
    return "\n".join(say(line) for line in lines)


#: Shades of the image map, from the lowest value to the highest.
_SHADES = " .:+#"


def _where(image: np.ndarray, field_: ReceptiveField) -> list[str]:
    """The sample's image (mean over channels) with the window framed; nothing for an
    image wider or taller than 64."""
    picture = image.astype(np.float64).mean(axis=0)
    height, width = picture.shape
    if height > 64 or width > 64:
        return []
    low, high = float(picture.min()), float(picture.max())
    level = np.zeros_like(picture) if high == low else (picture - low) / (high - low)
    shade = np.minimum((level * len(_SHADES)).astype(int), len(_SHADES) - 1)
    kh, kw = field_.patch.shape[1:]
    top, left, bottom, right = field_.top, field_.left, field_.top + kh, field_.left + kw
    first_column, last_column = min(0, left), max(width, right)
    # each pixel is drawn as two characters, the edge before it and its shade
    frame = "    " + "".join(("-" if left <= c <= right else " ")
                             + ("-" if left <= c < right else " ")
                             for c in range(first_column, last_column))
    frame += "-" if right == last_column else ""
    lines = [f"  where: the image (mean over its channels; '{_SHADES}' from low to high, "
             "0: zero padding), the window framed"]
    for r in range(min(0, top), max(height, bottom)):
        if r == top:
            lines.append(frame.rstrip())
        cells = []
        for c in range(first_column, last_column):
            edge = top <= r < bottom and c in (left, right)
            inside = 0 <= r < height and 0 <= c < width
            cells.append(("|" if edge else " ") + (_SHADES[shade[r, c]] if inside else "0"))
        end = "|" if top <= r < bottom and right == last_column else ""
        lines.append(("    " + "".join(cells) + end).rstrip())
        if r == bottom - 1:
            lines.append(frame.rstrip())
    return lines


def _outside(trace: ConvolutionTrace, field_: ReceptiveField) -> bool:
    kh, kw = field_.patch.shape[1:]
    height, width = trace.images.shape[2:]
    return field_.top < 0 or field_.left < 0 or field_.top + kh > height or \
        field_.left + kw > width


def _grid(row_names: list[str], column_names: list[str], cells: list[list[str]]) -> list[str]:
    width = max(len(text) for text in column_names + [c for row in cells for c in row]) + 2
    indent = max(len(name) for name in row_names) + 6
    lines = [" " * indent + "".join(name.rjust(width) for name in column_names)]
    lines += [("      " + name).ljust(indent) + "".join(c.rjust(width) for c in row)
              for name, row in zip(row_names, cells)]
    return lines


def _prediction(trace: ConvolutionTrace, labels: list[int],
                class_names: Sequence[Any] | None, number: Any) -> list[str]:
    """Label, prediction and every class's probability of a classifier, per sample."""
    probabilities = trace.probabilities
    if probabilities is None:
        return []
    k = probabilities.shape[1]
    if class_names is not None and len(class_names) != k:
        raise ValueError(f"class_names: expected {k} names, one per class: {len(class_names)}")
    names = [str(name) for name in (class_names if class_names is not None else range(k))]
    target = trace.target if trace.target.shape[1] == k else \
        np.hstack([1 - trace.target, trace.target])
    lines = ["", "PREDICTION  (the probability of every class; they add up to 1)"]
    for row, label in enumerate(labels):
        truth, best = int(np.argmax(target[row])), int(np.argmax(probabilities[row]))
        lines.append(f"  sample {label}: label {names[truth]}, prediction {names[best]} "
                     f"(p = {number(probabilities[row, best])}), "
                     f"{'correct' if truth == best else 'wrong'}")
    lines += _grid([f"sample {label}" for label in labels], names,
                   [[number(v) for v in row] for row in probabilities])
    return lines


# ConvolutionTrace.format and str(trace) render through this module
ConvolutionTrace.text_renderer = format_convolution_trace
