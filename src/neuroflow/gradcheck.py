"""Check backpropagation against finite differences.

For each parameter entry :math:`\\theta_j` the central difference

.. math:: \\hat g_j = \\frac{C(\\theta_j + \\epsilon) - C(\\theta_j - \\epsilon)}{2 \\epsilon}

approximates :math:`\\partial C / \\partial \\theta_j` with error :math:`O(\\epsilon^2)`.
The check runs on a float64 copy of the network, so rounding does not hide a wrong
derivative. Per parameter tensor it reports the relative error

.. math::
    r = \\frac{\\lVert \\hat g - g \\rVert}
             {\\max(\\lVert \\hat g \\rVert + \\lVert g \\rVert,\\ 10^{-12})}

which is about 1e-10 for a correct gradient and near 1 for a wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuroflow.network import Network, check_inputs

__all__ = ["check_gradients", "GradientCheckResult"]

#: Default pass/fail threshold on the relative error.
THRESHOLD = 1e-6


@dataclass
class GradientCheckResult:
    """Relative error of backprop against finite differences, per ``layers.{i}.{param}``.

    ``errors`` maps each parameter name to its relative error; ``checked`` to the number
    of entries compared. ``passed`` is true when every error is below ``threshold``.
    ``layers`` describes the layer of each parameter (``"Dense 4 -> 3, tanh"``) and
    ``shapes`` gives its shape; both feed the report of ``str(result)``.
    """

    errors: dict[str, float]
    checked: dict[str, int]
    threshold: float = THRESHOLD
    numerical: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    analytical: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    layers: dict[str, str] = field(default_factory=dict, repr=False)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)

    @property
    def failures(self) -> list[str]:
        """Names of the parameters whose relative error is not below ``threshold``."""
        return [name for name, error in self.errors.items() if not error < self.threshold]

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    @property
    def passed(self) -> bool:
        return all(error < self.threshold for error in self.errors.values())

    def __getitem__(self, name: str) -> float:
        return self.errors[name]

    def __str__(self) -> str:
        header = ("layer", "parameter", "shape", "entries", "rel. error", "result")
        rows = [header]
        for name, error in self.errors.items():
            verdict = "ok" if error < self.threshold else "FAIL"
            shape = self.shapes.get(name)
            rows.append((self.layers.get(name, name.rsplit(".", 1)[0]), name,
                         "" if shape is None else str(shape), str(self.checked[name]),
                         f"{error:.2e}", verdict))
        widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
        lines = [f"gradient check: backpropagation vs central finite differences "
                 f"(threshold {self.threshold:.0e} on the relative error)"]
        for number, row in enumerate(rows):
            cells = [cell.rjust(w) if c in (3, 4) else cell.ljust(w)
                     for c, (cell, w) in enumerate(zip(row, widths))]
            lines.append("  ".join(cells).rstrip())
            if number == 0:
                lines.append("  ".join("-" * w for w in widths))
        if self.passed:
            lines.append(f"PASSED: all {len(self.errors)} parameters agree (max relative "
                         f"error {self.max_error:.2e} < {self.threshold:.0e})")
            return "\n".join(lines)
        failures = self.failures
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
        lines.append("  check the derivative of the activation or loss these parameters feed")
        return "\n".join(lines)


def _relative_error(numerical: np.ndarray, analytical: np.ndarray) -> float:
    denominator = max(float(np.linalg.norm(numerical) + np.linalg.norm(analytical)), 1e-12)
    return float(np.linalg.norm(numerical - analytical)) / denominator


def check_gradients(network: Network, x: Any, y: Any, *, epsilon: float = 1e-5,
                    threshold: float = THRESHOLD, max_entries: int | None = 100,
                    training: bool = False, seed: int = 0) -> GradientCheckResult:
    """Compare backprop's gradients with central finite differences, per parameter.

    Parameters
    ----------
    network : Network
        Left untouched: the check runs on a float64 copy.
    x, y : arrays
        A small batch of inputs and targets.
    epsilon : float
        Step of the central difference.
    threshold : float
        Relative error below which a parameter passes.
    max_entries : int or None
        Entries checked per parameter tensor, chosen at random (``seed``); ``None``
        checks every entry.
    training : bool
        Run the forward pass in training mode (layers whose training behaviour is
        random must then be made deterministic by the caller).

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
    inputs = check_inputs(x, net.in_features, net.dtype)
    target = net.prepare_targets(y)
    if target.shape[0] != inputs.shape[0]:
        raise ValueError(f"y: expected {inputs.shape[0]} targets, received {target.shape[0]}")

    def cost() -> float:
        return net.loss.value(net.forward(inputs, training=training), target)

    cost()
    net.backward(target)
    analytical_all = {name: grad.copy() for name, _, grad in net.named_parameters()}
    rng = np.random.default_rng(seed)
    result = GradientCheckResult({}, {}, threshold)
    for name, param, _ in net.named_parameters():
        flat = param.reshape(-1)
        if max_entries is None or flat.size <= max_entries:
            entries = np.arange(flat.size)
        else:
            entries = np.sort(rng.choice(flat.size, size=max_entries, replace=False))
        numerical = np.empty(entries.size)
        for k, j in enumerate(entries):
            original = flat[j]
            flat[j] = original + epsilon
            plus = cost()
            flat[j] = original - epsilon
            minus = cost()
            flat[j] = original
            numerical[k] = (plus - minus) / (2 * epsilon)
        analytical = analytical_all[name].reshape(-1)[entries]
        result.errors[name] = _relative_error(numerical, analytical)
        result.checked[name] = int(entries.size)
        result.numerical[name] = numerical
        result.analytical[name] = analytical
        result.shapes[name] = tuple(param.shape)
        index = int(name.split(".")[1])
        layer = net.layers[index]
        activation = getattr(getattr(layer, "activation", None), "name", None)
        result.layers[name] = (f"{index}: {type(layer).__name__} {layer.in_features} -> "
                               f"{layer.out_features}" + (f", {activation}" if activation else ""))
    return result
