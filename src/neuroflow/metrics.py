"""Metrics computed from network outputs and targets (arrays in, numbers out)."""

from __future__ import annotations

import numpy as np

from neuroflow.backend import to_numpy

__all__ = ["accuracy", "labels_from_targets", "confusion_matrix", "precision_recall_f1",
           "top_k_accuracy", "r2_score", "mean_absolute_error", "root_mean_squared_error"]


def labels_from_targets(target: np.ndarray) -> np.ndarray:
    """Integer labels from class labels ``(n,)``, one-hot rows ``(n, k)`` or binary ``(n, 1)``."""
    if target.ndim == 1:
        return target.astype(np.int64, copy=False)
    if target.shape[1] == 1:
        return (target[:, 0] > 0.5).astype(np.int64)
    return target.argmax(axis=1)


def _labels_from_output(output: np.ndarray) -> np.ndarray:
    if output.ndim == 1:
        return output.astype(np.int64, copy=False)
    if output.shape[1] == 1:
        return (output[:, 0] > 0.5).astype(np.int64)
    return output.argmax(axis=1)


def accuracy(output: np.ndarray, target: np.ndarray, loss: object = None) -> float:
    """Fraction of correct predictions; what counts as one prediction depends on the loss.

    * One label per sample (``loss`` ``"cross_entropy"``, or ``None``): the predicted
      class is the argmax of each output row, or ``output > 0.5`` for a single output
      column; the true class is the label, the argmax of a one-hot/probability row, or
      ``target > 0.5`` for one column. The result is the fraction of samples right.
    * Independent yes/no outputs (``loss`` ``"binary_cross_entropy"``): every output
      ``(i, j)`` is a prediction, ``output > 0.5`` against ``target > 0.5``, and the
      result is the fraction of the ``n k`` outputs right (Keras' "binary accuracy").
      With one output this equals the per-sample accuracy above; with ``k > 1``
      (multi-label) a sample with 3 of 4 labels right counts 3/4, not 0.

    The meaning never depends on the values of ``target`` (whether its rows sum to 1).

    Parameters
    ----------
    output : array (n, k) or (n,)
        Network outputs, or predicted labels ``(n,)`` (one label per sample only).
    target : array (n,) or (n, k)
        Class labels, one-hot/probability rows, or 0/1 targets for binary cross-entropy.
    loss : str or Loss, optional
        The network's loss (or its name); only ``"binary_cross_entropy"`` changes the
        meaning. ``None``: one label per sample.

    Returns
    -------
    float
        In [0, 1]. Arrays of another back-end (see :mod:`neuroflow.backend`) are copied
        to NumPy first.
    """
    if not isinstance(output, np.ndarray) or not isinstance(target, np.ndarray):
        output, target = to_numpy(output), to_numpy(target)
    if getattr(loss, "name", loss) == "binary_cross_entropy" and output.ndim == 2:
        if target.ndim == 1:
            target = target.reshape(-1, 1)
        return float(np.mean((output > 0.5) == (target > 0.5)))
    return float((_labels_from_output(output) == labels_from_targets(target)).mean())


def _as_labels(values: object, argument: str) -> np.ndarray:
    """Labels ``(n,)`` from labels, one-hot/score rows ``(n, k)`` or a single output ``(n, 1)``."""
    array = np.asarray(values)
    if array.ndim not in (1, 2) or array.shape[0] == 0 or array.dtype.kind not in "biuf":
        raise ValueError(f"{argument}: expected numeric labels (n,) or scores (n, k) with n >= "
                         f"1, received shape {array.shape} and dtype {array.dtype}")
    labels = _labels_from_output(array)
    if array.ndim == 1 and (np.any(labels != array) or np.any(labels < 0)):
        raise ValueError(f"{argument}: expected non-negative integer class labels, received "
                         f"values in [{array.min()}, {array.max()}]")
    return labels


