"""One BLAS thread for the small matrix products of a training step.

NumPy's OpenBLAS splits every product between its threads. A product of a small batch
(``32 x 784`` times ``784 x 256`` is 13 MFLOP, a quarter of a millisecond on one core)
gains little from a second thread, and waking that thread costs more than it saves
whenever the other core is busy: on a shared two-core machine a product then waits for
the second thread to be scheduled, up to a whole scheduler slice (milliseconds). Measured
at batch 32 (784-256-128-10) on the benchmark machine with other work on it: a training
step took 5.9 ms with two BLAS threads and 1.3 ms with one.

While ``fit`` trains a network of :class:`~neuroflow.layers.Dense` layers whose every
product of a step is below :data:`SMALL_PRODUCT_FLOPS`, :class:`ProductThreads` runs the
step on one BLAS thread, through OpenBLAS's own ``openblas_set_num_threads`` (about a
microsecond), and gives the process's thread count (``threadpoolctl``,
``OPENBLAS_NUM_THREADS``, ...) back after the step's update
(:meth:`~neuroflow.training.steps.LocalSteps.end_step`), so callbacks, validation and
the user's own code never run with the training loop's setting. A step with any larger
product keeps the process's count for all of them: switching between one and two
threads within a step wakes the second thread at each switch back, which measured
slower than either (batch 32: 2.4 ms a step against 1.3 ms on one thread). Where
NumPy's BLAS is not an OpenBLAS that threadpoolctl can find, nothing is changed.

On one thread OpenBLAS may round a product differently (it takes other kernels for small
products); the precision is the same, and a run is still reproducible bit for bit: the
same shapes always get the same thread count.
"""

from __future__ import annotations

import ctypes
import os
from functools import cache
from typing import Any

import numpy as np

from neuroflow.layers import Dense

__all__ = ["ProductThreads", "SMALL_PRODUCT_FLOPS", "numpy_openblas",
           "largest_product_per_sample"]

#: A training step whose largest product has fewer floating-point operations
#: (``2 m n k``) runs on one BLAS thread.
SMALL_PRODUCT_FLOPS = 16_000_000


def largest_product_per_sample(network: Any) -> int | None:
    """FLOPs per sample of the largest product of a training step, ``2 n_in n_out`` of
    the widest :class:`~neuroflow.layers.Dense` layer; ``None`` when a layer with
    parameters is not a ``Dense`` (its products are not counted here)."""
    sizes = [2 * layer.in_features * layer.out_features for layer in network.layers
             if isinstance(layer, Dense)]
    if not sizes or any(layer.params and not isinstance(layer, Dense)
                        for layer in network.layers):
        return None
    return max(sizes)


@cache
def numpy_openblas() -> tuple[Any, Any] | None:
    """``(get_num_threads, set_num_threads)`` of the OpenBLAS NumPy multiplies with, as
    ctypes functions; ``None`` when NumPy's BLAS is not an OpenBLAS found here."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - a dependency
        return None
    numpy_dir = os.path.dirname(os.path.dirname(np.__file__))
    found = [info["filepath"] for info in threadpool_info()
             if info.get("internal_api") == "openblas"]
    # NumPy's own copy (a wheel's numpy.libs) when several OpenBLAS are loaded
    mine = [path for path in found if os.path.dirname(path).startswith(
        os.path.join(numpy_dir, "numpy"))] or (found if len(found) == 1 else [])
    if not mine:
        return None
    library = ctypes.CDLL(mine[0])
    for prefix in ("", "scipy_"):
        for suffix in ("", "64_", "_64"):
            getter = getattr(library, f"{prefix}openblas_get_num_threads{suffix}", None)
            setter = getattr(library, f"{prefix}openblas_set_num_threads{suffix}", None)
            if getter is not None and setter is not None:
                getter.restype, getter.argtypes = ctypes.c_int, []
                setter.restype, setter.argtypes = None, [ctypes.c_int]
                return getter, setter
    return None  # pragma: no cover - every OpenBLAS has both


class ProductThreads:
    """The BLAS thread count of a training step: called with the FLOPs of the step's
    largest product before it runs, one thread below ``limit``, the process's own count
    above; :meth:`close` restores the count.

    Parameters
    ----------
    limit : int, optional
        Products of fewer FLOPs run on one thread (default: :data:`SMALL_PRODUCT_FLOPS`).
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = SMALL_PRODUCT_FLOPS if limit is None else limit
        functions = numpy_openblas()
        self._get: Any = None if functions is None else functions[0]
        self._set: Any = None if functions is None else functions[1]
        #: The process's thread count, restored by :meth:`close` (1 without OpenBLAS).
        self.threads = int(self._get()) if self._get is not None else 1
        self._current = self.threads

    @property
    def active(self) -> bool:
        """Whether there is anything to switch (an OpenBLAS with several threads)."""
        return self._set is not None and self.threads > 1

    def __call__(self, flops: int) -> None:
        wanted = 1 if flops < self.limit else self.threads
        if wanted != self._current and self._set is not None:
            self._set(wanted)
            self._current = wanted

    def close(self) -> None:
        """Give OpenBLAS back the thread count it had."""
        if self._current != self.threads and self._set is not None:
            self._set(self.threads)
        self._current = self.threads
