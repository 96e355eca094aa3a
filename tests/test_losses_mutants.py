"""Losses: behaviour pinned by the mutation run of ``losses.py`` (docs/testing.md).

Each test checks something a changed implementation gets wrong: the targets two-output
networks receive, the argument name and dtype carried through ``prepare_targets``, the
row rescaling of probability targets, the registry and the descriptions.
"""

from __future__ import annotations

import numpy as np
import pytest

from neuroflow import losses


def test_mse_with_two_outputs_one_hot_encodes_whole_number_labels() -> None:
    mse = losses.get("mse")
    prepared = mse.prepare_targets(np.array([1, 0, 1]), 2, np.float32)
    assert mse.is_classification is True
    np.testing.assert_array_equal(prepared, [[0, 1], [1, 0], [0, 1]])


def test_mse_label_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match=r"^y_val: expected class labels in \[0, 1\], received "
                                        r"values in \[0, 2\]$"):
        losses.get("mse").prepare_targets(np.array([0, 2]), 2, np.float32, "y_val")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_targets_take_the_networks_dtype(dtype) -> None:
    prepared = losses.get("bce").prepare_targets(np.array([1, 0, 1]), 1, dtype)
    assert prepared.dtype == dtype and prepared.shape == (3, 1)
    np.testing.assert_array_equal(prepared[:, 0], [1, 0, 1])


def test_binary_cross_entropy_errors_name_the_argument() -> None:
    bce = losses.get("bce")
    with pytest.raises(ValueError, match=r"^y_val: expected targets of shape \(n_samples, 2\), "
                                        r"received shape \(3,\)$"):
        bce.prepare_targets(np.array([1, 0, 1]), 2, np.float32, "y_val")
    with pytest.raises(ValueError, match=r"^y_val: binary_cross_entropy expects targets in "
                                        r"\[0, 1\], received values in \[-1\.0, 1\.0\] "
                                        r"\(first outside at row 2\)$"):
        bce.prepare_targets(np.array([[1.0], [-1.0]]), 1, np.float32, "y_val")


def test_cross_entropy_row_targets_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match=r"^y_val: expected targets of shape \(n_samples, 3\), "
                                        r"received shape \(2, 2\)$"):
        losses.get("cross_entropy").prepare_targets(np.eye(2), 3, np.float32, "y_val")


def test_cross_entropy_of_probability_rows_with_a_zero_probability_is_finite() -> None:
    """``log`` of a probability clipped to the dtype's epsilon, for rows as for labels."""
    cross_entropy = losses.get("cross_entropy")
    output = np.array([[0.0, 1.0], [0.5, 0.5]])
    rows = np.array([[1.0, 0.0], [0.0, 1.0]])
    value = cross_entropy.value(output, rows)
    assert value == pytest.approx((-np.log(np.finfo(np.float64).eps) - np.log(0.5)) / 2)
    assert value == cross_entropy.value(output, np.array([0, 1]))
    assert cross_entropy.value(output, np.array([[0.0, 1.0], [1.0, 0.0]])) == pytest.approx(
        -np.log(0.5) / 2)  # a zero probability of a class the row gives no weight costs nothing


def test_repr_names_the_loss_class() -> None:
    assert repr(losses.get("mse")) == "MeanSquaredError()"
    assert repr(losses.get("bce")) == "BinaryCrossEntropy()"
