"""One benchmark worker: a single tool training one configuration, driven over a pipe.

The driver (:mod:`benchmarks.run`) starts one worker process per tool, so that each
tool's peak resident memory is its own, and steps them in turn, one epoch at a time
(A B C A B C ...), so that machine noise falls on every tool alike. The protocol is
one JSON object per line:

- worker -> driver ``{"ready": true, "subtracted_seconds": ..., "blas": [...]}`` once
  data and model are in memory (``subtracted_seconds``: per-epoch input handling
  measured alone and subtracted from each epoch time, 0 for the tools that do it once
  before training; ``blas``: the matrix-product libraries the tool runs, each with
  ``internal_api``, ``version``, ``architecture`` (the kernel) and ``num_threads``, read
  inside this process after the tool set its threads; ``compile_seconds``: JAX's
  compilation of the epoch, 0 for the others);
- driver -> worker ``epoch``: train one epoch; reply ``{"seconds": ...}``;
- driver -> worker ``evaluate``: reply ``{"accuracy": ..., "samples_per_second": ...,
  "cores_used": ...}`` (test accuracy and inference throughput on the 10k test set;
  the process's CPU seconds per second of epoch, :func:`cores_used`);
- driver -> worker ``quit``: reply ``{"peak_rss_mb": ...}`` and exit.

Every tool starts from the *same* initial weights (neuroflow's He-normal draw for the
seed, biases zero; :mod:`benchmarks.models` copies them into PyTorch and JAX), uses Adam
with the same hyper-parameters and the same batch size, and sees float32 data. PyTorch
and JAX also visit the samples in neuroflow's order (the same batches); scikit-learn
(MLPs only) shuffles with its own generator. JAX compiles its whole epoch before the
``ready`` message (``compile_seconds`` in it, outside every clock), and its process is
confined to ``threads`` cores (:func:`confine_to_cores`): XLA's CPU thread pool takes
one thread per core the process may run on, and no XLA flag of the jaxlib measured
(0.10) limits it. Each worker measures the cores its epochs used (``cores_used`` in the
``evaluate`` reply), which shows the limit held for every tool.

The driver starts the workers with ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` unset
(:func:`benchmarks.run.worker_environment`), so OpenBLAS runs the kernel the CPU picks,
as on a user's machine.

Run as ``python -m benchmarks.workers TOOL CONFIG_JSON``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from typing import Any

import numpy as np

import neuroflow as nf
from benchmarks.models import (
    ADAM,
    JaxTrainer,
    input_shape,
    is_convolutional,
    neuroflow_network,
    torch_model,
)
from benchmarks.probe import blas_in_use

__all__ = ["ADAM", "TOOLS", "initial_state", "cores_used", "confine_to_cores", "main"]

#: Inference timings taken (after one warm-up); the median is reported.
INFERENCE_REPEATS = 5


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def initial_state(sizes: list[int], seed: int
                  ) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.random.Generator]:
    """The float32 ``(W (n_in, n_out), b (n_out,))`` pairs neuroflow draws for ``seed``,
    and the network's generator after the draw: its next ``permutation(n)`` calls are
    the orders in which neuroflow's ``fit`` visits the samples, epoch after epoch."""
    net = neuroflow_network({"sizes": sizes}, seed)
    weights = [(layer.params["W"].copy(), layer.params["b"].copy()) for layer in net.layers]
    return weights, net.rng


def threads(config: dict[str, Any]) -> int:
    """Threads the tool may use: ``config["threads"]``, all cores by default."""
    return int(config.get("threads") or len(os.sched_getaffinity(0)))


def cpu_seconds() -> float:
    """CPU time of this process so far, user and system, all threads."""
    times = os.times()
    return times.user + times.system


def cores_used(cpu: float, seconds: float) -> float:
    """Cores used on average: ``cpu`` seconds of CPU time (:func:`cpu_seconds`, all
    threads) over ``seconds`` of wall time. A thread limit of ``N`` holds when this
    stays at most ``N``, whatever the machine's load (which can only lower it); 0 where
    no time passed."""
    return cpu / seconds if seconds > 0 else 0.0


def confine_to_cores(count: int) -> None:
    """Let this process run on ``count`` of its cores only (the first ones), before a
    library sizes its thread pool by the cores it may use (XLA's CPU client does)."""
    cores = sorted(os.sched_getaffinity(0))
    if count < len(cores):
        os.sched_setaffinity(0, cores[:count])


