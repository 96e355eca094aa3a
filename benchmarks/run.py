"""neuroflow's speed harness: the same networks on MNIST with neuroflow, PyTorch (CPU),
JAX (CPU, ``jax.jit``) and scikit-learn's ``MLPClassifier`` (MLPs only).

The configurations: MLPs of several widths, depths and batch sizes, and a CNN
(conv32k3-pool2-conv64k3-pool2-dense128-10, batch 128; :mod:`benchmarks.models` builds
each tool's copy). For each configuration, one worker process per tool (so peak RSS is
per tool) trains from the same initial weights with Adam and the same hyper-parameters;
JAX compiles its whole epoch before the first round (its compile time is reported
beside its epoch time, never inside it); the driver
steps the workers one epoch at a time in rotating order (A B C, B C A, ...) so machine
noise hits every tool alike. The workers run the BLAS kernel a user's machine runs:
they start with ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` unset (together; the
driver's own environment stays as it is, and tests, CI and the library never touch
them), and each reports the library, kernel and threads it ran. The matmul rate and
the floors are measured in a probe process with the same environment
(:mod:`benchmarks.probe`), so they price the FLOPs at that kernel. Reported per tool:
median seconds per epoch, JAX's compile time, ratios to PyTorch and to JAX, ratio to
the sgemm lower bound (the FLOPs of the matrix products the epoch computes, divided by
this machine's measured float32 matmul rate), test accuracy after the same number of
epochs, inference samples/s on the 10k test set, peak RSS, and the threads that did
each tool's work.

Usage::

    python -m benchmarks              # every configuration, 10 epochs, writes BENCHMARKS.md
    python -m benchmarks --quick      # small subsets (CI smoke run, about a minute)
    python -m benchmarks --configs mlp-b128 --epochs 3 --out /tmp/bench.md
    python -m benchmarks --keep-blas-environment ...   # the kernel the caller's env forces
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.models import is_convolutional, neuroflow_network, step_products
from benchmarks.probe import FORCED_KERNEL_VARIABLES, describe_kernels

MLP = [784, 256, 128, 10]
#: The CNN row: neuroflow's ``--layers`` syntax, 28x28 MNIST images in, 10 classes out.
CNN = "conv32k3,pool2,conv64k3,pool2,dense128"
#: name -> the network (MLP ``sizes``, or a ``stack`` of image layers) and batch size
#: (the issue's MLP configurations, and the CNN). A configuration whose epoch is long runs
#: at most ``max_epochs`` rounds (``--epochs`` otherwise) on its first ``train_samples``
#: training images (all 60,000 otherwise; ``--train-samples`` sets every configuration's).
CONFIGS: dict[str, dict[str, Any]] = {
    "mlp-b32": {"sizes": MLP, "batch_size": 32},
    "mlp-b128": {"sizes": MLP, "batch_size": 128},
    "mlp-b1024": {"sizes": MLP, "batch_size": 1024},
    "wide-b128": {"sizes": [784, 1024, 1024, 10], "batch_size": 128},
    "deep-b128": {"sizes": [784] + [256] * 6 + [10], "batch_size": 128},
    "cnn-b128": {"stack": CNN, "input": 784, "outputs": 10, "batch_size": 128,
                 "max_epochs": 3, "train_samples": 10000},
}
#: ``--quick``: per configuration, the training images (the first N) and test images
#: used; every tool runs, for this many epochs. The CNN's few images only prove that
#: its workers run and agree.
QUICK: dict[str, Any] = {"configs": {"mlp-b128": {"train_samples": 10000},
                                     "cnn-b128": {"train_samples": 256, "test_samples": 500}},
                         "epochs": 2}
TOOLS = ["neuroflow", "pytorch", "jax", "sklearn"]
#: Tools measured when asked for (``--tools``): neuroflow with its NumPy kernels only.
OPTIONAL_TOOLS = ["neuroflow-numpy"]
#: Tools that train MLPs only (left out of the convolutional configurations).
MLP_ONLY_TOOLS = {"sklearn"}
REFERENCE = "pytorch"
#: The second reference: the table's "× JAX" column.
JAX = "jax"
#: The issue's inference target: samples/s ≥ this × PyTorch's, on every MLP configuration.
INFERENCE_TARGET = 1.1
ROOT = Path(__file__).resolve().parent.parent
#: Bytes of MNIST (train + test) as float32: the unit of the peak-RSS target.
DATASET_BYTES = 70000 * 784 * 4
#: Timed 2048² products in each round's measurement of the matmul rate (the best counts).
ROUND_REPEATS = 3
#: How long OpenBLAS's idle threads keep spinning after a product (about 0.1 s): the
#: driver waits this long after measuring before a tool runs.
BLAS_SPIN_SECONDS = 0.25


@dataclass
class Result:
    tool: str
    epoch_seconds: list[float] = field(default_factory=list)
    #: Each epoch's time over the sgemm bound priced at the matmul rate measured in the
    #: same round (see :func:`run_config`), with the tight FLOP count (the products that
    #: are computed: no input gradient for the first layer).
    bound_ratios: list[float] = field(default_factory=list)
    #: Seconds per epoch of one-off input handling that the tool redoes every epoch and
    #: that was measured and subtracted from its epoch times (see :data:`ONE_OFF_WORK`).
    subtracted_seconds: float = 0.0
    accuracy: float = float("nan")
    samples_per_second: float = float("nan")
    peak_rss_mb: float = float("nan")
    #: The matrix-product libraries the tool's worker ran (see :mod:`benchmarks.workers`).
    blas: list[dict[str, Any]] = field(default_factory=list)
    #: Seconds of one-off compilation before the first epoch (JAX's ``jit``), 0 for the
    #: tools that compile nothing; never part of an epoch time.
    compile_seconds: float = 0.0
    #: CPU seconds of the worker per second of epoch (:func:`benchmarks.workers.cores_used`).
    cores_used: float = float("nan")

    @property
    def seconds(self) -> float:
        return statistics.median(self.epoch_seconds)

    def ratio_to(self, other: Result) -> float:
        """Median over rounds of this tool's epoch time ÷ ``other``'s in the same round:
        the two epochs of a round run back to back, so a drift in the machine's speed
        between rounds cancels out (the ratio of the medians does not do that)."""
        pairs = [mine / theirs for mine, theirs in zip(self.epoch_seconds, other.epoch_seconds)]
        return statistics.median(pairs) if pairs else float("nan")

    @property
    def bound_ratio(self) -> float:
        """Median over rounds of epoch time ÷ that round's sgemm bound (tight count)."""
        return statistics.median(self.bound_ratios) if self.bound_ratios else float("nan")

    def loose_bound_ratio(self, config: dict[str, Any]) -> float:
        """:attr:`bound_ratio` against the loose count (with the first layer's input
        gradient): the loose bound is longer by the ratio of the two counts."""
        return self.bound_ratio * tight_over_loose(config)


