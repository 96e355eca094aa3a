"""Cost functions: their value, their gradient and the fused output deltas.

A loss compares the network's output ``a`` (shape ``(n, k)``) with targets ``y`` and
returns the mean cost over the ``n`` samples. ``gradient`` gives dC/da, the start of
backpropagation. Two pairs of output activation and loss have a much simpler and more
accurate gradient with respect to the weighted sums ``z`` of the output layer; see
:meth:`Loss.fused_delta`.

Optional ``sample_weight`` (shape ``(n,)``) weights each sample's cost: the mean becomes
``sum_i w_i C_i / n``, so all-ones weights change nothing.

Each classification loss is meant for one output activation (cross-entropy for softmax,
binary cross-entropy for sigmoid): :meth:`Loss.check_output_activation`, called when a
:class:`~neuroflow.network.Network` is built, refuses any other pairing, because the
cost would no longer be the likelihood the fused gradient assumes.

``value``, ``gradient`` and ``fused_delta`` are written once, against the array API:
they accept NumPy arrays or arrays of any array-API library (see
:mod:`neuroflow.backend`; integer labels as an integer array of the same library) and
return arrays of that library. ``prepare_targets`` validates with NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from neuroflow import activations as _activations
from neuroflow.backend import namespace

__all__ = [
    "Loss", "MeanSquaredError", "CrossEntropy", "BinaryCrossEntropy", "get", "names", "LOSSES",
    "output_activation", "ROW_SUM_TOLERANCE",
]

#: Largest accepted ``|sum_j y_ij - 1|`` for a row of cross-entropy probability targets
#: (relative to the sum 1, whatever the dtype); accepted rows are then rescaled to sum to 1.
ROW_SUM_TOLERANCE = 1e-3

#: The loss whose natural output is each activation (any other activation: ``mse``).
_LOSS_FOR_OUTPUT = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy"}


def output_activation(layers: Sequence[object]) -> _activations.Activation | None:
    """The activation that produces a network's output.

    That of the last layer holding an ``activation`` (``Dense``, ``BatchNorm``); layers
    without one (``Dropout``) pass values through unchanged in shape and sign and are
    skipped. ``None`` when no layer has an activation.
    """
    for layer in reversed(list(layers)):
        activation = getattr(layer, "activation", None)
        if isinstance(activation, _activations.Activation):
            return activation
    return None


def _weighted_mean(per_sample: np.ndarray, sample_weight: np.ndarray | None) -> float:
    xp = namespace(per_sample, sample_weight)
    if sample_weight is None:
        return float(xp.mean(per_sample))
    return float(xp.sum(per_sample * sample_weight) / per_sample.shape[0])


def _scale_rows(grad: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
    """Multiply row ``i`` of ``grad`` (a new array) by ``sample_weight[i]``, in place."""
    if sample_weight is not None:
        xp = namespace(grad, sample_weight)
        grad *= xp.expand_dims(xp.astype(sample_weight, grad.dtype, copy=False), axis=1)
    return grad


def _one_hot(target: np.ndarray, n_classes: int, dtype: Any) -> np.ndarray:
    """Targets as rows ``(n, n_classes)``: integer labels become one-hot rows (rows of the
    identity matrix); rows stay as given."""
    if target.ndim == 2:
        return target
    xp = namespace(target)
    return xp.take(xp.eye(n_classes, dtype=dtype, device=getattr(target, "device", None)),
                   target, axis=0)


class Loss:
    """Base class of cost functions."""

    name: ClassVar[str] = ""
    #: Whether targets are class labels (accuracy makes sense) rather than real values.
    #: Fixed per class, except for ``mse``, where it follows the targets last prepared
    #: (:meth:`MeanSquaredError.prepare_targets`).
    is_classification: bool = False
    #: The output activation this loss requires (see :meth:`check_output_activation`);
    #: ``None``: any output.
    required_output: ClassVar[type[_activations.Activation] | None] = None

    def check_output_activation(self, layers: Sequence[object]) -> None:
        """Refuse an output layer this loss is not meant for.

        Parameters
        ----------
        layers : sequence of Layer
            The network's layers, input to output. The output activation is found by
            :func:`output_activation`: the last layer with an activation decides, so
            ``Dense(..., activation="softmax")`` followed by ``Dropout`` counts as a
            softmax output, and ``Dense`` followed by ``BatchNorm(activation="softmax")``
            too; a softmax ``Dense`` followed by a linear ``BatchNorm`` does not.

        Raises
        ------
        ValueError
            When :attr:`required_output` is set and the output activation is not an
            instance of it: cross-entropy needs probabilities that sum to 1 (softmax),
            binary cross-entropy a probability per output (sigmoid). Other outputs train
            towards meaningless costs without any error (a sigmoid output under
            cross-entropy drives every output to 1).
        """
        required = self.required_output
        if required is None:
            return
        activation = output_activation(layers)
        if isinstance(activation, required):
            return
        received = ("no activation (no layer has one)" if activation is None
                    else f"activation {activation.name!r}")
        other = _LOSS_FOR_OUTPUT.get(getattr(activation, "name", ""), "mse")
        raise ValueError(
            f"loss: {self.name!r} expects a {required.name} output layer, received "
            f"{received}; use output={required.name!r} or loss={other!r}"
        )

    def value(self, output: np.ndarray, target: np.ndarray,
              sample_weight: np.ndarray | None = None) -> float:
        """Mean cost over the batch."""
        raise NotImplementedError

    def gradient(self, output: np.ndarray, target: np.ndarray,
                 sample_weight: np.ndarray | None = None) -> np.ndarray:
        """dC/da, shape ``(n, k)``, for the mean cost returned by :meth:`value`."""
        raise NotImplementedError

    def fused_delta(self, activation: _activations.Activation, output: np.ndarray,
                    target: np.ndarray,
                    sample_weight: np.ndarray | None = None) -> np.ndarray | None:
        """dC/dz for the output layer when this loss pairs with ``activation``, else ``None``."""
        return None

    def prepare_targets(self, target: np.ndarray, n_outputs: int, dtype: np.dtype,
                        argument: str = "y") -> np.ndarray:
        """Validate targets for a network with ``n_outputs`` outputs; return them as used."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _real_targets(target: np.ndarray, n_outputs: int, dtype: np.dtype,
                  argument: str) -> np.ndarray:
    target = np.asarray(target)
    if target.ndim == 1 and n_outputs == 1:
        target = target.reshape(-1, 1)
    if target.ndim != 2 or target.shape[1] != n_outputs:
        raise ValueError(
            f"{argument}: expected targets of shape (n_samples, {n_outputs})"
            + (" or (n_samples,)" if n_outputs == 1 else "")
            + f", received shape {target.shape}"
        )
    if not np.issubdtype(target.dtype, np.number) and target.dtype != np.bool_:
        raise ValueError(f"{argument}: expected numeric targets, received dtype {target.dtype}")
    target = target.astype(dtype, copy=False)
    if not np.all(np.isfinite(target)):
        raise ValueError(f"{argument}: expected finite targets, received NaN or infinity")
    return target


