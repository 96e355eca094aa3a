"""Top-k accuracy, per-class precision/recall/F1 and the confusion matrix."""

import numpy as np
import pytest

from neuroflow import metrics


def test_confusion_matrix_rows_true_columns_predicted():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    matrix = metrics.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert matrix.dtype == np.int64
    assert metrics.confusion_matrix(y_true, y_pred, n_classes=4).shape == (4, 4)
    scores = np.eye(3)[y_pred] * 0.9 + 0.05                 # network outputs -> argmax
    np.testing.assert_array_equal(metrics.confusion_matrix(np.eye(3)[y_true], scores), matrix)
    binary = metrics.confusion_matrix([0, 1, 1], np.array([[0.2], [0.7], [0.4]]))
    np.testing.assert_array_equal(binary, [[1, 0], [1, 1]])


def test_precision_recall_f1_per_class():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    result = metrics.precision_recall_f1(y_true, y_pred, n_classes=4)
    np.testing.assert_allclose(result["precision"], [0.5, 0.5, 1.0, 0.0])
    np.testing.assert_allclose(result["recall"], [0.5, 1.0, 2 / 3, 0.0])
    np.testing.assert_allclose(result["f1"], [0.5, 2 / 3, 0.8, 0.0])
    np.testing.assert_array_equal(result["support"], [2, 1, 3, 0])


def test_top_k_accuracy():
    output = np.array([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.3, 0.3, 0.4]])
    target = np.array([2, 1, 0, 1])
    assert metrics.top_k_accuracy(output, target, k=1) == metrics.accuracy(output, target) == 0
    # sample 3: class 1 ties class 0 at 0.3, the lower index ranks first -> rank 2
    assert metrics.top_k_accuracy(output, target, k=2) == 0.75
    assert metrics.top_k_accuracy(output, np.eye(3)[target], k=3) == 1.0


def test_metric_errors():
    with pytest.raises(ValueError, match="y_pred: expected 3 predictions"):
        metrics.confusion_matrix([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="n_classes: expected at least 3"):
        metrics.confusion_matrix([0, 2], [0, 1], n_classes=2)
    with pytest.raises(ValueError, match="n_classes: expected a positive integer"):
        metrics.confusion_matrix([0, 1], [0, 1], n_classes=0)
    with pytest.raises(ValueError, match="y_true: expected non-negative integer class labels"):
        metrics.confusion_matrix([0.5, 1], [0, 1])
    with pytest.raises(ValueError, match=r"output: expected scores of shape \(n, n_classes\)"):
        metrics.top_k_accuracy(np.zeros(3), [0, 1, 2])
    with pytest.raises(ValueError, match="k: expected a positive integer"):
        metrics.top_k_accuracy(np.zeros((3, 3)), [0, 1, 2], k=0)
    with pytest.raises(ValueError, match="target: expected 3 labels"):
        metrics.top_k_accuracy(np.zeros((3, 3)), [0, 1])