def confusion_matrix(y_true: object, y_pred: object, n_classes: int | None = None) -> np.ndarray:
    r"""Counts of (true class, predicted class) pairs.

    ``C[i, j]`` is the number of samples of true class ``i`` predicted as class ``j``:
    the diagonal holds the correct predictions, row ``i`` sums to the support of class
    ``i``.

    Parameters
    ----------
    y_true : array (n,) or (n, k)
        True class labels, or one-hot rows.
    y_pred : array (n,) or (n, k)
        Predicted labels, or network outputs (argmax per row; threshold 0.5 for ``(n, 1)``).
    n_classes : int, optional
        Number of classes ``k``; default: one more than the largest label seen (or the
        width of a 2-D ``y_true``/``y_pred``).

    Returns
    -------
    ndarray of int64, shape (k, k)
        Rows are true classes, columns predicted classes.
    """
    true = _as_labels(y_true, "y_true")
    pred = _as_labels(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ValueError(f"y_pred: expected {true.shape[0]} predictions (one per y_true), "
                         f"received {pred.shape[0]}")
    seen = int(max(true.max(), pred.max())) + 1
    widths = [np.asarray(v).shape[1] for v in (y_true, y_pred)
              if np.asarray(v).ndim == 2 and np.asarray(v).shape[1] > 1]
    if n_classes is None:
        k = max([seen, *widths])
    else:
        if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or \
                n_classes < 1:
            raise ValueError(f"n_classes: expected a positive integer, received: {n_classes!r}")
        if seen > n_classes:
            raise ValueError(f"n_classes: expected at least {seen} (largest label + 1), "
                             f"received: {n_classes}")
        k = int(n_classes)
    return np.bincount(true * k + pred, minlength=k * k).reshape(k, k).astype(np.int64)


def precision_recall_f1(y_true: object, y_pred: object, n_classes: int | None = None
                        ) -> dict[str, np.ndarray]:
    r"""Per-class precision, recall, F1 score and support.

    From the confusion matrix :math:`C` (rows true, columns predicted), for class :math:`c`:

    .. math::
        P_c = \frac{C_{cc}}{\sum_i C_{ic}}, \qquad
        R_c = \frac{C_{cc}}{\sum_j C_{cj}}, \qquad
        F_c = \frac{2 P_c R_c}{P_c + R_c}

    A ratio whose denominator is 0 (a class never predicted, never present) is 0.

    Parameters
    ----------
    y_true, y_pred, n_classes
        As in :func:`confusion_matrix`.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1`` (float64 arrays of shape ``(k,)``) and
        ``support`` (int64 ``(k,)``: true samples per class).
    """
    matrix = confusion_matrix(y_true, y_pred, n_classes)
    correct = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0)
    support = matrix.sum(axis=1)

    def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        return np.divide(numerator, denominator, out=np.zeros_like(numerator),
                         where=denominator > 0)

    precision = ratio(correct, predicted.astype(np.float64))
    recall = ratio(correct, support.astype(np.float64))
    f1 = ratio(2 * precision * recall, precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def top_k_accuracy(output: object, target: object, k: int = 5) -> float:
    """Fraction of samples whose true class is among the ``k`` highest outputs.

    Parameters
    ----------
    output : array (n, n_classes)
        Network outputs (scores or probabilities).
    target : array (n,) or (n, n_classes)
        True labels or one-hot rows.
    k : int
        How many of the top classes count; ``k=1`` is :func:`accuracy`.

    Returns
    -------
    float
        In [0, 1]. Ties are broken towards the lower class index.
    """
    scores = np.asarray(output)
    if scores.ndim != 2 or scores.shape[1] < 2 or scores.dtype.kind not in "biuf":
        raise ValueError(f"output: expected scores of shape (n, n_classes) with n_classes >= 2,"
                         f" received shape {scores.shape}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k: expected a positive integer, received: {k!r}")
    labels = _as_labels(target, "target")
    if labels.shape[0] != scores.shape[0]:
        raise ValueError(f"target: expected {scores.shape[0]} labels (one per row of output), "
                         f"received {labels.shape[0]}")
    if k >= scores.shape[1]:
        return 1.0
    true_scores = scores[np.arange(scores.shape[0]), labels][:, None]
    # rank of the true class: classes scoring higher, plus equal scores at a lower index
    columns = np.arange(scores.shape[1])
    higher = (scores > true_scores) | ((scores == true_scores) & (columns < labels[:, None]))
    return float((higher.sum(axis=1) < k).mean())


def _regression_pair(y_true: object, y_pred: object) -> tuple[np.ndarray, np.ndarray]:
    """Targets and predictions as float64 ``(n, k)`` arrays of the same shape."""
    def columns(values: object) -> np.ndarray:
        array = np.asarray(to_numpy(values), dtype=np.float64)
        if array.ndim == 0:
            return array.reshape(1, 1)
        return array.reshape(array.shape[0], int(np.prod(array.shape[1:], dtype=np.int64)))

    true, pred = columns(y_true), columns(y_pred)
    if true.shape != pred.shape or true.shape[0] == 0:
        raise ValueError(f"y_pred: expected the shape of y_true {true.shape} with at least one "
                         f"sample, received {pred.shape}")
    return true, pred


def mean_absolute_error(y_true: object, y_pred: object) -> float:
    r"""Mean absolute error :math:`rac{1}{nk}\sum_{i,j} |y_{ij} - \hat y_{ij}|` over
    targets ``(n,)`` or ``(n, k)`` and predictions of the same shape."""
    true, pred = _regression_pair(y_true, y_pred)
    return float(np.abs(true - pred).mean())


def root_mean_squared_error(y_true: object, y_pred: object) -> float:
    r"""Root mean squared error :math:`\sqrt{rac{1}{nk}\sum_{i,j} (y_{ij} - \hat y_{ij})^2}`
    over targets ``(n,)`` or ``(n, k)`` and predictions of the same shape."""
    true, pred = _regression_pair(y_true, y_pred)
    return float(np.sqrt(np.square(true - pred).mean()))


def r2_score(y_true: object, y_pred: object) -> float:
    r"""Coefficient of determination, averaged over the ``k`` target columns (scikit-learn's
    ``multioutput="uniform_average"``):

    .. math:: R^2_j = 1 - rac{\sum_i (y_{ij} - \hat y_{ij})^2}{\sum_i (y_{ij} - ar y_j)^2}

    1 is a perfect fit, 0 no better than predicting the mean, negative worse. A constant
    target column scores 1 when predicted exactly and 0 otherwise (as scikit-learn).

    Parameters
    ----------
    y_true, y_pred : array (n,) or (n, k)
        Targets and predictions, the same shape.
    """
    true, pred = _regression_pair(y_true, y_pred)
    residual = np.square(true - pred).sum(axis=0)
    total = np.square(true - true.mean(axis=0)).sum(axis=0)
    scores = np.where(total > 0, 1 - residual / np.where(total > 0, total, 1),
                      np.where(residual == 0, 1.0, 0.0))
    return float(scores.mean())
