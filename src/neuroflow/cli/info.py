"""``neuroflow info``: what this machine gives neuroflow: versions, the CPU and its
instruction sets, the BLAS library with the kernel and threads it runs, the variables
that force a kernel, neuroflow's kernel path, and the float32 matrix-product rate
measured at the default network's shapes.

A forced OpenBLAS kernel is the usual reason a machine trains slower than it should:
``OPENBLAS_CORETYPE=Haswell`` (set on some servers because older OpenBLAS builds failed
on their CPUs) keeps OpenBLAS on its AVX2 kernel on an AVX-512 CPU, about half its
speed there. The kernel that runs is read from the loaded library with threadpoolctl
(OpenBLAS's ``openblas_get_corename``); without threadpoolctl, from NumPy's build
configuration (``numpy.show_config``), which names the kernel it was built for, not
necessarily the one chosen at run time.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from neuroflow import kernels
from neuroflow._version import __version__

__all__ = ["add", "run", "FORCED_KERNEL_VARIABLES", "INSTRUCTION_SETS", "cpu_model",
           "instruction_sets", "blas_libraries", "step_products", "products_gflops"]

#: Variables that pin OpenBLAS to a kernel or a cache size instead of the CPU's own.
FORCED_KERNEL_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
#: Variables that set the threads of BLAS and of neuroflow's compiled kernels.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")
#: The ``/proc/cpuinfo`` flags that matter to float32 matrix products, in the order
#: printed, with the name printed.
INSTRUCTION_SETS = {"sse4_2": "SSE4.2", "avx": "AVX", "avx2": "AVX2", "fma": "FMA",
                    "f16c": "F16C", "avx512f": "AVX-512F", "avx512dq": "AVX-512DQ",
                    "avx512bw": "AVX-512BW", "avx512vl": "AVX-512VL",
                    "avx512_vnni": "AVX-512 VNNI", "avx512_bf16": "AVX-512 BF16",
                    "amx_tile": "AMX", "asimd": "NEON (ASIMD)", "sve": "SVE"}
#: OpenBLAS kernels without AVX-512: on a CPU that has it, the sign of a forced kernel.
PRE_AVX512_KERNELS = ("Haswell", "Zen", "Sandybridge", "Nehalem", "Core2", "Prescott",
                      "Atom", "Penryn", "Dunnington", "Barcelona", "Bulldozer", "Piledriver",
                      "Steamroller", "Excavator")
#: The default network (784-256-128-10) and batch size of ``neuroflow train``.
DEFAULT_SIZES = (784, 256, 128, 10)
DEFAULT_BATCH = 128
#: Seconds spent timing each group of products (forward, backward).
TIMING_SECONDS = 0.25
CPUINFO = Path("/proc/cpuinfo")


def add(commands: Any) -> None:
    """Add the ``info`` command to the subparsers ``commands``."""
    parser = commands.add_parser(
        "info", help="show the machine: CPU, BLAS kernel, threads, matmul speed",
        description="Print neuroflow's, NumPy's and numba's versions, the CPU and its "
                    "instruction sets, the BLAS library with the kernel and threads it runs, "
                    "whether OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE force a kernel, neuroflow's "
                    "kernel path, and the float32 GFLOP/s measured at the default network's "
                    "shapes (784-256-128-10, batch 128; about half a second).")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print each section; the measurement takes about half a second."""
    for line in report():
        print(line, flush=True)
    return 0


def report(measure: bool = True) -> list[str]:
    """The lines ``neuroflow info`` prints (``measure=False``: without the timing)."""
    lines = [f"neuroflow {__version__}, numpy {np.__version__}, numba {_version('numba')}, "
             f"python {platform.python_version()} ({platform.platform()})"]
    lines.append(f"cpu: {cpu_model()}, {len(_cores())} core(s) available")
    found = instruction_sets()
    lines.append("instruction sets: " + (", ".join(found) if found else
                                         f"not listed ({platform.machine()})"))
    libraries, source = blas_libraries()
    for library in libraries:
        lines.append(f"BLAS: {library['internal_api']} {library['version']}, "
                     f"{library['architecture']} kernel, {library['num_threads']} thread(s)"
                     f" ({source})")
    if not libraries:
        lines.append(f"BLAS: unknown ({source})")
    slow = [str(library["architecture"]) for library in libraries
            if "AVX-512F" in found and str(library["architecture"]) in PRE_AVX512_KERNELS]
    if slow:
        lines.append(f"  warning: this AVX-512 CPU runs OpenBLAS's {slow[0]} kernel, which "
                     "does not use AVX-512")
    forced = [f"{key}={os.environ[key]}" for key in FORCED_KERNEL_VARIABLES
              if key in os.environ]
    lines.append("forced kernel: " + (", ".join(forced) if forced else
                                      "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE not set "
                                      "(OpenBLAS picks the kernel for this CPU)"))
    if forced:
        lines.append("  note: a forced kernel can be slower than the one this CPU would pick "
                     "(unset both to compare: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
                     "neuroflow info)")
    threads = [f"{key}={os.environ[key]}" for key in THREAD_VARIABLES if key in os.environ]
    lines.append("thread variables: " + (", ".join(threads) if threads else "none set"))
    choice = os.environ.get("NEUROFLOW_KERNELS")
    try:
        path = kernels.active()
    except kernels.KernelsError as error:
        path = f"unavailable ({str(error).splitlines()[0]})"
    lines.append(f"kernels: {path} " + (f"(NEUROFLOW_KERNELS={choice})" if choice is not None
                                        else "(NEUROFLOW_KERNELS not set: numba when it "
                                             "imports, else numpy)"))
    if measure:
        forward, backward = products_gflops()
        sizes = "-".join(map(str, DEFAULT_SIZES))
        lines.append(f"float32 GFLOP/s at {sizes}, batch {DEFAULT_BATCH}: "
                     f"forward {forward:.1f}, backward {backward:.1f}")
    return lines


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cores() -> set[int]:
    try:
        return os.sched_getaffinity(0)
    except AttributeError:  # not on Linux
        return set(range(os.cpu_count() or 1))


