r"""The same network trained with several learning rates and optimisers: a results table.

:func:`sweep` trains one copy of a network per (optimiser, learning rate) pair. Every
copy starts from the same weights (:meth:`~neuroflow.network.Network.copy`) and draws
the same mini-batches (its generator is reseeded with ``seed``), so the rows differ in
the optimiser and :math:`\eta` alone. Each row records the training cost

.. math:: C_t = C(w_t; x, y), \qquad t = 0, 1, \dots, T,

before training (:math:`t = 0`) and after each of the :math:`T` epochs, computed on the
whole training set with the weights of that moment (not the running mean over the
epoch's batches that ``fit`` logs), and names what the path did with
:func:`~neuroflow.experiments.behaviour.classify`, the floor :math:`C^\star` being the
lowest final cost of all rows. A run whose loss becomes NaN or infinite is a row too:
its costs end with ``inf`` and it "diverges".

:func:`to_csv`, :func:`to_markdown` and :func:`to_table` format the rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroflow import optimizers as _optimizers
from neuroflow._validation import positive_int
from neuroflow.errors import TrainingDivergedError
from neuroflow.experiments.behaviour import classify
from neuroflow.hooks import Callback
from neuroflow.network import Network

__all__ = ["SweepRow", "sweep", "reseeded_copy", "sweep_rows", "to_csv", "to_markdown",
           "to_table", "MAX_RATES", "MAX_OPTIMIZERS"]

#: At most this many learning rates, and optimisers, per sweep (the rows are their product).
MAX_RATES = 8
MAX_OPTIMIZERS = 4

_COLUMNS = ("optimizer", "learning_rate", "final_loss", "accuracy", "behaviour")


@dataclass(frozen=True)
class SweepRow:
    """One training run of a sweep.

    Attributes
    ----------
    optimizer : str
        The optimiser's registered name (``"sgd"``, ``"adam"``, ...).
    learning_rate : float
        :math:`\\eta`.
    losses : tuple of float, length T + 1
        The training cost before training and after each epoch; a run that diverged
        ends with ``inf`` after its last good epoch.
    final_loss : float
        ``losses[-1]`` (``inf`` for a diverged run).
    accuracy : float or None
        The fraction classified right after training (on the validation data when
        given, else on the training data); ``None`` for a regression or a diverged run.
    behaviour : str
        ``"crawls"``, ``"converges"``, ``"oscillates"`` or ``"diverges"``.
    """

    optimizer: str
    learning_rate: float
    losses: tuple[float, ...]
    final_loss: float
    accuracy: float | None
    behaviour: str


class _TrainingCost(Callback):
    """Appends the whole training set's cost to ``costs`` at the end of every epoch."""

    def __init__(self, x: Any, y: Any, costs: list[float]) -> None:
        super().__init__()
        self.x, self.y, self.costs = x, y, costs

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        assert self.network is not None
        self.costs.append(float(self.network.evaluate(self.x, self.y)["loss"]))


def _check_rates(learning_rates: Any) -> list[float]:
    rates = list(learning_rates) if isinstance(learning_rates, (list, tuple, np.ndarray)) \
        else None
    if not rates or len(rates) > MAX_RATES:
        raise ValueError(f"learning_rates: expected 1 to {MAX_RATES} positive numbers, "
                         f"received {learning_rates!r}")
    for rate in rates:
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) \
                or not math.isfinite(rate) or rate <= 0:
            raise ValueError(f"learning_rates: expected positive finite numbers, received "
                             f"{rate!r}")
    return [float(rate) for rate in rates]


def _check_optimizers(optimizers: Any) -> list[str]:
    names = [optimizers] if isinstance(optimizers, str) else list(optimizers) \
        if isinstance(optimizers, (list, tuple)) else None
    if not names or len(names) > MAX_OPTIMIZERS:
        raise ValueError(f"optimizers: expected 1 to {MAX_OPTIMIZERS} optimiser names, "
                         f"received {optimizers!r}")
    known = _optimizers.names()
    for name in names:
        if not isinstance(name, str) or name.lower() not in known:
            raise ValueError(f"optimizers: expected names among {', '.join(known)}, "
                             f"received {name!r}")
    return [name.lower() for name in names]


