"""scikit-learn estimators: the estimator-check suite, the data shapes people have
(strings, pandas, sparse, float32, multilabel, multi-output), pickling, errors and the
extras. Agreement with scikit-learn's own MLP, parameter by parameter, is in
tests/sklearn/test_sklearn_parity.py."""

import io
import warnings

import joblib
import numpy as np
import pytest

# optional extra (pip install 'neuroflow[sklearn]'): skip, rather than fail at collection
pytest.importorskip("sklearn")

import scipy.sparse  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.class_weight import compute_sample_weight  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import neuroflow as nf  # noqa: E402
from neuroflow.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

SMALL = {"hidden_layer_sizes": (16,), "learning_rate_init": 0.01, "max_iter": 100}
X, Y = nf.datasets.make_moons(120, noise=0.1, seed=2)


def quiet(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([MLPClassifier(**SMALL), MLPRegressor(**SMALL)])
def test_sklearn_estimator_checks(estimator, check, monkeypatch):
    # The array-API check (NumPy namespace only, as these estimators do not declare array
    # API support) runs only when SciPy's array API switch is set.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


def test_grid_search_over_scaled_pipeline():
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("mlp", MLPClassifier(random_state=0, max_iter=300))])
    search = GridSearchCV(pipeline, {"mlp__hidden_layer_sizes": [(4,), (16,)],
                                     "mlp__learning_rate_init": [1e-2]}, cv=2)
    quiet(search, X, Y)
    assert search.best_params_["mlp__hidden_layer_sizes"] in [(4,), (16,)]
    assert search.best_score_ > 0.85


def test_string_and_pandas_labels_and_feature_names():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(X, columns=["width", "height"])
    labels = pandas.Series(np.array(["east", "west"])[Y], dtype="category")
    model = quiet(MLPClassifier(solver="lbfgs", random_state=0, hidden_layer_sizes=(16,)),
                  frame, labels)
    assert model.classes_.tolist() == ["east", "west"]
    assert model.feature_names_in_.tolist() == ["width", "height"]
    assert (model.predict(frame) == labels.to_numpy()).mean() > 0.8
    proba = model.predict_proba(frame)
    assert proba.shape == (120, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    with np.errstate(divide="ignore"):  # log(0) = -inf, as scikit-learn's
        np.testing.assert_allclose(model.predict_log_proba(frame), np.log(proba))
    assert model.n_outputs_ == 1 and model.out_activation_ == "logistic"
    assert isinstance(model.network_, nf.Network)


def test_multiclass_multilabel_and_multi_output_shapes():
    three = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    model = quiet(MLPClassifier(**SMALL, random_state=0), X, three)
    assert model.out_activation_ == "softmax" and model.predict_proba(X).shape == (120, 3)
    indicator = np.column_stack([Y, X[:, 1] > 0.2, X[:, 0] < 0]).astype(int)
    multi = quiet(MLPClassifier(**SMALL, random_state=0), X, indicator)
    assert multi.out_activation_ == "logistic" and multi.predict(X).shape == (120, 3)
    assert set(np.unique(multi.predict(X))) <= {0, 1}
    assert multi.score(X, indicator) > 0.7  # subset accuracy
    targets = np.column_stack([X[:, 0] ** 2, X[:, 1]])
    regressor = quiet(MLPRegressor(**SMALL, random_state=0), X, targets)
    assert regressor.predict(X).shape == (120, 2) and regressor.n_outputs_ == 2
    with pytest.raises(ValueError, match=r"y: expected 2 target column\(s\)"):
        regressor.partial_fit(X, targets[:, :1].ravel())
    counts = quiet(MLPRegressor(loss="poisson", **SMALL, random_state=0), X,
                   np.exp(X[:, 0]))
    assert counts.out_activation_ == "exp" and (counts.predict(X) > 0).all()


@pytest.mark.parametrize("densify_whole", [True, False])
def test_sparse_input_trains_like_dense_and_float32_is_kept(densify_whole, monkeypatch):
    if not densify_whole:  # a large sparse X: densified one batch at a time
        monkeypatch.setattr("neuroflow.sklearn._base._DENSE_BYTES", 0)
    dense = quiet(MLPClassifier(**SMALL, batch_size=32, random_state=0), X, Y)
    sparse = quiet(MLPClassifier(**SMALL, batch_size=32, random_state=0),
                   scipy.sparse.csc_matrix(X), Y)
    np.testing.assert_allclose(sparse.predict_proba(scipy.sparse.csr_matrix(X)),
                               dense.predict_proba(X), atol=1e-12)
    single = quiet(MLPRegressor(**SMALL, random_state=0), X.astype(np.float32), X[:, 0])
    assert all(w.dtype == np.float32 for w in single.coefs_ + single.intercepts_)
    assert single.predict(X.astype(np.float32)).dtype == np.float32


def test_pickles_with_joblib_and_keeps_training():
    model = quiet(MLPClassifier(**SMALL, random_state=0), X, Y)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    loaded.partial_fit(X, Y)
    model.partial_fit(X, Y)
    np.testing.assert_array_equal(loaded.coefs_[0], model.coefs_[0])


def test_partial_fit_rules():
    model = MLPClassifier(**SMALL, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, Y)
    model.partial_fit(X[:60], Y[:60], classes=[0, 1, 5])
    assert model.classes_.tolist() == [0, 1, 5] and model.n_iter_ == 1
    assert model.t_ == 60
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        model.partial_fit(X[:2], [0, 7])
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X, Y)


