"""The GPU speed harness: neuroflow on CuPy against PyTorch-CUDA and JAX-GPU.

The MLP configurations of :mod:`benchmarks.run` (784-256-128-10 at batch 32, 128 and
1024, wide and deep at batch 128; its CNN when named with ``--configs``), the same
initial weights (neuroflow's He-normal draw for the seed, zero biases), the same batches
in the same order (neuroflow's permutations), Adam with the same hyper-parameters,
float32, MNIST (the networks as :mod:`benchmarks.models` builds them for every tool):

- **neuroflow-cupy**: ``Network.from_sizes(..., backend="cupy")`` and ``fit``, the
  network's array back-end (``neuroflow.backend``, docs/scaling.md);
- **pytorch-cuda**: the loop of :class:`benchmarks.workers.TorchTool` on ``cuda``, the
  data on the device once, the loss summed on the device (one sync per epoch);
- **jax-gpu**: :class:`benchmarks.models.JaxTrainer`, the code of the CPU harness's
  JAX tool: the whole epoch one ``jax.jit`` over a ``lax.scan`` of the steps (the last,
  partial batch after it), optax Adam; compiled before the clock starts, and the
  compile time reported beside the epoch time.

Each tool runs in its own process (``python -m benchmarks.gpu --worker TOOL``), one
after the other, each configuration for a warm-up epoch and then ``--epochs`` timed
ones, with a time budget (default 420 s in all, under the 8 minutes a lent device is
worth): a configuration that would start past a tool's share is left out and reported
so. Epoch times end with a device synchronisation. Inference: the 10,000 test images
from host memory to probabilities in host memory, one call, median of 5.

Without a GPU it prints one line saying so and exits 0, so ``make bench-gpu`` can run
anywhere. A tool whose library is missing is reported with what to install
(``pip install 'neuroflow[gpu]' torch 'jax[cuda12]' optax``). ``--device cpu`` runs the
same code on the CPU (NumPy, PyTorch-CPU, JAX-CPU): a check of the script itself, not a
benchmark.

Usage::

    python -m benchmarks.gpu                      # every configuration, 3 timed epochs
    python -m benchmarks.gpu --configs mlp-b128 --epochs 5 --out /tmp/gpu.md
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

from benchmarks.models import (
    ADAM,
    JaxTrainer,
    input_shape,
    is_convolutional,
    neuroflow_network,
    torch_model,
)
from benchmarks.run import CONFIGS, ROOT

#: The configurations run by default: the MLPs (the CNN when asked for).
DEFAULT_CONFIGS = [name for name, config in CONFIGS.items() if not is_convolutional(config)]
TOOLS = ["neuroflow-cupy", "pytorch-cuda", "jax-gpu"]
#: What each tool needs, for the message when it is missing.
INSTALL = {"neuroflow-cupy": "pip install 'neuroflow[gpu]'", "pytorch-cuda": "pip install torch",
           "jax-gpu": "pip install 'jax[cuda12]' optax"}
#: Seconds for the whole run (all tools), and the default timed epochs.
BUDGET_SECONDS = 420
EPOCHS = 3
INFERENCE_REPEATS = 5


# ------------------------------------------------------------------------- the driver
def find_gpu() -> str | None:
    """A line naming the CUDA GPU (``nvidia-smi -L``'s first, or CuPy's device count), or
    ``None`` where there is none. Imports nothing heavy: the no-GPU answer is quick."""
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30)
            gpus = [line for line in listed.stdout.splitlines() if line.startswith("GPU")]
            if listed.returncode == 0 and gpus:
                return gpus[0] + (f" (+{len(gpus) - 1} more)" if len(gpus) > 1 else "")
        except (OSError, subprocess.SubprocessError):
            pass
    try:
        import cupy  # noqa: F401  (neuroflow's GPU back-end; optional)

        count = cupy.cuda.runtime.getDeviceCount()
        if count:
            return f"{count} CUDA device(s) (CuPy)"
    except Exception:  # noqa: BLE001  (no CuPy, no driver, no device: all mean "none")
        pass
    return None


def run_worker(tool: str, names: list[str], args: argparse.Namespace, deadline: float,
               log: Any) -> list[dict[str, Any]]:
    """Run ``tool`` over ``names`` in its own process until ``deadline`` (time.time());
    one result per configuration (``{"config", "skipped": reason}`` where none)."""
    request = {"configs": names, "epochs": args.epochs, "seed": args.seed,
               "device": args.device, "deadline": deadline,
               "train_samples": args.train_samples}
    env = {**os.environ, "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}  # JAX: no 75% grab
    results: dict[str, dict[str, Any]] = {}
    command = [sys.executable, "-m", "benchmarks.gpu", "--worker", tool, json.dumps(request)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=max(10.0, deadline - time.time() + 30))
        stdout, stderr, status = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as error:  # killed: keep the configurations it finished
        stdout, stderr, status = (_text(error.stdout), _text(error.stderr), None)
    for line in stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
            results[result["config"]] = result
            log(f"  {tool} {describe(result)}")
    if status and not results:
        last = (stderr.strip().splitlines() or ["no output"])[-1]
        reason = f"worker failed (exit {status}): {last}"
        return [{"config": name, "skipped": reason} for name in names]
    return [results.get(name, {"config": name, "skipped": "out of time" if status is None
                               else f"worker stopped (exit {status})"}) for name in names]


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def describe(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"{result['config']}: not measured ({result['skipped']})"
    return (f"{result['config']}: {statistics.median(result['epoch_seconds']):.3f} s/epoch"
            + (f", compile {result['compile_seconds']:.2f} s" if result.get("compile_seconds")
               else "") + f", test accuracy {100 * result['accuracy']:.2f}%, "
            f"inference {result['samples_per_second']:,.0f} samples/s ({result['device']})")


def table(results: dict[str, list[dict[str, Any]]], names: list[str]) -> list[str]:
    """Markdown rows: one per configuration and tool, with × JAX and × PyTorch."""
    lines = ["| config | tool | s/epoch (median) | compile s | × JAX | × PyTorch | test acc. % "
             "| inference samples/s |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for index, name in enumerate(names):
        row = {tool: found[index] for tool, found in results.items()}

        def seconds(tool: str, row: dict[str, dict[str, Any]] = row) -> float:
            result = row.get(tool, {})
            return (statistics.median(result["epoch_seconds"]) if "epoch_seconds" in result
                    else float("nan"))

        for tool, result in row.items():
            if "skipped" in result:
                lines.append(f"| {name} | {tool} | not measured: {result['skipped']} "
                             "| | | | | |")
                continue
            compile_seconds = result.get("compile_seconds")
            ratios = [seconds(tool) / seconds(other) for other in ("jax-gpu", "pytorch-cuda")]
            lines.append(
                f"| {name} | {tool} | {seconds(tool):.3f} | "
                + (f"{compile_seconds:.2f}" if compile_seconds else "–") + " | "
                + " | ".join("–" if ratio != ratio else f"{ratio:.2f}" for ratio in ratios)
                + f" | {100 * result['accuracy']:.2f} | {result['samples_per_second']:,.0f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join(DEFAULT_CONFIGS),
                        help=f"comma-separated, of {', '.join(CONFIGS)} (default: the MLPs)")
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help=f"comma-separated subset of {', '.join(TOOLS)}")
    parser.add_argument("--epochs", type=int, default=EPOCHS,
                        help="timed epochs per configuration, after one warm-up epoch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-samples", type=int,
                        help="train on the first N images only (default: all 60,000)")
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS,
                        help="seconds for the whole run; configurations that would start "
                             "later are left out (default %(default)s)")
    parser.add_argument("--device", choices=("gpu", "cpu"), default="gpu",
                        help="cpu: run the same code on the CPU, to check the script")
    parser.add_argument("--out", help="also write the table to this Markdown file")
    parser.add_argument("--worker", nargs=2, metavar=("TOOL", "REQUEST"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        serve(args.worker[0], json.loads(args.worker[1]))
        return 0
    names, tools = args.configs.split(","), args.tools.split(",")
    unknown = [n for n in names if n not in CONFIGS] + [t for t in tools if t not in TOOLS]
    if unknown:
        parser.error(f"unknown tool or configuration: {', '.join(unknown)}")
    gpu = find_gpu() if args.device == "gpu" else "CPU (--device cpu: a check, not a benchmark)"
    if gpu is None:
        print("benchmarks.gpu: no CUDA GPU found (nvidia-smi lists none, CuPy sees none); "
              "nothing measured")
        return 0

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.time()
    log(f"device: {gpu}; {len(names)} configuration(s), {args.epochs} timed epoch(s) each, "
        f"budget {args.budget:.0f} s")
    results: dict[str, list[dict[str, Any]]] = {}
    for index, tool in enumerate(tools):
        # each tool gets an equal share of what is left
        share = (started + args.budget - time.time()) / (len(tools) - index)
        results[tool] = run_worker(tool, names, args, time.time() + share, log)
    lines = table(results, names)
    print("\n".join(lines))
    print(f"{gpu}; {time.time() - started:.0f} s in all")
    if args.out:
        from pathlib import Path

        Path(args.out).write_text("\n".join([
            "# neuroflow on the GPU", "", f"Device: {gpu}. Command: `python -m benchmarks.gpu "
            f"{' '.join(argv if argv is not None else sys.argv[1:])}`. Median of "
            f"{args.epochs} epochs after a warm-up; ratios of the medians.", "", *lines, ""]))
        log(f"wrote {args.out}")
    return 0


# ------------------------------------------------------------------------- the workers
def serve(tool: str, request: dict[str, Any]) -> None:
    """Measure ``tool`` on each configuration of ``request``, one JSON line each."""
    from benchmarks.workers import load_data

    try:
        runner = RUNNERS[tool](request["device"])
    except ImportError as error:
        reason = f"{error.name or error} not installed ({INSTALL[tool]})"
        for name in request["configs"]:
            emit({"config": name, "skipped": reason})
        return
    except RuntimeError as error:  # the library is there, the device is not
        for name in request["configs"]:
            emit({"config": name, "skipped": str(error).splitlines()[0]})
        return
    data = load_data({"train_samples": request.get("train_samples")})
    for name in request["configs"]:
        if time.time() >= request["deadline"]:
            emit({"config": name, "skipped": "out of time"})
            continue
        config = {**CONFIGS[name], "seed": request["seed"]}
        result = runner.measure(config, data, request["epochs"])
        emit({"config": name, **result})


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def median_seconds(function: Any, sync: Any) -> float:
    function()
    sync()
    times = []
    for _ in range(INFERENCE_REPEATS):
        started = time.perf_counter()
        function()
        sync()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class NeuroflowRunner:
    """neuroflow's ``fit`` on the CuPy back-end (NumPy with ``--device cpu``)."""

    def __init__(self, device: str) -> None:
        if device == "gpu":
            import cupy

            if not cupy.cuda.runtime.getDeviceCount():
                raise RuntimeError("CuPy sees no CUDA device")
            self.backend = "cupy"
            self.sync = lambda: cupy.cuda.Device().synchronize()
        else:
            self.backend = "numpy"
            self.sync = lambda: None

    def measure(self, config: dict[str, Any], data: tuple[np.ndarray, ...],
                epochs: int) -> dict[str, Any]:
        import neuroflow as nf

        x, y, x_test, y_test = data
        network = neuroflow_network(config).to_backend(self.backend)
        times: list[float] = []
        sync = self.sync

        class Clock(nf.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                sync()
                self.started = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                sync()
                times.append(time.perf_counter() - self.started)

        network.fit(x, y, epochs=epochs + 1, batch_size=config["batch_size"],
                    optimizer=nf.optimizers.Adam(**ADAM), callbacks=[Clock()], verbose=0)
        labels = network.predict_classes(x_test)
        seconds = median_seconds(lambda: network.predict(x_test), sync)
        return {"epoch_seconds": times[1:], "accuracy": float((labels == y_test).mean()),
                "samples_per_second": x_test.shape[0] / seconds, "device": self.backend}


class TorchRunner:
    """The PyTorch loop of :class:`benchmarks.workers.TorchTool` on ``cuda``: the data on
    the device once, batches gathered there, the loss summed there (one sync an epoch)."""

    def __init__(self, device: str) -> None:
        import torch

        if device == "gpu" and not torch.cuda.is_available():
            raise RuntimeError("torch.cuda.is_available() is False (a CPU-only PyTorch, or "
                               "no CUDA device)")
        self.torch = torch
        self.device = "cuda" if device == "gpu" else "cpu"
        self.sync = torch.cuda.synchronize if device == "gpu" else (lambda: None)

    def measure(self, config: dict[str, Any], data: tuple[np.ndarray, ...],
                epochs: int) -> dict[str, Any]:
        torch, device = self.torch, self.device
        functional = torch.nn.functional
        x, y, x_test, y_test = data
        network = neuroflow_network(config)
        rng, shape = network.rng, input_shape(network)
        xd = torch.from_numpy(x).view(x.shape[0], *shape).to(device)
        yd = torch.from_numpy(y).to(device)
        model = torch_model(network).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=ADAM["learning_rate"],
                                     betas=(ADAM["beta_1"], ADAM["beta_2"]),
                                     eps=ADAM["epsilon"])
        n, batch_size = x.shape[0], config["batch_size"]
        times = []
        for _ in range(epochs + 1):
            self.sync()
            started = time.perf_counter()
            model.train()
            order = torch.from_numpy(rng.permutation(n)).to(device)
            loss_sum = torch.zeros((), device=device)
            for start in range(0, n, batch_size):
                index = order[start:start + batch_size]
                xb, yb = xd[index], yd[index]
                optimizer.zero_grad(set_to_none=True)
                loss = functional.cross_entropy(model(xb), yb)
                loss.backward()
                optimizer.step()
                loss_sum += loss.detach() * xb.shape[0]
            float(loss_sum)  # the epoch's loss reaches the host: the sync a loop needs
            times.append(time.perf_counter() - started)
        model.eval()

        def predict() -> np.ndarray:
            with torch.inference_mode():
                inputs = torch.from_numpy(x_test).view(x_test.shape[0], *shape).to(device)
                return torch.softmax(model(inputs), dim=1).cpu().numpy()

        labels = predict().argmax(axis=1)
        seconds = median_seconds(predict, self.sync)
        return {"epoch_seconds": times[1:], "accuracy": float((labels == y_test).mean()),
                "samples_per_second": x_test.shape[0] / seconds, "device": device}


