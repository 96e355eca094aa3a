"""scikit-learn's multi-layer perceptron classifier over a neuroflow network."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroflow.sklearn._base import BaseMLP
from neuroflow.sklearn._compat import (
    ClassifierMixin,
    LabelBinarizer,
    _check_partial_fit_first_call,
    available_if,
    column_or_1d,
    compute_sample_weight,
    type_of_target,
    unique_labels,
    validate_data,
)
from neuroflow.sklearn._params import ATTRIBUTES_DOC, CLASSIFIER_CONSTRAINTS, PARAMETERS_DOC

__all__ = ["MLPClassifier"]


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's ``MLPClassifier`` on neuroflow.

    The same parameters, defaults, errors, fitted attributes and training rules as
    ``sklearn.neural_network.MLPClassifier`` (with the same integer ``random_state`` it
    starts from the same weights and visits the samples in the same order). Outputs:
    softmax over the classes (more than two), one logistic unit (two classes), or one
    logistic unit per label (a multilabel indicator ``y``); the loss is the log loss.
    """

    __doc__ = (__doc__ or "") + PARAMETERS_DOC + """
    class_weight : dict, "balanced" or None, default None
        neuroflow's extra: weights of the classes (``{label: weight}``, or "balanced":
        ``n_samples / (n_classes * bincount(y))``), multiplied into ``sample_weight``
        (scikit-learn's ``compute_sample_weight``: for a multilabel ``y``, "balanced" or
        one dict per label, multiplied; in ``partial_fit`` "balanced" counts each call's
        labels).
    """ + ATTRIBUTES_DOC + """
    classes_ : ndarray (n_classes,)
        The class labels, sorted (``[0, ..., n_labels - 1]`` for multilabel ``y``).

    Examples
    --------
    >>> from neuroflow.sklearn import MLPClassifier
    >>> from neuroflow.datasets.toy import make_moons
    >>> x, y = make_moons(200, noise=0.1, seed=0)
    >>> model = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0)
    >>> model.fit(x, y).predict_proba(x[:3]).shape
    (3, 2)
    """

    _parameter_constraints: dict = CLASSIFIER_CONSTRAINTS

    def __init__(self, hidden_layer_sizes: Sequence[int] | int = (100,),
                 activation: str = "relu", *, solver: str = "adam", alpha: float = 1e-4,
                 batch_size: int | str = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 1e-3, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool | int = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, max_fun: int = 15000,
                 dropout: float = 0.0, batch_norm: bool = False,
                 class_weight: dict | str | None = None) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.class_weight = class_weight

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool
                        ) -> tuple[Any, np.ndarray, np.ndarray | None]:
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` "
                                 f"has {self.classes_}. 'y' has {classes}.")
        factors = None
        if self.class_weight is not None:  # multilabel: the product over the labels
            factors = compute_sample_weight(self.class_weight, y).astype(X.dtype)
        Y = self._label_binarizer.transform(y).astype(X.dtype)
        return X, Y, factors

    def _output_name(self, Y: np.ndarray) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _describe_network(self) -> None:
        super()._describe_network()
        names = [getattr(label, "item", lambda label=label: label)() for label in self.classes_]
        if self._label_binarizer.y_type_ != "multilabel-indicator" and len(names) > 1 and \
                all(isinstance(name, (str, int, float, bool)) for name in names):
            self.network_.class_names = names  # output j is classes_[j] (binary: [0, 1])

    def _stratify(self, Y: np.ndarray) -> np.ndarray | None:
        # a stratified hold-out for single-label targets (scikit-learn stratifies only
        # binary ones); none for multilabel
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return None
        return Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0]

    def _indicator(self, output: np.ndarray) -> np.ndarray:
        if self.out_activation_ == "softmax":
            return output.argmax(axis=1)[:, None] == np.arange(output.shape[1])
        return output > 0.5

    def _score_outputs(self, output: np.ndarray, Y: np.ndarray,
                       sample_weight: np.ndarray | None) -> float:
        """Accuracy (subset accuracy for multilabel), as ``score`` gives it."""
        correct = (self._indicator(output) == (Y > 0.5)).all(axis=1)
        return float(np.average(correct, weights=sample_weight))

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Train on ``X (n_samples, n_features)`` (dense or sparse) and labels ``y
        (n_samples,)`` or a multilabel indicator ``(n_samples, n_labels)``."""
        return self._fit(X, y, sample_weight, incremental=False)  # type: ignore[return-value]

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None,
                    classes: Any = None) -> MLPClassifier:
        """One epoch over ``(X, y)``, continuing the weights and the solver's state.

        ``classes`` (every label that will ever occur) is required on the first call.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight, incremental=True)  # type: ignore[return-value]

    def predict(self, X: Any) -> np.ndarray:
        """Labels ``(n_samples,)``, or a multilabel indicator ``(n_samples, n_labels)``."""
        output = self._forward_checked(X)
        if self.n_outputs_ == 1:
            output = output.ravel()
        return self._label_binarizer.inverse_transform(output)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``; columns follow ``classes_``."""
        output = self._forward_checked(X)
        if self.n_outputs_ == 1:
            output = output.ravel()
        if output.ndim == 1:
            return np.vstack([1 - output, output]).T
        return output

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``."""
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
