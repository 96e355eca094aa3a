"""What a model is: the list of a network's saved fields, and the few operations on that
state which do not need the file format (adopting another network's state, the
callback states to save). :mod:`neuroflow.io` turns the same fields into a file.
"""

from __future__ import annotations

import html
from typing import Any

from neuroflow import backend as _backend

__all__ = ["STATE_FIELDS", "TRANSIENT_FIELDS", "adopt", "rebind_random_generator",
           "callback_states_now", "summary_table", "summary_html"]

#: Everything a model is: every attribute of a :class:`~neuroflow.network.Network` that
#: :func:`neuroflow.io.capture` saves (and so ``Network.copy``, ``save``/``load`` and
#: resuming carry). ``layers`` includes each layer's parameters and state.
STATE_FIELDS = ("layers", "loss", "dtype", "seed", "rng", "optimizer", "epochs_trained",
                "history", "training_run", "preprocessing", "class_names", "feature_names",
                "callback_states")
#: Attributes that describe a running process, not the model; never saved.
TRANSIENT_FIELDS = ("backend", "stop_training", "_callbacks", "_output", "parameter_buffer")


def adopt(network: Any, other: Any) -> None:
    """Give ``network`` every field of :data:`STATE_FIELDS` of ``other`` (same
    architecture), keeping ``network``'s layer objects: what resuming does."""
    for mine, theirs in zip(network.layers, other.layers):
        mine.load_state({k: _backend.to_numpy(v).copy() for k, v in theirs.state().items()})
    for name in STATE_FIELDS:
        if name not in ("layers", "loss", "dtype"):
            setattr(network, name, getattr(other, name))
    rebind_random_generator(network)
    if network.backend != "numpy":
        network.to_backend(network.backend)
    else:
        network.pack_parameters()


def rebind_random_generator(network: Any) -> None:
    """Point the layers that draw random numbers (Dropout) at ``network.rng``, after it
    was replaced (loading, resuming)."""
    for layer in network.layers:
        if getattr(layer, "rng", None) is not None:
            layer.rng = network.rng


def callback_states_now(network: Any) -> list[dict[str, Any]] | None:
    """The callback states to save now: those of the callbacks of a running ``fit``,
    else ``network.callback_states``."""
    if network._callbacks:
        return [{"type": type(c).__name__, "state": c.get_state()} for c in network._callbacks]
    return network.callback_states


def _summary_rows(network: Any) -> list[tuple[str, ...]]:
    """The header and one row per layer: index, class, activation, output shape, parameters."""
    rows: list[tuple[str, ...]] = [("#", "layer", "activation", "output shape", "parameters")]
    for i, layer in enumerate(network.layers):
        activation = getattr(getattr(layer, "activation", None), "name", "-")
        rows.append((str(i), type(layer).__name__, activation,
                     f"(None, {', '.join(map(str, layer.output_shape))})",
                     f"{layer.parameter_count:,}"))
    return rows


def summary_table(network: Any) -> str:
    """A table of the layers, output shapes and parameter counts of ``network``."""
    rows = _summary_rows(network)
    widths = [max(len(row[c]) for row in rows) for c in range(5)]
    rule = "-" * (sum(widths) + 2 * 4)
    lines = [f"Network: {' -> '.join(str(s) for s in network.sizes)}", rule]
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) if c < 3 else cell.rjust(w)
                               for c, (cell, w) in enumerate(zip(row, widths))))
        if n == 0:
            lines.append(rule)
    lines += [rule, f"loss: {network.loss.name}    dtype: {network.dtype.name}    "
                    f"trainable parameters: {network.parameter_count:,}"]
    return "\n".join(lines)


def summary_html(network: Any) -> str:
    """:func:`summary_table` as an HTML table (what Jupyter shows for a network): one row
    per layer, then the totals (parameters, loss, dtype) in the footer."""
    rows = _summary_rows(network)
    cells = [[html.escape(cell) for cell in row] for row in rows]
    align = ['style="text-align:left"'] * 3 + ['style="text-align:right"'] * 2
    head = "".join(f"<th {a}>{c}</th>" for a, c in zip(align, cells[0]))
    body = "".join("<tr>" + "".join(f"<td {a}>{c}</td>" for a, c in zip(align, row))
                   + "</tr>" for row in cells[1:])
    sizes = " &rarr; ".join(str(size) for size in network.sizes)
    totals = (f"trainable parameters: <b>{network.parameter_count:,}</b> &middot; loss: "
              f"{html.escape(network.loss.name)} &middot; dtype: {network.dtype.name}")
    return (f'<table class="neuroflow-summary"><caption>Network: {sizes}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            f'<tfoot><tr><td colspan="5">{totals}</td></tr></tfoot></table>')