class MeanSquaredError(Loss):
    r"""Mean squared error :math:`C = \frac{1}{n k} \sum_i \sum_j (a_{ij} - y_{ij})^2`.

    Gradient: :math:`\partial C / \partial a = \frac{2}{n k} (a - y)`.

    Targets ``(n, k)``, or ``(n,)`` for one output, are real values: a regression. With
    ``k > 1`` outputs, targets ``(n,)`` are class labels ``0 .. k-1``, each made the
    one-hot row :math:`e_{label}` (Nielsen's quadratic-cost classifier); the loss then
    counts as a classification loss (:attr:`Loss.is_classification`), and ``fit`` and
    ``evaluate`` report the accuracy, argmax of the output against the label.
    """

    name = "mse"

    def value(self, output, target, sample_weight=None):
        diff = output - target
        return _weighted_mean(namespace(output, target).mean(diff * diff, axis=1),
                              sample_weight)

    def gradient(self, output, target, sample_weight=None):
        n, k = output.shape
        return _scale_rows((output - target) * (2.0 / (n * k)), sample_weight)

    def prepare_targets(self, target, n_outputs, dtype, argument="y"):
        target = np.asarray(target)
        if target.ndim == 1 and n_outputs > 1 and _whole_numbers(target):
            labels = _class_labels(target, n_outputs, argument)
            self.is_classification = True
            return np.eye(n_outputs, dtype=dtype)[labels]
        prepared = _real_targets(target, n_outputs, dtype, argument)
        self.is_classification = False
        return prepared