def worker_environment(keep_forced_kernel: bool = False,
                       base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the workers and the probe: ``base`` (the driver's environment
    by default) without ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE``, both removed
    together (a forced L2 size alone would still mis-tune the kernel the CPU picks), so
    OpenBLAS runs the kernel it chooses for this CPU, as on a user's machine;
    ``keep_forced_kernel`` keeps them (to measure what a forced kernel costs)."""
    env = dict(os.environ if base is None else base)
    if not keep_forced_kernel:
        for key in FORCED_KERNEL_VARIABLES:
            env.pop(key, None)
    return env


def start_process(module: str, arguments: list[str],
                  env: dict[str, str] | None) -> subprocess.Popen[str]:
    """``python -m module arguments...`` speaking over pipes, in ``env``
    (:func:`worker_environment` by default)."""
    return subprocess.Popen([sys.executable, "-m", module, *arguments], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            env=worker_environment() if env is None else env)


class Worker:
    """A tool in its own process, speaking the line protocol of :mod:`benchmarks.workers`."""

    def __init__(self, tool: str, config: dict[str, Any],
                 env: dict[str, str] | None = None) -> None:
        self.tool = tool
        self.process = start_process("benchmarks.workers", [tool, json.dumps(config)], env)

    def ask(self, command: str | None = None) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        if command is not None:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.tool} worker exited with code {self.process.wait()}")
        return json.loads(line)

    def tell(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def close(self) -> None:
        self.process.wait(timeout=60)


class Probe(Worker):
    """The matmul rate and the floors, measured in a process with the workers'
    environment (:mod:`benchmarks.probe`): at the kernel the tools run."""

    def __init__(self, threads: int, env: dict[str, str] | None = None) -> None:
        self.tool = "probe"
        self.process = start_process("benchmarks.probe", [str(threads)], env)
        ready = self.ask()
        #: The BLAS libraries the probe loaded and the forced-kernel variables it saw.
        self.blas: list[dict[str, Any]] = ready["blas"]
        self.environment: dict[str, str | None] = ready["environment"]

    def sgemm(self, repeats: int = 7, size: int = 2048) -> float:
        """Best float32 ``size``² product rate in GFLOP/s (see :func:`matmul_gflops`)."""
        return float(self.ask(json.dumps({"sgemm": repeats, "size": size}))["gflops"])

    def floor(self, config: dict[str, Any], n_samples: int) -> Any:
        """:func:`benchmarks.floors.measure` in the probe: a :class:`~benchmarks.floors.Floor`."""
        from benchmarks.floors import Floor

        asked = {"config": config, "n_samples": n_samples}
        return Floor(**self.ask(json.dumps({"floor": asked})))

    def quit(self) -> None:
        if self.process.poll() is None:
            self.tell(json.dumps({"quit": True}))
            try:
                self.close()
            except subprocess.TimeoutExpired:
                self.process.kill()


def matmul_gflops(size: int = 2048, repeats: int = 7) -> float:
    """Best float32 ``size x size`` matrix-product rate of this machine, in GFLOP/s."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best / 1e9


def epoch_flops(sizes: list[int], n_samples: int, first_input_gradient: bool = True) -> float:
    """Matrix-product FLOPs of one training epoch.

    Per Dense layer ``(n_in, n_out)`` and sample, the forward product ``x W``, the weight
    gradient ``x^T delta`` and the input gradient ``delta W^T`` cost ``2 n_in n_out``
    each: the usual "6 x weights" per sample, the convention of the issue's targets.
    With ``first_input_gradient=False`` the first layer's input gradient, which no tool
    computes, is left out (the tighter count).
    """
    total = 0
    for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        products = 3 if index or first_input_gradient else 2
        total += products * 2 * n_in * n_out
    return float(total * n_samples)


def config_flops(config: dict[str, Any], n_samples: int,
                 first_input_gradient: bool = True) -> float:
    """Matrix-product FLOPs of one training epoch of ``config``: :func:`epoch_flops` for
    an MLP; for image layers the im2col products of every layer
    (:func:`benchmarks.models.step_products`, 2 FLOPs per multiply-add), which scale
    with the rows, so with the samples."""
    if not is_convolutional(config):
        return epoch_flops(config["sizes"], n_samples, first_input_gradient)
    batch = config["batch_size"]
    products = step_products(neuroflow_network({**config, "seed": 0}), batch,
                             first_input_gradient)
    return float(sum(2 * m * k * n for _, m, k, n, _ in products)) * n_samples / batch


#: What each tool's epoch time includes and excludes (the report states it).
ONE_OFF_WORK = (
    "Every tool's epoch time covers the same work: the shuffle, the batches' forward and "
    "backward passes, the optimiser steps and the training loss. One-off work is outside "
    "the clock for every tool: the data is float32 already (no dtype conversion); neuroflow "
    "validates and prepares its input in `fit` before the first epoch's clock starts; "
    "PyTorch's tensors are created once (`torch.from_numpy`, no copy) before training; "
    "JAX's data is put on its device and its epoch compiled before the first round (the "
    "compile time is reported in its own column); "
    "scikit-learn's `partial_fit` (one call per epoch) re-validates its input on every call, "
    "so it runs with `sklearn.config_context(assume_finite=True)` (no finiteness scan: "
    "neuroflow scans once, PyTorch never) and the per-call checks that remain (shapes, "
    "label binarising) are measured alone in the worker (median of 5 calls of "
    "`_validate_input`) and subtracted from each of its epochs:")


def tight_over_loose(config: dict[str, Any]) -> float:
    """The tight FLOP count of ``config`` over the loose one (at most 1)."""
    return config_flops(config, 1, first_input_gradient=False) / config_flops(config, 1)


def tools_for(config: dict[str, Any], tools: list[str]) -> list[str]:
    """The ``tools`` that train ``config``: scikit-learn has no convolution."""
    return [tool for tool in tools
            if not (is_convolutional(config) and tool in MLP_ONLY_TOOLS)]


def run_config(name: str, config: dict[str, Any], tools: list[str], log: Any,
               probe: Probe, env: dict[str, str] | None = None
               ) -> tuple[dict[str, Result], list[float]]:
    """Train every tool on ``config`` in interleaved rounds (one epoch each per round).

    The sgemm rate is measured again at the start of every round, so each epoch is
    compared with the bound of its own round: on a shared machine whose speed drifts
    (other tenants, clock changes), the ratio to the bound then tracks the code, not
    the drift. :attr:`Result.bound_ratio` is the median over rounds (tight FLOP count:
    the products that are computed). The rate is measured by ``probe``, in the workers'
    environment ``env`` (:func:`worker_environment` by default). Returns the results
    and the rounds' rates (GFLOP/s).
    """
    tools = tools_for(config, tools)
    workers = {tool: Worker(tool, config, env) for tool in tools}
    results = {tool: Result(tool) for tool in tools}
    flops = config_flops(config, config.get("train_samples", 60000),
                         first_input_gradient=False)
    rates: list[float] = []
    try:
        for tool, worker in workers.items():
            ready = worker.ask()
            results[tool].subtracted_seconds = ready.get("subtracted_seconds", 0.0)
            results[tool].compile_seconds = ready.get("compile_seconds", 0.0)
            results[tool].blas = ready.get("blas", [])
            log(f"  {name} {tool}: {describe_kernels(results[tool].blas)}"
                + (f"; compiled in {results[tool].compile_seconds:.2f} s"
                   if results[tool].compile_seconds else ""))
        for epoch in range(config["epochs"]):
            rates.append(probe.sgemm(repeats=ROUND_REPEATS))
            time.sleep(BLAS_SPIN_SECONDS)  # the probe's idle BLAS threads stop spinning
            bound = flops / (rates[-1] * 1e9)
            shift = epoch % len(tools)
            for tool in tools[shift:] + tools[:shift]:
                seconds = workers[tool].ask("epoch")["seconds"]
                results[tool].epoch_seconds.append(seconds)
                results[tool].bound_ratios.append(seconds / bound)
                log(f"  {name} epoch {epoch + 1}/{config['epochs']} {tool:9s} {seconds:7.3f} s"
                    f"  ({seconds / bound:.2f} × the round's bound)")
        for tool, worker in workers.items():
            worker.tell("done")
            scores = worker.ask("evaluate")
            results[tool].accuracy = scores["accuracy"]
            results[tool].samples_per_second = scores["samples_per_second"]
            results[tool].cores_used = scores.get("cores_used", float("nan"))
            results[tool].peak_rss_mb = worker.ask("quit")["peak_rss_mb"]
            log(f"  {name} {tool}: test accuracy {100 * scores['accuracy']:.2f}%, inference "
                f"{scores['samples_per_second']:,.0f} samples/s, "
                f"{results[tool].cores_used:.2f} cores used in its epochs")
            worker.close()
    finally:
        for worker in workers.values():
            if worker.process.poll() is None:
                worker.process.kill()
    return results, rates


def kernels_by_tool(all_results: dict[str, dict[str, Result]]) -> dict[str, str]:
    """Per tool, the BLAS library, kernel and threads its workers ran (the distinct
    descriptions over the configurations, ``; ``-separated: normally one)."""
    found: dict[str, list[str]] = {}
    for results in all_results.values():
        for tool, result in results.items():
            text = describe_kernels(result.blas)
            if text not in found.setdefault(tool, []):
                found[tool].append(text)
    return {tool: " | ".join(texts) for tool, texts in found.items()}


def blas_environment(driver: dict[str, str], workers: dict[str, str | None]) -> str:
    """What the forced-kernel variables were in the driver and in the workers."""
    def listed(env: dict[str, Any]) -> str:
        return ", ".join(f"{key}={env[key]}" for key in FORCED_KERNEL_VARIABLES
                         if env.get(key) is not None)

    threads = ", ".join(f"{key}={driver[key]}" for key in ("OMP_NUM_THREADS",
                                                           "OPENBLAS_NUM_THREADS")
                        if key in driver)
    return (f"driver: {listed(driver) or 'OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE not set'}; "
            f"workers: {listed(workers) or 'both unset (the kernel the CPU picks)'}"
            + (f"; {threads}" if threads else ""))


def info_section(env: dict[str, str]) -> list[str]:
    """``neuroflow info`` as the workers ran (``env``) and, where the driver's environment
    forces a kernel, as the driver's environment runs: report lines."""
    runs = [("the workers' environment", env)]
    if any(os.environ.get(key) != env.get(key) for key in FORCED_KERNEL_VARIABLES):
        runs.append(("this machine's environment", dict(os.environ)))
    lines = ["### `neuroflow info`", ""]
    for label, run_env in runs:
        done = subprocess.run([sys.executable, "-m", "neuroflow", "info"], env=run_env,
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        text = done.stdout.strip() or f"(exit {done.returncode}) {done.stderr.strip()}"
        lines += [f"In {label}:", "", "```", text, "```", ""]
    return lines


def machine_description(blas_kernels: dict[str, str] | None = None,
                        environment: str | None = None) -> dict[str, str]:
    """The report's machine section: CPU and instruction sets, versions, the BLAS
    environment (``environment``: :func:`blas_environment`) and, per tool, the kernel its
    workers ran (``blas_kernels``: :func:`kernels_by_tool`)."""
    from neuroflow.cli.info import cpu_model, instruction_sets

    cpu = cpu_model()
    versions = {}
    for package in ("numpy", "neuroflow", "torch", "scikit-learn"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    environment = environment or blas_environment(dict(os.environ), worker_environment())
    import neuroflow

    kernels = neuroflow.kernels.active()
    if kernels == "numba":
        kernels += f" {metadata.version('numba')} (neuroflow-numpy: the NumPy reference only)"
    return {
        "cpu": cpu, "instruction sets": ", ".join(instruction_sets()) or "not listed",
        "cores": str(len(os.sched_getaffinity(0))),
        "neuroflow kernels": kernels,
        "python": platform.python_version(), "platform": platform.platform(),
        "BLAS environment": environment,
        **{f"BLAS kernel, {tool}": text for tool, text in (blas_kernels or {}).items()},
        **{f"{k} version": v for k, v in versions.items()},
    }


def format_table(name: str, results: dict[str, Result]) -> list[str]:
    """Markdown rows of configuration ``name``: one per tool, its ratios paired by round
    to PyTorch's and JAX's epochs (``–`` where that tool was not measured)."""
    def ratio(result: Result, reference: Result | None) -> str:
        return f"{result.ratio_to(reference):.2f}" if reference else "–"

    lines = []
    for tool, result in results.items():
        loose = result.loose_bound_ratio(CONFIGS[name]) if name in CONFIGS else float("nan")
        compiled = f"{result.compile_seconds:.2f}" if result.compile_seconds else "–"
        lines.append(
            f"| {name} | {tool} | {result.seconds:.3f} | {compiled} "
            f"| {ratio(result, results.get(REFERENCE))} | {ratio(result, results.get(JAX))} "
            f"| {result.bound_ratio:.2f} ({loose:.2f}) | {100 * result.accuracy:.2f} "
            f"| {result.samples_per_second:,.0f} | {result.peak_rss_mb:,.0f} |")
    return lines


HEADER = ["| config | tool | s/epoch (median) | compile s | × PyTorch | × JAX "
          "| × sgemm bound (loose) | test acc. % | inference samples/s | peak RSS MiB |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]


def inference_ratios(all_results: dict[str, dict[str, Result]]) -> dict[str, float]:
    """Per MLP configuration (the target's) with both tools measured: neuroflow's
    inference samples/s over PyTorch's."""
    out = {}
    for name, results in all_results.items():
        mine, reference = results.get("neuroflow"), results.get(REFERENCE)
        if mine and reference and not is_convolutional(CONFIGS.get(name, {})):
            out[name] = mine.samples_per_second / reference.samples_per_second
    return out


def inference_check(all_results: dict[str, dict[str, Result]]
                    ) -> tuple[str, bool, str] | None:
    """The inference target judged on every configuration measured: it passes only if
    each configuration's row does; the value lists every row and the worst."""
    ratios = inference_ratios(all_results)
    if not ratios:
        return None
    worst = min(ratios, key=lambda name: ratios[name])
    listed = ", ".join(f"{name} {ratio:.2f}" for name, ratio in ratios.items())
    return (f"inference samples/s ≥ {INFERENCE_TARGET} × PyTorch on every MLP configuration "
            f"({len(ratios)} measured)",
            all(ratio >= INFERENCE_TARGET for ratio in ratios.values()),
            f"{listed}; worst {worst} {ratios[worst]:.2f} ×")


#: The issue's speed targets: configuration -> the largest epoch time as a multiple of
#: PyTorch's (paired by round).
PYTORCH_TARGETS = {"mlp-b32": 0.60, "mlp-b128": 0.70, "mlp-b1024": 0.90, "wide-b128": 0.90,
                   "deep-b128": 0.75}
#: Batch 128 against scikit-learn, and against the floor's matrix products alone.
SKLEARN_TARGET = 0.55
PRODUCTS_TARGET = 1.25


def checks(all_results: dict[str, dict[str, Result]],
           floors_by_config: dict[str, Any] | None = None) -> list[tuple[str, bool, str]]:
    """The issue's targets that the measured configurations allow to judge
    (``floors_by_config``: :class:`benchmarks.floors.Floor` per configuration, for the
    target against the matrix products alone)."""
    out: list[tuple[str, bool, str]] = []

    def get(config: str, tool: str) -> Result | None:
        return all_results.get(config, {}).get(tool)

    for config, target in PYTORCH_TARGETS.items():
        mine, reference = get(config, "neuroflow"), get(config, REFERENCE)
        if mine and reference:
            ratio = mine.ratio_to(reference)
            out.append((f"{config}: neuroflow ≤ {target:.2f} × PyTorch", ratio <= target,
                        f"{ratio:.2f}"))
    nf128, pt128, sk128 = (get("mlp-b128", t) for t in ("neuroflow", REFERENCE, "sklearn"))
    if nf128 and pt128:
        gap = 100 * abs(nf128.accuracy - pt128.accuracy)
        out.append(("mlp-b128: accuracy within 0.3 points of PyTorch", gap <= 0.3,
                    f"{gap:.2f} points"))
    if nf128 and sk128:
        ratio = nf128.ratio_to(sk128)
        out.append((f"mlp-b128: neuroflow ≤ {SKLEARN_TARGET:.2f} × scikit-learn",
                    ratio <= SKLEARN_TARGET, f"{ratio:.2f}"))
    floor = (floors_by_config or {}).get("mlp-b128")
    if nf128 and floor is not None:
        ratio = nf128.seconds / floor.products
        out.append((f"mlp-b128: neuroflow ≤ {PRODUCTS_TARGET:.2f} × the floor's matrix "
                    f"products alone", ratio <= PRODUCTS_TARGET,
                    f"{ratio:.2f} ({nf128.seconds:.3f} s against {floor.products:.3f} s)"))
    if nf128:
        limit = (2 * DATASET_BYTES + 200e6) / 2**20
        out.append((f"peak RSS ≤ 2 × float32 MNIST + 200 MB ({limit:.0f} MiB)",
                    nf128.peak_rss_mb <= limit, f"{nf128.peak_rss_mb:.0f} MiB"))
    inference = inference_check(all_results)
    if inference:
        out.append(inference)
    return out


def cores_line(all_results: dict[str, dict[str, Result]], threads: int) -> str:
    """The report's sentence on the cores each tool's epochs used (per configuration,
    ``/``-separated), against the ``threads`` each tool was given."""
    used: dict[str, list[str]] = {}
    for results in all_results.values():
        for tool, result in results.items():
            used.setdefault(tool, []).append(f"{result.cores_used:.2f}")
    listed = "; ".join(f"{tool} {'/'.join(values)}" for tool, values in used.items())
    return ("Cores used in the epochs, per tool and configuration in table order (the "
            "worker's CPU seconds, all threads, per second of epoch: at most the "
            f"{threads} thread(s) given when the limit holds; below where the loop is serial "
            f"or the machine busy): {listed}.")


def describe_network(config: dict[str, Any]) -> str:
    """``784-256-128-10`` for an MLP; ``conv32k3-pool2-...-dense128-10`` for a stack."""
    if is_convolutional(config):
        return "-".join(config["stack"].split(",") + [str(config["outputs"])])
    return "-".join(map(str, config["sizes"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small subsets: " + ", ".join(
                            f"{name} on {sizes['train_samples']} images"
                            for name, sizes in QUICK["configs"].items())
                        + f", {QUICK['epochs']} epochs")
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated subset of {', '.join(CONFIGS)}")
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help=f"comma-separated tools, of {', '.join(TOOLS + OPTIONAL_TOOLS)}")
    parser.add_argument("--epochs", type=int, default=10, help="epochs per configuration")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="threads every tool may use (default: all cores)")
    parser.add_argument("--train-samples", type=int,
                        help="train on the first N images only (default: all 60,000)")
    parser.add_argument("--out", help="Markdown report to write (default: BENCHMARKS.md for a "
                                      "full run, none with --quick)")
    parser.add_argument("--keep-blas-environment", action="store_true",
                        help="run the workers with this environment's OPENBLAS_CORETYPE and "
                             "OPENBLAS_L2_SIZE (default: both unset in the workers, so "
                             "OpenBLAS runs the kernel the CPU picks, as a user's machine does)")
    args = parser.parse_args(argv)

    tools = args.tools.split(",")
    unknown = [t for t in tools if t not in TOOLS + OPTIONAL_TOOLS]
    names = list(QUICK["configs"]) if args.quick else args.configs.split(",")
    unknown += [c for c in names if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown tool or configuration: {', '.join(unknown)}")
    epochs = QUICK["epochs"] if args.quick else args.epochs
    out = args.out or (None if args.quick else str(ROOT / "BENCHMARKS.md"))

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.time()
    load_before = os.getloadavg()
    from benchmarks import floors

    # the tools and the probe run at the kernel the CPU picks (unless asked otherwise);
    # the probe measures the matmul rate and the floors there, with the tools' threads
    env = worker_environment(args.keep_blas_environment)
    probe = Probe(args.threads, env)
    try:
        return _measure(args, names, tools, epochs, out, env, probe, started, load_before,
                        log, floors)
    finally:
        probe.quit()


def _measure(args: argparse.Namespace, names: list[str], tools: list[str], epochs: int,
             out: str | None, env: dict[str, str], probe: Probe, started: float,
             load_before: tuple[float, float, float], log: Any, floors: Any) -> int:
    """The run of :func:`main` once the probe is started: every configuration, then the
    printed summary and the report."""
    environment = blas_environment(dict(os.environ), probe.environment)
    log(f"BLAS environment: {environment}")
    log(f"probe BLAS: {describe_kernels(probe.blas)}")
    gflops = probe.sgemm()
    log(f"float32 matmul: {gflops:.0f} GFLOP/s; load average {load_before[0]:.2f}")
    all_results: dict[str, dict[str, Result]] = {}
    bounds: dict[str, float] = {}
    round_rates: dict[str, list[float]] = {}
    floor_lines: list[str] = []
    floors_by_config: dict[str, floors.Floor] = {}
    rows: list[str] = []
    #: what each configuration ran, where it differs from the run's epochs and samples
    exceptions: list[str] = []
    for name in names:
        config = {**CONFIGS[name], "seed": args.seed, "threads": args.threads,
                  "epochs": min(epochs, CONFIGS[name].get("max_epochs", epochs))}
        if args.quick:
            config.update(QUICK["configs"][name])
        if args.train_samples:
            config["train_samples"] = args.train_samples
        n_samples = config.get("train_samples", 60000)
        if config["epochs"] != epochs or (n_samples != 60000 and not args.train_samples):
            exceptions.append(f"{name}: {config['epochs']} epochs of the first "
                              f"{n_samples:,} training images")
        bounds[name] = config_flops(config, n_samples,
                                    first_input_gradient=False) / (gflops * 1e9)
        log(f"{name}: {describe_network(config)}, batch {config['batch_size']}, "
            f"{config['epochs']} epochs, sgemm bound {bounds[name]:.3f} s/epoch")
        all_results[name], round_rates[name] = run_config(name, config, tools, log, probe, env)
        rows += format_table(name, all_results[name])
        if not args.quick:
            floor = probe.floor(CONFIGS[name], n_samples)
            floors_by_config[name] = floor
            floor_bound = config_flops(config, n_samples, first_input_gradient=False
                                       ) / (probe.sgemm() * 1e9)
            floor_lines.append(floors.describe(name, floor, floor_bound))
            log(floor_lines[-1])
    load_after = os.getloadavg()

    table = "\n".join(HEADER + rows)
    bound_lines = []
    for name in names:
        full = config_flops(CONFIGS[name], 1)
        tight = config_flops(CONFIGS[name], 1, first_input_gradient=False)
        rates = round_rates[name]
        bound_lines.append(
            f"- {name}: {tight / 1e6:.2f} MFLOP per sample (tight count), bound "
            f"{bounds[name]:.3f} s/epoch at the starting rate (loose count, with the first "
            f"layer's input gradient: {full / 1e6:.2f} MFLOP, {bounds[name] * full / tight:.3f}"
            f" s); the rounds measured {min(rates):.0f}–{max(rates):.0f} GFLOP/s")
    verdicts = checks(all_results, floors_by_config) if not args.quick else []
    verdict_lines = [f"- {'PASS' if ok else 'FAIL'} {text}: {value}"
                     for text, ok, value in verdicts]
    print(table)
    print(f"\nfloat32 matmul {gflops:.0f} GFLOP/s; " + "; ".join(
        f"{n} bound {b:.3f} s (tight)" for n, b in bounds.items()))
    for line in bound_lines:
        print(line)
    for name, results in all_results.items():
        for tool, result in results.items():
            if result.subtracted_seconds:
                print(f"{name} {tool}: {1e3 * result.subtracted_seconds:.1f} ms/epoch of "
                      f"per-call input checks subtracted")
    for line in verdict_lines:
        print(line)
    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
          f"{time.time() - started:.0f} s in all")

    if out:
        command = "python -m benchmarks" + (" --quick" if args.quick else "") + (
            " --keep-blas-environment" if args.keep_blas_environment else "") + (
            f" --threads {args.threads}" if args.threads != len(os.sched_getaffinity(0))
            else "") + (
            f" --train-samples {args.train_samples}" if args.train_samples else "") + (
            f" --configs {args.configs}" if args.configs != ",".join(CONFIGS) else "") + (
            f" --epochs {args.epochs}" if args.epochs != 10 and not args.quick else "")
        machine = machine_description(kernels_by_tool(all_results), environment)
        report = [
            "# neuroflow benchmarks",
            "",
            "The same networks on MNIST (60,000 training images, float32) trained with "
            "neuroflow, PyTorch (CPU, `torch.set_num_threads` = the thread count below), "
            "JAX (CPU: the whole epoch one `jax.jit` over a `lax.scan` of the steps, optax "
            "Adam; its process confined to that many cores, since XLA sizes its thread "
            "pool by them) and, for the MLPs, scikit-learn's `MLPClassifier` (float32 "
            "input, `alpha=0`), all from the same initial weights (neuroflow's He-normal "
            "draw, zero biases, copied into the others) with Adam (learning rate 1e-3, "
            "β = 0.9/0.999, ε = 1e-8). The MLPs are 784-…-10 with ReLU hidden layers; the "
            "CNN is conv32k3-pool2-conv64k3-pool2-dense128-10 (3x3 'valid' convolutions and "
            "2x2 max-pooling, ReLU, NCHW in every tool, neuroflow's `--layers "
            f"{CNN}`). Each tool runs in its own process (peak RSS is per "
            "tool); the epochs are interleaved across tools in rotating order so machine "
            "noise hits all alike. PyTorch and JAX visit the samples in neuroflow's order "
            "(the same batches); scikit-learn shuffles with its own generator. Accuracy is "
            "on the 10,000 test images after the same number of epochs (the same network "
            "on the same batches: the columns agree to a fraction of a point, a check that "
            "each tool trains the same thing); inference is the whole test set in one call "
            "(median of 5). JAX's compile time (once per configuration, before its first "
            "epoch) is its own column, outside every epoch time.",
            "",
            f"Measured {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, {epochs} epochs "
            f"per configuration"
            + (f" on the first {args.train_samples:,} training images" if args.train_samples
               else "")
            + (f" ({'; '.join(exceptions)}, their epochs being long)" if exceptions else "")
            + f", {args.threads} thread(s) per tool. Load average (1 min) "
            f"{load_before[0]:.2f} before and {load_after[0]:.2f} after the run.",
            "",
            "## Machine",
            "",
            *[f"- {key}: {value}" for key, value in machine.items()],
            f"- float32 matmul (2048², numpy, in a process with the workers' environment: "
            f"{describe_kernels(probe.blas)}): {gflops:.0f} GFLOP/s",
            "",
            *info_section(env),
            "## Results",
            "",
            table,
            "",
            "Ratios are paired by round: \"× PyTorch\" is the median over the rounds of a "
            "tool's epoch time divided by PyTorch's epoch time in the same round (the two run "
            "back to back), so the machine's speed drifting between rounds cancels out; the "
            "medians in the seconds column need not divide to it. \"× JAX\" is the same "
            "against JAX's epochs.",
            "",
            cores_line(all_results, args.threads),
            "",
            "The sgemm lower bound counts only the matrix products that are computed: per "
            "layer and sample the forward `x W` and the weight gradient `xᵀ δ`, and the input "
            "gradient `δ Wᵀ` for every layer but the first (no tool computes the gradient "
            "of the input images), 2 FLOPs per weight each (a convolution: the same three "
            "products of its im2col matrix, one row per output position, 2 FLOPs per "
            "multiply-add); divided by the measured float32 "
            "matmul rate (2048² products, best of several). The rate is measured again at "
            "the start of every round of epochs, and each epoch is divided by its own "
            "round's bound; the table's \"× sgemm bound\" is the median of those ratios, so "
            "a drift in the machine's speed during the run cancels out in the same way. In "
            "brackets: the same ratio against the loose count, which adds the first layer's "
            "input gradient (0.1's reports quoted that one).",
            "",
            ONE_OFF_WORK,
            *[f"  - {name}, {tool}: {1e3 * result.subtracted_seconds:.1f} ms per epoch "
              f"subtracted ({100 * result.subtracted_seconds / result.seconds:.1f}% of the "
              f"epoch)" for name, results in all_results.items()
              for tool, result in results.items() if result.subtracted_seconds],
            "",
            "Inference is judged on every configuration: the target line below passes only "
            "if neuroflow's samples/s is at least the target multiple of PyTorch's in each "
            "configuration's row.",
            "",
            *bound_lines,
            "",
            *(["### Floors of a training step on this machine",
               "",
               "Measured piece by piece at each configuration's own shapes, in a process "
               "with the workers' environment, so at the kernel the tools ran "
               "(`python -m benchmarks.floors`): every matrix product of a step timed alone "
               "with `np.matmul` (thin batch-128 products run below the 2048² rate), plus "
               "one Adam step over the packed parameters (one pass per operation, 12 "
               "passes), best of several runs with warm caches. A loop doing this work "
               "cannot beat their sum.",
               "",
               *floor_lines] if floor_lines else []),
            "",
            *(["## Targets", "", *verdict_lines, ""] if verdict_lines else []),
            "## Reproduce",
            "",
            "```",
            "make bench        # installs the [bench] extra; every configuration, all cores",
            "# this report:",
            f".venv/bin/{command}",
            "```",
            "",
            "`OPENBLAS_CORETYPE`/`OPENBLAS_L2_SIZE`, where a machine sets them, pin OpenBLAS "
            "to a kernel older than the CPU (AVX2 on an AVX-512 CPU: about half the sgemm "
            "rate). Users' machines do not set them, so the harness unsets both in its "
            "worker processes only (the tools and the probe that measures the matmul rate "
            "and the floors), never in the driver, the tests, CI or the library; "
            "`--keep-blas-environment` keeps them, to measure the forced kernel. The machine "
            "section above lists the kernel each tool ran (threadpoolctl inside each worker; "
            "PyTorch: its MKL and ATen CPU capability). `neuroflow info` prints the kernel "
            "and the GFLOP/s a user's own environment gets.",
            "",
        ]
        # notes kept by hand: the targets missed and the kernel libraries measured
        kept = ROOT / "benchmarks" / "report_notes.md"
        if kept.exists():
            report += ["", kept.read_text().rstrip(), ""]
        Path(out).write_text("\n".join(report))
        log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
