"""The benchmark's networks, built once by neuroflow and copied into each other tool.

A configuration of :data:`benchmarks.run.CONFIGS` is either an MLP (``"sizes"``: the
layer sizes, input first) or a stack of image layers (``"stack"``: neuroflow's
``--layers`` syntax, such as ``"conv32k3,pool2,conv64k3,pool2,dense128"``, on 28x28
MNIST images). Every tool starts from the weights neuroflow draws for the seed
(:func:`neuroflow_network`), and visits the samples in the order neuroflow's ``fit``
draws from the same generator, so all of them train the same network on the same
batches:

- :func:`torch_model`: the ``nn.Sequential`` of the same layers, neuroflow's weights
  copied in (``Conv2D``'s kernel ``(filters, channels, kh, kw)`` is PyTorch's layout
  already, NCHW both; a ``Dense`` ``W (n_in, n_out)`` is ``Linear.weight`` transposed),
  returning logits for ``cross_entropy``;
- :class:`JaxTrainer`: the same layers in ``jax.numpy``/``lax``, optax Adam, the whole
  epoch one ``jax.jit`` over a ``lax.scan`` of the steps (the last, partial batch traced
  after the scan), compiled ahead of time; used on the CPU by
  :mod:`benchmarks.workers` and on the GPU by :mod:`benchmarks.gpu`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import neuroflow as nf
from neuroflow.layers.stack import build_stack

#: Adam hyper-parameters shared by every tool.
ADAM = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}


def is_convolutional(config: dict[str, Any]) -> bool:
    """Whether ``config`` is a stack of image layers (``"stack"``) rather than an MLP."""
    return "stack" in config


def neuroflow_network(config: dict[str, Any], seed: int | None = None) -> nf.Network:
    """neuroflow's network of ``config`` (ReLU hidden layers, softmax output, He-normal
    weights and zero biases drawn from ``seed``; ``config["seed"]`` by default). Its
    ``rng`` after the draw gives, by ``permutation(n)`` call after call, the orders in
    which ``fit`` visits the samples epoch after epoch."""
    seed = config["seed"] if seed is None else seed
    if is_convolutional(config):
        layers = build_stack(config["stack"], config["input"], config["outputs"])
        return nf.Network(layers, seed=seed)
    return nf.Network.from_sizes(config["sizes"], hidden="relu", output="softmax", seed=seed)


def input_shape(network: nf.Network) -> tuple[int, ...]:
    """The shape of one sample as the first layer takes it: ``(channels, height,
    width)`` for an image layer (rows of pixels are reshaped to it, NCHW), else
    ``(features,)``."""
    first = network.layers[0]
    image = getattr(first, "image", None)
    return tuple(image) if image is not None else (first.in_features,)


def describe_layers(network: nf.Network) -> list[dict[str, Any]]:
    """The layers of ``network`` as plain data (kind, parameters, geometry): what
    :func:`torch_model` and :class:`JaxTrainer` rebuild. Raises ``ValueError`` for a
    layer they do not rebuild."""
    described: list[dict[str, Any]] = []
    for layer in network.layers:
        kind = type(layer).__name__
        entry: dict[str, Any] = {"kind": kind}
        if kind in ("Dense", "Conv2D"):
            entry["W"] = np.array(layer.params["W"])
            entry["b"] = np.array(layer.params["b"])
            entry["activation"] = layer.activation.name
            if kind == "Conv2D":
                if layer.padding != "valid":
                    raise ValueError(f"only 'valid' convolutions are rebuilt, received "
                                     f"padding={layer.padding!r}")
                entry["stride"] = tuple(layer.stride)
        elif kind == "MaxPool2D":
            if layer.padding != "valid":
                raise ValueError(f"only 'valid' pooling is rebuilt, received "
                                 f"padding={layer.padding!r}")
            entry["size"], entry["stride"] = tuple(layer.pool_size), tuple(layer.stride)
        elif kind != "Flatten":
            raise ValueError(f"the benchmark rebuilds Dense, Conv2D, MaxPool2D and Flatten "
                             f"layers, received {kind}")
        described.append(entry)
    hidden = {entry["activation"] for entry in described[:-1] if "activation" in entry}
    if hidden - {"relu"} or described[-1].get("activation") != "softmax":
        raise ValueError("the benchmark rebuilds ReLU hidden layers and a softmax output")
    return described


def step_products(network: nf.Network, batch: int, first_input_gradient: bool = False
                  ) -> list[tuple[str, int, int, int, bool]]:
    """The matrix products of one training step of ``network`` at ``batch`` samples:
    ``(name, m, k, n, transposed_a)`` for an ``(m, k) @ (k, n)`` product,
    ``transposed_a`` when the left operand is a transposed view (a weight gradient).

    Per ``Dense`` layer ``(n_in, n_out)``: the forward ``x W`` ``(batch, n_in) @ (n_in,
    n_out)``, the weight gradient ``xᵀ δ`` and the input gradient ``δ Wᵀ``. Per
    ``Conv2D`` layer, on its im2col matrix ``X (batch * oh * ow, C kh kw)`` (one row per
    output position, ``neuroflow.layers.conv``): the forward ``X Kᵀ``, the weight
    gradient ``Δᵀ X`` and the input gradient ``Δ K``. The first layer's input gradient,
    which no tool computes, only with ``first_input_gradient``.
    """
    products = []
    first = True
    for index, layer in enumerate(network.layers, start=1):
        kind = type(layer).__name__
        if kind == "Dense":
            rows, inner, outer = batch, layer.in_features, layer.out_features
        elif kind == "Conv2D":
            filters, oh, ow = layer.output_shape
            rows, inner, outer = batch * oh * ow, layer.in_window, filters
        else:
            continue
        products.append((f"layer {index} x W", rows, inner, outer, False))
        products.append((f"layer {index} xᵀ δ", inner, rows, outer, True))
        if not first or first_input_gradient:
            products.append((f"layer {index} δ Wᵀ", rows, outer, inner, False))
        first = False
    return products


# ------------------------------------------------------------------------------ PyTorch
def torch_model(network: nf.Network) -> Any:
    """``torch.nn.Sequential`` of ``network``'s layers with its weights, ending in the
    output layer's logits (softmax fused into ``cross_entropy``)."""
    import torch

    modules: list[Any] = []
    layers = describe_layers(network)
    for index, entry in enumerate(layers):
        kind = entry["kind"]
        if kind == "Dense":
            module = torch.nn.Linear(*entry["W"].shape)
            weight = entry["W"].T
        elif kind == "Conv2D":
            filters, channels, kh, kw = entry["W"].shape
            module = torch.nn.Conv2d(channels, filters, (kh, kw), stride=entry["stride"])
            weight = entry["W"]
        elif kind == "MaxPool2D":
            modules.append(torch.nn.MaxPool2d(entry["size"], stride=entry["stride"]))
            continue
        else:
            modules.append(torch.nn.Flatten())
            continue
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
            module.bias.copy_(torch.from_numpy(entry["b"]))
        modules.append(module)
        if index < len(layers) - 1:
            modules.append(torch.nn.ReLU())
    return torch.nn.Sequential(*modules)


