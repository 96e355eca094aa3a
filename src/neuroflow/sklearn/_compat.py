"""scikit-learn and SciPy, the optional extra ``neuroflow[sklearn]``, imported in one place
with an error that names the extra when either is missing or scikit-learn is older than 1.6."""

try:
    import scipy.optimize as scipy_optimize
    import scipy.sparse as scipy_sparse
    from scipy.special import xlogy
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state, column_or_1d, gen_batches, shuffle
    from sklearn.utils._param_validation import Interval, Options, StrOptions
    from sklearn.utils.class_weight import compute_sample_weight
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import (
        _check_partial_fit_first_call,
        type_of_target,
        unique_labels,
    )
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
except ImportError as error:  # pragma: no cover - depends on the installation
    raise ImportError(
        "neuroflow.sklearn needs scikit-learn >= 1.6 and SciPy: pip install 'neuroflow[sklearn]'"
    ) from error

__all__ = ["BaseEstimator", "ClassifierMixin", "RegressorMixin", "ConvergenceWarning",
           "Interval", "LabelBinarizer", "Options", "StrOptions", "accuracy_score",
           "available_if", "check_is_fitted", "check_random_state", "column_or_1d",
           "compute_sample_weight", "gen_batches", "is_classifier", "r2_score",
           "scipy_optimize", "scipy_sparse", "shuffle", "train_test_split", "type_of_target",
           "unique_labels", "validate_data", "xlogy", "_check_sample_weight",
           "_check_partial_fit_first_call"]
