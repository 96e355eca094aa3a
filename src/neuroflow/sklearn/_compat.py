"""scikit-learn, the optional extra ``neuroflow[sklearn]``, imported in one place with an
error that names the extra when it is missing or older than 1.6."""

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils.multiclass import check_classification_targets, unique_labels
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as error:  # pragma: no cover - depends on the installation
    raise ImportError(
        "neuroflow.sklearn needs scikit-learn >= 1.6: pip install 'neuroflow[sklearn]'"
    ) from error

__all__ = ["BaseEstimator", "ClassifierMixin", "RegressorMixin", "ConvergenceWarning",
           "check_classification_targets", "unique_labels", "check_is_fitted",
           "validate_data"]
