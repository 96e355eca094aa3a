"""Check backpropagation against finite differences.

For each parameter entry :math:`\\theta_j` the central difference

.. math:: \\hat g_j = \\frac{C(\\theta_j + \\epsilon) - C(\\theta_j - \\epsilon)}{2 \\epsilon}

approximates :math:`\\partial C / \\partial \\theta_j` with error :math:`O(\\epsilon^2)`.
The check runs on a float64 copy of the network (:meth:`Network.copy`), so rounding does
not hide a wrong derivative. Per parameter tensor it reports the relative error

.. math::
    r = \\frac{\\lVert \\hat g - g \\rVert}
             {\\max(\\lVert \\hat g \\rVert + \\lVert g \\rVert,\\ 10^{-12})}

which is about 1e-10 for a correct gradient and near 1 for a wrong one.

**Kinks.** ReLU, leaky ReLU and ELU (``alpha != 1``) have a derivative that jumps at
``z = 0``. When the step :math:`\\pm\\epsilon` moves any sample's pre-activation of such a
unit across the kink, the cost is not differentiable inside the step and the central
difference measures a mixture of the two slopes, not the derivative. With many samples
some sample always sits within :math:`\\epsilon` of a kink, so a correct ReLU network
would "fail". Such entries are detected (the side of every kinked unit's pre-activation,
for every sample, is compared at :math:`\\theta_j - \\epsilon`, :math:`\\theta_j` and
:math:`\\theta_j + \\epsilon`), left out of the comparison and counted in
:attr:`GradientCheckResult.skipped`. An activation can declare its own kinks with a
``kinks`` attribute (a tuple of ``z`` values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuroflow import activations as _activations
from neuroflow._validation import check_inputs
from neuroflow.layers import Dropout, images_to_rows
from neuroflow.network import Network

__all__ = ["check_gradients", "GradientCheckResult", "kinks_of"]

#: Default pass/fail threshold on the relative error.
THRESHOLD = 1e-6


def kinks_of(activation: object) -> tuple[float, ...]:
    """The values of ``z`` where ``activation``'s derivative jumps (empty when smooth).

    A ``kinks`` attribute on the activation wins; otherwise ReLU has one at 0, and leaky
    ReLU and ELU have one at 0 unless ``alpha == 1`` (where both are smooth there).
    """
    declared = getattr(activation, "kinks", None)
    if declared is not None:
        return tuple(float(k) for k in declared)
    if isinstance(activation, _activations.ReLU):
        return (0.0,)
    if isinstance(activation, (_activations.LeakyReLU, _activations.ELU)):
        return () if activation.alpha == 1 else (0.0,)
    return ()


@dataclass
class GradientCheckResult:
    """Relative error of backprop against finite differences, per ``layers.{i}.{param}``.

    ``errors`` maps each parameter name to its relative error (NaN when no entry could be
    compared); ``checked`` to the number of entries compared; ``skipped`` to the number of
    sampled entries left out because the step crosses a kink (see the module notes).
    ``passed`` is true when every error is below ``threshold`` and every parameter had at
    least one entry compared. ``layers`` describes the layer of each parameter
    (``"Dense 4 -> 3, tanh"``), ``shapes`` gives its shape and ``kinks`` names the
    activations whose kinks caused skips; all feed the report of ``str(result)``.
    """

    errors: dict[str, float]
    checked: dict[str, int]
    threshold: float = THRESHOLD
    numerical: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    analytical: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    layers: dict[str, str] = field(default_factory=dict, repr=False)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    skipped: dict[str, int] = field(default_factory=dict)
    kinks: list[str] = field(default_factory=list, repr=False)
    epsilon: float | None = field(default=None, repr=False)

    @property
    def failures(self) -> list[str]:
        """Names of the parameters whose relative error is not below ``threshold``
        (parameters with no entry compared are in :attr:`unchecked` instead)."""
        return [name for name, error in self.errors.items()
                if not math.isnan(error) and not error < self.threshold]

    @property
    def unchecked(self) -> list[str]:
        """Names of the parameters of which every sampled entry was skipped."""
        return [name for name, error in self.errors.items() if math.isnan(error)]

    @property
    def max_error(self) -> float:
        return max((e for e in self.errors.values() if not math.isnan(e)), default=0.0)

    @property
    def passed(self) -> bool:
        return all(error < self.threshold for error in self.errors.values())

    @property
    def total_skipped(self) -> int:
        return sum(self.skipped.values())

    def __getitem__(self, name: str) -> float:
        return self.errors[name]

    def _skip_line(self) -> str | None:
        total = self.total_skipped
        if not total:
            return None
        sampled = total + sum(self.checked.values())
        step = "" if self.epsilon is None else f" +-{self.epsilon:g}"
        kinds = ", ".join(self.kinks) or "an activation"
        return (f"{total} of {sampled} entries skipped: the step{step} moves a pre-activation "
                f"across a kink ({kinds}), where a central difference is no derivative")

    def __str__(self) -> str:
        header = ("layer", "parameter", "shape", "entries", "skipped", "rel. error", "result")
        rows = [header]
        for name, error in self.errors.items():
            verdict = ("n/a" if math.isnan(error) else "ok" if error < self.threshold
                       else "FAIL")
            shape = self.shapes.get(name)
            rows.append((self.layers.get(name, name.rsplit(".", 1)[0]), name,
                         "" if shape is None else str(shape), str(self.checked[name]),
                         str(self.skipped.get(name, 0)),
                         "-" if math.isnan(error) else f"{error:.2e}", verdict))
        widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
        lines = [f"gradient check: backpropagation vs central finite differences "
                 f"(threshold {self.threshold:.0e} on the relative error)"]
        for number, row in enumerate(rows):
            cells = [cell.rjust(w) if c in (3, 4, 5) else cell.ljust(w)
                     for c, (cell, w) in enumerate(zip(row, widths))]
            lines.append("  ".join(cells).rstrip())
            if number == 0:
                lines.append("  ".join("-" * w for w in widths))
        skip_line = self._skip_line()
        if skip_line:
            lines.append(skip_line)
        if self.passed:
            lines.append(f"PASSED: all {len(self.errors)} parameters agree (max relative "
                         f"error {self.max_error:.2e} < {self.threshold:.0e})")
            return "\n".join(lines)
        failures = self.failures
        if failures:
            lines.append(f"FAILED: {len(failures)} of {len(self.errors)} parameters disagree "
                         f"with finite differences (threshold {self.threshold:.0e}); "
                         "backpropagation is wrong there:")
        for name in failures:
            line = f"  {name}: relative error {self.errors[name]:.2e}"
            numerical, analytical = self.numerical.get(name), self.analytical.get(name)
            if numerical is not None and analytical is not None and numerical.size:
                worst = int(np.argmax(np.abs(numerical - analytical)))
                line += (f"; worst checked entry: finite difference {numerical[worst]:.6g}, "
                         f"backprop {analytical[worst]:.6g}")
            lines.append(line)
        if failures:
            lines.append("  check the derivative of the activation or loss these parameters "
                         "feed")
        unchecked = self.unchecked
        if unchecked:
            lines.append(f"{'FAILED' if failures else 'INCONCLUSIVE'}: no entry of "
                         f"{', '.join(unchecked)} could be compared (every sampled step "
                         "crosses a kink); use fewer samples, a smaller epsilon or more "
                         "entries")
        return "\n".join(lines)


def _relative_error(numerical: np.ndarray, analytical: np.ndarray) -> float:
    denominator = max(float(np.linalg.norm(numerical) + np.linalg.norm(analytical)), 1e-12)
    return float(np.linalg.norm(numerical - analytical)) / denominator


def _sides(z: np.ndarray, kinks: tuple[float, ...]) -> np.ndarray:
    """Which side of each kink every entry of ``z`` lies on, as one small integer per
    entry: ``sum_k sign(z - k)`` is non-decreasing in ``z`` and changes whenever ``z``
    reaches or passes a kink."""
    side = np.sign(z - kinks[0]).astype(np.int8)
    for kink in kinks[1:]:
        side += np.sign(z - kink).astype(np.int8)
    return side


class _KinkWatch:
    """The sides of the kinks of every kinked unit, for every sample, after a forward pass."""

    def __init__(self, net: Network) -> None:
        self.watched: list[tuple[int, Any, tuple[float, ...], str]] = []
        for index, layer in enumerate(net.layers):
            activation = getattr(layer, "activation", None)
            kinks = kinks_of(activation) if activation is not None else ()
            if kinks and isinstance(getattr(layer, "cache", None), dict):
                self.watched.append((index, layer, kinks, getattr(activation, "name", "?")))
        self.base: dict[int, np.ndarray] = {}

    def sides(self, first_layer: int) -> dict[int, np.ndarray]:
        """Sides for the watched layers at or after ``first_layer`` (the earlier ones
        cannot move when a parameter of ``first_layer`` does)."""
        result = {}
        for index, layer, kinks, _ in self.watched:
            z = layer.cache.get("z")
            if index >= first_layer and z is not None:
                result[index] = _sides(np.asarray(z), kinks)
        return result

    def crossed(self, sides: dict[int, np.ndarray]) -> list[int]:
        """Watched layers where some pre-activation changed side against :attr:`base`."""
        return [index for index, side in sides.items()
                if not np.array_equal(side, self.base[index])]

    def name(self, index: int) -> str:
        return next(name for i, _, _, name in self.watched if i == index)


def check_gradients(network: Network, x: Any, y: Any, *, epsilon: float = 1e-5,
                    threshold: float = THRESHOLD, max_entries: int | None = 100,
                    training: bool = False, seed: int = 0) -> GradientCheckResult:
    """Compare backprop's gradients with central finite differences, per parameter.

    Entries whose step crosses the kink of a ReLU-like activation for any sample are
    skipped and counted (see the module notes); every other sampled entry is compared.

    Parameters
    ----------
    network : Network
        Left untouched: the check runs on ``network.copy(dtype="float64")``.
    x, y : arrays
        A batch of inputs and targets.
    epsilon : float
        Step of the central difference.
    threshold : float
        Relative error below which a parameter passes.
    max_entries : int or None
        Entries sampled per parameter tensor, chosen at random (``seed``); ``None``
        samples every entry.
    training : bool
        Run the forward pass in training mode (BatchNorm uses the batch's statistics).
        A ``Dropout`` layer keeps its ``fixed_mask`` when the copy carries it; otherwise
        the mask of the first training pass is fixed in the copy for the whole check,
        so the cost is a deterministic function of the parameters.
    seed : int
        Seed of the choice of entries.

    Returns
    -------
    GradientCheckResult
    """
    if not (isinstance(epsilon, float) and 0 < epsilon < 1):
        raise ValueError(f"epsilon: expected a float in (0, 1), received: {epsilon!r}")
    if max_entries is not None and (not isinstance(max_entries, int) or max_entries < 1):
        raise ValueError(f"max_entries: expected a positive integer or None, received: "
                         f"{max_entries!r}")
    net = network.copy(dtype="float64")
    inputs = check_inputs(images_to_rows(x, net.layers[0].input_shape), net.in_features,
                          net.dtype)
    target = net.prepare_targets(y)
    if target.shape[0] != inputs.shape[0]:
        raise ValueError(f"y: expected {inputs.shape[0]} targets, received {target.shape[0]}")

    def cost() -> float:
        return net.loss.value(net.forward(inputs, training=training), target)

    cost()
    if training:
        for layer in net.layers:  # one mask for the whole check
            if isinstance(layer, Dropout) and layer.fixed_mask is None and \
                    layer.mask is not None:
                layer.fixed_mask = layer.mask.copy()
        cost()
    watch = _KinkWatch(net)
    watch.base = watch.sides(0)
    net.backward(target)
    analytical_all = {name: grad.copy() for name, _, grad in net.named_parameters()}
    rng = np.random.default_rng(seed)
    result = GradientCheckResult({}, {}, threshold, epsilon=epsilon)
    kinked: set[int] = set()
    for name, param, _ in net.named_parameters():
        index = int(name.split(".")[1])
        flat = param.reshape(-1)
        if max_entries is None or flat.size <= max_entries:
            entries = np.arange(flat.size)
        else:
            entries = np.sort(rng.choice(flat.size, size=max_entries, replace=False))
        numerical = np.empty(entries.size)
        keep = np.ones(entries.size, dtype=bool)
        for k, j in enumerate(entries):
            original = flat[j]
            flat[j] = original + epsilon
            plus = cost()
            crossed = watch.crossed(watch.sides(index))
            flat[j] = original - epsilon
            minus = cost()
            crossed += watch.crossed(watch.sides(index))
            flat[j] = original
            numerical[k] = (plus - minus) / (2 * epsilon)
            if crossed:
                keep[k] = False
                kinked.update(crossed)
        analytical = analytical_all[name].reshape(-1)[entries]
        numerical, analytical = numerical[keep], analytical[keep]
        result.errors[name] = (_relative_error(numerical, analytical) if numerical.size
                               else float("nan"))
        result.checked[name] = int(numerical.size)
        result.skipped[name] = int(entries.size - numerical.size)
        result.numerical[name] = numerical
        result.analytical[name] = analytical
        result.shapes[name] = tuple(param.shape)
        layer = net.layers[index]
        activation = getattr(getattr(layer, "activation", None), "name", None)
        result.layers[name] = (f"{index}: {type(layer).__name__} {layer.in_features} -> "
                               f"{layer.out_features}" + (f", {activation}" if activation else ""))
    result.kinks = sorted({watch.name(index) for index in kinked})
    return result
