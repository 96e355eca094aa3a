"""``neuroflow train`` stopped from outside: SIGTERM is Ctrl-C (the last checkpoint kept,
the resume command printed, exit 143; D15), and a checkpoint or model that cannot be
written is one error line that names ``--out`` and gives the resume command (D16)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import files
from neuroflow.cli import _hints, main


def write_rows(path: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.random((n, 4))
    label = (x[:, 0] > x[:, 1]).astype(int)
    np.savetxt(path, np.column_stack([x, label]), delimiter=",", fmt="%.5f")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_during_training_keeps_the_checkpoint_and_prints_the_resume_command(tmp_path):
    write_rows(tmp_path / "rows.csv", 4000)
    env = {**os.environ, "NEUROFLOW_KERNELS": "numpy"}
    process = subprocess.Popen(
        [sys.executable, "-m", "neuroflow", "train", "--data", "rows.csv", "--layers",
         "4,16,2", "--epochs", "100000", "--batch-size", "8", "--quiet", "--out",
         "m.safetensors"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "m.safetensors").exists() and time.monotonic() < deadline:
            if process.poll() is not None:
                break
            time.sleep(0.1)
        assert (tmp_path / "m.safetensors").exists(), process.stderr.read() if \
            process.poll() is not None else "no checkpoint within 120 s"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 143, err
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("neuroflow train: terminated (SIGTERM); the last checkpoint "
                               "(epoch ")
    assert lines[0].endswith("is at m.safetensors")
    assert lines[1].startswith("resume with: neuroflow train --resume m.safetensors "
                               "--data rows.csv ")
    epochs = nf.load(tmp_path / "m.safetensors").epochs_trained
    assert f"(epoch {epochs})" in lines[0]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_before_training_is_one_line_and_exit_143(capsys):
    def loading_data(args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # interrupted by the signal
        return 0

    before = signal.getsignal(signal.SIGTERM)
    assert _hints.stoppable(loading_data)(None) == 143
    assert capsys.readouterr().err == "neuroflow train: terminated (SIGTERM)\n"
    assert signal.getsignal(signal.SIGTERM) is before


def _failing_replace(monkeypatch, fail_from: int):
    """``os.replace`` failing with ENOSPC from its ``fail_from``-th call (1-based)."""
    real, calls = os.replace, []

    def replace(source, target, *args, **kwargs):
        calls.append(target)
        if len(calls) >= fail_from:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(source, target, *args, **kwargs)

    monkeypatch.setattr(files.os, "replace", replace)


def _train(tmp_path, monkeypatch, capsys, epochs: int = 3):
    write_rows(tmp_path / "rows.csv", 60)
    monkeypatch.chdir(tmp_path)
    status = main(["train", "--data", "rows.csv", "--layers", "4,8,2", "--epochs",
                   str(epochs), "--quiet", "--out", "m.safetensors"])
    return status, capsys.readouterr().err.strip().splitlines()


def test_a_checkpoint_that_cannot_be_written_names_out_and_the_resume_command(
        tmp_path, monkeypatch, capsys):
    _failing_replace(monkeypatch, fail_from=2)  # epoch 1's checkpoint is written
    status, lines = _train(tmp_path, monkeypatch, capsys)
    assert status == 2 and len(lines) == 1, lines
    assert lines[0].startswith("neuroflow train: error: --out: cannot write 'm.safetensors' "
                               "(No space left on device); the last checkpoint (epoch 1) is "
                               "at m.safetensors; resume with: neuroflow train --resume "
                               "m.safetensors --data rows.csv --epochs 3 ")
    monkeypatch.undo()
    assert nf.load(tmp_path / "m.safetensors").epochs_trained == 1


def test_a_first_checkpoint_that_cannot_be_written_says_nothing_was_written(
        tmp_path, monkeypatch, capsys):
    _failing_replace(monkeypatch, fail_from=1)
    status, lines = _train(tmp_path, monkeypatch, capsys)
    assert status == 2
    assert lines == ["neuroflow train: error: --out: cannot write 'm.safetensors' (No space "
                     "left on device); no epoch was completed, so no checkpoint was written"]
    assert not (tmp_path / "m.safetensors").exists()


def test_the_final_save_that_cannot_be_written_names_out(tmp_path, monkeypatch, capsys):
    _failing_replace(monkeypatch, fail_from=2)  # the one epoch's checkpoint, then the model
    status, lines = _train(tmp_path, monkeypatch, capsys, epochs=1)
    assert status == 2 and len(lines) == 1, lines
    assert lines[0].startswith("neuroflow train: error: --out: cannot write 'm.safetensors' "
                               "(No space left")
    assert "the last checkpoint (epoch 1) is at m.safetensors; resume with: " in lines[0]
