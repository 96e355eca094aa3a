r"""Training diagnostics: a callback that watches the network learn and says what goes wrong.

:class:`Diagnostics` looks, every ``every`` batches, at what the last forward and
backward pass left in each :class:`~neuroflow.layers.Dense` layer (``layer.cache`` and
``layer.grads``), and at the end of each epoch at the logged losses. It reports:

- **dead ReLUs**: units whose weighted sum ``z`` was never positive on any sampled batch
  of the epoch; their gradient is zero, so they never learn again;
- **saturated sigmoid/tanh units**: activations within ``saturation_margin`` of their
  limits, where :math:`f'(z) \approx 0` stops the gradient (hidden layers only);
- **vanishing or exploding gradients**: the gradient-to-weight ratio
  :math:`r_l = \lVert \partial C/\partial W_l \rVert / \lVert W_l \rVert` of each layer,
  either tiny next to the largest layer's ratio or large in absolute terms;
- **divergence**: the epoch loss far above the best one so far, or above where it
  started (the steps overshoot: the learning rate is too large); then it comes first and
  the saturated units and vanishing gradients it causes are not reported separately;
- **converged**: the loss barely moving, at a small share of where it started;
- **underfitting**: the loss still near where it started after many epochs and hardly
  falling: the network lacks capacity (more units or layers);
- **plateaus**: the loss barely moving over several epochs, neither of the above;
- **overfitting**: the validation loss well above the training loss, or the accuracy gap.

Each finding is a :class:`Finding` with a plain-language hint. The findings of every
epoch are appended to ``history.history["diagnostics"]`` (one list of dicts per epoch,
empty when all is well) and, when verbose, written to ``stream`` after the epoch's
progress line.
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass
from typing import IO, Any, ClassVar

import numpy as np

from neuroflow._constraints import Constraints, Interval, validate
from neuroflow.callbacks._progress import progress
from neuroflow.callbacks.progress import STREAM
from neuroflow.hooks import Callback

__all__ = ["Diagnostics", "Finding", "KINDS"]

#: Every kind of finding, in the order they are checked.
KINDS = ("dead_relu", "saturation", "vanishing_gradient", "exploding_gradient", "divergence",
         "converged", "underfitting", "plateau", "overfitting")


@dataclass
class Finding:
    """One problem spotted at the end of an epoch.

    Attributes
    ----------
    epoch : int
        Epoch counted from 0.
    kind : str
        One of :data:`KINDS`.
    value : float
        The measured quantity (a fraction, a ratio or a loss).
    message : str
        What was measured, in words: ``"layer 2: 61% of ReLUs never fire"``.
    hint : str
        What usually helps.
    layer : int or None
        Layer number counted from 1 (the first layer after the inputs), when the
        finding is about one layer.
    """

    epoch: int
    kind: str
    value: float
    message: str
    hint: str
    layer: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form, as stored in the history."""
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}"


#: The share of the loss gained so far that a rise must undo to count as divergence.
_SETBACK = 0.25
#: What too large steps cause, reported within the divergence finding, not apart.
_SYMPTOMS = ("saturation", "vanishing_gradient", "exploding_gradient")
_FRACTION = [Interval(float, 0, 1, closed="neither")]
_POSITIVE = [Interval(float, 0, None, closed="neither")]
_COUNT = [Interval(int, 1, None, closed="left")]


class _LayerStats:
    """Running statistics of one Dense layer over the sampled batches of an epoch."""

    def __init__(self) -> None:
        self.fired: np.ndarray | None = None
        self.saturated = 0.0
        self.ratio = 0.0
        self.samples = 0


