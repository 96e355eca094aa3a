"""The machine's measurements of a benchmark run, taken in a worker process like the tools'.

The matmul rate (the sgemm bound of every round) and the floors must be measured at the
BLAS kernel the tools run, so they are measured in a process started with the tools'
environment (:func:`benchmarks.run.worker_environment`: ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE`` unset, the kernel the CPU picks), never in the driver, whose
environment stays as the caller set it. Protocol, one JSON object per line:

- probe -> driver ``{"ready": true, "blas": [...], "environment": {...}}``: the BLAS
  libraries loaded (:func:`blas_in_use`) and the forced-kernel variables as this
  process sees them (``null``: unset);
- driver -> probe ``{"sgemm": REPEATS, "size": N}``: reply ``{"gflops": ...}``, the
  best float32 N² product rate (N = 2048 by default) of ``REPEATS`` timed products;
- driver -> probe ``{"floor": {"config": {...}, "n_samples": N}}`` (``config``: an entry
  of :data:`benchmarks.run.CONFIGS`): reply the :class:`benchmarks.floors.Floor` fields;
- driver -> probe ``{"quit": true}``: exit.

Run as ``python -m benchmarks.probe THREADS``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from typing import Any

#: What is kept of each library threadpoolctl finds.
KERNEL_KEYS = ("internal_api", "version", "architecture", "num_threads")
#: Variables that pin OpenBLAS to a kernel or cache size (unset in the workers).
FORCED_KERNEL_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def blas_in_use() -> list[dict[str, Any]]:
    """The BLAS libraries loaded in this process, as threadpoolctl reads them from the
    libraries themselves (the kernel OpenBLAS chose, the threads it runs)."""
    from threadpoolctl import threadpool_info

    return [{key: info.get(key) for key in KERNEL_KEYS} for info in threadpool_info()
            if info.get("user_api") == "blas"]


def describe_kernels(libraries: list[dict[str, Any]]) -> str:
    """``openblas 0.3.31 Haswell kernel, 2 threads`` per library, ``; ``-separated."""
    return "; ".join(f"{lib.get('internal_api')} {lib.get('version')} "
                     f"{lib.get('architecture')} kernel, {lib.get('num_threads')} thread(s)"
                     for lib in libraries) or "no BLAS library found"


def forced_kernel_environment() -> dict[str, str | None]:
    return {key: os.environ.get(key) for key in FORCED_KERNEL_VARIABLES}


def main(argv: list[str] | None = None) -> None:
    from threadpoolctl import threadpool_limits

    from benchmarks import floors
    from benchmarks.run import matmul_gflops

    argv = sys.argv[1:] if argv is None else argv
    threadpool_limits(int(argv[0]))

    def send(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    send({"ready": True, "blas": blas_in_use(), "environment": forced_kernel_environment()})
    for line in sys.stdin:
        request = json.loads(line)
        if "sgemm" in request:
            send({"gflops": matmul_gflops(int(request.get("size", 2048)),
                                          repeats=int(request["sgemm"]))})
        elif "floor" in request:
            asked = request["floor"]
            floor = floors.measure(asked["config"], asked["n_samples"])
            send(dataclasses.asdict(floor))
        else:
            return


if __name__ == "__main__":
    main()