class CrossEntropy(Loss):
    r"""Categorical cross-entropy :math:`C = -\frac1n \sum_i \sum_j y_{ij} \log a_{ij}`.

    Targets are integer class labels ``(n,)`` or one-hot/probability rows ``(n, k)``.
    Probability rows must be non-negative and sum to 1 within :data:`ROW_SUM_TOLERANCE`
    (``1e-3``, in float32 and float64 alike); :meth:`prepare_targets` then rescales each
    row to sum to 1 exactly, since the fused gradient ``(a - y) / n`` holds only then
    (multi-hot rows need ``binary_cross_entropy``). ``log`` is taken of ``a`` clipped to
    ``[eps, 1]`` (``eps`` of the dtype), so a zero probability costs a large finite amount
    instead of infinity. The output layer must be a softmax
    (:meth:`Loss.check_output_activation`).
    """

    name = "cross_entropy"
    is_classification = True
    required_output = _activations.Softmax

    def value(self, output, target, sample_weight=None):
        xp = namespace(output, target)
        eps = float(xp.finfo(output.dtype).eps)
        if target.ndim == 1:  # the probability of each sample's label
            picked = output[xp.arange(output.shape[0]), target]
            per_sample = -xp.log(xp.clip(picked, eps, 1.0))
        else:
            per_sample = -xp.sum(target * xp.log(xp.clip(output, eps, 1.0)), axis=1)
        return _weighted_mean(per_sample, sample_weight)

    def gradient(self, output, target, sample_weight=None):
        xp = namespace(output, target)
        eps = xp.finfo(output.dtype).eps
        n = output.shape[0]
        dense = _one_hot(target, output.shape[1], output.dtype)
        grad = -dense / (xp.clip(output, eps, 1.0) * n)
        return _scale_rows(grad, sample_weight)

    def fused_delta(self, activation, output, target, sample_weight=None):
        # Softmax + cross-entropy. With a = softmax(z) and C = -(1/n) sum_ij y_ij log a_ij:
        #   dC/dz_il = -(1/n) sum_j y_ij (delta_jl - a_il) = (1/n) (a_il sum_j y_ij - y_il)
        #            = (a_il - y_il) / n          because each row of y sums to 1.
        # No division by a, so no loss of precision when a probability is tiny.
        if not isinstance(activation, _activations.Softmax):
            return None
        if isinstance(output, np.ndarray) and target.ndim == 1:
            # the same numbers without building the one-hot rows: a - 0 = a exactly
            delta = output.copy()
            delta[np.arange(output.shape[0]), target] -= 1
        else:
            delta = output - _one_hot(target, output.shape[1], output.dtype)
        delta *= 1.0 / output.shape[0]
        return _scale_rows(delta, sample_weight)

    def prepare_targets(self, target, n_outputs, dtype, argument="y"):
        target = np.asarray(target)
        if target.ndim == 1:
            if n_outputs < 2:
                raise ValueError(
                    f"{argument}: cross_entropy with integer labels needs at least 2 outputs, "
                    f"the network has {n_outputs}; use loss='binary_cross_entropy' with one "
                    "sigmoid output"
                )
            return _class_labels(target, n_outputs, argument)
        target = _real_targets(target, n_outputs, dtype, argument)
        return _probability_rows(target, argument)


