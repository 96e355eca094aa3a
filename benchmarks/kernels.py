"""Kernel libraries measured against neuroflow's NumPy kernels (not yet used by neuroflow).

Two element-wise pieces of a training step, each timed with the NumPy formulation
:mod:`neuroflow.kernels` uses today, with numexpr and with numba (``@njit(cache=True,
fastmath=False)``, ``parallel`` off and on):

- **Adam** over one flat float32 parameter buffer (what ``Adam.step`` updates): 235,146
  parameters (784-256-128-10) and 1,863,690 (784-1024-1024-10). NumPy: 12 passes
  (:func:`neuroflow.kernels.adam`); numexpr: 3 (one per output: ``m``, ``v``, the
  parameters); numba: 1, also with ``error_model="numpy"`` (numba's default checks each
  division for zero, which keeps the loop from vectorising).
- **Bias add + ReLU** epilogue of a Dense layer on a (128, 256) and a (128, 1024) batch:
  ``z += b`` (``z`` is kept for the backward pass) and ``a = max(z, 0)``. NumPy: 2
  passes; numexpr: 2 calls (one output per call), or 1 if only ``a`` were kept;
  numba: 1 pass writing both.

Reported per kernel: the steady-state median (each timed run is the mean of many calls,
warm caches) and, separately, the first call in a fresh process: import of the library
plus the first call, with an empty numba cache (compilation) and with the cache that run
wrote (``cache=True``: what every later process pays). Every result is checked against
NumPy's: float32, ``|x - ref| ≤ 1e-6 · |ref| + 1e-6 · max |ref|``.

Threads: ``--threads`` (default 2) for BLAS (``threadpoolctl``), numexpr
(``NUMEXPR_NUM_THREADS``) and numba (``set_num_threads``)::

    python -m benchmarks.kernels [--threads 2] [--repeats 15]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

#: Flat parameter counts: 784-256-128-10 and 784-1024-1024-10 (weights + biases).
ADAM_SIZES = {"784-256-128-10": 235146, "784-1024-1024-10": 1863690}
#: (rows, columns) of the epilogue's batch.
EPILOGUE_SHAPES = [(128, 256), (128, 1024)]
ADAM = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "learning_rate": 1e-3, "t": 10}
RTOL = 1e-6


def adam_params(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"param": rng.standard_normal(n, dtype=np.float32) * np.float32(0.05),
            "grad": rng.standard_normal(n, dtype=np.float32) * np.float32(0.01),
            "m": rng.standard_normal(n, dtype=np.float32) * np.float32(0.001),
            "v": rng.random(n, dtype=np.float32) * np.float32(1e-5),
            "work": np.empty(n, np.float32)}


def adam_scalars() -> dict[str, np.float32]:
    """Adam's scalars as float32, folded as :func:`neuroflow.kernels.adam` folds them."""
    b1, b2, eps, lr, t = (ADAM[k] for k in ("beta_1", "beta_2", "epsilon", "learning_rate", "t"))
    c2 = math.sqrt(1 - b2**t)
    return {"b1": np.float32(b1), "c1": np.float32(1 - b1), "b2": np.float32(b2),
            "c2": np.float32(1 - b2), "eps": np.float32(eps * c2),
            "step": np.float32(lr * c2 / (1 - b1**t))}


def epilogue_arrays(rows: int, cols: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"z": rng.standard_normal((rows, cols), dtype=np.float32),
            "b": rng.standard_normal(cols, dtype=np.float32) * np.float32(0.1),
            "a": np.empty((rows, cols), np.float32)}


# ---------------------------------------------------------------- NumPy (neuroflow today)
def numpy_adam(arrays: dict[str, np.ndarray]) -> None:
    from neuroflow import kernels

    kernels.adam(arrays["param"], arrays["grad"], arrays["m"], arrays["v"], ADAM["beta_1"],
                 ADAM["beta_2"], ADAM["epsilon"], ADAM["learning_rate"], ADAM["t"],
                 arrays["work"])


