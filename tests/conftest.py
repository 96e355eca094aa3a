"""Shared fixtures for the neuroflow test suite."""

from __future__ import annotations

import importlib
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from idx_files import write_idx

#: Files whose numbers depend on the arithmetic (BLAS kernel, threads, numba or NumPy
#: kernels): marked ``arithmetic``, they run a second time in CI with
#: ``NEUROFLOW_KERNELS=numpy``, one BLAS thread and ``NEUROFLOW_TEST_PERTURB=1`` (.ci/run).
ARITHMETIC = ("test_docs.py", "test_reproducibility.py", "test_gradcheck", "test_backprop.py",
              "test_loss_agreement.py", "test_layer_contract.py", "test_hot_path.py",
              "test_onnx.py", "test_losses.py", "test_activations.py",
              "test_conv_torch_parity.py", "test_explain_conv.py")


def pytest_configure(config) -> None:
    """Under pytest-xdist (``make test`` runs ``-n auto``) each worker process uses one BLAS
    thread, so two workers on two cores do not fight over them; a thread count the user
    set (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``) is kept. Processes a test starts
    get the environment as it is."""
    if not hasattr(config, "workerinput"):
        return
    if any(name in os.environ for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                           "MKL_NUM_THREADS")):
        return
    from threadpoolctl import threadpool_limits

    config._blas_limits = threadpool_limits(limits=1, user_api="blas")


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if item.path.name.startswith(ARITHMETIC):
            item.add_marker(pytest.mark.arithmetic)


@pytest.fixture(autouse=True)
def sigint_as_a_terminal_sends_it():
    """Every test sees Ctrl-C as a foreground terminal delivers it, and so do the processes
    it starts, even when the suite itself runs with SIGINT ignored (``nohup make test &``,
    a background job: ignored signals stay ignored across ``exec``, handled ones do not).
    The suite's own SIGINT disposition comes back after each test."""
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory) -> Path:
    """A tiny MNIST-shaped data set: 60 training and 20 test images, labels 0-9."""
    folder = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    for split, n in (("train", 60), ("t10k", 20)):
        labels = np.arange(n) % 10
        images = (rng.random((n, 28, 28)) * 255).astype(np.uint8)
        write_idx(folder / f"{split}-images-idx3-ubyte", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte", labels)
    return folder


@pytest.fixture(autouse=True, scope="session")
def bundled_mnist_decompressed_once():
    """Each test process decompresses the bundled MNIST files once (about 0.3 s a load;
    the CLI tests call ``main`` in-process over a hundred times). Only the package's own
    read-only copy is remembered, and every call gets a fresh array, so each caller sees
    what ``read_idx`` returns; IDX files anywhere else are read every time, and the
    commands the tests start read the files themselves."""
    module = importlib.import_module("neuroflow.datasets.mnist")  # the name is the function

    read = module.read_idx
    bundled = {path.resolve() for path in module.DATA_DIR.iterdir()}
    remembered: dict[Path, np.ndarray] = {}

    def read_idx(path, *args, **kwargs):
        key = Path(path).resolve()
        if key not in bundled or args or kwargs:
            return read(path, *args, **kwargs)
        if key not in remembered:
            remembered[key] = read(path)
        return remembered[key].copy()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "read_idx", read_idx)
        yield
