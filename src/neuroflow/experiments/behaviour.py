r"""What a cost path did under gradient descent, named from the path itself.

A path is the cost :math:`C_0, C_1, \dots, C_T` after each of :math:`T` steps (and,
optionally, the parameter positions :math:`w_0, \dots, w_T`). Five behaviours; a path
with a NaN or infinite cost diverges, any other gets the first of these that fits:

``stalls``
    the path is flat or nearly flat: it spans at most 0.1% of
    the starting cost, :math:`\max_t C_t - \min_t C_t \le 0.001\,|C_0|` (``FLAT``).
    Nothing in the path shows learning, so it is not called converged even when no
    other run did better (a floor taken from runs that all stalled is no evidence of a
    minimum) and not called diverged or oscillating for rounding noise. A path that
    starts exactly at a minimum also stalls: it cannot show that either. (A start of
    exactly 0 stalls only if the path stays at 0.)
``diverges``
    a cost is NaN or infinite, or the path ends above where it started
    (:math:`C_T > C_0`): the steps overshoot further each time. (A path that climbs
    above :math:`C_0` on the way but ends below it oscillates.)
``oscillates``
    the path does not diverge but goes back and forth (two steps or more): the cost rises
    on at least a quarter of the steps (``REVERSALS``), or (positions given) the step
    direction reverses on at least a quarter of them, overshooting the minimum.
``converges``
    it comes within ``tolerance`` (5%) of the way from :math:`C_0` to the floor
    :math:`C^\star`: :math:`C_t - C^\star \le 0.05\,(C_0 - C^\star)` for some step.
``crawls``
    it falls by more than a stall, but too slowly to get there in :math:`T` steps.

The floor :math:`C^\star` is the smallest cost reachable, when the caller knows it (the
minimum of the scanned curve, or the best loss of a sweep); without it, the path's own
minimum is used and a path counts as converged only if its last fifth changed the cost by
less than ``tolerance`` of its whole drop (it has settled).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["BEHAVIOURS", "classify", "FLAT", "REVERSALS"]

#: Every name :func:`classify` returns, from slowest to wildest.
BEHAVIOURS = ("stalls", "crawls", "converges", "oscillates", "diverges")

#: A path whose costs span at most this share of ``|C_0|`` stalls.
FLAT = 1e-3
#: The share of steps that rise (or turn back) that makes a path oscillate.
REVERSALS = 0.25


def classify(costs: Sequence[float] | np.ndarray, floor: float | None = None,
             positions: Sequence[float] | np.ndarray | None = None,
             tolerance: float = 0.05) -> str:
    """Name what a gradient-descent path did.

    Parameters
    ----------
    costs : sequence of float, length T + 1 (T >= 1)
        The cost before the first step and after each step.
    floor : float, optional
        The lowest cost reachable (see the module's docstring); default: the path's own
        minimum, with the "has settled" rule.
    positions : sequence of float, length T + 1, optional
        The moving parameter after each step (a 1-D path), to see overshooting that the
        cost alone hides.
    tolerance : float
        The share of the possible drop left over that still counts as converged.

    Returns
    -------
    str
        One of :data:`BEHAVIOURS`.
    """
    path = np.asarray(costs, dtype=np.float64).ravel()
    if path.size < 2:
        raise ValueError(f"costs: expected at least 2 values (a start and one step), "
                         f"got {path.size}")
    if not 0.0 < tolerance < 1.0:
        raise ValueError(f"tolerance: expected a number in (0, 1), got {tolerance!r}")
    if not np.all(np.isfinite(path)):
        return "diverges"
    start, end = path[0], path[-1]
    if path.max() - path.min() <= FLAT * abs(start):
        return "stalls"
    drop = start - path.min()
    if end > start:
        return "diverges"
    steps = path.size - 1
    rises = int(np.count_nonzero(np.diff(path) > 1e-12 * max(abs(start), 1.0)))
    reversals = 0
    if positions is not None:
        moves = np.diff(np.asarray(positions, dtype=np.float64).ravel())
        if moves.size != steps:
            raise ValueError(f"positions: expected {steps + 1} values (one per cost), "
                             f"got {moves.size + 1}")
        signs = np.sign(moves[moves != 0])
        reversals = int(np.count_nonzero(signs[1:] != signs[:-1]))
    if max(rises, reversals) >= REVERSALS * steps and steps >= 2:
        return "oscillates"
    if floor is not None:
        floor = min(float(floor), float(path.min()))
        possible = start - floor
        if possible <= 0.0 or np.any(path - floor <= tolerance * possible):
            return "converges"
        return "crawls"
    if drop <= 0.0:
        return "crawls"
    tail = path[-max(2, path.size // 5):]
    return "converges" if tail[0] - tail[-1] <= tolerance * drop else "crawls"