def numpy_epilogue(arrays: dict[str, np.ndarray]) -> None:
    z = arrays["z"]
    z += arrays["b"]  # Dense.forward
    np.maximum(z, 0, out=arrays["a"])  # kernels.relu


# ---------------------------------------------------------------- numexpr
def numexpr_kernels() -> tuple[Callable[..., None], Callable[..., None], Callable[..., None]]:
    import numexpr as ne

    s = adam_scalars()

    def adam(arrays: dict[str, np.ndarray]) -> None:
        p, g, m, v = arrays["param"], arrays["grad"], arrays["m"], arrays["v"]
        ne.evaluate("m * b1 + g * c1", local_dict={"m": m, "g": g, **s}, out=m)
        ne.evaluate("v * b2 + g * g * c2", local_dict={"v": v, "g": g, **s}, out=v)
        ne.evaluate("p - m / (sqrt(v) + eps) * step",
                    local_dict={"p": p, "m": m, "v": v, **s}, out=p)

    def epilogue(arrays: dict[str, np.ndarray]) -> None:
        z, b, a = arrays["z"], arrays["b"], arrays["a"]
        ne.evaluate("z + b", local_dict={"z": z, "b": b}, out=z)
        ne.evaluate("where(z > 0, z, 0)", local_dict={"z": z}, out=a)

    def epilogue_a_only(arrays: dict[str, np.ndarray]) -> None:
        # the variant if the backward pass masked on a > 0 instead of z > 0; z is left
        # without its bias, so it is checked against NumPy's a only
        z, b, a = arrays["z"], arrays["b"], arrays["a"]
        ne.evaluate("where(z + b > 0, z + b, 0)", local_dict={"z": z, "b": b}, out=a)

    return adam, epilogue, epilogue_a_only


# ---------------------------------------------------------------- numba
# Plain functions, compiled by :func:`numba_kernels`; one per ``parallel`` setting, since
# numba's on-disk cache is keyed by the function, not by its compile options. ``prange``
# is ``numba.prange`` once numba is imported (``range`` until then).
prange = range


def _adam_loop(p, g, m, v, b1, c1, b2, c2, eps, step):  # pragma: no cover - compiled
    for i in prange(p.shape[0]):
        gi = g[i]
        mi = m[i] * b1 + gi * c1
        vi = v[i] * b2 + gi * gi * c2
        m[i] = mi
        v[i] = vi
        p[i] -= mi / (np.sqrt(vi) + eps) * step


def _adam_loop_parallel(p, g, m, v, b1, c1, b2, c2, eps, step):  # pragma: no cover
    for i in prange(p.shape[0]):
        gi = g[i]
        mi = m[i] * b1 + gi * c1
        vi = v[i] * b2 + gi * gi * c2
        m[i] = mi
        v[i] = vi
        p[i] -= mi / (np.sqrt(vi) + eps) * step


def _adam_loop_numpy_errors(p, g, m, v, b1, c1, b2, c2, eps, step):  # pragma: no cover
    for i in prange(p.shape[0]):
        gi = g[i]
        mi = m[i] * b1 + gi * c1
        vi = v[i] * b2 + gi * gi * c2
        m[i] = mi
        v[i] = vi
        p[i] -= mi / (np.sqrt(vi) + eps) * step


def _adam_loop_parallel_numpy_errors(p, g, m, v, b1, c1, b2, c2, eps, step):  # pragma: no cover
    for i in prange(p.shape[0]):
        gi = g[i]
        mi = m[i] * b1 + gi * c1
        vi = v[i] * b2 + gi * gi * c2
        m[i] = mi
        v[i] = vi
        p[i] -= mi / (np.sqrt(vi) + eps) * step


def _epilogue_loop(z, b, a):  # pragma: no cover - compiled
    rows, cols = z.shape
    for r in prange(rows):
        for c in range(cols):
            zi = z[r, c] + b[c]
            z[r, c] = zi
            a[r, c] = zi if zi > 0 else np.float32(0)