# ---------------------------------------------------------------------------------- JAX
class JaxTrainer:
    """``network``'s layers in JAX, trained by epochs compiled whole.

    The epoch is one ``jax.jit`` of a ``lax.scan`` over the full batches (a step: the
    mean softmax cross-entropy of the batch, its gradient, optax Adam with
    :data:`ADAM`), the last, partial batch traced after the scan; the data and the
    epoch's order are arguments, not constants folded into the program. Parameters
    and Adam's moments are donated to each call.

    Parameters
    ----------
    network : neuroflow.Network
        Its weights are the starting point (copied).
    n_samples, batch_size : int
        The epoch's geometry (the compiled program is specific to both).
    device : jax.Device, optional
        Where the arrays live (JAX's default device otherwise).
    """

    def __init__(self, network: nf.Network, n_samples: int, batch_size: int,
                 device: Any = None) -> None:
        import jax
        import optax

        self.jax, self.device = jax, device
        self.layers = [{k: v for k, v in entry.items() if k not in ("W", "b")}
                       for entry in describe_layers(network)]
        self.shape = input_shape(network)
        self.params = [(self.put(entry["W"]), self.put(entry["b"]))
                       for entry in describe_layers(network) if "W" in entry]
        self.adam = optax.adam(ADAM["learning_rate"], b1=ADAM["beta_1"], b2=ADAM["beta_2"],
                               eps=ADAM["epsilon"])
        self.state = self.adam.init(self.params)
        self.n_samples, self.batch_size = n_samples, batch_size
        self.compiled: Any = None
        self._predict = jax.jit(lambda params, inputs: jax.nn.softmax(
            self.forward(params, inputs)))

    def put(self, array: np.ndarray) -> Any:
        return self.jax.device_put(array, self.device)

    def forward(self, params: Any, inputs: Any) -> Any:
        """Logits ``(n, classes)`` of ``inputs`` ``(n, features)`` (rows of pixels are
        reshaped to NCHW images for a first image layer)."""
        from jax import lax

        x = inputs.reshape((inputs.shape[0], *self.shape))
        weights = iter(params)
        last = len(self.layers) - 1
        for index, layer in enumerate(self.layers):
            kind = layer["kind"]
            if kind == "Dense":
                w, b = next(weights)
                x = x @ w + b
            elif kind == "Conv2D":
                w, b = next(weights)
                x = lax.conv_general_dilated(x, w, layer["stride"], "VALID",
                                             dimension_numbers=("NCHW", "OIHW", "NCHW"))
                x = x + b[None, :, None, None]
            elif kind == "MaxPool2D":
                x = lax.reduce_window(x, -np.inf, lax.max, (1, 1, *layer["size"]),
                                      (1, 1, *layer["stride"]), "VALID")
                continue
            else:
                x = x.reshape((x.shape[0], -1))
                continue
            if index < last:
                x = self.jax.nn.relu(x)
        return x

    def _epoch(self, params: Any, state: Any, inputs: Any, labels: Any, order: Any) -> Any:
        import optax
        from jax import lax

        jax, adam = self.jax, self.adam
        n, batch_size = self.n_samples, self.batch_size
        full = n // batch_size

        def loss(params: Any, x: Any, y: Any) -> Any:
            return optax.softmax_cross_entropy_with_integer_labels(
                self.forward(params, x), y).mean()

        def step(carry: Any, index: Any) -> Any:
            params, state = carry
            value, grads = jax.value_and_grad(loss)(params, inputs[index], labels[index])
            updates, state = adam.update(grads, state, params)
            return (optax.apply_updates(params, updates), state), value * index.shape[0]

        batches = order[:full * batch_size].reshape(full, batch_size)
        (params, state), losses = lax.scan(step, (params, state), batches)
        total = losses.sum()
        if n % batch_size:  # the last, partial batch (its shape is known when traced)
            (params, state), last = step((params, state), order[full * batch_size:])
            total = total + last
        return params, state, total / n

    def compile(self, inputs: Any, labels: Any) -> float:
        """Compile the epoch for data shaped as ``inputs`` ``(n, features)`` and
        ``labels`` ``(n,)`` (int32); returns the seconds it took."""
        jax = self.jax
        order = jax.ShapeDtypeStruct((self.n_samples,), np.int32)
        started = time.perf_counter()
        self.compiled = jax.jit(self._epoch, donate_argnums=(0, 1)).lower(
            self.params, self.state, inputs, labels, order).compile()
        return time.perf_counter() - started

    def epoch(self, inputs: Any, labels: Any, order: np.ndarray) -> float:
        """One compiled epoch over the samples in ``order``; returns the mean training
        loss, read back to the host (so the epoch has finished)."""
        self.params, self.state, mean_loss = self.compiled(
            self.params, self.state, inputs, labels, self.put(order.astype(np.int32)))
        return float(mean_loss)

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """Softmax probabilities ``(n, classes)`` of host ``inputs``, in host memory."""
        return np.asarray(self._predict(self.params, self.put(inputs)))
