"""The network: an ordered stack of layers, a loss, and the forward and backward passes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from neuroflow import backend as _backend
from neuroflow import losses as _losses
from neuroflow.layers import Dense, Layer, _positive_int, layer_from_config
from neuroflow.optimizers import flat_buffers

if TYPE_CHECKING:
    from neuroflow.callbacks import History
    from neuroflow.optimizers import Optimizer

__all__ = ["Network", "check_inputs", "numeric_matrix", "as_dtype", "parameters_diverged",
           "STATE_FIELDS", "TRANSIENT_FIELDS"]

_DTYPES = {"float32": np.float32, "float64": np.float64}

#: Everything a model is: every attribute of a :class:`Network` that
#: :func:`neuroflow.io.capture` saves (and so :meth:`Network.copy`, ``save``/``load`` and
#: resuming carry). ``layers`` includes each layer's parameters and state.
STATE_FIELDS = ("layers", "loss", "dtype", "seed", "rng", "optimizer", "epochs_trained",
                "history", "training_run", "preprocessing", "class_names", "feature_names",
                "callback_states")
#: Attributes that describe a running process, not the model; never saved.
TRANSIENT_FIELDS = ("backend", "stop_training", "_callbacks", "_output")
#: Samples per chunk when predicting, to bound memory on large inputs.
PREDICT_BATCH_SIZE = 8192


def as_dtype(dtype: object) -> np.dtype:
    """Validate a float dtype name or object (float32 or float64)."""
    key = np.dtype(dtype).name if isinstance(dtype, (type, np.dtype)) else dtype
    if key not in _DTYPES:
        raise ValueError(f"dtype: expected 'float32' or 'float64', received: {dtype!r}")
    return np.dtype(_DTYPES[key])  # type: ignore[index]


def numeric_matrix(x: object, argument: str = "x", n_features: int | None = None) -> np.ndarray:
    """``x`` as a numeric 2-D array ``(n, n_features)`` (any width when ``n_features`` is
    None); one row given flat is accepted. Raises ``ValueError`` naming ``argument``."""
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{argument}: expected a numeric array, received {type(x).__name__}"
                         ) from error
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{argument}: expected a numeric array, received dtype {array.dtype}")
    if array.ndim == 1 and n_features is not None and array.shape[0] == n_features:
        array = array.reshape(1, -1)
    if array.ndim != 2 or (n_features is not None and array.shape[1] != n_features):
        expected = "n_features" if n_features is None else str(n_features)
        raise ValueError(f"{argument}: expected shape (n_samples, {expected}), received shape "
                         f"{array.shape}")
    return array


def all_finite(array: np.ndarray) -> bool:
    r"""Whether every entry of a float array is finite.

    The sum of squares :math:`\sum_i x_i^2` is NaN or infinite whenever an entry is (NaN
    and infinities propagate; squares are never negative, so no ``inf - inf``), and one
    BLAS dot product costs about half an ``isfinite`` mask. Only a non-finite sum, which
    may also be the overflow of large finite entries, needs the exact mask.
    """
    flat = array.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isfinite(float(np.dot(flat, flat))):
            return True
    return bool(np.isfinite(array).all())


def check_inputs(x: object, n_features: int, dtype: np.dtype, argument: str = "x") -> np.ndarray:
    """Validate an input batch: numeric, 2-D ``(n, n_features)``, finite; return it in ``dtype``.

    No copy is made when ``x`` already has the right dtype and layout.
    """
    array = numeric_matrix(x, argument, n_features)
    if array.shape[0] == 0:
        raise ValueError(f"{argument}: expected at least one sample, received 0")
    array = np.ascontiguousarray(array, dtype=dtype)
    if not all_finite(array):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{argument}: expected finite values, received NaN or infinity at row {bad[0]}, "
            f"column {bad[1]}"
        )
    return array


class Network:
    """A feed-forward neural network.

    Parameters
    ----------
    layers : sequence of Layer
        Input to output; each layer's ``in_features`` must equal the previous
        layer's ``out_features``.
    loss : str or Loss, optional
        ``"cross_entropy"``, ``"binary_cross_entropy"`` or ``"mse"``. By default chosen
        from the output activation: softmax -> cross_entropy, sigmoid ->
        binary_cross_entropy, anything else -> mse.
    seed : int or numpy.random.Generator, optional
        Source of all randomness (initial weights, shuffling, dropout). The same seed,
        data and machine give bit-identical weights and history.
    dtype : {"float32", "float64"}
        Floating-point type of parameters and computations.
    backend : {"numpy", "cupy", "array_api_strict"}
        Array library holding the parameters and doing the math (see
        :mod:`neuroflow.backend`): NumPy by default, CuPy on a CUDA GPU
        (``pip install 'neuroflow[gpu]'``). Weights are drawn with NumPy from ``seed`` and
        then moved, so every back-end starts from the same weights. ``fit``, ``predict``
        and ``evaluate`` take NumPy-compatible inputs, validate them with NumPy and move
        them once; ``predict`` returns NumPy arrays. :meth:`forward` and :meth:`backward`
        work on the back-end's arrays (NumPy inputs are moved). Saving stores NumPy
        arrays; a loaded model is on NumPy until :meth:`to_backend`.
    device : {"cuda", "gpu", "cpu"}, optional
        Synonym for the back-end: ``"cuda"``/``"gpu"`` select ``"cupy"``, ``"cpu"`` NumPy.

    Examples
    --------
    >>> import neuroflow as nf
    >>> net = nf.Network.from_sizes([2, 3, 1], hidden="tanh", output="sigmoid", seed=0)
    >>> net.predict([[0.0, 1.0]]).shape
    (1, 1)
    """

    def __init__(self, layers: Sequence[Layer], loss: str | _losses.Loss | None = None,
                 seed: int | np.random.Generator | None = None,
                 dtype: str | np.dtype | type = "float32", backend: str = "numpy",
                 device: str | None = None) -> None:
        backend, xp = _backend.resolve(backend, device)
        layers = list(layers)
        if not layers:
            raise ValueError("layers: expected at least one layer, received an empty list")
        for index, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise ValueError(f"layers[{index}]: expected a Layer, received "
                                 f"{type(layer).__name__}")
            if not layer.in_features:  # a size-preserving layer (Dropout, BatchNorm) sized later
                if not index:
                    raise ValueError(f"layers[0]: {type(layer).__name__} is the first layer, so "
                                     "it needs its width: expected features=<int>, received "
                                     "none")
                layer.set_features(layers[index - 1].out_features)
            if index and layer.in_features != layers[index - 1].out_features:
                raise ValueError(
                    f"layers[{index}]: expected in_features={layers[index - 1].out_features} "
                    f"(the previous layer's out_features), received "
                    f"in_features={layer.in_features}"
                )
        self.layers: list[Layer] = layers
        self.dtype = as_dtype(dtype)
        if isinstance(seed, np.random.Generator):
            self.rng = seed
            self.seed: int | None = None
        elif seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
                              and seed >= 0):
            self.seed = None if seed is None else int(seed)
            self.rng = np.random.default_rng(self.seed)
        else:
            raise ValueError(f"seed: expected a non-negative integer, a numpy Generator or None, "
                             f"received: {seed!r}")
        self.loss = self._default_loss() if loss is None else _losses.get(loss)
        self.loss.check_output_activation(self.layers)
        for layer in self.layers:
            if layer.built:
                if any(not isinstance(p, np.ndarray) for p in layer.params.values()):
                    layer.to_backend(np)  # cast (below) and the build work in NumPy
                layer.cast(self.dtype)
            else:
                layer.build(self.rng, self.dtype)
        #: Name of the array back-end (``"numpy"``, ``"cupy"``, ``"array_api_strict"``).
        self.backend = "numpy"
        #: The optimiser of the last :meth:`fit` (its state carries over to the next).
        self.optimizer: Optimizer | None = None
        #: Set to ``True`` by a callback to end :meth:`fit` after the current batch.
        self.stop_training = False
        #: Number of epochs trained so far.
        self.epochs_trained = 0
        self.history: History | None = None
        #: The settings of the last :meth:`fit` that a resumed run must repeat to continue
        #: exactly (batch size, shuffling, sample counts, a fingerprint of the data; see
        #: :func:`neuroflow.training.run_settings`), saved in checkpoints; ``None`` before.
        self.training_run: dict[str, Any] | None = None
        #: Optional input transform fitted on training data (e.g. a standard scaler); an
        #: object with ``transform(x)``, ``get_config()`` and ``state()``. Applied by
        #: :meth:`prepare_inputs`, so by ``fit``, ``predict`` and ``evaluate``; saved with
        #: the model.
        self.preprocessing: Any = None
        #: Original class labels (e.g. strings from a CSV) for output index ``i``, or None.
        self.class_names: list[Any] | None = None
        #: Names of the input columns (e.g. a CSV header), or None; saved with the model,
        #: so a prediction CSV can be matched to the inputs by name.
        self.feature_names: list[str] | None = None
        #: States of the stateful callbacks of the last :meth:`fit` (``[{"type": class
        #: name, "state": Callback.get_state()}]``), as saved with the model, or None;
        #: ``fit(resume_from=...)`` gives them back to the callbacks it is passed.
        self.callback_states: list[dict[str, Any]] | None = None
        self._callbacks: list[Any] = []  # the stateful callbacks while fit runs
        self._output: np.ndarray | None = None
        if backend != "numpy":
            self.to_backend(backend)
        else:
            self.pack_parameters()

    def pack_parameters(self) -> None:
        """Lay every parameter, and every gradient, end to end in one flat array.

        Each layer's ``params[key]`` and ``grads[key]`` become views into two contiguous
        buffers, in :meth:`parameters` order, so an optimiser can update all of them with
        one pass per arithmetic operation instead of one per tensor (see
        :meth:`neuroflow.optimizers.Optimizer.step`). Values are unchanged. Nothing is
        done when they already are packed, or for a back-end other than NumPy. ``fit``
        calls it, since loading weights into a layer replaces its arrays.
        """
        if self.backend != "numpy":
            return
        entries = [(layer, key) for layer in self.layers for key in layer.params]
        arrays = [layer.params[key] for layer, key in entries]
        if not arrays or flat_buffers(arrays, [layer.grads[key] for layer, key in entries]):
            return
        total = sum(array.size for array in arrays)
        flat_params = np.empty(total, dtype=self.dtype)
        flat_grads = np.zeros(total, dtype=self.dtype)
        offset = 0
        for layer, key in entries:
            shape, size = layer.params[key].shape, layer.params[key].size
            view = flat_params[offset:offset + size].reshape(shape)
            view[...] = layer.params[key]
            grad = flat_grads[offset:offset + size].reshape(shape)
            grad[...] = layer.grads[key]
            layer.params[key], layer.grads[key] = view, grad
            offset += size

    def to_backend(self, backend: str = "numpy", device: str | None = None) -> Network:
        """Move the parameters, layer state (e.g. BatchNorm's running statistics) and the
        optimiser's state to ``backend`` (see the class parameters); returns ``self``.

        Drops the last forward pass. References to the old arrays (``parameters()``
        lists) no longer follow the network.

        Raises
        ------
        ValueError
            For an unknown back-end, one that is not installed, or CuPy without a GPU.
        """
        name, xp = _backend.resolve(backend, device)
        for layer in self.layers:
            layer.to_backend(xp)
        if self.optimizer is not None:
            self.optimizer.state = {
                index: {key: _backend.to_backend(value, xp) for key, value in slots.items()}
                for index, slots in self.optimizer.state.items()}
        self.backend, self._output = name, None
        return self

    @property
    def _xp(self) -> Any:
        """The array namespace of :attr:`backend` (NumPy itself by default)."""
        return _backend.get_backend(self.backend)

    def _default_loss(self) -> _losses.Loss:
        name = getattr(_losses.output_activation(self.layers), "name", "linear")
        return _losses.get({"softmax": "cross_entropy",
                            "sigmoid": "binary_cross_entropy"}.get(name, "mse"))

    @classmethod
    def from_sizes(cls, sizes: Sequence[int], hidden: str = "relu", output: str = "softmax",
                   loss: str | _losses.Loss | None = None,
                   initializer: str | None = None,
                   seed: int | np.random.Generator | None = None,
                   dtype: str | np.dtype | type = "float32", backend: str = "numpy",
                   device: str | None = None) -> Network:
        """Build the classic "layers of sizes ``s0, s1, ..., sL``" network.

        ``sizes[0]`` is the number of inputs, ``sizes[-1]`` the number of outputs; each
        hidden layer uses ``hidden``, the output layer ``output``.
        """
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes: expected at least 2 sizes (inputs and outputs), received "
                             f"{sizes!r}")
        for index, size in enumerate(sizes):
            _positive_int(size, f"sizes[{index}]")
        layers = [
            Dense(n_in, n_out, activation=hidden if i < len(sizes) - 2 else output,
                  initializer=initializer)
            for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]))
        ]
        return cls(layers, loss=loss, seed=seed, dtype=dtype, backend=backend, device=device)

    # ------------------------------------------------------------------ structure
    @property
    def in_features(self) -> int:
        return self.layers[0].in_features

    @property
    def out_features(self) -> int:
        return self.layers[-1].out_features

    @property
    def sizes(self) -> list[int]:
        """Width of every layer, input first: ``[784, 256, 128, 10]``."""
        return [self.in_features] + [layer.out_features for layer in self.layers]

    def parameters(self) -> list[np.ndarray]:
        """Every trainable array, in a fixed order (layer by layer, ``W`` then ``b``)."""
        return [p for layer in self.layers for p in layer.params.values()]

    def gradients(self) -> list[np.ndarray]:
        """The gradients matching :meth:`parameters`, as left by the last :meth:`backward`."""
        return [layer.grads[k] for layer in self.layers for k in layer.params]

    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """``(name, parameter, gradient)`` triples; names read ``layers.{i}.{param}``."""
        return [(f"layers.{i}.{key}", param, layer.grads[key])
                for i, layer in enumerate(self.layers) for key, param in layer.params.items()]

    @property
    def parameter_count(self) -> int:
        return sum(layer.parameter_count for layer in self.layers)

    def reuse_buffers(self, enabled: bool) -> None:
        """Turn on (or off, releasing them) the layers' reuse of per-batch work arrays
        (see :attr:`Layer.reuse_buffers`); ``fit`` turns it on while it trains. Only the
        NumPy back-end reuses arrays; on others this releases them."""
        if self.backend != "numpy":
            enabled = False
        for layer in self.layers:
            if enabled:
                layer.reuse_buffers = True
            else:
                layer.release_buffers()

    # ------------------------------------------------------------------ math
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Feed ``x (n, in_features)`` through every layer; return the output ``(n, k)``.

        Each layer caches what :meth:`backward` needs. No validation: see :meth:`predict`.
        On a non-NumPy back-end a NumPy ``x`` is moved there first.
        """
        if self.backend != "numpy" and isinstance(x, np.ndarray):
            x = _backend.to_backend(x, self._xp)
        for layer in self.layers:
            x = layer.forward(x, training)
        self._output = x
        return x

    def backward(self, target: np.ndarray, sample_weight: np.ndarray | None = None,
                 input_gradient: bool = True) -> np.ndarray | None:
        """Backpropagate the loss of the last :meth:`forward` against ``target``.

        Fills every layer's ``grads`` with dC/dparams. The output layer starts from the
        fused delta ``dC/dz`` when its activation and the loss pair up (softmax +
        cross-entropy, sigmoid + binary cross-entropy), else from ``dC/da``.
        Returns dC/dx for the network input, or ``None`` with ``input_gradient=False``
        (training skips that product, which nothing uses).
        """
        if self._output is None:
            raise RuntimeError("backward() needs a forward() first")
        output = self._output
        if self.backend != "numpy":
            target = _backend.to_backend(target, self._xp)
            sample_weight = _backend.to_backend(sample_weight, self._xp)
        layers = self.layers
        last = layers[-1]
        delta = None
        if isinstance(last, Dense):
            delta = self.loss.fused_delta(last.activation, output, target, sample_weight)
        # below the lowest layer with parameters (e.g. an input Dropout) no gradient is
        # needed unless the caller asks for dC/dx
        lowest = 0 if input_gradient else next(
            (i for i, layer in enumerate(layers) if layer.params), 0)
        grad: Any  # an array, or None once no layer below needs it
        if delta is not None:
            remaining = layers[:-1]
            grad = cast(Dense, last).backward_pre_activation(
                delta, need_input_grad=input_gradient or len(remaining) > lowest)
        else:
            grad = self.loss.gradient(output, target, sample_weight)
            remaining = layers
        for index in range(len(remaining) - 1, lowest - 1, -1):
            grad = remaining[index].backward(grad, need_input_grad=input_gradient or index > lowest)
        return grad

    # ------------------------------------------------------------------ training
    def fit(self, x: Any, y: Any, **options: Any) -> History:
        """Train on ``(x, y)``; see :func:`neuroflow.training.fit` for every option."""
        from neuroflow.training import fit

        return fit(self, x, y, **options)

    def prepare_inputs(self, x: Any, argument: str = "x") -> np.ndarray:
        """Validate raw inputs and apply :attr:`preprocessing` when there is one."""
        if self.preprocessing is not None:
            x = self.preprocessing.transform(x)
        return check_inputs(x, self.in_features, self.dtype, argument)

    def prepare_targets(self, y: Any, argument: str = "y") -> np.ndarray:
        """Validate targets against the output layer and the loss."""
        return self.loss.prepare_targets(y, self.out_features, self.dtype, argument)

    # ------------------------------------------------------------------ inference
    def predict(self, x: Any, batch_size: int | None = None) -> np.ndarray:
        """Network outputs for inputs ``x (n, in_features)``; shape ``(n, out_features)``."""
        return self._predict_prepared(self.prepare_inputs(x), batch_size)

    def _predict_prepared(self, x: np.ndarray, batch_size: int | None) -> np.ndarray:
        size = PREDICT_BATCH_SIZE if batch_size is None else _positive_int(batch_size,
                                                                          "batch_size")
        if x.shape[0] <= size:
            return self._infer(x)
        return np.concatenate([self._infer(x[i:i + size]) for i in range(0, x.shape[0], size)])

    def _infer(self, x: np.ndarray) -> np.ndarray:
        """Inference-mode forward pass through :meth:`Layer.infer` (no caches kept);
        NumPy in, NumPy out, whatever the back-end."""
        if self.backend != "numpy":
            x = _backend.to_backend(x, self._xp)
            for layer in self.layers:
                x = layer.infer(x)
            return _backend.to_numpy(x)
        for layer in self.layers:
            x = layer.infer(x)
        return x

    def predict_classes(self, x: Any, batch_size: int | None = None) -> np.ndarray:
        """Class labels ``(n,)``: argmax of each row, or ``output > 0.5`` for one output."""
        return self.classes_from_output(self.predict(x, batch_size))

    @staticmethod
    def classes_from_output(output: np.ndarray) -> np.ndarray:
        """Labels from outputs: row-wise argmax, or per-sample threshold 0.5 for one unit."""
        if output.shape[1] == 1:
            return (output[:, 0] > 0.5).astype(np.int64)
        return output.argmax(axis=1)

    def evaluate(self, x: Any, y: Any, batch_size: int | None = None,
                 sample_weight: Any = None) -> dict[str, float]:
        """Loss (and accuracy for classification losses) on ``(x, y)``."""
        x = self.prepare_inputs(x)
        target = self.prepare_targets(y)
        if target.shape[0] != x.shape[0]:
            raise ValueError(f"y: expected {x.shape[0]} targets (one per row of x), received "
                             f"{target.shape[0]}")
        weights = None
        if sample_weight is not None:
            weights = check_sample_weight(sample_weight, x.shape[0], self.dtype)
        return self.score(x, target, weights, batch_size)

    def score(self, x: np.ndarray, target: np.ndarray, sample_weight: np.ndarray | None = None,
              batch_size: int | None = None) -> dict[str, float]:
        """:meth:`evaluate` on inputs and targets already validated and prepared."""
        from neuroflow.metrics import accuracy

        output = self._predict_prepared(x, batch_size)
        scores = {"loss": self.loss.value(output, target, sample_weight)}
        if self.loss.is_classification:
            scores["accuracy"] = accuracy(output, target, loss=self.loss)
        return scores

    # ------------------------------------------------------------------ description
    def get_config(self) -> dict[str, Any]:
        """Architecture (no weights): layers, loss and dtype, JSON-serialisable."""
        return {
            "layers": [layer.get_config() for layer in self.layers],
            "loss": self.loss.get_config(),
            "dtype": self.dtype.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any],
                    seed: int | np.random.Generator | None = None) -> Network:
        """Build a freshly initialised network from :meth:`get_config` output."""
        return cls([layer_from_config(c) for c in config["layers"]],
                   loss=config["loss"]["name"], seed=seed, dtype=config["dtype"])

    def copy(self, dtype: str | np.dtype | type | None = None) -> Network:
        """An independent copy holding everything a saved and loaded model holds
        (:data:`STATE_FIELDS`: weights, layer state, preprocessing, class and feature
        names, optimiser, random generator, history, ...), optionally in another dtype;
        see :func:`neuroflow.io.copy`."""
        from neuroflow.io import copy

        return copy(self, dtype)

    def adopt(self, other: Network) -> None:
        """Take every field of :data:`STATE_FIELDS` from ``other`` (same architecture),
        keeping this network's layer objects: what resuming from a checkpoint does."""
        for mine, theirs in zip(self.layers, other.layers):
            mine.load_state({k: _backend.to_numpy(v).copy() for k, v in theirs.state().items()})
        for name in STATE_FIELDS:
            if name not in ("layers", "loss", "dtype"):
                setattr(self, name, getattr(other, name))
        self.rebind_random_generator()
        if self.backend != "numpy":
            self.to_backend(self.backend)
        else:
            self.pack_parameters()

    def rebind_random_generator(self) -> None:
        """Point the layers that draw random numbers (Dropout) at :attr:`rng`, after it
        was replaced (loading, resuming)."""
        for layer in self.layers:
            if getattr(layer, "rng", None) is not None:
                layer.rng = self.rng  # type: ignore[attr-defined]

    def current_callback_states(self) -> list[dict[str, Any]] | None:
        """The callback states to save now: those of the callbacks of a running
        :meth:`fit`, else :attr:`callback_states`."""
        if self._callbacks:
            return [{"type": type(c).__name__, "state": c.get_state()} for c in self._callbacks]
        return self.callback_states

    def summary(self) -> str:
        """A table of layers, output shapes and parameter counts."""
        rows = [("#", "layer", "activation", "output shape", "parameters")]
        for i, layer in enumerate(self.layers):
            activation = getattr(getattr(layer, "activation", None), "name", "-")
            rows.append((str(i), type(layer).__name__, activation,
                         f"(None, {layer.out_features})", f"{layer.parameter_count:,}"))
        widths = [max(len(row[c]) for row in rows) for c in range(5)]
        rule = "-" * (sum(widths) + 2 * 4)
        lines = [f"Network: {' -> '.join(str(s) for s in self.sizes)}", rule]
        for n, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(w) if c < 3 else cell.rjust(w)
                                   for c, (cell, w) in enumerate(zip(row, widths))))
            if n == 0:
                lines.append(rule)
        lines += [rule, f"loss: {self.loss.name}    dtype: {self.dtype.name}    "
                        f"trainable parameters: {self.parameter_count:,}"]
        return "\n".join(lines)

    def save(self, path: str, include_optimizer: bool = True) -> None:
        """Write the model to one safetensors file (see :func:`neuroflow.io.save`)."""
        from neuroflow.io import save

        save(self, path, include_optimizer=include_optimizer)

    def to_onnx(self, path: str, include_preprocessing: bool = True) -> Any:
        """Export the inference pass to an ONNX file (see :func:`neuroflow.onnx.export`)."""
        from neuroflow.onnx import export

        return export(self, path, include_preprocessing=include_preprocessing)

    def __repr__(self) -> str:
        backend = "" if self.backend == "numpy" else f", backend={self.backend!r}"
        return (f"Network(sizes={self.sizes}, loss={self.loss.name!r}, "
                f"dtype={self.dtype.name!r}{backend})")


