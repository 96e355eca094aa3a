"""Top-k accuracy, per-class precision/recall/F1 and the confusion matrix."""

import numpy as np
import pytest

import neuroflow as nf
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


def test_accuracy_does_not_depend_on_whether_target_rows_sum_to_1():
    """Regression test for code review §4 H. Fails on 0.1's code: the same sigmoid outputs
    scored 1.0 against one target and 0.5 against another with the same labels, because
    rows that did not sum to 1 switched accuracy to per-output thresholds."""
    output = np.array([[0.9, 0.8], [0.2, 0.1]])
    multi_hot = np.array([[1.0, 1.0], [0.0, 0.0]])   # rows sum to 2 and 0
    one_hot = np.array([[1.0, 0.0], [1.0, 0.0]])     # rows sum to 1
    # one label per sample (the default, and cross-entropy): argmax against argmax
    assert metrics.accuracy(output, one_hot) == metrics.accuracy(output, [0, 0]) == 1.0
    assert metrics.accuracy(output, multi_hot) == metrics.accuracy(output, [0, 0]) == 1.0
    assert metrics.accuracy(output, one_hot, loss="cross_entropy") == 1.0
    # binary cross-entropy: every output thresholded at 0.5, the fraction of outputs right
    assert metrics.accuracy(output, multi_hot, loss="binary_cross_entropy") == 1.0
    assert metrics.accuracy(output, one_hot, loss="binary_cross_entropy") == 0.5
    partly = np.array([[1.0, 0.0], [0.0, 0.0]])      # sample 0: 1 of 2 outputs right
    assert metrics.accuracy(output, partly, loss="binary_cross_entropy") == 0.75


def test_accuracy_with_one_output_thresholds_at_one_half():
    output = np.array([[0.7], [0.4], [0.51], [0.2]])
    for target in (np.array([1, 0, 0, 0]), np.array([[1.0], [0.0], [0.0], [0.0]])):
        assert metrics.accuracy(output, target) == 0.75
        assert metrics.accuracy(output, target, loss="binary_cross_entropy") == 0.75
        assert metrics.accuracy(output, target, loss=nf.losses.BinaryCrossEntropy()) == 0.75
    assert metrics.accuracy(np.array([1, 0, 2]), np.array([1, 1, 2])) == pytest.approx(2 / 3)


def test_network_scores_use_the_meaning_of_their_loss():
    x = np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 2.0], [-2.0, -2.0]])
    multi_label = nf.Network([nf.Dense(2, 2, activation="sigmoid")], seed=0, dtype="float64")
    multi_label.layers[0].params["W"][...] = np.eye(2) * 5
    multi_label.layers[0].params["b"][...] = -5
    y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 1.0]])  # last sample: 1 of 2
    assert multi_label.loss.name == "binary_cross_entropy"
    assert multi_label.evaluate(x, y)["accuracy"] == 7 / 8
    history = multi_label.fit(x, y, epochs=1, batch_size=4, learning_rate=1e-12, verbose=0)
    assert history.history["accuracy"] == [7 / 8]
    softmax = nf.Network([nf.Dense(2, 2, activation="softmax")], seed=0, dtype="float64")
    softmax.layers[0].params["W"][...] = np.eye(2) * 5
    labels = np.array([0, 1, 0, 1])  # sample 2 ties (argmax 0)
    assert softmax.evaluate(x, labels)["accuracy"] == 0.75
    assert softmax.evaluate(x, np.eye(2)[labels])["accuracy"] == 0.75


def test_regression_scores_by_hand():
    y_true = np.array([3.0, -0.5, 2.0, 7.0])
    y_pred = np.array([2.5, 0.0, 2.0, 8.0])
    # residuals -0.5, 0.5, 0, 1: |.| sums to 2, squares to 1.5; mean 2.875, total 29.1875
    assert metrics.mean_absolute_error(y_true, y_pred) == pytest.approx(2 / 4)
    assert metrics.root_mean_squared_error(y_true, y_pred) == pytest.approx(np.sqrt(1.5 / 4))
    assert metrics.r2_score(y_true, y_pred) == pytest.approx(1 - 1.5 / 29.1875)
    assert metrics.r2_score(y_true, np.full(4, y_true.mean())) == pytest.approx(0.0)
    assert metrics.r2_score(y_true, y_true) == 1.0
    # a column vector (n, 1) is the same as (n,)
    assert metrics.r2_score(y_true[:, None], y_pred) == pytest.approx(1 - 1.5 / 29.1875)


def test_r2_averages_columns_and_scores_a_constant_target_as_scikit_learn():
    y_true = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    exact = metrics.r2_score(y_true, y_true)
    assert exact == 1.0
    off = y_true + np.array([[0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    assert metrics.r2_score(y_true, off) == pytest.approx((1.0 + 0.0) / 2)  # constant: 0


def test_regression_scores_refuse_shapes_that_differ():
    with pytest.raises(ValueError, match=r"y_pred: expected the shape of y_true \(3, 1\)"):
        metrics.r2_score(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one sample"):
        metrics.mean_absolute_error(np.zeros(0), np.zeros(0))
