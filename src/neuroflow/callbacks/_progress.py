"""What the course of the epoch losses says, beyond divergence and a plain plateau: steps
that overshoot from the start, a converged run, an underfitting network.

Used by :class:`~neuroflow.callbacks.Diagnostics`; each verdict is ``(kind, value,
message, hint)`` for a :class:`~neuroflow.callbacks.diagnostics.Finding`.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["progress"]

_OVERSHOOT = 1.2       # epoch losses all above this share of the first batch's: overshoots
_CONVERGED = 0.05      # a loss at most this share of the first one has converged
_UNDERFIT = 0.5        # a loss above this share of the first one ...
_UNDERFIT_EPOCHS = 30  # ... after this many epochs ...
_UNDERFIT_DROP = 0.02  # ... falling by less than this share over the last 10: underfits

Verdict = tuple[str, float, str, str]


def progress(losses: Sequence[float], start: float | None, patience: int,
             delta: float) -> Verdict | None:
    """The verdict on the epoch ``losses`` so far (``start``: the first batch's loss,
    before any step), or ``None``:

    - ``divergence`` when every epoch after the first stays above ``1.2 start``: each
      step overshoots, the learning rate is too large;
    - ``underfitting`` when, after 30 epochs, the loss is above half the first epoch's and
      fell by under 2% over the last 10: the network lacks capacity;
    - ``converged`` when the loss is at most 5% of the first epoch's and fell by under
      ``10 delta`` (relative) over the last ``patience`` epochs.
    """
    loss, first, count = losses[-1], losses[0], len(losses)
    if start is not None and count > 2 and min(losses[1:]) > _OVERSHOOT * start:
        return ("divergence", loss,
                f"the loss {loss:.4g} stays above where it started ({start:.4g}, the first "
                f"batch): each step overshoots",
                "the learning rate is too large; divide it by 10 (saturated units and "
                "vanishing gradients follow from steps that are too large)")
    if count > _UNDERFIT_EPOCHS and loss > _UNDERFIT * first and \
            losses[-11] - loss < _UNDERFIT_DROP * losses[-11]:
        return ("underfitting", loss / first,
                f"after {count - 1} epochs the loss {loss:.4g} is still {loss / first:.0%} "
                f"of where it started and hardly falls: the network underfits",
                "give it more units or more layers (more capacity), or a faster optimiser "
                "such as adam")
    before = losses[-1 - patience] if count > patience else None
    if before is not None and loss <= _CONVERGED * first and \
            before - loss < delta * 10 * max(abs(before), 1e-12):
        return ("converged", loss / first,
                f"the loss {loss:.4g} is {loss / first:.1%} of where it started and no "
                f"longer falls much: training has converged",
                "nothing to fix: stop here (EarlyStopping stops by itself), or check the "
                "loss on held-out data")
    return None
