"""Array back-ends: NumPy by default, any array-API library (CuPy on a GPU) on request.

neuroflow's math layer (activations, losses, layers, optimisers) keeps a NumPy fast path
(in-place ``out=`` arithmetic into reused buffers) and, beside it, a generic path written
with functions of the `Python array API standard <https://data-apis.org/array-api/>`_
only. Which one runs is decided by the arrays themselves: :func:`namespace` returns
:mod:`numpy` for NumPy arrays (no extra import, no overhead) and the array-API namespace
of anything else, obtained from ``array_api_compat``.

Back-ends a :class:`~neuroflow.Network` accepts (``backend=``):

``"numpy"``
    The default; nothing to install.
``"cupy"``
    CuPy arrays on a CUDA GPU: ``pip install 'neuroflow[gpu]'`` (CuPy for CUDA 12 and
    ``array-api-compat``).
``"array_api_strict"``
    The reference implementation of the standard, on the CPU: it refuses anything the
    standard does not define, which is how neuroflow's generic path is tested
    (``pip install 'neuroflow[dev]'``).

``array_api_compat``, CuPy and ``array_api_strict`` are imported only when first needed.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["BACKENDS", "namespace", "get_backend", "backend_name", "to_backend", "to_numpy",
           "device_of", "resolve"]

#: Names accepted by :func:`get_backend` (and ``Network(backend=...)``).
BACKENDS = ("numpy", "cupy", "array_api_strict")
#: ``Network(device=...)`` synonyms: the device name and the back-end it selects.
DEVICES = {"cpu": "numpy", "cuda": "cupy", "gpu": "cupy"}


def namespace(*arrays: Any) -> Any:
    """The array-API namespace of ``arrays``: :mod:`numpy` itself when they are all NumPy
    arrays, else ``array_api_compat.array_namespace(*arrays)`` (``None`` entries ignored).

    Raises
    ------
    TypeError
        From ``array_api_compat`` when the arrays come from different libraries.
    """
    if all(array is None or isinstance(array, np.ndarray) for array in arrays):
        return np
    import array_api_compat  # optional extra (gpu/dev): needed only for non-NumPy arrays

    return array_api_compat.array_namespace(*(a for a in arrays if a is not None))


def get_backend(name: str) -> Any:
    """The array namespace for back-end ``name`` (one of :data:`BACKENDS`).

    ``"numpy"`` gives :mod:`numpy` itself, ``"cupy"`` the ``array_api_compat.cupy``
    namespace (after checking that a CUDA GPU is present), ``"array_api_strict"`` the
    ``array_api_strict`` module.

    Raises
    ------
    ValueError
        For an unknown name, for a back-end whose package is not installed (naming the
        extra to install), or for ``"cupy"`` without a usable GPU.
    """
    if name == "numpy":
        return np
    found = _FOUND.get(name) if isinstance(name, str) else None
    if found is None:
        found = _FOUND[name] = _find_backend(name)
    return found


#: Namespaces found by :func:`get_backend`, so the imports and the GPU check run once.
_FOUND: dict[str, Any] = {}


def _find_backend(name: object) -> Any:
    if not isinstance(name, str) or name not in BACKENDS:
        raise ValueError(f"backend: expected one of {', '.join(map(repr, BACKENDS))}, "
                         f"received: {name!r}")
    if name == "array_api_strict":
        try:  # optional extra (dev)
            import array_api_strict
        except ImportError as error:
            raise ValueError("backend: 'array_api_strict' needs the array-api-strict package, "
                             "which is not installed: pip install 'neuroflow[dev]'") from error
        return array_api_strict
    try:  # optional extra (gpu)
        import array_api_compat.cupy as cupy_namespace
        import cupy
    except ImportError as error:
        raise ValueError("backend: 'cupy' needs CuPy and array-api-compat, which are not "
                         f"installed ({error}): pip install 'neuroflow[gpu]'") from error
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as error:  # CUDA driver missing or broken: CuPy raises its own errors
        raise ValueError(f"backend: 'cupy' needs a CUDA GPU, none is usable ({error})"
                         ) from error
    if count < 1:
        raise ValueError("backend: 'cupy' needs a CUDA GPU, found none")
    return cupy_namespace


def resolve(backend: str = "numpy", device: str | None = None) -> tuple[str, Any]:
    """``(name, namespace)`` for the ``backend``/``device`` pair of ``Network(...)``.

    ``device="cuda"`` (or ``"gpu"``) is a synonym of ``backend="cupy"`` and
    ``device="cpu"`` of the default NumPy back-end (it also goes with
    ``"array_api_strict"``, a CPU library); naming both is allowed when they agree.
    """
    if device is not None:
        if not isinstance(device, str) or device.lower() not in DEVICES:
            raise ValueError(f"device: expected one of {', '.join(map(repr, DEVICES))} or "
                             f"None, received: {device!r}")
        implied = DEVICES[device.lower()]
        if backend == "numpy":
            backend = implied
        elif (implied == "cupy") != (backend == "cupy"):
            raise ValueError(f"device: {device!r} does not go with backend={backend!r}; "
                             f"expected backend={implied!r}")
    return backend, get_backend(backend)


def backend_name(xp: Any) -> str:
    """The :data:`BACKENDS` name of namespace ``xp`` (its module name otherwise)."""
    if xp is np:
        return "numpy"
    module = getattr(xp, "__name__", "")
    if "cupy" in module:
        return "cupy"
    if "array_api_strict" in module:
        return "array_api_strict"
    return module


def device_of(array: Any) -> Any:
    """The device ``array`` lives on (``"cpu"`` for NumPy arrays)."""
    if isinstance(array, np.ndarray):
        return "cpu"
    import array_api_compat  # optional extra (gpu/dev): needed only for non-NumPy arrays

    return array_api_compat.device(array)


def to_numpy(array: Any) -> Any:
    """``array`` as a NumPy array (the same object when it already is one; ``None`` stays
    ``None``). CuPy arrays are copied from the GPU; others go through DLPack."""
    if array is None or isinstance(array, np.ndarray):
        return array
    get = getattr(array, "get", None)
    if get is not None and type(array).__module__.startswith("cupy"):
        return get()
    try:
        return np.from_dlpack(array)
    except (TypeError, AttributeError, BufferError, RuntimeError):
        return np.asarray(array)


def to_backend(array: Any, xp: ModuleType | Any, device: Any = None) -> Any:
    """``array`` (NumPy or any back-end) as an array of namespace ``xp`` (on ``device``
    when given). For ``xp`` = NumPy this is :func:`to_numpy`; ``None`` stays ``None``."""
    if array is None:
        return None
    if xp is np:
        return to_numpy(array)
    if not isinstance(array, np.ndarray) and namespace(array) is xp:
        return array if device is None else xp.asarray(array, device=device)
    array = to_numpy(array)
    return xp.asarray(array) if device is None else xp.asarray(array, device=device)
