"""scikit-learn's multi-layer perceptron on neuroflow: :class:`MLPClassifier` and
:class:`MLPRegressor`, drop-in replacements for ``sklearn.neural_network``'s.

Every constructor parameter of scikit-learn's estimators, with its name, default,
meaning and validation error; ``fit(X, y, sample_weight=)``, ``partial_fit``, multilabel
classification, multi-output regression, sparse ``X`` and float32 (kept) work as there,
and the fitted attributes are scikit-learn's. With the same integer ``random_state`` the
initial weights, the order of the samples and the early-stopping split are scikit-learn's
too. Extra parameters: ``dropout``, ``batch_norm`` and (classifier) ``class_weight``.
The trained network is ``network_`` (``network_.save(path)``, ONNX export); the
estimators themselves pickle (joblib) like any scikit-learn estimator.
``docs/sklearn.md`` lists every parameter and where neuroflow differs.

Requires the ``sklearn`` extra (``pip install neuroflow[sklearn]``: scikit-learn, SciPy).
"""

from neuroflow.sklearn.classifier import MLPClassifier
from neuroflow.sklearn.regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
