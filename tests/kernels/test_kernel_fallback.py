"""The kernels installed anywhere: without a writable cache folder the compiled loops are
compiled without a cache (D1); a loop that fails to compile or to be cached at a call
falls back to the NumPy reference with one note; a bad ``NEUROFLOW_KERNELS`` (or
``numba`` without numba) is one line naming the accepted values (D12)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neuroflow import kernels, kernels_fast


@pytest.fixture
def restore_choice():
    """Leave the kernels' choice (and its source) as the test found it."""
    saved = kernels._choice, kernels._source, kernels._loops, kernels._resolved
    yield
    kernels._choice, kernels._source, kernels._loops, kernels._resolved = saved


def test_loops_compile_without_a_cache_when_no_cache_folder_is_writable(monkeypatch):
    # A read-only install with HOME unwritable: numba's test write fails in every cache
    # folder, each locator declines, and njit(cache=True) raises "no locator available".
    from numba.core import caching

    def unwritable(self):
        raise PermissionError(13, "Read-only file system", self.get_cache_path())

    monkeypatch.setattr(caching._CacheLocator, "ensure_cache_path", unwritable)
    loops = kernels_fast.load.__wrapped__()
    assert loops is not None
    param, grad = np.ones(5), np.full(5, 2.0)
    loops["sgd"](param, grad, 0.25)
    np.testing.assert_array_equal(param, np.full(5, 0.5))


def test_a_loop_that_cannot_compile_falls_back_with_one_note(restore_choice, monkeypatch,
                                                               caplog):
    kernels.use("numba")
    loops = dict(kernels._resolve() or {})
    kernels._loops = loops

    def broken(*args):
        raise RuntimeError("cannot cache function 'sgd':\nno space left on device")

    monkeypatch.setitem(loops, "sgd", broken)
    monkeypatch.setitem(loops, "adam", broken)
    param, grad = np.ones(8, np.float32), np.ones(8, np.float32)
    with caplog.at_level(logging.WARNING, logger="neuroflow.kernels"):
        kernels.sgd(param, grad, 0.5, np.empty_like(param))
        kernels.adam(param, grad, np.zeros_like(param), np.zeros_like(param), 0.9, 0.999,
                     1e-8, 1e-3, 1, np.empty_like(param))
    np.testing.assert_array_equal(param, np.float32(0.5) - np.float32(1e-3))  # NumPy ran
    notes = [record.getMessage() for record in caplog.records]
    assert len(notes) == 1
    assert notes[0].startswith("neuroflow: note: the compiled kernels cannot be used")
    assert "RuntimeError" in notes[0] and "\n" not in notes[0]
    assert kernels.active() == "numpy"


def test_the_note_is_one_line_on_stderr_without_logging_configured(tmp_path):
    probe = ("import numpy as np\n"
             "from neuroflow import kernels\n"
             "loops = dict(kernels._resolve())\n"
             "kernels._loops = loops\n"
             "def broken(*a): raise OSError(28, 'No space left on device')\n"
             "loops['sgd'] = broken\n"
             "p = np.ones(4, np.float32)\n"
             "for _ in range(3): kernels.sgd(p, np.ones(4, np.float32), 0.5, np.empty_like(p))\n"
             "print(p[0])\n")
    env = {**os.environ, "NEUROFLOW_KERNELS": "auto"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["-0.5"]
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("neuroflow: note: "), done.stderr


def test_numba_choice_without_numba_names_the_accepted_values(restore_choice, monkeypatch):
    monkeypatch.setattr(kernels.kernels_fast, "load", lambda: None)
    with pytest.raises(ValueError, match=r"'numba' needs numba.*auto, numba, numpy"):
        kernels.use("numba")
    with pytest.raises(ImportError):  # what it always was, too
        kernels.use("numba")


def test_unknown_choice_is_a_value_error_naming_the_variable(restore_choice):
    kernels._choice, kernels._source, kernels._resolved = "fast", "NEUROFLOW_KERNELS", False
    with pytest.raises(ValueError, match=r"^NEUROFLOW_KERNELS: expected one of auto, numba, "
                                         r"numpy, received: 'fast'$"):
        kernels.active()


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "neuroflow", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("setting", ["numba", "fast"])
def test_cli_bad_kernels_setting_is_one_line_and_exit_2(tmp_path, setting):
    # numba that cannot be imported, shadowing the installed one
    fake = tmp_path / "shadow" / "numba"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('numba is broken here')\n")
    rng = np.random.default_rng(0)
    rows = np.column_stack([rng.random((20, 3)), np.arange(20) % 2])
    np.savetxt(tmp_path / "rows.csv", rows, delimiter=",", fmt="%g")
    env = {**os.environ, "NEUROFLOW_KERNELS": setting,
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "shadow"),
                                          os.environ.get("PYTHONPATH", "")])}
    done = _cli(["train", "--data", "rows.csv", "--layers", "3,4,2", "--epochs", "1",
                 "--quiet", "--out", "m.safetensors"], env, tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("neuroflow train: error: NEUROFLOW_KERNELS: ")
    assert "auto, numba, numpy" in lines[0]
