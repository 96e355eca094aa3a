"""What :class:`MLPClassifier` and :class:`MLPRegressor` share: scikit-learn's training of
a multi-layer perceptron, step for step, over a neuroflow :class:`~neuroflow.Network`.

The network's :class:`~neuroflow.Dense` layers compute the forward and backward passes and
hold the weights (``coefs_``/``intercepts_`` are its arrays); the optimisers of
:mod:`neuroflow.sklearn._solvers` step on its flat parameter buffer; "lbfgs" hands the
same buffer to ``scipy.optimize``. What follows scikit-learn rather than neuroflow's own
``fit``: the initial weights (Glorot-uniform weights *and* biases, drawn from
``random_state`` in scikit-learn's order), the loss (with ``alpha / (2n) ||W||^2``), the
epoch bookkeeping (``loss_curve_``, ``t_``, ``n_iter_no_change``, "adaptive" and
"invscaling" rates) and early stopping on the validation *score*.
"""

from __future__ import annotations

import math
import numbers
import warnings
from itertools import pairwise
from typing import Any

import numpy as np

from neuroflow.layers import BatchNorm, Dense, Dropout, Layer
from neuroflow.network import Network
from neuroflow.sklearn._compat import (
    BaseEstimator,
    ConvergenceWarning,
    _check_sample_weight,
    check_is_fitted,
    check_random_state,
    scipy_sparse,
    train_test_split,
    validate_data,
)
from neuroflow.sklearn._loss import LOSSES, OUTPUTS
from neuroflow.sklearn._params import ACTIVATIONS, CONSTRAINTS
from neuroflow.sklearn._solvers import MomentumSGD, SklearnAdam, minimize_lbfgs

__all__ = ["BaseMLP"]

_CHUNK = 8192  # rows densified at a time when predicting from a sparse matrix
_DENSE_BYTES = 64 * 2**20  # a sparse X up to this size dense is densified once per fit


def _dense(x: Any, dtype: np.dtype) -> np.ndarray:
    """A batch as a dense C-ordered array of ``dtype`` (a sparse batch is densified)."""
    if scipy_sparse.issparse(x):
        x = x.toarray()
    return np.ascontiguousarray(x, dtype=dtype)


