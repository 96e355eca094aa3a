"""scikit-learn estimators: the full estimator-check suite, pipelines and grid search."""

import numpy as np
import pytest

# optional extra (pip install 'neuroflow[sklearn]'): skip, rather than fail at collection
pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import neuroflow as nf  # noqa: E402
from neuroflow.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_sklearn_estimator_checks(estimator, check, monkeypatch):
    # The array-API check (NumPy namespace only, as these estimators do not declare array
    # API support) runs only when SciPy's array API switch is set.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


def test_grid_search_over_scaled_pipeline():
    x, y = nf.datasets.make_moons(160, noise=0.1, seed=1)
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("mlp", MLPClassifier(random_state=0, max_iter=150))])
    search = GridSearchCV(pipeline, {"mlp__hidden_layer_sizes": [(4,), (16,)],
                                     "mlp__learning_rate": [1e-2]}, cv=2)
    search.fit(x, y)
    assert search.best_params_["mlp__hidden_layer_sizes"] in [(4,), (16,)]
    assert search.best_score_ > 0.85
    assert search.score(x, y) > 0.9


def test_classifier_string_labels_probabilities_and_attributes():
    x, y = nf.datasets.make_moons(120, noise=0.05, seed=2)
    names = np.array(["east", "west"])[y]
    model = MLPClassifier(hidden_layer_sizes=(16,), learning_rate=1e-2, random_state=0)
    model.fit(x, names)
    proba = model.predict_proba(x)
    assert proba.shape == (120, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.classes_.tolist() == ["east", "west"]
    assert (model.predict(x) == names).mean() > 0.95
    assert model.n_layers_ == 3 and model.n_outputs_ == 2 and model.n_features_in_ == 2
    assert [w.shape for w in model.coefs_] == [(2, 16), (16, 2)]
    assert len(model.loss_curve_) == model.n_iter_ <= 200
    assert isinstance(model.network_, nf.Network)


def test_same_random_state_same_model():
    x, y = nf.datasets.make_moons(60, seed=3)
    first = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=7)
    with pytest.warns(Warning, match="did not converge"):
        a = first.fit(x, y).predict_proba(x)
    with pytest.warns(Warning, match="did not converge"):
        b = clone(first).fit(x, y).predict_proba(x)
    np.testing.assert_array_equal(a, b)


def test_partial_fit_continues_and_requires_classes():
    x, y = nf.datasets.make_moons(100, noise=0.1, seed=4)
    model = MLPClassifier(hidden_layer_sizes=(16,), learning_rate=1e-2, random_state=0)
    with pytest.raises(ValueError, match="classes: expected every class label"):
        model.partial_fit(x, y)
    losses = []
    for _ in range(30):
        model.partial_fit(x[:50], y[:50], classes=[0, 1])
        model.partial_fit(x[50:], y[50:])
        losses.append(model.loss_)
    assert model.n_iter_ == 60
    assert losses[-1] < losses[0]
    with pytest.raises(ValueError, match=r"received unknown labels \[5\]"):
        model.partial_fit(x[:2], [0, 5])


def test_early_stopping_records_validation_and_stops():
    x, y = nf.datasets.make_moons(200, noise=0.2, seed=5)
    model = MLPClassifier(hidden_layer_sizes=(32,), learning_rate=3e-2, early_stopping=True,
                          n_iter_no_change=5, random_state=0).fit(x, y)
    assert model.n_iter_ < 200
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)


def test_alpha_shrinks_weights():
    x, y = nf.datasets.make_regression(80, n_features=2, seed=6)
    plain = MLPRegressor(hidden_layer_sizes=(8,), max_iter=60, tol=0.0, random_state=0)
    ridge = clone(plain).set_params(alpha=5.0)
    with pytest.warns(Warning, match="did not converge"):
        plain.fit(x, y)
    with pytest.warns(Warning, match="did not converge"):
        ridge.fit(x, y)
    norm = [sum(float((w ** 2).sum()) for w in m.coefs_) for m in (plain, ridge)]
    assert norm[1] < norm[0]


def test_regressor_fits_toy_regression_single_and_multi_output():
    x, y = nf.datasets.make_regression(200, n_features=2, seed=0)
    y = y.reshape(-1)
    model = MLPRegressor(hidden_layer_sizes=(32,), learning_rate=1e-2, random_state=0)
    model.fit(x, y)
    assert model.predict(x).shape == (200,)
    assert model.score(x, y) > 0.9
    x2, y2 = nf.datasets.make_regression(100, n_features=2, n_targets=3, seed=0)
    multi = MLPRegressor(hidden_layer_sizes=(16,), learning_rate=1e-2, random_state=0)
    assert multi.fit(x2, y2).predict(x2).shape == (100, 3)
    with pytest.raises(ValueError, match=r"y: expected 3 target column\(s\)"):
        multi.partial_fit(x2, y2[:, :2])


@pytest.mark.parametrize(("params", "match"), [
    ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes: expected a sequence of positive"),
    ({"activation": "swish"}, "activation: expected one of"),
    ({"solver": "lbfgs"}, "solver: expected one of adam"),
    ({"alpha": -1.0}, "alpha: expected a finite number >= 0"),
    ({"batch_size": 0}, "batch_size: expected an integer >= 1"),
    ({"learning_rate": 0.0}, "learning_rate: expected a finite number > 0"),
    ({"max_iter": 0}, "max_iter: expected an integer >= 1"),
    ({"tol": -1e-3}, "tol: expected a finite number >= 0"),
    ({"n_iter_no_change": 0}, "n_iter_no_change: expected an integer >= 1"),
    ({"validation_fraction": 1.0}, r"validation_fraction: expected a finite number > 0.0 and"),
    ({"dtype": "float16"}, "dtype: expected 'float32' or 'float64'"),
    ({"verbose": 5}, "verbose: expected 0, 1 or 2"),
    ({"random_state": -3}, "random_state: expected None, a non-negative integer"),
])
def test_invalid_parameters_raise_in_fit(params, match):
    model = MLPClassifier(**params)  # construction never validates (scikit-learn rule)
    with pytest.raises(ValueError, match=match):
        model.fit([[0.0], [1.0]], [0, 1])


def test_one_class_is_an_error():
    with pytest.raises(ValueError, match="received 1 class"):
        MLPClassifier().fit([[0.0], [1.0]], [3, 3])


def test_early_stopping_needs_training_samples():
    with pytest.raises(ValueError, match="validation_fraction: 0.9 of 2 samples"):
        MLPRegressor(early_stopping=True, validation_fraction=0.9).fit([[0.0], [1.0]], [0, 1])
