"""Details of neuroflow.files that the write tests leave open: whether the process that
owns a temporary file is gone, checked without ever signalling anything."""

from __future__ import annotations

import os
from pathlib import Path

from neuroflow.files import _process_gone


def test_process_gone_for_live_absent_and_impossible_processes():
    assert _process_gone(os.getpid()) is False
    limit = Path("/proc/sys/kernel/pid_max")
    absent = int(limit.read_text()) + 1 if limit.exists() else 2**22 + 1
    assert _process_gone(absent) is True  # above the largest pid the system hands out
    # 0 and negative numbers would address a process group: never one of ours
    assert _process_gone(0) is True and _process_gone(-1) is True
    assert _process_gone(2**80) is True  # beyond any pid (OverflowError)