class BaseMLP(BaseEstimator):
    """Parameters and training shared by :class:`MLPClassifier` and :class:`MLPRegressor`."""

    _parameter_constraints: dict = CONSTRAINTS

    # ------------------------------------------------------------------ hooks
    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool
                        ) -> tuple[Any, np.ndarray, np.ndarray | None]:
        """``(X, Y (n, n_outputs) target matrix, per-sample weight factors or None)``."""
        raise NotImplementedError

    def _output_name(self, Y: np.ndarray) -> str:
        raise NotImplementedError

    def _score_outputs(self, output: np.ndarray, Y: np.ndarray,
                       sample_weight: np.ndarray | None) -> float:
        raise NotImplementedError

    # ------------------------------------------------------------------ fitting
    def _fit(self, X: Any, y: Any, sample_weight: Any, incremental: bool) -> BaseMLP:
        self._validate_params()
        sizes: Any = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if np.any(np.array(sizes) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        if self.solver == "lbfgs" and self.dropout:
            raise ValueError("dropout: expected 0 with solver='lbfgs' (its line search needs "
                             f"a deterministic loss), received: dropout={self.dropout!r}")
        first_pass = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        X, Y, factors = self._validate_input(X, y, incremental, reset=first_pass)
        if scipy_sparse.issparse(X):  # densified once when small, else batch by batch
            small = X.shape[0] * X.shape[1] * X.dtype.itemsize <= _DENSE_BYTES
            X = X.toarray() if small else X.tocsr()
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if factors is not None:
            sample_weight = factors if sample_weight is None else sample_weight * factors
        self._random_state = self._sklearn_random_state()
        if first_pass:
            self._initialize(Y, [X.shape[1], *[int(s) for s in sizes], Y.shape[1]], X.dtype)
        Y = Y.astype(self.network_.dtype, copy=False)
        if sample_weight is not None:
            sample_weight = sample_weight.astype(self.network_.dtype, copy=False)
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, sample_weight)
        else:
            self._fit_stochastic(X, Y, sample_weight, incremental)
        if first_pass:
            self._describe_network()
        if not all(np.isfinite(p).all() for p in self.network_.parameters()):
            raise ValueError("Solver produced non-finite parameter weights. The input data may"
                             " contain large values and need to be preprocessed.")
        return self

    def _sklearn_random_state(self) -> np.random.RandomState:
        state: Any = self.random_state
        if isinstance(state, np.random.Generator):
            return np.random.RandomState(int(state.integers(2**32)))
        return check_random_state(state)

    def _network_seed(self) -> Any:
        """The network's own generator (dropout), drawn without using up ``random_state``."""
        state: Any = self.random_state
        if isinstance(state, np.random.Generator):
            return state
        if isinstance(state, numbers.Integral):
            return int(state)
        if isinstance(state, np.random.RandomState):
            return np.random.default_rng(state.get_state(legacy=False)["state"]["key"])
        return None

    def _initialize(self, Y: np.ndarray, units: list[int], dtype: np.dtype) -> None:
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(units)
        self.out_activation_ = self._output_name(Y)
        output, loss = OUTPUTS[self.out_activation_]
        layers: list[Layer] = []
        for index, (n_in, n_out) in enumerate(pairwise(units)):
            last = index == len(units) - 2
            layers.append(Dense(n_in, n_out, output if last else ACTIVATIONS[self.activation]))
            if not last and self.batch_norm:
                layers.append(BatchNorm())
            if not last and self.dropout:
                layers.append(Dropout(float(self.dropout)))
        self.network_ = Network(layers, loss=loss, seed=self._network_seed(), dtype=dtype)
        # scikit-learn's initial weights (Glorot et al.): W and b ~ U(-l, l) with
        # l = sqrt(6 / (fan_in + fan_out)), 2 instead of 6 for logistic hidden units
        factor = 2.0 if self.activation == "logistic" else 6.0
        for layer in self._dense_layers():
            bound = math.sqrt(factor / (layer.in_features + layer.out_features))
            shape = (layer.in_features, layer.out_features)
            layer.params["W"][...] = self._random_state.uniform(-bound, bound, shape)
            layer.params["b"][...] = self._random_state.uniform(-bound, bound, shape[1])
        for stale in ("loss_", "loss_curve_", "best_loss_", "validation_scores_",
                      "best_validation_score_", "_optimizer"):
            self.__dict__.pop(stale, None)
        if self.solver != "lbfgs":
            self.loss_curve_: list[float] = []
            self._no_improvement_count = 0
            self.validation_scores_: list[float] | None = [] if self.early_stopping else None
            self.best_validation_score_: float | None = (
                -np.inf if self.early_stopping else None)
            self.best_loss_: float | None = None if self.early_stopping else np.inf
        self._best_parameters = self._buffer().parameters.copy()

    def _describe_network(self) -> None:
        """Names that travel with ``network_.save`` (the CLI matches CSV columns by them)."""
        if hasattr(self, "feature_names_in_"):
            self.network_.feature_names = [str(name) for name in self.feature_names_in_]

    def _dense_layers(self) -> list[Dense]:
        return [layer for layer in self.network_.layers if isinstance(layer, Dense)]

    def _buffer(self) -> Any:
        buffer = self.network_.pack_parameters()
        assert buffer is not None  # NumPy back-end
        return buffer

    def _output(self, x: np.ndarray, training: bool) -> np.ndarray:
        """The estimator's output ``p`` for a dense batch (``exp`` of the linear output for
        the Poisson loss)."""
        output = self.network_.forward(x, training=True) if training else \
            self.network_.predict(x)
        return np.exp(output) if self.out_activation_ == "exp" else output

    def _backprop(self, x: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray | None
                  ) -> float:
        """Loss of a batch (with the L2 term); its gradient lands in the network's grads.

        The output delta is ``(p - y) w / sum(w)`` (see :mod:`neuroflow.sklearn._loss`);
        below it each layer's own ``backward``; then ``alpha W / sum(w)`` joins each
        weight gradient: ``dC/dW = (x^T delta + alpha W) / sum(w)``, as scikit-learn's.
        """
        output = self._output(x, training=True)
        loss = LOSSES[self.out_activation_](Y, output, sample_weight)
        total = x.shape[0] if sample_weight is None else float(sample_weight.sum())
        dense = self._dense_layers()
        squares = sum(float(np.dot(w.ravel(), w.ravel())) for w in
                      (layer.params["W"] for layer in dense))
        loss += 0.5 * float(self.alpha) * squares / total
        delta = output - Y
        if sample_weight is not None:
            delta *= sample_weight[:, None]
        delta /= delta.dtype.type(total)
        layers = self.network_.layers
        grad: Any = dense[-1].backward_pre_activation(delta, need_input_grad=len(layers) > 1)
        for index in range(len(layers) - 2, -1, -1):
            grad = layers[index].backward(grad, need_input_grad=index > 0)
        if self.alpha:
            scale = self.network_.dtype.type(self.alpha / total)
            for layer in dense:
                layer.grads["W"] += scale * layer.params["W"]
        return loss

    def _fit_lbfgs(self, X: Any, Y: np.ndarray, sample_weight: np.ndarray | None) -> None:
        x = _dense(X, self.network_.dtype)
        buffer = self._buffer()

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            buffer.parameters[...] = theta
            loss = self._backprop(x, Y, sample_weight)
            return loss, buffer.gradients.astype(np.float64)

        self.n_iter_, self.loss_ = minimize_lbfgs(objective, buffer.parameters, int(self.max_iter),
                                                  int(self.max_fun), float(self.tol))
        if self.verbose:  # scikit-learn's verbose output goes to stdout
            print(f"L-BFGS: {self.n_iter_} iterations, loss = {self.loss_:.8f}")

    def _new_optimizer(self) -> Any:
        if self.solver == "sgd":
            return MomentumSGD(float(self.learning_rate_init), float(self.momentum),
                               bool(self.nesterovs_momentum))
        return SklearnAdam(float(self.learning_rate_init), float(self.beta_1),
                           float(self.beta_2), float(self.epsilon))

    def _split(self, X: Any, Y: np.ndarray, sample_weight: np.ndarray | None) -> tuple:
        stratify = self._stratify(Y)
        arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
        parts = train_test_split(*arrays, random_state=self._random_state,
                                 test_size=self.validation_fraction, stratify=stratify)
        if parts[1].shape[0] < 2:
            raise ValueError("The validation set is too small. Increase "
                             "'validation_fraction' or the size of your dataset.")
        if sample_weight is None:
            return parts[0], parts[2], None, parts[1], parts[3], None
        return parts[0], parts[2], parts[4], parts[1], parts[3], parts[5]

    def _stratify(self, Y: np.ndarray) -> np.ndarray | None:
        return None

    def _fit_stochastic(self, X: Any, Y: np.ndarray, sample_weight: np.ndarray | None,
                        incremental: bool) -> None:
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._new_optimizer()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        validation = None
        if self.early_stopping:
            X, Y, sample_weight, *validation = self._split(X, Y, sample_weight)
        n_samples = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                              "going to be clipped", stacklevel=4)
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        order = np.arange(n_samples, dtype=int)
        buffer, dtype = self._buffer(), self.network_.dtype
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                if self.shuffle:  # sklearn.utils.shuffle's draw, without its overhead
                    permutation = np.arange(n_samples)
                    self._random_state.shuffle(permutation)
                    order = order[permutation]
                accumulated = 0.0
                for start in range(0, n_samples, batch_size):
                    batch = slice(start, min(start + batch_size, n_samples))
                    rows = order[batch] if self.shuffle else batch
                    weights = None if sample_weight is None else sample_weight[rows]
                    loss = self._backprop(_dense(X[rows], dtype), Y[rows], weights)
                    accumulated += loss * (batch.stop - batch.start)
                    self._optimizer.step(buffer)
                if not self._end_epoch(accumulated / n_samples, n_samples, validation):
                    break
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                                  "reached and the optimization hasn't converged yet.",
                                  ConvergenceWarning, stacklevel=4)
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=4)
        if self.early_stopping:
            buffer.parameters[...] = self._best_parameters

    def _end_epoch(self, loss: float, n_samples: int, validation: list | None) -> bool:
        """Record the epoch, check improvement, adjust the rate; False to stop."""
        self.n_iter_ += 1
        self.loss_ = loss
        self.t_ += n_samples
        self.loss_curve_.append(loss)
        if self.verbose:  # scikit-learn's verbose output goes to stdout
            print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
        self._update_no_improvement_count(validation)
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            self._optimizer.learning_rate = (
                float(self.learning_rate_init) / (self.t_ + 1) ** self.power_t)
        if self._no_improvement_count <= self.n_iter_no_change:
            return True
        what = "Validation score" if self.early_stopping else "Training loss"
        message = (f"{what} did not improve more than tol={self.tol:f} for "
                   f"{self.n_iter_no_change} consecutive epochs.")
        adaptive = self.solver == "sgd" and self.learning_rate == "adaptive"
        if not adaptive or self._optimizer.learning_rate <= 1e-6:
            if self.verbose:
                print(message + (" Learning rate too small." if adaptive else "") + " Stopping.")
            return False
        self._optimizer.learning_rate /= 5.0
        if self.verbose:
            print(f"{message} Setting learning rate to {self._optimizer.learning_rate:f}")
        self._no_improvement_count = 0
        return True

    def _update_no_improvement_count(self, validation: list | None) -> None:
        if validation is not None:
            x_val, Y_val, weights = validation
            output = self._forward(x_val)
            score = (float("nan") if not np.isfinite(output).all()
                     else self._score_outputs(output, Y_val, weights))
            assert self.validation_scores_ is not None
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            best = self.best_validation_score_
            assert best is not None
            self._no_improvement_count = (self._no_improvement_count + 1
                                          if score < best + self.tol else 0)
            if score > best:
                self.best_validation_score_ = score
                self._best_parameters = self._buffer().parameters.copy()
        else:
            assert self.best_loss_ is not None
            last = self.loss_curve_[-1]
            self._no_improvement_count = (self._no_improvement_count + 1
                                          if last > self.best_loss_ - self.tol else 0)
            self.best_loss_ = min(self.best_loss_, last)

    # ------------------------------------------------------------------ inference
    def _forward(self, X: Any) -> np.ndarray:
        """Outputs ``(n, n_outputs)`` of validated inputs, sparse ones a chunk at a time."""
        dtype = self.network_.dtype
        if scipy_sparse.issparse(X):
            X = X.tocsr()
            return np.concatenate([self._output(_dense(X[i:i + _CHUNK], dtype), False)
                                   for i in range(0, X.shape[0], _CHUNK)])
        return self._output(_dense(X, dtype), False)

    def _forward_checked(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "network_")
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        return self._forward(X)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices ``W (n_in, n_out)``, input layer first: the network's arrays."""
        check_is_fitted(self, "network_")
        return [layer.params["W"] for layer in self._dense_layers()]

    @coefs_.setter
    def coefs_(self, values: list[np.ndarray]) -> None:
        for layer, value in zip(self._dense_layers(), values, strict=True):
            layer.params["W"][...] = value

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors ``b (n_out,)``, input layer first: the network's arrays."""
        check_is_fitted(self, "network_")
        return [layer.params["b"] for layer in self._dense_layers()]

    @intercepts_.setter
    def intercepts_(self, values: list[np.ndarray]) -> None:
        for layer, value in zip(self._dense_layers(), values, strict=True):
            layer.params["b"][...] = value

    def _check_solver(self) -> bool:
        if self.solver not in ("sgd", "adam"):
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                                 f"{self.solver} is not stochastic.")
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