def test_warnings_for_max_iter_lbfgs_and_batch_size():
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        MLPClassifier(max_iter=3).fit(X, Y)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge after 2 iter"):
        MLPClassifier(solver="lbfgs", max_iter=2).fit(X, Y)
    with pytest.warns(UserWarning, match="It is going to be clipped"):
        quiet(MLPClassifier(batch_size=1000, max_iter=2), X, Y)


@pytest.mark.parametrize(("params", "match"), [
    ({"hidden_layer_sizes": (4, 0)}, r"hidden_layer_sizes must be > 0, got \[4, 0\]"),
    ({"activation": "swish"}, "The 'activation' parameter of MLPClassifier must be a str "
                              "among"),
    ({"solver": "rmsprop"}, "The 'solver' parameter of MLPClassifier must be a str among"),
    ({"learning_rate": 0.01}, "The 'learning_rate' parameter of MLPClassifier must be a "
                              "str among"),
    ({"learning_rate_init": 0.0}, "The 'learning_rate_init' parameter .* must be a float "
                                  r"in the range \(0.0, inf\)"),
    ({"alpha": -1.0}, "The 'alpha' parameter"),
    ({"batch_size": 0}, "The 'batch_size' parameter"),
    ({"momentum": 1.5}, "The 'momentum' parameter"),
    ({"beta_2": 1.0}, "The 'beta_2' parameter"),
    ({"n_iter_no_change": 0}, "The 'n_iter_no_change' parameter"),
    ({"max_fun": 0}, "The 'max_fun' parameter"),
    ({"validation_fraction": 1.0}, "The 'validation_fraction' parameter"),
    ({"dropout": 1.0}, "The 'dropout' parameter"),
    ({"class_weight": "even"}, "The 'class_weight' parameter"),
    ({"random_state": "seed"}, "The 'random_state' parameter"),
    ({"solver": "lbfgs", "dropout": 0.2}, "dropout: expected 0 with solver='lbfgs'"),
])
def test_invalid_parameters_raise_in_fit(params, match):
    model = MLPClassifier(**params)  # construction never validates (scikit-learn rule)
    with pytest.raises(ValueError, match=match):
        model.fit([[0.0], [1.0]], [0, 1])


