"""What :class:`MLPClassifier` and :class:`MLPRegressor` share: parameters, their checks,
building the network and training it (with a convergence stop), and the parameter docs."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroflow import activations as _activations
from neuroflow import optimizers as _optimizers
from neuroflow.callbacks import Callback
from neuroflow.network import Network
from neuroflow.sklearn._compat import (
    BaseEstimator,
    ConvergenceWarning,
    check_is_fitted,
    validate_data,
)
from neuroflow.sklearn._penalty import L2Penalty


class _Convergence(Callback):
    """Stop when the monitored loss has not improved by ``tol`` for ``patience`` epochs.

    Records the monitored values; with ``restore_best`` it keeps a copy of the weights of
    the best epoch and puts them back when training ends.
    """

    def __init__(self, monitor: str, tol: float, patience: int, restore_best: bool) -> None:
        super().__init__()
        self.monitor, self.tol, self.patience = monitor, tol, patience
        self.restore_best = restore_best
        self.best = math.inf
        self.stale = 0
        self.converged = False
        self.best_weights: list[np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        value = (logs or {})[self.monitor]
        self.stale = self.stale + 1 if value > self.best - self.tol else 0
        if value < self.best:
            self.best = value
            if self.restore_best and self.network is not None:
                self.best_weights = [p.copy() for p in self.network.parameters()]
        if self.stale > self.patience and self.network is not None:
            self.converged = True
            self.network.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.restore_best and self.best_weights is not None and self.network is not None:
            for param, best in zip(self.network.parameters(), self.best_weights):
                param[...] = best


def _check_number(value: Any, name: str, low: float, *, strict: bool = False,
                  high: float | None = None, integer: bool = False) -> None:
    kind: tuple[type, ...] = (numbers.Integral,) if integer else (numbers.Real,)
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if ok:
        number = float(value)
        ok = (math.isfinite(number) and (number > low if strict else number >= low)
              and (high is None or number < high))
    if not ok:
        what = "an integer" if integer else "a finite number"
        bound = f"{'>' if strict else '>='} {low}" + (f" and < {high}" if high is not None else "")
        raise ValueError(f"{name}: expected {what} {bound}, received: {name}={value!r}")


class BaseMLP(BaseEstimator):
    """Parameters and training shared by :class:`MLPClassifier` and :class:`MLPRegressor`."""

    _output_activation = "linear"
    _loss = "mse"

    def __init__(self, hidden_layer_sizes: Sequence[int] | int = (100,),
                 activation: str = "relu", solver: str = "adam", alpha: float = 1e-4,
                 batch_size: int | str = "auto", learning_rate: float = 1e-3,
                 max_iter: int = 200, tol: float = 1e-4, n_iter_no_change: int = 10,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 shuffle: bool = True, random_state: Any = None, warm_start: bool = False,
                 verbose: int = 0, dtype: str = "float64") -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.dtype = dtype

    # ------------------------------------------------------------------ validation
    def _hidden_sizes(self) -> list[int]:
        sizes: Any = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = [sizes]
        try:
            sizes = list(sizes)
        except TypeError:
            sizes = [None]
        if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and int(s) > 0
                   for s in sizes):
            raise ValueError(f"hidden_layer_sizes: expected a sequence of positive integers, "
                             f"received: hidden_layer_sizes={self.hidden_layer_sizes!r}")
        return [int(s) for s in sizes]

    def _validate_params(self) -> None:
        self._hidden_sizes()
        _activations.get(self.activation)
        if not (isinstance(self.solver, str) and self.solver.lower() in _optimizers.OPTIMIZERS):
            raise ValueError(f"solver: expected one of {', '.join(_optimizers.names())}, "
                             f"received: solver={self.solver!r}")
        _check_number(self.alpha, "alpha", 0.0)
        if self.batch_size != "auto":
            _check_number(self.batch_size, "batch_size", 1, integer=True)
        _check_number(self.learning_rate, "learning_rate", 0.0, strict=True)
        _check_number(self.max_iter, "max_iter", 1, integer=True)
        _check_number(self.tol, "tol", 0.0)
        _check_number(self.n_iter_no_change, "n_iter_no_change", 1, integer=True)
        _check_number(self.validation_fraction, "validation_fraction", 0.0, strict=True,
                      high=1.0)
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype: expected 'float32' or 'float64', received: "
                             f"dtype={self.dtype!r}")
        if self.verbose not in (0, 1, 2, False, True):
            raise ValueError(f"verbose: expected 0, 1 or 2, received: verbose={self.verbose!r}")

    def _generator(self) -> np.random.Generator:
        state: Any = self.random_state
        if isinstance(state, np.random.Generator):
            return state
        if isinstance(state, np.random.RandomState):
            return np.random.default_rng(state.randint(np.iinfo(np.int32).max))
        if state is None or (isinstance(state, numbers.Integral) and not isinstance(state, bool)
                             and int(state) >= 0):
            return np.random.default_rng(None if state is None else int(state))
        raise ValueError(f"random_state: expected None, a non-negative integer, a "
                         f"RandomState or a Generator, received: random_state={state!r}")

    # ------------------------------------------------------------------ hooks
    def _prepare_y(self, y: np.ndarray, first: bool, classes: Any = None) -> np.ndarray:
        raise NotImplementedError

    def _n_outputs(self) -> int:
        raise NotImplementedError

    # ------------------------------------------------------------------ training
    def _build(self, n_features: int) -> None:
        sizes = [n_features, *self._hidden_sizes(), self._n_outputs()]
        self.network_ = Network.from_sizes(sizes, hidden=self.activation,
                                           output=self._output_activation, loss=self._loss,
                                           seed=self._generator(), dtype=self.dtype)
        self.optimizer_ = _optimizers.get(self.solver.lower(), self.learning_rate, "solver")
        self.n_layers_ = len(sizes)
        self.n_outputs_ = sizes[-1]
        self.out_activation_ = self._output_activation
        self.loss_curve_: list[float] = []
        self.best_loss_ = math.inf
        self.n_iter_ = 0
        self.t_ = 0
        if self.early_stopping:
            self.validation_scores_: list[float] | None = []
            self.best_validation_score_: float | None = -math.inf
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _train(self, x: np.ndarray, target: np.ndarray, epochs: int, converge: bool) -> None:
        network = self.network_
        n = x.shape[0]
        batch_size = min(200 if self.batch_size == "auto" else int(self.batch_size), n)
        penalised = [name.endswith(".W") for name, _, _ in network.named_parameters()]
        optimizer = L2Penalty(self.optimizer_, float(self.alpha), penalised, batch_size)
        callbacks: list[Callback] = []
        validation = None
        monitor = None
        if converge:
            monitor = "loss"
            if self.early_stopping:
                x, target, validation = self._split(x, target)
                monitor = "val_loss"
            callbacks.append(_Convergence(monitor, float(self.tol), int(self.n_iter_no_change),
                                          restore_best=self.early_stopping))
        already = 0 if network.history is None else len(network.history.epoch)
        try:
            history = network.fit(x, target, epochs=epochs, batch_size=batch_size,
                                  optimizer=optimizer, validation_data=validation,
                                  shuffle=bool(self.shuffle), callbacks=callbacks,
                                  verbose=2 if self.verbose else 0)
        finally:
            network.optimizer = self.optimizer_
        # the network's history continues over fits: this call's epochs come last
        losses = [float(v) for v in history.history["loss"][already:]]
        self.loss_curve_.extend(losses)
        self.loss_ = losses[-1]
        self.best_loss_ = min(self.best_loss_, min(losses))
        self.n_iter_ += len(losses)
        self.t_ += len(losses) * x.shape[0]
        if self.validation_scores_ is not None and "val_loss" in history.history:
            scores = [-float(v) for v in history.history["val_loss"][already:]]
            self.validation_scores_.extend(scores)
            self.best_validation_score_ = max(self.best_validation_score_ or -math.inf,
                                              max(scores))
        if converge and not callbacks[0].converged:  # type: ignore[attr-defined]
            warnings.warn(f"{type(self).__name__}: the {monitor} did not converge within "
                          f"max_iter={self.max_iter} epochs (tol={self.tol}); raise max_iter "
                          "or tol", ConvergenceWarning, stacklevel=3)

    def _split(self, x: np.ndarray, target: np.ndarray):
        n = x.shape[0]
        n_val = max(1, int(round(n * self.validation_fraction)))
        if n - n_val < 1:
            raise ValueError(f"validation_fraction: {self.validation_fraction} of {n} samples "
                             "leaves none for training with early_stopping=True")
        order = self.network_.rng.permutation(n)
        val, train = order[:n_val], order[n_val:]
        return x[train], target[train], (x[val], target[val])

    def _fit(self, x: Any, y: Any, *, partial: bool, classes: Any = None) -> BaseMLP:
        self._validate_params()
        continuing = hasattr(self, "network_") and (partial or self.warm_start)
        x, y = validate_data(self, x, y, reset=not continuing, dtype=(np.float64, np.float32),
                             **self._y_options())
        target = self._prepare_y(y, first=not continuing, classes=classes)
        if not continuing:
            self._build(x.shape[1])
        x = x.astype(self.network_.dtype, copy=False)
        if partial:
            self._train(x, target, 1, converge=False)
        else:
            self._train(x, target, int(self.max_iter), converge=True)
        return self

    def _y_options(self) -> dict[str, Any]:
        return {}

    def _forward(self, x: Any) -> np.ndarray:
        check_is_fitted(self, "network_")
        x = validate_data(self, x, reset=False, dtype=(np.float64, np.float32))
        return self.network_.predict(x.astype(self.network_.dtype, copy=False))

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices ``W`` of shape ``(n_in, n_out)``, input layer first."""
        check_is_fitted(self, "network_")
        return [layer.params["W"] for layer in self.network_.layers]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors ``b`` of shape ``(n_out,)``, input layer first."""
        check_is_fitted(self, "network_")
        return [layer.params["b"] for layer in self.network_.layers]


PARAMETERS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default (100,)
        Width of each hidden layer (an empty sequence gives a model with no hidden layer).
    activation : str, default "relu"
        Hidden activation, any name of :mod:`neuroflow.activations`.
    solver : {"adam", "sgd", "rmsprop"}, default "adam"
        Optimiser from :mod:`neuroflow.optimizers`.
    alpha : float, default 1e-4
        L2 penalty: ``(alpha / batch) * W`` is added to each weight gradient (biases are
        not penalised).
    batch_size : int or "auto", default "auto"
        Samples per step; "auto" is ``min(200, n_samples)``.
    learning_rate : float, default 1e-3
        Step size of the solver.
    max_iter : int, default 200
        Most epochs (passes over the data) per ``fit``.
    tol, n_iter_no_change : float, int, default 1e-4, 10
        ``fit`` stops once the training loss (validation loss with ``early_stopping``) has
        not decreased by at least ``tol`` for more than ``n_iter_no_change`` epochs.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the samples (drawn at random), monitor their
        loss, and keep the weights of the best epoch.
    validation_fraction : float, default 0.1
        Share of samples held out with ``early_stopping``.
    shuffle : bool, default True
        Reshuffle the samples every epoch.
    random_state : int, RandomState, Generator or None
        Seeds weights, shuffling and the validation split; an int gives repeatable fits.
    warm_start : bool, default False
        Continue training the existing network (and optimiser state) on ``fit``.
    verbose : int, default 0
        Non-zero prints one line per epoch.
    dtype : {"float64", "float32"}, default "float64"
        Precision of the network.

    Attributes
    ----------
    network_ : neuroflow.Network
        The trained network.
    optimizer_ : neuroflow.optimizers.Optimizer
        The solver, with its state (continued by ``partial_fit`` and ``warm_start``).
    n_features_in_ : int
        Number of input features.
    n_layers_, n_outputs_ : int
        Number of layers including the input, and number of outputs.
    out_activation_ : str
        Output activation.
    loss_, best_loss_ : float
        Training loss of the last epoch, and the lowest (without the L2 term).
    loss_curve_ : list of float
        Training loss of every epoch.
    validation_scores_, best_validation_score_ : list of float, float or None
        Negated validation loss per epoch and its best value (``early_stopping`` only).
    n_iter_, t_ : int
        Epochs run and samples seen, over all calls.
    coefs_, intercepts_ : list of ndarray
        The weights ``W (n_in, n_out)`` and biases ``b (n_out,)`` of each layer.
"""