def parameters_diverged(parameters: Sequence[Any]) -> bool:
    r"""Whether training has diverged, judged from the parameters alone.

    True when an entry is NaN or infinite, or when :math:`\sum_i \theta_i^2` overflows,
    i.e. the parameters' norm exceeds :math:`\sqrt{\text{largest float}}` (1.8e19 in
    float32, 1.3e154 in float64): such weights can no longer be multiplied without
    overflow, even while a clipped loss still looks finite. One dot product per array.
    """
    for array in parameters:
        with np.errstate(over="ignore", invalid="ignore"):
            if isinstance(array, np.ndarray):
                flat = array.reshape(-1)
                total = float(np.dot(flat, flat))
            else:  # another array back-end
                total = float(_backend.namespace(array).sum(array * array))
        if not math.isfinite(total):
            return True
    return False


def check_sample_weight(sample_weight: Any, n_samples: int, dtype: np.dtype,
                        argument: str = "sample_weight") -> np.ndarray:
    """Validate per-sample weights: shape ``(n,)``, finite, non-negative."""
    weights = np.asarray(sample_weight)
    if weights.dtype.kind not in "biuf" or weights.shape != (n_samples,):
        raise ValueError(f"{argument}: expected a numeric array of shape ({n_samples},), "
                         f"received shape {weights.shape} and dtype {weights.dtype}")
    weights = weights.astype(dtype)
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(f"{argument}: expected finite non-negative weights, received "
                         f"values in [{weights.min()}, {weights.max()}]")
    return weights