class Diagnostics(Callback):
    """Spot dead ReLUs, saturation, vanishing/exploding gradients, divergence, plateaus
    and overfitting while a network trains.

    Parameters
    ----------
    every : int
        Sample the layers' activations and gradients every this many batches (the first
        batch of each epoch always); the cost per sampled batch is a few reductions over
        arrays the pass already computed.
    dead_fraction : float in (0, 1)
        Report a ReLU layer when at least this fraction of its units never fired.
    saturated_fraction : float in (0, 1)
        Report a hidden sigmoid/tanh layer when at least this fraction of its
        activations are saturated.
    saturation_margin : float in (0, 1)
        An activation is saturated within this distance of its limits, relative to the
        range (sigmoid: ``a < m`` or ``a > 1 - m``; tanh: ``|a| > 1 - 2 m``).
    vanishing_ratio : float
        Report layer ``l`` when its gradient-to-weight ratio ``r_l`` is below this
        fraction of the largest ratio of any layer.
    exploding_ratio : float
        Report layer ``l`` when ``r_l`` exceeds this value (the gradient is larger than
        the weights themselves).
    divergence_factor : float
        Report divergence when the epoch loss exceeds this multiple of the best one and
        undoes at least a quarter of what training had gained (the first epoch's loss
        minus the best).
    plateau_patience : int
        Epochs over which a plateau is judged.
    plateau_delta : float
        Report a plateau when the loss improved by less than this fraction over the last
        ``plateau_patience`` epochs.
    overfitting_ratio : float
        Report overfitting when ``val_loss > (1 + overfitting_ratio) * loss``.
    accuracy_gap : float
        ... or when ``accuracy - val_accuracy`` exceeds this.
    verbose : bool or None
        Write the findings after each epoch; ``None`` follows ``fit``'s ``verbose``.
    stream : file, optional
        Where to write (standard output by default, like the progress lines).

    Attributes
    ----------
    findings : list of Finding
        Every finding of the run, in order.
    statistics : list of dict
        Per epoch: ``dead_fraction``, ``saturated_fraction`` and ``gradient_ratio``,
        each a dict from layer number (from 1) to value.

    Examples
    --------
    >>> import neuroflow as nf
    >>> diagnostics = nf.callbacks.Diagnostics(every=5)
    >>> # net.fit(x, y, callbacks=[diagnostics]); net.history.history["diagnostics"]
    """

    #: What each constructor argument accepts (see :mod:`neuroflow._constraints`).
    _parameter_constraints: ClassVar[Constraints] = {
        "every": _COUNT, "dead_fraction": _FRACTION, "saturated_fraction": _FRACTION,
        "saturation_margin": _FRACTION, "vanishing_ratio": _POSITIVE,
        "exploding_ratio": _POSITIVE,
        "divergence_factor": [Interval(float, 1, None, closed="neither")],
        "plateau_patience": _COUNT, "plateau_delta": _FRACTION, "overfitting_ratio": _POSITIVE,
        "accuracy_gap": _FRACTION, "verbose": [bool, None], "stream": STREAM}

    def __init__(self, every: int = 10, *, dead_fraction: float = 0.5,
                 saturated_fraction: float = 0.5, saturation_margin: float = 0.01,
                 vanishing_ratio: float = 1e-3, exploding_ratio: float = 10.0,
                 divergence_factor: float = 1.5, plateau_patience: int = 3,
                 plateau_delta: float = 1e-3, overfitting_ratio: float = 0.5,
                 accuracy_gap: float = 0.15, verbose: bool | None = None,
                 stream: IO[str] | None = None) -> None:
        super().__init__()
        options = {"every": every, "dead_fraction": dead_fraction,
                   "saturated_fraction": saturated_fraction,
                   "saturation_margin": saturation_margin, "vanishing_ratio": vanishing_ratio,
                   "exploding_ratio": exploding_ratio, "divergence_factor": divergence_factor,
                   "plateau_patience": plateau_patience, "plateau_delta": plateau_delta,
                   "overfitting_ratio": overfitting_ratio, "accuracy_gap": accuracy_gap,
                   "verbose": verbose, "stream": stream}
        validate("Diagnostics", options, self._parameter_constraints)
        self.every, self.plateau_patience = int(every), int(plateau_patience)
        self.dead_fraction = float(dead_fraction)
        self.saturated_fraction = float(saturated_fraction)
        self.saturation_margin = float(saturation_margin)
        self.vanishing_ratio, self.exploding_ratio = float(vanishing_ratio), float(exploding_ratio)
        self.divergence_factor = float(divergence_factor)
        self.plateau_delta = float(plateau_delta)
        self.overfitting_ratio = float(overfitting_ratio)
        self.accuracy_gap = float(accuracy_gap)
        self.verbose = None if verbose is None else bool(verbose)
        self.stream = stream
        self.findings: list[Finding] = []
        self.statistics: list[dict[str, dict[int, float]]] = []
        self._layers: dict[int, _LayerStats] = {}
        self._losses: list[float] = []
        self._start: float | None = None
        self._pending: list[Finding] = []

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._losses = []
        self._start = None
        self._pending = []

    def get_state(self) -> dict[str, Any]:
        """The epoch losses seen so far (the plateau and divergence findings use them)."""
        return {"losses": list(self._losses), "start": self._start}

    def set_state(self, state: dict[str, Any]) -> None:
        if not isinstance(state.get("losses"), list):
            raise ValueError("Diagnostics.set_state: expected key 'losses' (a list of numbers)")
        self._losses = [float(v) for v in state["losses"]]
        start = state.get("start")
        self._start = None if start is None else float(start)

    def on_epoch_begin(self, epoch, logs=None):
        self._write_pending()
        self._layers = {}

    def on_batch_end(self, batch, logs=None):
        if self._start is None and logs and isinstance(logs.get("loss"), (int, float)):
            self._start = float(logs["loss"])  # the first batch's loss: before any step
        if batch % self.every or self.network is None:
            return
        for index, layer in enumerate(self.network.layers):
            cache = getattr(layer, "cache", None)
            activation = getattr(layer, "activation", None)
            if not cache or cache.get("z") is None or activation is None:
                continue
            stats = self._layers.setdefault(index + 1, _LayerStats())
            z, a = cache["z"], cache["a"]
            if activation.name == "relu":
                fired = (z > 0).any(axis=0)
                stats.fired = fired if stats.fired is None else stats.fired | fired
            elif activation.name in ("sigmoid", "tanh"):
                margin = self.saturation_margin
                if activation.name == "sigmoid":
                    saturated = (a < margin) | (a > 1 - margin)
                else:
                    saturated = np.abs(a) > 1 - 2 * margin
                stats.saturated += float(saturated.mean())
            weights, grads = layer.params.get("W"), layer.grads.get("W")
            if weights is not None and grads is not None:
                norm = float(np.linalg.norm(weights))
                stats.ratio += float(np.linalg.norm(grads)) / max(norm, 1e-12)
            stats.samples += 1

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        layers, losses = self._layer_findings(epoch), self._loss_findings(epoch, logs)
        if any(finding.kind == "divergence" for finding in losses):
            layers = [finding for finding in layers if finding.kind not in _SYMPTOMS]
        found = losses + layers
        self.findings += found
        if self.network is not None and self.network.history is not None:
            self.network.history.history.setdefault("diagnostics", []).append(
                [finding.to_dict() for finding in found])
        self._pending = found

    def on_train_end(self, logs=None):
        self._write_pending()

    # ------------------------------------------------------------------ checks
    def _layer_findings(self, epoch: int) -> list[Finding]:
        found: list[Finding] = []
        stats: dict[str, dict[int, float]] = {"dead_fraction": {}, "saturated_fraction": {},
                                              "gradient_ratio": {}}
        n_layers = len(self.network.layers) if self.network is not None else 0
        for number, layer_stats in sorted(self._layers.items()):
            if not layer_stats.samples:
                continue
            activation = self.network.layers[number - 1].activation.name  # type: ignore
            if layer_stats.fired is not None:
                dead = 1.0 - float(layer_stats.fired.mean())
                stats["dead_fraction"][number] = dead
                if dead >= self.dead_fraction:
                    found.append(Finding(
                        epoch, "dead_relu", dead,
                        f"layer {number}: {dead:.0%} of ReLUs never fire",
                        "try He initialisation, a lower learning rate or leaky_relu", number))
            if activation in ("sigmoid", "tanh"):
                saturated = layer_stats.saturated / layer_stats.samples
                stats["saturated_fraction"][number] = saturated
                if saturated >= self.saturated_fraction and number < n_layers:
                    found.append(Finding(
                        epoch, "saturation", saturated,
                        f"layer {number}: {saturated:.0%} of {activation} outputs are "
                        f"saturated, where f'(z) is nearly 0 and gradients stop",
                        "scale the inputs to about [-1, 1], use Glorot initialisation or "
                        "switch to relu", number))
            stats["gradient_ratio"][number] = layer_stats.ratio / layer_stats.samples
        ratios = stats["gradient_ratio"]
        largest = max(ratios.values(), default=0.0)
        for number, ratio in ratios.items():
            if ratio > self.exploding_ratio:
                found.append(Finding(
                    epoch, "exploding_gradient", ratio,
                    f"layer {number}: the gradient is {ratio:.3g} times the size of the "
                    "weights, so gradients explode",
                    "lower the learning rate, clip gradients or scale the inputs", number))
            elif largest > 0 and ratio < self.vanishing_ratio * largest:
                found.append(Finding(
                    epoch, "vanishing_gradient", ratio,
                    f"layer {number}: gradient-to-weight ratio {ratio:.2g} is "
                    f"{largest / max(ratio, 1e-300):.2g} times smaller than the largest "
                    "layer's, so gradients vanish before reaching it",
                    "use relu with He initialisation, fewer layers or batch normalisation",
                    number))
        self.statistics.append(stats)
        return found

    def _loss_findings(self, epoch: int, logs: dict[str, Any]) -> list[Finding]:
        found: list[Finding] = []
        loss = logs.get("loss")
        if not isinstance(loss, (int, float)):
            return found
        loss = float(loss)
        self._losses.append(loss)
        best = min(self._losses[:-1], default=math.inf)
        # far above the best, and by a good share of what training had gained: near a
        # minimum of 0.004 a wobble to 0.006 is 1.5 times the best but no divergence
        gained = self._losses[0] - best
        if not math.isfinite(loss) or (len(self._losses) > 1
                                       and loss > self.divergence_factor * best
                                       and loss - best > _SETBACK * max(gained, 0.0)):
            found.append(Finding(
                epoch, "divergence", loss,
                f"the loss rose to {loss:.4g}, {loss / best:.2g} times its best value "
                f"{best:.4g}: training diverges",
                "the learning rate is probably too high; try dividing it by 10 (saturated "
                "units and vanishing gradients follow from steps that are too large)"))
        elif (verdict := progress(self._losses, self._start, self.plateau_patience,
                                  self.plateau_delta)) is not None:
            found.append(Finding(epoch, *verdict))
        elif len(self._losses) > self.plateau_patience:
            before = self._losses[-1 - self.plateau_patience]
            improvement = (before - min(self._losses[-self.plateau_patience:])) / \
                max(abs(before), 1e-12)
            if improvement < self.plateau_delta:
                found.append(Finding(
                    epoch, "plateau", improvement,
                    f"the loss improved by {max(improvement, 0.0):.2%} over the last "
                    f"{self.plateau_patience} epochs: training has stalled",
                    "try a larger learning rate, a learning-rate schedule or a larger "
                    "network; if it is already low enough, stop early"))
        val_loss = logs.get("val_loss")
        if isinstance(val_loss, (int, float)) and loss > 0 and \
                val_loss > (1 + self.overfitting_ratio) * loss:
            found.append(Finding(
                epoch, "overfitting", float(val_loss) / loss,
                f"the validation loss {val_loss:.4g} is {val_loss / loss:.2g} times the "
                f"training loss {loss:.4g}: the network memorises the training data",
                "use more data, weight decay, dropout or early stopping"))
        else:
            accuracy, val_accuracy = logs.get("accuracy"), logs.get("val_accuracy")
            if isinstance(accuracy, (int, float)) and isinstance(val_accuracy, (int, float)) \
                    and accuracy - val_accuracy > self.accuracy_gap:
                found.append(Finding(
                    epoch, "overfitting", float(accuracy - val_accuracy),
                    f"training accuracy {accuracy:.1%} but validation accuracy "
                    f"{val_accuracy:.1%}: the network memorises the training data",
                    "use more data, weight decay, dropout or early stopping"))
        return found

    # ------------------------------------------------------------------ output
    def _speaks(self) -> bool:
        if self.verbose is not None:
            return self.verbose
        return bool(self.params.get("verbose", 0))

    def _write_pending(self) -> None:
        pending, self._pending = self._pending, []
        if not pending or not self._speaks():
            return
        out = self.stream if self.stream is not None else sys.stdout
        for finding in pending:
            out.write(f"  diagnostics (epoch {finding.epoch + 1}): {finding}\n")
        out.flush()