def test_early_stopping_scores_a_stratified_hold_out_and_keeps_the_best_weights():
    three = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    model = quiet(MLPClassifier(**SMALL, early_stopping=True, validation_fraction=0.25,
                                n_iter_no_change=3, random_state=0), X, three)
    assert model.best_loss_ is None and model.n_iter_ < 100
    assert len(model.validation_scores_) == model.n_iter_
    assert all(0 <= s <= 1 for s in model.validation_scores_)  # accuracies, not losses
    assert model.best_validation_score_ == max(model.validation_scores_)
    with pytest.raises(ValueError, match="The validation set is too small"):
        MLPRegressor(early_stopping=True).fit(X[:5], Y[:5])


def test_verbose_prints_each_epoch(capsys):
    quiet(MLPClassifier(max_iter=2, verbose=True), X, Y)
    assert "Iteration 2, loss = " in capsys.readouterr().out


def test_extras_dropout_batch_norm_and_class_weight():
    plain = quiet(MLPClassifier(**SMALL, random_state=0), X, Y)
    dropped = quiet(MLPClassifier(**SMALL, dropout=0.3, random_state=0), X, Y)
    again = quiet(clone(dropped), X, Y)
    assert not np.allclose(plain.coefs_[0], dropped.coefs_[0])
    np.testing.assert_array_equal(dropped.coefs_[0], again.coefs_[0])
    assert [type(layer).__name__ for layer in dropped.network_.layers] == \
        ["Dense", "Dropout", "Dense"]
    normed = quiet(MLPClassifier(**SMALL, batch_norm=True, random_state=0), X, Y)
    assert [type(layer).__name__ for layer in normed.network_.layers] == \
        ["Dense", "BatchNorm", "Dense"]
    assert normed.score(X, Y) > 0.85
    skewed = np.r_[np.flatnonzero(Y == 0), np.flatnonzero(Y == 1)[:15]]
    balanced = quiet(MLPClassifier(**SMALL, class_weight="balanced", random_state=0),
                     X[skewed], Y[skewed])
    weighted = quiet(MLPClassifier(**SMALL, random_state=0), X[skewed], Y[skewed],
                     sample_weight=compute_sample_weight("balanced", Y[skewed]))
    np.testing.assert_allclose(balanced.coefs_[0], weighted.coefs_[0])
    labels = np.column_stack([Y, X[:, 1] > 0.8]).astype(int)
    multilabel = quiet(MLPClassifier(**SMALL, class_weight="balanced", random_state=0), X, labels)
    reference = quiet(MLPClassifier(**SMALL, random_state=0), X, labels,
                      sample_weight=compute_sample_weight("balanced", labels))
    np.testing.assert_allclose(multilabel.coefs_[0], reference.coefs_[0])


def test_network_saves_with_class_and_feature_names(tmp_path):
    pandas = pytest.importorskip("pandas")
    three = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    frame = pandas.DataFrame(X, columns=["u", "v"])
    model = quiet(MLPClassifier(**SMALL, random_state=0), frame, three)
    model.network_.save(tmp_path / "m.safetensors")
    loaded = nf.load(tmp_path / "m.safetensors")
    assert loaded.class_names == ["a", "b", "c"] and loaded.feature_names == ["u", "v"]
    np.testing.assert_allclose(loaded.predict(X), model.predict_proba(frame), rtol=1e-6)


def test_coefs_are_the_networks_weights():
    model = quiet(MLPRegressor(**SMALL, random_state=0), X, X[:, 0])
    assert [w.shape for w in model.coefs_] == [(2, 16), (16, 1)]
    model.coefs_ = [np.zeros_like(w) for w in model.coefs_]
    model.intercepts_ = [np.zeros_like(b) + 0.5 for b in model.intercepts_]
    np.testing.assert_allclose(model.predict(X), 0.5)
    np.testing.assert_allclose(model.network_.predict(X)[:, 0], 0.5)