def _epilogue_loop_parallel(z, b, a):  # pragma: no cover - compiled
    rows, cols = z.shape
    for r in prange(rows):
        for c in range(cols):
            zi = z[r, c] + b[c]
            z[r, c] = zi
            a[r, c] = zi if zi > 0 else np.float32(0)


def numba_kernels(parallel: bool, numpy_errors: bool = False
                  ) -> tuple[Callable[..., None], Callable[..., None]]:
    """The two kernels compiled with ``parallel``; ``numpy_errors``: with
    ``error_model="numpy"`` (a float division by zero gives inf/nan as in NumPy instead
    of raising, which lets LLVM vectorise the loop; still ``fastmath=False``)."""
    import numba

    globals()["prange"] = numba.prange
    jit = numba.njit(cache=True, fastmath=False, parallel=parallel,
                     error_model="numpy" if numpy_errors else "python")
    adam_loop = jit({(False, False): _adam_loop, (True, False): _adam_loop_parallel,
                     (False, True): _adam_loop_numpy_errors,
                     (True, True): _adam_loop_parallel_numpy_errors}[parallel, numpy_errors])
    epilogue_loop = jit(_epilogue_loop_parallel if parallel else _epilogue_loop)
    s = adam_scalars()

    def adam(arrays: dict[str, np.ndarray]) -> None:
        adam_loop(arrays["param"], arrays["grad"], arrays["m"], arrays["v"], s["b1"],
                  s["c1"], s["b2"], s["c2"], s["eps"], s["step"])

    def epilogue(arrays: dict[str, np.ndarray]) -> None:
        epilogue_loop(arrays["z"], arrays["b"], arrays["a"])

    return adam, epilogue


def implementations() -> dict[str, dict[str, Callable[..., None]]]:
    """name -> {"adam": f, "epilogue": f}; a kernel is missing where the library is."""
    out: dict[str, dict[str, Callable[..., None]]] = {
        "numpy": {"adam": numpy_adam, "epilogue": numpy_epilogue}}
    try:
        adam, epilogue, a_only = numexpr_kernels()
        out["numexpr"] = {"adam": adam, "epilogue": epilogue}
        out["numexpr, a only"] = {"epilogue": a_only}
    except ImportError:
        pass
    try:
        for parallel in (False, True):
            adam, epilogue = numba_kernels(parallel)
            out[f"numba parallel={parallel}"] = {"adam": adam, "epilogue": epilogue}
        for parallel in (False, True):  # the epilogue divides nothing: same code
            adam, _ = numba_kernels(parallel, numpy_errors=True)
            out[f"numba parallel={parallel}, error_model=numpy"] = {"adam": adam}
    except ImportError:
        pass
    return out


# ---------------------------------------------------------------- measurement
def cases() -> list[tuple[str, str, Callable[[], dict[str, np.ndarray]]]]:
    """(kernel, size label, fresh-input factory)."""
    out: list[tuple[str, str, Callable[[], dict[str, np.ndarray]]]] = []
    for label, n in ADAM_SIZES.items():
        out.append(("adam", f"{n:,} params ({label})", lambda n=n: adam_params(n)))
    for rows, cols in EPILOGUE_SHAPES:
        out.append(("epilogue", f"({rows}, {cols})",
                    lambda rows=rows, cols=cols: epilogue_arrays(rows, cols)))
    return out


def max_error(kernel: str, name: str, function: Callable[..., None],
              factory: Callable[[], dict[str, np.ndarray]]) -> float:
    """Largest ``|x - ref| / (|ref| + max |ref|)`` over the outputs after one call."""
    reference, result = factory(), factory()
    (numpy_adam if kernel == "adam" else numpy_epilogue)(reference)
    function(result)
    keys = ["param", "m", "v"] if kernel == "adam" else (
        ["a"] if name == "numexpr, a only" else ["z", "a"])
    worst = 0.0
    for key in keys:
        ref, got = reference[key].astype(np.float64), result[key].astype(np.float64)
        scale = np.abs(ref) + np.abs(ref).max()
        worst = max(worst, float(np.max(np.abs(got - ref) / scale)))
    return worst