def _cpuinfo() -> str:
    try:
        return CPUINFO.read_text(errors="replace")
    except OSError:
        return ""


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo``, else what :mod:`platform` says."""
    for line in _cpuinfo().splitlines():
        if line.startswith(("model name", "Model")) and ":" in line:
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def instruction_sets() -> list[str]:
    """The instruction sets of :data:`INSTRUCTION_SETS` that the CPU lists in
    ``/proc/cpuinfo`` (``flags`` on x86, ``Features`` on ARM); empty where there is none."""
    for line in _cpuinfo().splitlines():
        if line.startswith(("flags", "Features")) and ":" in line:
            flags = set(line.split(":", 1)[1].split())
            return [name for flag, name in INSTRUCTION_SETS.items() if flag in flags]
    return []


def blas_libraries() -> tuple[list[dict[str, Any]], str]:
    """The BLAS libraries loaded in this process, each with ``internal_api``,
    ``version``, ``architecture`` (the kernel) and ``num_threads``, and where that came
    from: threadpoolctl (the kernel OpenBLAS chose at run time) or, without it,
    ``numpy.show_config`` (the build's configuration: the kernel it names is the one
    the library was built for)."""
    keys = ("internal_api", "version", "architecture", "num_threads")
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return _configured_blas(), "numpy.show_config; install threadpoolctl for the kernel " \
                                   "chosen at run time"
    found = [{key: info.get(key) for key in keys} for info in threadpool_info()
             if info.get("user_api") == "blas"]
    return found, "threadpoolctl"


def _configured_blas() -> list[dict[str, Any]]:
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
    except (TypeError, KeyError, AttributeError):  # NumPy < 1.26: no dicts
        return []
    words = str(blas.get("openblas configuration", "")).split()
    kernel = next((word for word in words[2:] if word.isalnum() and not word.isupper()
                   and word[0].isupper()), "unknown")
    threads = next((word.split("=", 1)[1] for word in words if word.startswith("MAX_THREADS=")),
                   None)
    return [{"internal_api": blas.get("name", "unknown"), "version": blas.get("version", "?"),
             "architecture": f"{kernel} (as built)",
             "num_threads": f"at most {threads}" if threads else "unknown"}]


def step_products(sizes: tuple[int, ...] = DEFAULT_SIZES, batch: int = DEFAULT_BATCH
                  ) -> tuple[list[tuple[int, int, int, bool]], list[tuple[int, int, int, bool]]]:
    """The forward and the backward products of one training step as ``(m, k, n,
    transposed_a)`` for an ``(m, k) @ (k, n)`` product: forward ``x W`` per layer;
    backward ``xᵀ δ`` per layer (``transposed_a``: a transposed view, as in the layers)
    and ``δ Wᵀ`` for every layer but the first (no gradient of the input is computed)."""
    forward, backward = [], []
    for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        forward.append((batch, n_in, n_out, False))
        backward.append((n_in, batch, n_out, True))
        if index:
            backward.append((batch, n_out, n_in, False))
    return forward, backward


def products_gflops(seconds: float = TIMING_SECONDS) -> tuple[float, float]:
    """Measured float32 GFLOP/s of the forward and of the backward products of a step of
    the default network (:func:`step_products`), each group timed for about ``seconds``
    (best of the timed runs, after a warm-up)."""
    rng = np.random.default_rng(0)
    rates = []
    for group in step_products():
        calls: list[Callable[[], Any]] = []
        flops = 0
        for m, k, n, transposed in group:
            a = rng.random((k, m) if transposed else (m, k), dtype=np.float32)
            left = a.T if transposed else a
            right = rng.random((k, n), dtype=np.float32)
            out = np.empty((m, n), np.float32)
            calls.append(functools.partial(np.matmul, left, right, out=out))
            flops += 2 * m * k * n
        rates.append(flops / _best_seconds(calls, seconds) / 1e9)
    return rates[0], rates[1]


def _best_seconds(calls: list[Callable[[], Any]], budget: float) -> float:
    """Best time of one pass over ``calls``, repeated for about ``budget`` seconds and at
    least 3 times (on a busy machine a pass can take most of the budget), but never
    longer than ``budget`` + 0.6 s."""
    for call in calls:
        call()
    best = float("inf")
    started_all = time.perf_counter()
    passes = 0
    while True:
        started = time.perf_counter()
        for call in calls:
            call()
        now = time.perf_counter()
        best = min(best, now - started)
        passes += 1
        if (now - started_all >= budget and passes >= 3) or now - started_all >= budget + 0.6:
            return max(best, 1e-9)
