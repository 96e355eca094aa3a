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
    """

    errors: dict[str, float]
    checked: dict[str, int]
    threshold: float = THRESHOLD
    numerical: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    analytical: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    @property
    def passed(self) -> bool:
        return all(error < self.threshold for error in self.errors.values())

    def __getitem__(self, name: str) -> float:
        return self.errors[name]

    def __str__(self) -> str:
        width = max((len(name) for name in self.errors), default=9)
        lines = [f"{'parameter'.ljust(width)}  {'entries':>7}  {'rel. error':>10}  result"]
        for name, error in self.errors.items():
            verdict = "ok" if error < self.threshold else "FAIL"
            lines.append(f"{name.ljust(width)}  {self.checked[name]:>7}  {error:>10.2e}  "
                         f"{verdict}")
        overall = "passed" if self.passed else "FAILED"
        lines.append(f"gradient check {overall}: max relative error {self.max_error:.2e} "
                     f"(threshold {self.threshold:.0e})")
        return "\n".join(lines)


def _relative_error(numerical: np.ndarray, analytical: np.ndarray) -> float:
    denominator = max(float(np.linalg.norm(numerical) + np.linalg.norm(analytical)), 1e-12)
    return float(np.linalg.norm(numerical - analytical)) / denominator


def check_gradients(network: Network, x: Any, y: Any, *, epsilon: float = 1e-6,
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
    return result
