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
  inside this process after the tool set its threads);
- driver -> worker ``epoch``: train one epoch; reply ``{"seconds": ...}``;
- driver -> worker ``evaluate``: reply ``{"accuracy": ..., "samples_per_second": ...}``
  (test accuracy and inference throughput on the 10k test set);
- driver -> worker ``quit``: reply ``{"peak_rss_mb": ...}`` and exit.

All three tools start from the *same* initial weights (neuroflow's He-normal draw for
the seed, biases zero), use Adam with the same hyper-parameters and the same batch
size, and see float32 data. PyTorch also visits the samples in neuroflow's order;
scikit-learn shuffles with its own generator.

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
from benchmarks.probe import blas_in_use

#: Adam hyper-parameters shared by every tool.
ADAM = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}
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
    net = nf.Network.from_sizes(sizes, hidden="relu", output="softmax", seed=seed)
    weights = [(layer.params["W"].copy(), layer.params["b"].copy()) for layer in net.layers]
    return weights, net.rng


def threads(config: dict[str, Any]) -> int:
    """Threads the tool may use: ``config["threads"]``, all cores by default."""
    return int(config.get("threads") or len(os.sched_getaffinity(0)))


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

    def __init__(self, config: dict[str, Any], data: tuple[np.ndarray, ...]) -> None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads(config))
        self.x, self.y, self.x_test, self.y_test = data
        self.config = config
        self.network = nf.Network.from_sizes(config["sizes"], hidden="relu", output="softmax",
                                             seed=config["seed"])
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
    """The idiomatic PyTorch loop: ``nn.Sequential`` of ``Linear``/``ReLU``, logits into
    ``cross_entropy`` (softmax fused), batches gathered by index from a per-epoch
    permutation: the same permutations as neuroflow's, so both see the same batches.
    The tensors are created once, here (``torch.from_numpy``: no copy)."""

    subtracted_seconds = 0.0

    def __init__(self, config: dict[str, Any], data: tuple[np.ndarray, ...]) -> None:
        import torch

        torch.set_num_threads(threads(config))
        torch.manual_seed(config["seed"])
        self.torch = torch
        x, y, x_test, y_test = data
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.x_test, self.y_test = torch.from_numpy(x_test), torch.from_numpy(y_test)
        self.config = config
        modules: list[Any] = []
        weights, self.rng = initial_state(config["sizes"], config["seed"])
        for i, (weight, bias) in enumerate(weights):
            linear = torch.nn.Linear(*weight.shape)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(weight.T.copy()))
                linear.bias.copy_(torch.from_numpy(bias))
            modules.append(linear)
            if i < len(config["sizes"]) - 2:
                modules.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*modules)
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

    def __init__(self, config: dict[str, Any], data: tuple[np.ndarray, ...]) -> None:
        from sklearn.neural_network import MLPClassifier
        from threadpoolctl import threadpool_limits

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


TOOLS = {"neuroflow": NeuroflowTool, "neuroflow-numpy": NeuroflowNumpyTool,
         "pytorch": TorchTool, "sklearn": SklearnTool}


def load_data(config: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """MNIST as float32 (optionally the first ``train_samples`` training rows only)."""
    x, y, x_test, y_test = nf.datasets.mnist()
    limit = config.get("train_samples")
    if limit:
        x, y = x[:limit], y[:limit]
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
    tool = TOOLS[tool_name](config, load_data(config))

    def serve_epoch(seconds: float) -> None:
        send({"seconds": seconds})
        command = receive()
        if command != "epoch" and command != "done":
            raise SystemExit(f"unexpected command {command!r}")

    send({"ready": True, "subtracted_seconds": tool.subtracted_seconds,
          "blas": tool.kernels()})
    if receive() != "epoch":
        raise SystemExit(1)
    tool.run(serve_epoch)
    while True:
        command = receive()
        if command == "evaluate":
            send(tool.evaluate())
        elif command == "quit":
            send({"peak_rss_mb": peak_rss_mb()})
            return


if __name__ == "__main__":
    main()