def sweep(network: Network, x: Any, y: Any, learning_rates: Sequence[float] = (0.01, 0.1, 1.0),
          optimizers: Sequence[str] = ("sgd",), *, epochs: int = 10, batch_size: int = 32,
          validation_data: tuple[Any, Any] | None = None, seed: int = 0) -> list[SweepRow]:
    """Train copies of ``network`` with every optimiser and learning rate.

    Parameters
    ----------
    network : Network
        The starting point; it is not changed. Every row trains a copy of it.
    x : array (n_samples, in_features)
        Training inputs.
    y : array (n_samples,) or (n_samples, k)
        Training targets, as :meth:`Network.fit` takes them.
    learning_rates : sequence of float
        1 to :data:`MAX_RATES` positive finite rates :math:`\\eta`.
    optimizers : sequence of str
        1 to :data:`MAX_OPTIMIZERS` registered optimiser names.
    epochs : int
        Epochs per run, :math:`T`.
    batch_size : int
        Samples per gradient step.
    validation_data : (x_val, y_val), optional
        Where the accuracy is measured; default the training data.
    seed : int
        Seed of every copy's generator: the same shuffles (and dropout masks) in every row.

    Returns
    -------
    list of SweepRow
        One row per pair, optimisers in the outer loop, rates in the given order.

    Raises
    ------
    ValueError
        For an empty, too long or invalid list of rates or optimisers, or invalid data.
    """
    rates = _check_rates(learning_rates)
    names = _check_optimizers(optimizers)
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, received {seed!r}")
    start = float(network.evaluate(x, y)["loss"])  # also validates (x, y)
    if not math.isfinite(start):
        raise ValueError(f"network: expected a finite cost before training, received {start}")
    runs: list[tuple[str, float, list[float], float | None]] = []
    for name in names:
        for rate in rates:
            copy = reseeded_copy(network, seed)
            costs = [start]
            try:
                copy.fit(x, y, epochs=epochs, batch_size=batch_size, optimizer=name,
                         learning_rate=rate, verbose=0,
                         callbacks=[_TrainingCost(x, y, costs)])
            except TrainingDivergedError:
                costs.append(math.inf)
                runs.append((name, rate, costs, None))
                continue
            scores = copy.evaluate(*(validation_data if validation_data is not None
                                     else (x, y)))
            runs.append((name, rate, costs, scores.get("accuracy")))
    return sweep_rows(runs)


def reseeded_copy(network: Network, seed: int) -> Network:
    """A copy of ``network`` (the same weights) whose generator is reseeded with ``seed``:
    every copy of a sweep then draws the same mini-batches."""
    copy = network.copy()
    copy.rng = np.random.default_rng(seed)
    copy.rebind_random_generator()
    return copy


def sweep_rows(runs: Sequence[tuple[str, float, Sequence[float], float | None]]
               ) -> list[SweepRow]:
    """The rows of finished runs ``(optimizer, learning rate, costs, accuracy)``, each
    named by :func:`~neuroflow.experiments.behaviour.classify` with the lowest finite
    final cost of all the runs as the floor."""
    finals = [costs[-1] for _, _, costs, _ in runs if math.isfinite(costs[-1])]
    floor = min(finals) if finals else None
    return [SweepRow(name, float(rate), tuple(costs), costs[-1],
                     None if accuracy is None else float(accuracy),
                     classify(costs, floor=floor))
            for name, rate, costs, accuracy in runs]


def _cells(row: SweepRow, digits: int | None) -> list[str]:
    def number(value: float) -> str:
        return repr(float(value)) if digits is None else f"{value:.{digits}g}"

    return [row.optimizer, number(row.learning_rate), number(row.final_loss),
            "" if row.accuracy is None else number(row.accuracy), row.behaviour]


def to_csv(rows: Sequence[SweepRow]) -> str:
    """The rows as CSV text with a header: ``optimizer, learning_rate, final_loss,
    accuracy, behaviour`` then ``loss_0 .. loss_T`` (empty after a diverged run's last
    cost). Numbers are written exactly (``repr``), so they read back equal."""
    width = max((len(row.losses) for row in rows), default=0)
    lines = [",".join([*_COLUMNS, *(f"loss_{t}" for t in range(width))])]
    for row in rows:
        losses = [repr(float(v)) for v in row.losses] + [""] * (width - len(row.losses))
        lines.append(",".join(_cells(row, None) + losses))
    return "\n".join(lines) + "\n"


def to_markdown(rows: Sequence[SweepRow], digits: int = 6) -> str:
    """The rows as a Markdown table (η, optimiser, final loss, accuracy, behaviour),
    numbers to ``digits`` significant digits; accuracy empty for a regression."""
    header = ["η", "optimizer", "final loss", "accuracy", "behaviour"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        optimizer, rate, final, accuracy, behaviour = _cells(row, digits)
        lines.append("| " + " | ".join([rate, optimizer, final, accuracy, behaviour]) + " |")
    return "\n".join(lines) + "\n"


def to_table(rows: Sequence[SweepRow]) -> str:
    """The rows as aligned plain text for a terminal (accuracy as a percentage)."""
    header = ["eta", "optimizer", "final loss", "accuracy", "behaviour"]
    body = [[f"{row.learning_rate:g}", row.optimizer, f"{row.final_loss:.4g}",
             "-" if row.accuracy is None else f"{row.accuracy:.1%}", row.behaviour]
            for row in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    right = (True, False, True, True, False)
    return "\n".join("  ".join(cell.rjust(w) if r else cell.ljust(w)
                               for cell, w, r in zip(line, widths, right)).rstrip()
                     for line in [header, *body]) + "\n"
