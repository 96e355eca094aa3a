"""scikit-learn's multi-layer perceptron classifier over a neuroflow network."""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow.sklearn._base import PARAMETERS_DOC, BaseMLP
from neuroflow.sklearn._compat import (
    ClassifierMixin,
    check_classification_targets,
    unique_labels,
)

__all__ = ["MLPClassifier"]


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier: a neuroflow network with a softmax output.

    Trained by mini-batch gradient descent on the cross-entropy
    :math:`-\\frac1n \\sum_i \\log p_{i, y_i}`, with one softmax output per class
    (two for a binary task).
    """

    __doc__ = (__doc__ or "") + PARAMETERS_DOC + """
    classes_ : ndarray (n_classes,)
        The class labels, sorted; output ``j`` is the probability of ``classes_[j]``.

    Examples
    --------
    >>> from neuroflow.sklearn import MLPClassifier
    >>> from neuroflow.datasets.toy import make_moons
    >>> x, y = make_moons(200, noise=0.1, seed=0)
    >>> model = MLPClassifier(hidden_layer_sizes=(16,), random_state=0).fit(x, y)
    >>> model.predict_proba(x[:3]).shape
    (3, 2)
    """

    _output_activation = "softmax"
    _loss = "cross_entropy"

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _prepare_y(self, y: np.ndarray, first: bool, classes: Any = None) -> np.ndarray:
        check_classification_targets(y)
        if first:
            found = unique_labels(classes) if classes is not None else np.unique(y)
            if len(found) < 2:
                raise ValueError(f"y: expected at least 2 classes, received 1 class "
                                 f"({found[0]!r}); a classifier needs two or more")
            self.classes_ = found
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y: expected labels among classes {self.classes_.tolist()}, "
                             f"received unknown labels {unknown.tolist()}")
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train on ``X (n_samples, n_features)`` and labels ``y (n_samples,)``."""
        return self._fit(X, y, partial=False)  # type: ignore[return-value]

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """One epoch over ``(X, y)``, continuing the network and optimiser state.

        ``classes`` (every label that will ever occur) is required on the first call.
        """
        if not hasattr(self, "network_") and classes is None:
            raise ValueError("classes: expected every class label on the first partial_fit "
                             "call, received None")
        return self._fit(X, y, partial=True, classes=classes)  # type: ignore[return-value]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``; columns follow ``classes_``."""
        return self._forward(X)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class label of each sample, ``(n_samples,)``."""
        output = self._forward(X)
        return self.classes_[output.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags
