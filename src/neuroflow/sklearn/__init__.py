"""scikit-learn estimators over neuroflow: :class:`MLPClassifier` and :class:`MLPRegressor`.

They follow scikit-learn's conventions (constructor stores parameters unchanged, ``fit``
validates them and returns ``self``, learned attributes end in ``_``) so they work in
``Pipeline``, ``GridSearchCV``, ``cross_val_score`` and pass scikit-learn's estimator
checks. Under the hood each one builds a :class:`neuroflow.Network` of
:class:`neuroflow.Dense` layers and trains it with :func:`neuroflow.fit`; the trained
network is ``network_`` (save it with ``network_.save(path)`` or export it to ONNX).

Requires the ``sklearn`` extra (``pip install neuroflow[sklearn]``).

Not supported (declared honestly through the tags): sparse inputs, missing values,
multi-label classification and per-sample weights.
"""

from neuroflow.sklearn.classifier import MLPClassifier
from neuroflow.sklearn.regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
