"""Every constructor parameter of the estimators, declared once: the constraints that
``fit`` checks (scikit-learn's ``_parameter_constraints`` mechanism, so the errors are
scikit-learn's own ``InvalidParameterError``, a ``ValueError``) and the documentation.

The first block is scikit-learn's multi-layer perceptron, name for name and bound for
bound; the second holds neuroflow's extras."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

from neuroflow.sklearn._compat import Interval, Options, StrOptions

__all__ = ["CONSTRAINTS", "CLASSIFIER_CONSTRAINTS", "REGRESSOR_CONSTRAINTS", "ACTIVATIONS",
           "PARAMETERS_DOC", "ATTRIBUTES_DOC"]

#: scikit-learn's activation names and the neuroflow activations computing them.
ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}

CONSTRAINTS: dict[str, list[Any]] = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    # a numpy Generator too (neuroflow's own seeds are Generators)
    "random_state": ["random_state", np.random.Generator],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    # neuroflow's extras
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "batch_norm": ["boolean"],
}
CLASSIFIER_CONSTRAINTS = {**CONSTRAINTS,
                          "class_weight": [dict, StrOptions({"balanced"}), None]}
REGRESSOR_CONSTRAINTS = {**CONSTRAINTS, "loss": [StrOptions({"squared_error", "poisson"})]}

PARAMETERS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default (100,)
        Width of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default "relu"
        Hidden activation: ``z``, ``1 / (1 + exp(-z))``, ``tanh(z)``, ``max(0, z)``.
    solver : {"lbfgs", "sgd", "adam"}, default "adam"
        ``"lbfgs"``: full-batch L-BFGS-B through ``scipy.optimize.minimize`` (``max_iter``
        iterations, ``max_fun`` loss evaluations, gradient tolerance ``tol``);
        ``"sgd"``: mini-batch gradient descent with momentum; ``"adam"``: Adam.
    alpha : float, default 1e-4
        L2 penalty: ``alpha / (2 n) * sum ||W||^2`` is added to the loss (``n`` the batch
        size, or its sum of sample weights); biases are not penalised.
    batch_size : int or "auto", default "auto"
        Samples per step of "sgd" and "adam"; "auto" is ``min(200, n_samples)``; a larger
        value is clipped to ``n_samples`` with a warning.
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        Schedule of "sgd": constant ``learning_rate_init``; ``learning_rate_init /
        (t + 1) ** power_t`` with ``t`` the samples seen, set after each epoch; or divided
        by 5 each time ``n_iter_no_change`` epochs fail to improve by ``tol`` (training
        stops once it is at most 1e-6).
    learning_rate_init : float, default 1e-3
        Step size of "sgd" and "adam".
    power_t : float, default 0.5
        Exponent of "invscaling".
    max_iter : int, default 200
        Most epochs ("sgd", "adam") or iterations ("lbfgs"); reaching it without
        converging warns with ``ConvergenceWarning``.
    shuffle : bool, default True
        Shuffle the samples every epoch ("sgd", "adam").
    random_state : int, RandomState, numpy Generator or None, default None
        Initial weights, shuffling, the early-stopping split and dropout. The same
        integer gives the same initial weights, order and split as scikit-learn's.
    tol : float, default 1e-4
        An epoch improves when the training loss falls (validation score rises, with
        ``early_stopping``) by at least ``tol``; "lbfgs": its gradient tolerance.
    verbose : bool or int, default False
        Print the loss of every epoch (and the validation score).
    warm_start : bool, default False
        ``fit`` continues from the current weights (with a new solver state).
    momentum : float, default 0.9
        Momentum of "sgd", in [0, 1].
    nesterovs_momentum : bool, default True
        Nesterov's momentum for "sgd".
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the samples (a stratified split for
        single-label classifiers), stop when their score (accuracy, or R^2) has not
        risen by ``tol`` for ``n_iter_no_change`` epochs, and keep the best epoch's
        weights ("sgd", "adam").
    validation_fraction : float, default 0.1
        Share of samples held out with ``early_stopping``.
    beta_1, beta_2, epsilon : float, default 0.9, 0.999, 1e-8
        Adam's moment decays and its term ``epsilon`` added to ``sqrt(v)``.
    n_iter_no_change : int, default 10
        Epochs without improvement before stopping (or, with "adaptive", a smaller rate).
    max_fun : int, default 15000
        Most loss evaluations of "lbfgs".
    dropout : float, default 0.0
        neuroflow's extra: dropout rate after every hidden layer (training only).
    batch_norm : bool, default False
        neuroflow's extra: batch normalisation after every hidden layer.
"""

ATTRIBUTES_DOC = """
    Attributes
    ----------
    loss_ : float
        Loss (with the L2 term) of the last epoch, or at the "lbfgs" solution.
    best_loss_ : float or None
        Lowest training loss ("sgd", "adam"; ``None`` with ``early_stopping``).
    loss_curve_ : list of float
        Loss of every epoch ("sgd", "adam").
    validation_scores_ : list of float or None
        Validation score of every epoch (``early_stopping``).
    best_validation_score_ : float or None
        The best of them.
    t_ : int
        Samples seen by the solver.
    coefs_, intercepts_ : list of ndarray
        Weights ``W (n_in, n_out)`` and biases ``(n_out,)`` of each layer, input first:
        the network's own arrays (assigning to an element writes into the network).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names of a DataFrame ``X`` given to ``fit``.
    n_iter_ : int
        Epochs ("sgd", "adam") or iterations ("lbfgs") of the last ``fit``.
    n_layers_ : int
        Layers including the input and output layers.
    n_outputs_ : int
    out_activation_ : str
        "softmax", "logistic", "identity" or "exp".
    network_ : neuroflow.Network
        The trained network (save it with ``network_.save(path)``; export to ONNX).
"""