def median_seconds(function: Any) -> float:
    function()
    times = []
    for _ in range(INFERENCE_REPEATS):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class NeuroflowTool:
    """``Network.fit`` with a callback that hands control to the driver after each epoch.
    ``fit`` validates and prepares its input before its first epoch's clock starts."""

    subtracted_seconds = 0.0
    compile_seconds = 0.0

    def __init__(self, config: dict[str, Any], data: tuple[np.ndarray, ...]) -> None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads(config))
        self.x, self.y, self.x_test, self.y_test = data
        self.config = config
        self.network = neuroflow_network(config)
        # The compiled kernels are built (or read from numba's cache) once per install, not
        # once per epoch: a copy trains two batches before the clock, so a fresh install's
        # compilation does not land in the first epoch (as JAX's compile time is kept out).
        warm = self.network.copy()
        batch = config["batch_size"]
        warm.fit(self.x[:2 * batch], self.y[:2 * batch], epochs=1, batch_size=batch,
                 optimizer=nf.optimizers.Adam(**ADAM), verbose=0)

    def kernels(self) -> list[dict[str, Any]]:
        """The BLAS libraries this process runs (NumPy's)."""
        return blas_in_use()

    def run(self, serve_epoch: Any) -> None:
        class Handover(nf.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                serve_epoch(logs["time"])

        self.network.fit(self.x, self.y, epochs=self.config["epochs"],
                         batch_size=self.config["batch_size"],
                         optimizer=nf.optimizers.Adam(**ADAM), callbacks=[Handover()],
                         verbose=0)

    def evaluate(self) -> dict[str, float]:
        labels = self.network.predict_classes(self.x_test)
        seconds = median_seconds(lambda: self.network.predict(self.x_test))
        return {"accuracy": float((labels == self.y_test).mean()),
                "samples_per_second": self.x_test.shape[0] / seconds}


class NeuroflowNumpyTool(NeuroflowTool):
    """neuroflow with its NumPy reference kernels only (``kernels.use("numpy")``, as
    ``NEUROFLOW_KERNELS=numpy`` or a machine where numba cannot be imported): what the
    compiled loops pay is the difference to the ``neuroflow`` row."""

    def __init__(self, config: dict[str, Any], data: tuple[np.ndarray, ...]) -> None:
        nf.kernels.use("numpy")
        super().__init__(config, data)


class TorchTool:
    """The idiomatic PyTorch loop: ``nn.Sequential`` of the same layers
    (:func:`benchmarks.models.torch_model`: ``Linear``/``Conv2d``/``MaxPool2d``/``ReLU``),
    logits into ``cross_entropy`` (softmax fused), batches gathered by index from a
    per-epoch permutation: the same permutations as neuroflow's, so both see the same
    batches. The tensors are created once, here (``torch.from_numpy`` and, for image
    layers, a view as ``(n, channels, height, width)``: no copy)."""

    subtracted_seconds = 0.0
    compile_seconds = 0.0

    def __init__(self, config: dict[str, Any], data: tuple[np.ndarray, ...]) -> None:
        import torch

        torch.set_num_threads(threads(config))
        torch.manual_seed(config["seed"])
        self.torch = torch
        network = neuroflow_network(config)
        self.rng = network.rng
        shape = input_shape(network)
        x, y, x_test, y_test = data
        self.x = torch.from_numpy(x).view(x.shape[0], *shape)
        self.x_test = torch.from_numpy(x_test).view(x_test.shape[0], *shape)
        self.y, self.y_test = torch.from_numpy(y), torch.from_numpy(y_test)
        self.config = config
        self.model = torch_model(network)
        self.optimizer = torch.optim.Adam(
            self.model.parameters(), lr=ADAM["learning_rate"],
            betas=(ADAM["beta_1"], ADAM["beta_2"]), eps=ADAM["epsilon"])

    def kernels(self) -> list[dict[str, Any]]:
        """PyTorch's own matrix products: MKL (linked into libtorch, which threadpoolctl
        does not see) or its built-in BLAS, at the ATen CPU capability it dispatches to
        (``AVX512``, ``AVX2``, ...)."""
        import re

        torch = self.torch
        config = torch.__config__.show()
        found = re.search(r"Math Kernel Library Version ([\w.\-]+)", config)
        mkl = torch.backends.mkl.is_available()
        capability = getattr(torch.backends.cpu, "get_cpu_capability", lambda: "unknown")()
        return [{"internal_api": "mkl" if mkl else "torch",
                 "version": found[1] if mkl and found else torch.__version__,
                 "architecture": f"ATen {capability}", "num_threads": torch.get_num_threads()}]

    def run(self, serve_epoch: Any) -> None:
        torch = self.torch
        functional = torch.nn.functional
        n, batch_size = self.x.shape[0], self.config["batch_size"]
        for _ in range(self.config["epochs"]):
            started = time.perf_counter()
            self.model.train()
            order = torch.from_numpy(self.rng.permutation(n))
            loss_sum = 0.0
            for start in range(0, n, batch_size):
                index = order[start:start + batch_size]
                xb, yb = self.x[index], self.y[index]
                self.optimizer.zero_grad(set_to_none=True)
                loss = functional.cross_entropy(self.model(xb), yb)
                loss.backward()
                self.optimizer.step()
                loss_sum += loss.item() * xb.shape[0]
            serve_epoch(time.perf_counter() - started)

    def evaluate(self) -> dict[str, float]:
        torch = self.torch
        self.model.eval()

        def predict() -> Any:
            with torch.inference_mode():
                return torch.softmax(self.model(self.x_test), dim=1)

        labels = predict().argmax(dim=1)
        seconds = median_seconds(predict)
        return {"accuracy": float((labels == self.y_test).float().mean()),
                "samples_per_second": self.x_test.shape[0] / seconds}


class SklearnTool:
    """``MLPClassifier`` (Adam, no L2 penalty) trained by ``partial_fit``, one epoch a call.

    ``partial_fit`` validates its input on every call, which the other tools do once:
    it runs with ``assume_finite=True`` (no finiteness scan of the 47M pixels each epoch),
    and the checks that remain (shapes, label binarising: ``_validate_input``) are timed
    alone here and subtracted from each epoch (:attr:`subtracted_seconds`)."""

    compile_seconds = 0.0

    def __init__(self, config: dict[str, Any], data: tuple[np.ndarray, ...]) -> None:
        from sklearn.neural_network import MLPClassifier
        from threadpoolctl import threadpool_limits

        if is_convolutional(config):
            raise ValueError("scikit-learn's MLPClassifier has no convolution")
        threadpool_limits(threads(config))
        self.x, self.y, self.x_test, self.y_test = data
        self.config = config
        weights, _ = initial_state(config["sizes"], config["seed"])

        class SameInitMLP(MLPClassifier):
            # scikit-learn draws Glorot-uniform weights; give it the same start as the others.
            def _init_coef(self, fan_in, fan_out, dtype):
                weight, bias = weights[len(self.coefs_) if hasattr(self, "coefs_") else 0]
                return weight.astype(dtype), bias.astype(dtype)

        self.model = SameInitMLP(
            hidden_layer_sizes=tuple(config["sizes"][1:-1]), activation="relu", solver="adam",
            alpha=0.0, batch_size=config["batch_size"],
            learning_rate_init=ADAM["learning_rate"], beta_1=ADAM["beta_1"],
            beta_2=ADAM["beta_2"], epsilon=ADAM["epsilon"], shuffle=True,
            random_state=config["seed"])
        self.subtracted_seconds = self.input_checks_seconds()

    def kernels(self) -> list[dict[str, Any]]:
        """The BLAS libraries this process runs (NumPy's and SciPy's)."""
        return blas_in_use()

    def input_checks_seconds(self) -> float:
        """Median time of the input checks ``partial_fit`` repeats each call, measured on
        a throwaway model (0 where this scikit-learn has no ``_validate_input``)."""
        import sklearn
        from sklearn.neural_network import MLPClassifier

        probe = MLPClassifier(hidden_layer_sizes=(2,), max_iter=1, batch_size=16)
        validate = getattr(probe, "_validate_input", None)
        if validate is None:
            return 0.0
        with sklearn.config_context(assume_finite=True):
            probe.partial_fit(self.x[:32], self.y[:32],
                              classes=np.arange(self.config["sizes"][-1]))
            try:
                return median_seconds(
                    lambda: validate(self.x, self.y, incremental=True, reset=False))
            except TypeError:  # another signature: measure nothing, subtract nothing
                return 0.0

    def run(self, serve_epoch: Any) -> None:
        import sklearn

        classes = np.arange(self.config["sizes"][-1])
        for _ in range(self.config["epochs"]):
            with sklearn.config_context(assume_finite=True):
                started = time.perf_counter()
                self.model.partial_fit(self.x, self.y, classes=classes)
                seconds = time.perf_counter() - started
            serve_epoch(seconds - self.subtracted_seconds)

    def evaluate(self) -> dict[str, float]:
        labels = self.model.predict(self.x_test)
        seconds = median_seconds(lambda: self.model.predict_proba(self.x_test))
        return {"accuracy": float((labels == self.y_test).mean()),
                "samples_per_second": self.x_test.shape[0] / seconds}


class JaxTool:
    """JAX on the CPU: the network of :func:`benchmarks.models.neuroflow_network` in
    :class:`benchmarks.models.JaxTrainer` (the epoch one ``jax.jit`` over a ``lax.scan``
    of the steps, optax Adam), on neuroflow's batches. The data is put on the device
    and the epoch compiled here, before the ``ready`` message: the compilation is
    reported (:attr:`compile_seconds`), never timed as an epoch. The process must be
    confined to its cores before JAX starts (:func:`main` does it:
    :func:`confine_to_cores`)."""

    subtracted_seconds = 0.0

    def __init__(self, config: dict[str, Any], data: tuple[np.ndarray, ...]) -> None:
        import jax

        self.jax = jax
        network = neuroflow_network(config)
        self.rng = network.rng
        x, y, self.x_test, self.y_test = data
        self.config = config
        self.trainer = JaxTrainer(network, x.shape[0], config["batch_size"],
                                  jax.devices("cpu")[0])
        self.x, self.y = self.trainer.put(x), self.trainer.put(y.astype(np.int32))
        self.compile_seconds = self.trainer.compile(self.x, self.y)
        #: Each epoch's mean training loss (the one neuroflow's history records).
        self.losses: list[float] = []

    def kernels(self) -> list[dict[str, Any]]:
        """XLA's own CPU code (its products are not a BLAS library's), on the cores
        this process may use."""
        from importlib import metadata

        return [{"internal_api": "xla", "version": f"jaxlib {metadata.version('jaxlib')}",
                 "architecture": f"XLA:{self.trainer.device.platform.upper()}",
                 "num_threads": len(os.sched_getaffinity(0))}]

    def run(self, serve_epoch: Any) -> None:
        for _ in range(self.config["epochs"]):
            started = time.perf_counter()
            loss = self.trainer.epoch(self.x, self.y,
                                      self.rng.permutation(self.trainer.n_samples))
            seconds = time.perf_counter() - started  # the loss read back: the epoch is done
            self.losses.append(loss)
            serve_epoch(seconds)

    def evaluate(self) -> dict[str, float]:
        labels = self.trainer.predict(self.x_test).argmax(axis=1)
        seconds = median_seconds(lambda: self.trainer.predict(self.x_test))
        return {"accuracy": float((labels == self.y_test).mean()),
                "samples_per_second": self.x_test.shape[0] / seconds}


TOOLS = {"neuroflow": NeuroflowTool, "neuroflow-numpy": NeuroflowNumpyTool,
         "pytorch": TorchTool, "sklearn": SklearnTool, "jax": JaxTool}
#: Tools whose thread pool follows the cores the process may use (:func:`confine_to_cores`).
CONFINED = {"jax"}


def load_data(config: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """MNIST as float32 (optionally the first ``train_samples`` training rows and the
    first ``test_samples`` test rows only)."""
    x, y, x_test, y_test = nf.datasets.mnist()
    limit, test_limit = config.get("train_samples"), config.get("test_samples")
    if limit:
        x, y = x[:limit], y[:limit]
    if test_limit:
        x_test, y_test = x_test[:test_limit], y_test[:test_limit]
    return x, y, x_test, y_test


def send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def receive() -> str:
    line = sys.stdin.readline()
    if not line:
        raise SystemExit(1)
    return line.strip()


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    tool_name, config = argv[0], json.loads(argv[1])
    if tool_name in CONFINED:  # before the library starts its thread pool
        confine_to_cores(threads(config))
    tool = TOOLS[tool_name](config, load_data(config))
    used = {"cpu": 0.0, "seconds": 0.0}

    def serve_epoch(seconds: float) -> None:
        # the CPU time since the epoch's command (the waits for the driver use none)
        used["cpu"] += cpu_seconds() - used["since"]
        used["seconds"] += seconds
        send({"seconds": seconds})
        command = receive()
        if command != "epoch" and command != "done":
            raise SystemExit(f"unexpected command {command!r}")
        used["since"] = cpu_seconds()

    send({"ready": True, "subtracted_seconds": tool.subtracted_seconds,
          "compile_seconds": tool.compile_seconds, "blas": tool.kernels()})
    if receive() != "epoch":
        raise SystemExit(1)
    used["since"] = cpu_seconds()
    tool.run(serve_epoch)
    while True:
        command = receive()
        if command == "evaluate":
            send({**tool.evaluate(),
                  "cores_used": cores_used(used["cpu"], used["seconds"])})
        elif command == "quit":
            send({"peak_rss_mb": peak_rss_mb()})
            return


if __name__ == "__main__":
    main()
