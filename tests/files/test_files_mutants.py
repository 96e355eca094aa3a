"""Details of neuroflow.files that the write tests leave open: whether the process that
owns a temporary file is gone, checked without ever signalling anything."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

import pytest

from neuroflow.files import _process_gone


def test_process_gone_for_live_absent_and_impossible_processes():
    assert _process_gone(os.getpid()) is False
    limit = Path("/proc/sys/kernel/pid_max")
    absent = int(limit.read_text()) + 1 if limit.exists() else 2**22 + 1
    assert _process_gone(absent) is True  # above the largest pid the system hands out
    # 0 and negative numbers would address a process group: never one of ours
    assert _process_gone(0) is True and _process_gone(-1) is True
    assert _process_gone(2**80) is True  # beyond any pid (OverflowError)


def test_check_writable_returns_the_target_and_names_out_by_default(tmp_path):
    from neuroflow import files
    from neuroflow.errors import OutputError

    target = tmp_path / "model.safetensors"
    assert files.check_writable(str(target)) == target
    with pytest.raises(OutputError, match=r"^out: "):
        files.check_writable(str(tmp_path) + os.sep)
    with pytest.raises(OutputError, match=r"^out: "):
        files.write_atomic(str(tmp_path) + os.sep, b"")


def test_a_socket_is_named(tmp_path):
    from neuroflow import files
    from neuroflow.errors import OutputError

    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(OutputError) as refused:
            files.write_atomic(path, b"x")
    finally:
        server.close()
    assert str(refused.value) == (f"out: {str(path)!r} is a socket, not a regular file; give "
                                  "the path of a file to write")


@pytest.mark.parametrize("existed", [False, True])
def test_write_failure_message_says_what_was_kept(tmp_path, monkeypatch, existed):
    from neuroflow import files

    target = tmp_path / "m.bin"
    if existed:
        target.write_bytes(b"old")

    def failing_replace(source, destination):
        raise OSError(errno.EIO, "disk on fire")
    monkeypatch.setattr(files.os, "replace", failing_replace)
    with pytest.raises(OSError) as refused:
        files.write_atomic(target, b"new", argument="path")
    kept = "the previous file is unchanged" if existed else "nothing was written"
    assert refused.value.strerror == (f"path: cannot write {str(target)!r} (disk on fire); "
                                      f"{kept}")
    assert refused.value.errno == errno.EIO
    assert sorted(p.name for p in tmp_path.iterdir()) == (["m.bin"] if existed else [])