class BinaryCrossEntropy(Loss):
    r"""Binary cross-entropy, averaged over samples and outputs:

    .. math:: C = -\frac{1}{n k} \sum_{i,j} y_{ij} \log a_{ij} + (1 - y_{ij}) \log (1 - a_{ij})

    with ``a`` clipped to ``[eps, 1 - eps]``. Targets lie in ``[0, 1]`` (hard 0/1 labels,
    or probabilities); each of the ``k`` outputs is an independent yes/no, so ``k > 1``
    outputs make a multi-label classifier. The output layer must be a sigmoid
    (:meth:`Loss.check_output_activation`).
    """

    name = "binary_cross_entropy"
    is_classification = True
    required_output = _activations.Sigmoid

    def value(self, output, target, sample_weight=None):
        xp = namespace(output, target)
        eps = float(xp.finfo(output.dtype).eps)
        a = xp.clip(output, eps, 1 - eps)
        per_sample = -xp.mean(target * xp.log(a) + (1 - target) * xp.log1p(-a), axis=1)
        return _weighted_mean(per_sample, sample_weight)

    def gradient(self, output, target, sample_weight=None):
        xp = namespace(output, target)
        n, k = output.shape
        eps = float(xp.finfo(output.dtype).eps)
        a = xp.clip(output, eps, 1 - eps)
        return _scale_rows((a - target) / (a * (1 - a) * (n * k)), sample_weight)

    def fused_delta(self, activation, output, target, sample_weight=None):
        # Sigmoid + binary cross-entropy. With a = sigmoid(z), sigmoid'(z) = a (1 - a) and
        #   dC/da = (1/(n k)) (a - y) / (a (1 - a)),
        # the chain rule cancels the denominator:  dC/dz = dC/da * a (1 - a) = (a - y) / (n k).
        if not isinstance(activation, _activations.Sigmoid):
            return None
        n, k = output.shape
        return _scale_rows((output - target) * (1.0 / (n * k)), sample_weight)

    def prepare_targets(self, target, n_outputs, dtype, argument="y"):
        target = _real_targets(target, n_outputs, dtype, argument)
        if target.size and (target.min() < 0 or target.max() > 1):
            row = int(np.argmax(((target < 0) | (target > 1)).any(axis=1)))
            raise ValueError(
                f"{argument}: binary_cross_entropy expects targets in [0, 1], received values "
                f"in [{target.min()}, {target.max()}] (first outside at row {row + 1})"
            )
        return target


def _whole_numbers(target: np.ndarray) -> bool:
    """Integers or booleans, or finite floats without a fractional part."""
    return target.dtype.kind in "iub" or (target.dtype.kind == "f" and bool(
        np.all(np.isfinite(target)) and np.all(target == np.round(target))))


def _class_labels(target: np.ndarray, n_outputs: int, argument: str) -> np.ndarray:
    """Integer class labels ``(n,)`` in ``[0, n_outputs - 1]`` as int64 (whole-number
    floats accepted)."""
    if not _whole_numbers(target):
        what = "non-integer values" if target.dtype.kind == "f" else f"dtype {target.dtype}"
        raise ValueError(f"{argument}: expected integer class labels, received {what}")
    labels = target.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= n_outputs):
        raise ValueError(
            f"{argument}: expected class labels in [0, {n_outputs - 1}], received "
            f"values in [{labels.min()}, {labels.max()}]")
    return labels


def _probability_rows(target: np.ndarray, argument: str) -> np.ndarray:
    """Check cross-entropy probability rows (non-negative, summing to 1 within
    :data:`ROW_SUM_TOLERANCE`) and rescale them to sum to 1 exactly; rows are 1-based in
    messages."""
    if not target.size:
        return target
    expected = (f"probability rows (non-negative, each summing to 1 within "
                f"{ROW_SUM_TOLERANCE:g})")
    negative = (target < 0).any(axis=1)
    if negative.any():
        row = int(np.argmax(negative))
        raise ValueError(f"{argument}: cross_entropy expects {expected}, received a negative "
                         f"value ({target[row].min():g}) in row {row + 1}")
    sums = target.sum(axis=1, dtype=np.float64)
    off = np.abs(sums - 1) > ROW_SUM_TOLERANCE
    if off.any():
        row = int(np.argmax(off))
        raise ValueError(f"{argument}: cross_entropy expects {expected}, received row "
                         f"{row + 1} summing to {sums[row]:g}; multi-hot targets need "
                         "loss='binary_cross_entropy' with sigmoid outputs")
    if np.all(sums == 1):
        return target
    return target / sums.astype(target.dtype)[:, None]


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (MeanSquaredError, CrossEntropy, BinaryCrossEntropy)
}
_ALIASES = {
    "mean_squared_error": "mse",
    "categorical_cross_entropy": "cross_entropy",
    "categorical_crossentropy": "cross_entropy",
    "binary_crossentropy": "binary_cross_entropy",
    "bce": "binary_cross_entropy",
}


def names() -> list[str]:
    """The registered loss names, sorted (aliases excluded)."""
    return sorted(LOSSES)


def get(loss: str | Loss, argument: str = "loss") -> Loss:
    """Return a :class:`Loss` for a registered name (or alias) or an instance."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str):
        key = _ALIASES.get(loss.lower(), loss.lower())
        if key in LOSSES:
            return LOSSES[key]()
    raise ValueError(
        f"{argument}: expected one of {', '.join(names())} or a Loss instance, received: {loss!r}"
    )