def steady_seconds(function: Callable[..., None], arrays: dict[str, np.ndarray],
                   repeats: int) -> float:
    """Median over ``repeats`` runs of the mean time per call (warm; about 20 ms a run)."""
    function(arrays)
    started = time.perf_counter()
    function(arrays)
    calls = max(1, min(2000, int(0.02 / max(time.perf_counter() - started, 1e-7))))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            function(arrays)
        times.append((time.perf_counter() - started) / calls)
    return statistics.median(times)


def first_calls() -> dict[str, float]:
    """In this (fresh) process: import + first call of every kernel, in seconds."""
    out: dict[str, float] = {}
    started = time.perf_counter()
    impls = implementations()
    out["import"] = time.perf_counter() - started
    small = {"adam": adam_params(1000), "epilogue": epilogue_arrays(4, 8)}
    for name, kernels in impls.items():
        for kernel, function in kernels.items():
            started = time.perf_counter()
            function(small[kernel])
            out[f"{name}/{kernel}"] = time.perf_counter() - started
    return out


def first_call_run(cache_dir: str, threads: int) -> dict[str, float]:
    environment = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    output = subprocess.run([sys.executable, "-m", "benchmarks.kernels", "--first-call",
                             "--threads", str(threads)], env=environment, check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def set_threads(threads: int) -> None:
    """Pin every pool to ``threads`` (call before numexpr or numba is imported)."""
    os.environ.setdefault("NUMEXPR_NUM_THREADS", str(threads))
    os.environ.setdefault("NUMEXPR_MAX_THREADS", str(threads))
    os.environ.setdefault("NUMBA_NUM_THREADS", str(threads))
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)


def versions() -> str:
    from importlib import metadata

    parts = []
    for package in ("numpy", "numexpr", "numba", "llvmlite"):
        try:
            parts.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{package} not installed")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kernels",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15, help="timed runs (median)")
    parser.add_argument("--first-call", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    if args.first_call:
        print(json.dumps(first_calls()))
        return 0

    with tempfile.TemporaryDirectory() as cache:
        cold = first_call_run(cache, args.threads)  # empty cache: compiles
        warm = first_call_run(cache, args.threads)  # the cache the first run wrote
        os.environ["NUMBA_CACHE_DIR"] = cache  # numba is not imported here yet
        return report(args, cold, warm)


def report(args: argparse.Namespace, cold: dict[str, float], warm: dict[str, float]) -> int:
    """Print the steady-state table (Markdown); 1 if a result differs from NumPy's."""
    impls = implementations()
    for name in impls:
        if name.startswith("numba"):
            import numba

            numba.set_num_threads(args.threads)
    print(f"{versions()}; {args.threads} thread(s); steady state = median of "
          f"{args.repeats} runs")
    print(f"library import (fresh process): cold cache {cold['import'] * 1e3:.0f} ms, "
          f"warm cache {warm['import'] * 1e3:.0f} ms")
    print("| kernel | size | implementation | steady ms/call | × NumPy | first call ms "
          "(no cache / cached) | max rel. error | ok |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    results: list[dict[str, Any]] = []
    for kernel, size, factory in cases():
        base = None
        for name, kernels in impls.items():
            if kernel not in kernels:
                continue
            function = kernels[kernel]
            error = max_error(kernel, name, function, factory)
            seconds = steady_seconds(function, factory(), args.repeats)
            base = seconds if name == "numpy" else base
            key = f"{name}/{kernel}"
            first = ("–" if name == "numpy" else
                     f"{cold[key] * 1e3:.1f} / {warm[key] * 1e3:.1f}")
            ok = error <= RTOL
            results.append({"kernel": kernel, "size": size, "name": name,
                            "seconds": seconds, "error": error, "ok": ok})
            print(f"| {kernel} | {size} | {name} | {seconds * 1e3:.3f} | "
                  f"{seconds / base:.2f} | {first} | {error:.1e} | "
                  f"{'yes' if ok else 'NO'} |", flush=True)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