class JaxRunner:
    """:class:`benchmarks.models.JaxTrainer` on the GPU (the CPU with ``--device cpu``):
    the epoch as one ``jax.jit`` over a ``lax.scan`` of the steps, optax Adam, float32."""

    def __init__(self, device: str) -> None:
        import jax
        import optax  # noqa: F401  (the optimiser; checked here so a missing one is named)

        platform = "gpu" if device == "gpu" else "cpu"
        try:
            self.device = jax.devices(platform)[0]
        except RuntimeError as error:
            raise RuntimeError(f"JAX sees no {platform} device (a CPU-only jaxlib?): "
                               f"{str(error).splitlines()[0]}") from None

    def measure(self, config: dict[str, Any], data: tuple[np.ndarray, ...],
                epochs: int) -> dict[str, Any]:
        x, y, x_test, y_test = data
        network = neuroflow_network(config)
        trainer = JaxTrainer(network, x.shape[0], config["batch_size"], self.device)
        xd, yd = trainer.put(x), trainer.put(y.astype(np.int32))
        compile_seconds = trainer.compile(xd, yd)
        times = []
        for _ in range(epochs + 1):  # a warm-up epoch, then the timed ones
            started = time.perf_counter()
            trainer.epoch(xd, yd, network.rng.permutation(x.shape[0]))  # synced: the loss
            times.append(time.perf_counter() - started)
        labels = trainer.predict(x_test).argmax(axis=1)
        # np.asarray in predict waits for the result
        seconds = median_seconds(lambda: trainer.predict(x_test), lambda: None)
        return {"epoch_seconds": times[1:], "compile_seconds": compile_seconds,
                "accuracy": float((labels == y_test).mean()),
                "samples_per_second": x_test.shape[0] / seconds,
                "device": str(self.device)}


RUNNERS: dict[str, Any] = {"neuroflow-cupy": NeuroflowRunner, "pytorch-cuda": TorchRunner,
                           "jax-gpu": JaxRunner}


if __name__ == "__main__":
    sys.exit(main())
