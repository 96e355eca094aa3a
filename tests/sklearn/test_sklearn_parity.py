"""neuroflow's MLPClassifier/MLPRegressor against scikit-learn's, side by side.

With the same integer ``random_state`` both start from the same weights, draw the same
sample order and the same early-stopping split, and apply the same update rules, so after
a few epochs (or L-BFGS iterations) in float64 they agree to rounding: weights within
1e-9, losses within 1e-10 relative (what the reordered floating-point sums allow over
these short runs). Each case changes one parameter from the base settings and also
checks that the change moves neuroflow's result, so a parameter that was accepted but
ignored fails its case.
"""

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn import neural_network  # noqa: E402

from neuroflow.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 4))
Y3 = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)  # three classes
Y2 = (X[:, 0] * X[:, 3] > 0).astype(int)
YR = np.column_stack([X[:, 0] - 2 * X[:, 1] ** 2, np.sin(X[:, 2])])
BASE = {"hidden_layer_sizes": (6,), "max_iter": 12, "random_state": 0,
        "learning_rate_init": 0.01}

CASES = [
    {"hidden_layer_sizes": (5, 3)},
    {"hidden_layer_sizes": 4},
    {"hidden_layer_sizes": []},
    {"activation": "identity"},
    {"activation": "logistic"},
    {"activation": "tanh"},
    {"solver": "sgd"},
    {"solver": "lbfgs"},
    {"alpha": 0.5},
    {"batch_size": 7},
    {"learning_rate_init": 0.05},
    {"max_iter": 4},
    {"shuffle": False, "batch_size": 7},
    {"random_state": 3},
    {"tol": 0.05, "n_iter_no_change": 1},
    {"n_iter_no_change": 3, "tol": 0.05},
    {"solver": "sgd", "learning_rate": "invscaling", "learning_rate_init": 0.5},
    {"solver": "sgd", "learning_rate": "invscaling", "learning_rate_init": 0.5,
     "power_t": 0.2},
    {"solver": "sgd", "learning_rate": "adaptive", "tol": 0.02, "n_iter_no_change": 1},
    {"solver": "sgd", "momentum": 0.5},
    {"solver": "sgd", "nesterovs_momentum": False},
    {"beta_1": 0.5},
    {"beta_2": 0.9},
    {"epsilon": 1e-2},
    {"early_stopping": True, "n_iter_no_change": 2},
    {"early_stopping": True, "validation_fraction": 0.3},
    {"solver": "lbfgs", "max_fun": 7},
    {"solver": "lbfgs", "tol": 1e-2, "max_iter": 200},
]


def _fit(estimator, x, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(x, y, **fit_params)


def _assert_same(ours, theirs):
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    assert ours.out_activation_ == theirs.out_activation_
    assert ours.n_layers_ == theirs.n_layers_ and ours.n_outputs_ == theirs.n_outputs_
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-10)
    for name in ("loss_curve_", "validation_scores_"):
        if getattr(theirs, name, None) is not None:
            np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-10)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_, strict=True):
        np.testing.assert_allclose(mine, reference, atol=1e-9)


def _changed(model, x, y, params):
    reference = _fit(type(model)(**BASE), x, y)
    return any(a.shape != b.shape or not np.allclose(a, b)
               for a, b in zip(model.coefs_, reference.coefs_)) or \
        model.n_iter_ != reference.n_iter_


@pytest.mark.parametrize("params", CASES, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_each_parameter_matches_scikit_learn_classifier(params):
    y = Y2 if params.get("early_stopping") else Y3  # scikit-learn stratifies binary only
    ours = _fit(MLPClassifier(**{**BASE, **params}), X, y)
    theirs = _fit(neural_network.MLPClassifier(**{**BASE, **params}), X, y)
    _assert_same(ours, theirs)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-9)
    assert _changed(ours, X, y, params), f"{params} changed nothing"


@pytest.mark.parametrize("params", [{}, {"solver": "lbfgs"}, {"solver": "sgd",
                                                                "learning_rate_init": 0.001},
                                    {"loss": "poisson"}, {"early_stopping": True}])
def test_regressor_matches_scikit_learn(params):
    y = np.exp(YR / 3) if params.get("loss") == "poisson" else YR
    ours = _fit(MLPRegressor(**{**BASE, **params}), X, y)
    theirs = _fit(neural_network.MLPRegressor(**{**BASE, **params}), X, y)
    _assert_same(ours, theirs)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-9)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sample_weight_binary_and_multilabel_match_scikit_learn(solver):
    weights = RNG.uniform(0.1, 3.0, size=len(X))
    labels = np.column_stack([Y2, X[:, 1] > 0, X[:, 2] < 0]).astype(int)
    for y in (Y2, labels):
        params = {**BASE, "solver": solver}
        ours = _fit(MLPClassifier(**params), X, y, sample_weight=weights)
        theirs = _fit(neural_network.MLPClassifier(**params), X, y, sample_weight=weights)
        _assert_same(ours, theirs)
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_warm_start_and_partial_fit_match_scikit_learn():
    pairs = [(MLPClassifier(**BASE, warm_start=True),
              neural_network.MLPClassifier(**BASE, warm_start=True))]
    for ours, theirs in pairs:
        for _ in range(2):
            _fit(ours, X, Y3)
            _fit(theirs, X, Y3)
        _assert_same(ours, theirs)
    ours = MLPClassifier(**{**BASE, "solver": "sgd"})
    theirs = neural_network.MLPClassifier(**{**BASE, "solver": "sgd"})
    for start in (0, 30, 0):
        ours.partial_fit(X[start:start + 30], Y3[start:start + 30], classes=[0, 1, 2])
        theirs.partial_fit(X[start:start + 30], Y3[start:start + 30], classes=[0, 1, 2])
    _assert_same(ours, theirs)


def test_float32_is_kept_and_close_to_scikit_learn():
    x32 = X.astype(np.float32)
    ours = _fit(MLPClassifier(**BASE), x32, Y3)
    theirs = _fit(neural_network.MLPClassifier(**BASE), x32, Y3)
    assert ours.coefs_[0].dtype == np.float32 and ours.predict_proba(x32).dtype == np.float32
    for mine, reference in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(mine, reference, atol=1e-4)
