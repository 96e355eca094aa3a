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

One weight and the place of its minimum
---------------------------------------
For a path on one weight whose lowest cost is known to lie at :math:`w^\star` (the
lowest point of a scanned curve :math:`C(w)`; ``minimum=``), the names are read from the
distance :math:`d_t = w_t - w^\star`, the shapes a figure of :math:`C(w)` shows. A step
*lands* when its cost is within ``tolerance`` of the way down,
:math:`C_t - C^\star \le 0.05\,(C_0 - C^\star)`. After the NaN and ``stalls`` rules:

``diverges``
    it ends further from the minimum than it started, :math:`|d_T| > |d_0|`.
``oscillates``
    :math:`d_t` changes sign on at least a quarter of the steps (``REVERSALS``) and at
    least twice: it goes back and forth across the minimum. (One overshoot followed by an
    approach from the far side is not an oscillation.)
``converges``
    some step lands.
``crawls``
    anything else: an approach too slow to land in :math:`T` steps.

On the parabola :math:`C = a w^2/2` these are the textbook regimes of
:math:`w_{t+1} = (1 - \eta a)\, w_t`: monotone for :math:`\eta a \le 1`, alternating with
shrinking :math:`|d|` for :math:`1 < \eta a < 2`, growing for :math:`\eta a > 2`.
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
             tolerance: float = 0.05, minimum: float | None = None) -> str:
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
    minimum : float, optional
        :math:`w^\\star`, where the lowest cost lies (needs ``positions``): the names are
        then read from :math:`w_t - w^\\star` (see the module's docstring). With
        ``floor`` omitted, :math:`C^\\star` is the path's own lowest cost.

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
    if minimum is not None and positions is None:
        raise ValueError("minimum: expected positions too (the path's weights)")
    if not np.all(np.isfinite(path)):
        return "diverges"
    start, end = path[0], path[-1]
    if path.max() - path.min() <= FLAT * abs(start):
        return "stalls"
    if minimum is not None and positions is not None:
        return _classify_around(path, _positions(positions, path.size), float(minimum),
                                path.min() if floor is None else floor, tolerance)
    drop = start - path.min()
    if end > start:
        return "diverges"
    steps = path.size - 1
    rises = int(np.count_nonzero(np.diff(path) > 1e-12 * max(abs(start), 1.0)))
    reversals = 0
    if positions is not None:
        moves = np.diff(_positions(positions, path.size))
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


def _positions(positions: Sequence[float] | np.ndarray, count: int) -> np.ndarray:
    """``positions`` as a float64 vector, one per cost."""
    values = np.asarray(positions, dtype=np.float64).ravel()
    if values.size != count:
        raise ValueError(f"positions: expected {count} values (one per cost), "
                         f"got {values.size}")
    return values


def _classify_around(path: np.ndarray, positions: np.ndarray, minimum: float, floor: float,
                     tolerance: float) -> str:
    """The one-weight names of the module's docstring, read from the distance of each
    position to ``minimum`` (``path`` finite and not flat)."""
    if not np.all(np.isfinite(positions)):
        return "diverges"
    distance = positions - minimum
    size = np.abs(distance)
    if size[-1] > size[0]:
        return "diverges"
    steps = path.size - 1
    floor = min(float(floor), float(path.min()))
    lands = path - floor <= tolerance * (path[0] - floor)
    signs = np.sign(distance[distance != 0])
    crossings = int(np.count_nonzero(signs[1:] != signs[:-1]))
    if steps >= 2 and crossings >= max(2.0, REVERSALS * steps):
        return "oscillates"
    if lands.any():
        return "converges"
    return "crawls"
