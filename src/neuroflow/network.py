"""The network: an ordered stack of layers, a loss, and the forward and backward passes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from neuroflow import backend as _backend
from neuroflow import losses as _losses
from neuroflow import preprocessing as _preprocessing
from neuroflow import state as _state
from neuroflow._validation import (
    all_finite,
    as_dtype,
    check_inputs,
    check_sample_weight,
    numeric_matrix,
    parameters_diverged,
    positive_int,
)
from neuroflow.inference import Inference
from neuroflow.layers import Dense, Layer, connect, images_to_rows, layer_from_config
from neuroflow.optimizers import ParameterBuffer
from neuroflow.services import Fitting, service
from neuroflow.state import STATE_FIELDS, TRANSIENT_FIELDS

if TYPE_CHECKING:
    from neuroflow.hooks import History
    from neuroflow.optimizers import Optimizer

__all__ = ["Network", "check_inputs", "numeric_matrix", "as_dtype", "parameters_diverged",
           "check_sample_weight", "all_finite", "STATE_FIELDS", "TRANSIENT_FIELDS"]



class Network(Inference, Fitting):
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
        Array library holding the parameters (see :mod:`neuroflow.backend`; CuPy needs
        ``neuroflow[gpu]``). Weights are drawn with NumPy, so every back-end starts from
        the same ones; ``predict`` takes and returns NumPy arrays; a loaded model is on
        NumPy until :meth:`to_backend`.
    device : {"cuda", "gpu", "cpu"}, optional
        Synonym for the back-end: ``"cuda"``/``"gpu"`` select ``"cupy"``, ``"cpu"`` NumPy.

    Attributes
    ----------
    backend : str
        ``"numpy"``, ``"cupy"`` or ``"array_api_strict"``.
    optimizer : Optimizer or None
        The optimiser of the last :meth:`fit`; its state carries over to the next.
    stop_training : bool
        Set by a callback (or Ctrl-C) to end :meth:`fit` after the current batch.
    epochs_trained : int
        Complete epochs trained so far.
    history : History or None
        Every epoch's logs; each :meth:`fit` continues it.
    training_run : dict or None
        The last fit's batch size, shuffling, sample counts and data fingerprint, which a
        resumed run must repeat (:func:`neuroflow.training.run_settings`).
    preprocessing : object or None
        An input transform (e.g. a standard scaler with ``transform``, ``get_config`` and
        ``state``) applied by :meth:`prepare_inputs`, so by ``fit``, ``predict``,
        ``evaluate``.
    class_names, feature_names : list or None
        Original labels of the outputs; names of the input columns (a CSV header), by
        which a prediction CSV is matched.
    callback_states : list of dict or None
        ``[{"type": class name, "state": Callback.get_state()}]`` of the last fit's
        stateful callbacks; ``fit(resume_from=...)`` gives them back.
    parameter_buffer : ParameterBuffer or None
        Every parameter and gradient laid end to end (NumPy back-end; see
        :meth:`pack_parameters`).

    Everything a model is (:data:`STATE_FIELDS`) is saved by :func:`neuroflow.io.save`
    and carried by :meth:`copy` and resuming.

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
        layers = connect(layers)
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
        # The attributes; those of STATE_FIELDS are saved with the model (class docstring).
        self.backend = "numpy"
        self.optimizer: Optimizer | None = None
        self.stop_training = False
        self.epochs_trained = 0
        self.history: History | None = None
        self.training_run: dict[str, Any] | None = None
        self.preprocessing: Any = None
        self.class_names: list[Any] | None = None
        self.feature_names: list[str] | None = None
        self.callback_states: list[dict[str, Any]] | None = None
        self._callbacks: list[Any] = []  # the stateful callbacks while fit runs
        self._output: np.ndarray | None = None
        self.parameter_buffer: ParameterBuffer | None = None
        if backend != "numpy":
            self.to_backend(backend)
        else:
            self.pack_parameters()

    def pack_parameters(self) -> ParameterBuffer | None:
        """Lay every parameter, and every gradient, end to end: the
        :attr:`parameter_buffer`, returned (``None`` on a back-end other than NumPy).

        Each layer's ``params[key]`` and ``grads[key]`` become views of the buffer's two
        flat arrays, in :meth:`parameters` order, so an optimiser given the buffer updates
        them all with one pass per operation (see
        :meth:`~neuroflow.optimizers.Optimizer.step`). Values are
        unchanged. Nothing is done while the layers hold the buffer's views (loading
        weights writes into them); arrays replaced since (a cast, a move between
        back-ends) get a new buffer.
        """
        named = self.named_parameters()
        if self.backend != "numpy" or not named:
            self.parameter_buffer = None
        elif self.parameter_buffer is None or not self.parameter_buffer.holds(
                self.parameters(), self.gradients()):
            buffer = ParameterBuffer([name for name, _, _ in named], [p for _, p, _ in named],
                                     [g for _, _, g in named], self.dtype)
            slots = [(layer, key) for layer in self.layers for key in layer.params]
            for (layer, key), (param, grad) in zip(slots, buffer):
                layer.params[key], layer.grads[key] = param, grad
            self.parameter_buffer = buffer
        return self.parameter_buffer

    def to_backend(self, backend: str = "numpy", device: str | None = None) -> Network:
        """Move the parameters, layer state (e.g. BatchNorm's running statistics) and the
        optimiser's state to ``backend`` (see the class parameters); returns ``self``.

        Drops the last forward pass. References to the old arrays (``parameters()``
        lists) no longer follow the network. On NumPy the parameters are packed again
        (:meth:`pack_parameters`).

        Raises
        ------
        ValueError
            For an unknown back-end, one that is not installed, or CuPy without a GPU.
        """
        name, xp = _backend.resolve(backend, device)
        for layer in self.layers:
            layer.to_backend(xp)
        if self.optimizer is not None:
            self.optimizer.to_backend(xp)
        self.backend, self._output = name, None
        self.pack_parameters()
        return self

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
            positive_int(size, f"sizes[{index}]")
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
    def prepare_inputs(self, x: Any, argument: str = "x") -> np.ndarray:
        """Validate raw inputs and apply :attr:`preprocessing` when there is one.

        A network whose first layer takes images accepts them as ``(n, c, h, w)``,
        ``(n, h, w, c)``, ``(n, h, w)`` (one channel) or rows ``(n, c*h*w)``: they become
        rows in channel-first order (:func:`~neuroflow.layers.images_to_rows`)."""
        x = images_to_rows(x, self.layers[0].input_shape)
        if self.preprocessing is not None:
            x = self.preprocessing.transform(x)
        return check_inputs(x, self.in_features, self.dtype, argument)

    def prepare_targets(self, y: Any, argument: str = "y") -> np.ndarray:
        """Validate targets against the output layer and the loss; class labels by name
        (strings, pandas categories) become class numbers through :attr:`class_names`."""
        if self.loss.is_classification:
            y = _preprocessing.encode_labels(y, self.class_names, argument)
        return self.loss.prepare_targets(y, self.out_features, self.dtype, argument)

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
        return service("copy")(self, dtype)

    def adopt(self, other: Network) -> None:
        """Take every field of :data:`STATE_FIELDS` from ``other`` (same architecture),
        keeping this network's layer objects: what resuming from a checkpoint does."""
        _state.adopt(self, other)

    def rebind_random_generator(self) -> None:
        """Point the layers that draw random numbers (Dropout) at :attr:`rng`."""
        _state.rebind_random_generator(self)

    def current_callback_states(self) -> list[dict[str, Any]] | None:
        """The callback states to save now (see :func:`neuroflow.state.callback_states_now`)."""
        return _state.callback_states_now(self)

    def summary(self) -> str:
        """A table of layers, output shapes and parameter counts."""
        return _state.summary_table(self)

    def _repr_html_(self) -> str:
        """The :meth:`summary` as an HTML table: how Jupyter shows a network."""
        return _state.summary_html(self)

    def save(self, path: str, include_optimizer: bool = True,
             sign_key: bytes | str | None = None) -> None:
        """Write the model to one safetensors file (see :func:`neuroflow.io.save`; with
        ``sign_key`` it is signed, and ``neuroflow.load(path, key=...)`` checks it)."""
        service("save")(self, path, include_optimizer=include_optimizer, sign_key=sign_key)

    def to_onnx(self, path: str, include_preprocessing: bool = True) -> Any:
        """Export the inference pass to an ONNX file (see :func:`neuroflow.onnx.export`)."""
        return service("to_onnx")(self, path, include_preprocessing=include_preprocessing)

    def __repr__(self) -> str:
        backend = "" if self.backend == "numpy" else f", backend={self.backend!r}"
        return (f"Network(sizes={self.sizes}, loss={self.loss.name!r}, "
                f"dtype={self.dtype.name!r}{backend})")
