"""``neuroflow.files``: the one writer behind every file neuroflow writes.

The finding numbers refer to the reliability review (``reliability.md``); each test fails
on 0.1's code (commit fc4b353), where ``io.save``, ``onnx.export``, ``plotting.save`` and
``CSVLogger`` each wrote files their own way.
"""

from __future__ import annotations

import csv
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import callbacks, files
from neuroflow.errors import OutputError


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _char_device(path: Path) -> Path:
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is
    except (PermissionError, OSError) as error:
        pytest.skip(f"cannot create a device node here: {error}")
    return path


def _fifo(path: Path) -> Path:
    try:
        os.mkfifo(path)
    except (PermissionError, OSError, AttributeError) as error:
        pytest.skip(f"cannot create a FIFO here: {error}")
    return path


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ---------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("make", [_char_device, _fifo])
def test_a1_refuses_devices_and_fifos_and_leaves_them(tmp_path: Path, make) -> None:
    """A.1: ``--out /dev/full`` replaced the device node with a model file (0.1 had no
    check: mkstemp + os.replace over anything). Now refused, the node untouched."""
    node = make(tmp_path / "node")
    before = os.stat(node).st_mode
    for function in (files.check_writable, lambda p, **k: files.write_atomic(p, b"x", **k)):
        with pytest.raises(OutputError, match=r"^--out: '.*node' is a (character device|FIFO)"):
            function(node, argument="--out")
    assert os.stat(node).st_mode == before
    assert _leftovers(tmp_path) == []


def test_a1_refuses_a_directory_and_a_link_to_a_device(tmp_path: Path) -> None:
    """A.1: a directory (``.``, a trailing slash) and a symlink to a node are refused."""
    with pytest.raises(OutputError, match="is a directory, not a regular file"):
        files.write_atomic(tmp_path, b"x")
    with pytest.raises(OutputError, match="names a folder"):
        files.write_atomic(f"{tmp_path}/new/", b"x")
    fifo = _fifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to(fifo)
    with pytest.raises(OutputError, match="a link to .*fifo.* is a FIFO"):
        files.write_atomic(tmp_path / "link", b"x", argument="path")
    assert (tmp_path / "link").is_symlink()


@pytest.mark.parametrize("bad", [None, 3, "", b"x.bin"])
def test_d27_not_a_path_is_an_output_error(bad: object) -> None:
    """D.27: ``net.save(None)`` raised TypeError in 0.1; the writer says what it wants."""
    with pytest.raises(OutputError, match="path: expected a file path"):
        files.write_atomic(bad, b"x", argument="path")  # type: ignore[arg-type]


def test_a5_refuses_an_input_file(tmp_path: Path) -> None:
    """A.5: the target may not be an input: same path, hard link, or a file inside an
    input folder (0.1 overwrote the model, the CSV or the IDX images)."""
    data = tmp_path / "data"
    data.mkdir()
    images = data / "train-images-idx3-ubyte"
    images.write_bytes(b"images")
    os.link(images, tmp_path / "hard")
    for target, inputs in [(images, [images]), (tmp_path / "hard", [images]),
                           (images, [data]), (images, [None, tmp_path / "absent", data])]:
        with pytest.raises(OutputError, match="is the input file .*train-images-idx3-ubyte"):
            files.write_atomic(target, b"model", inputs=inputs, argument="--out")
    assert images.read_bytes() == b"images"
    assert files.write_atomic(tmp_path / "other", b"ok", inputs=[data]).read_bytes() == b"ok"


def test_d26_missing_folder_is_named_up_front(tmp_path: Path) -> None:
    """D.26: 0.1 named the temporary file (``nodir/.x.safetensors.u0n1wds5.tmp``), and only
    when it saved; now the folder is named, before anything is written."""
    with pytest.raises(OutputError) as caught:
        files.check_writable(tmp_path / "nodir" / "x.safetensors", argument="--out")
    message = str(caught.value)
    assert message.startswith("--out: the folder ") and "nodir' does not exist" in message
    assert ".tmp" not in message


@pytest.mark.permissions
def test_read_only_target_is_refused(tmp_path: Path) -> None:
    """A file made read-only is not silently replaced (0.1 replaced it). Root may write any
    file, so CI runs this as an unprivileged user too (.ci/unprivileged.sh)."""
    if os.geteuid() == 0:
        pytest.skip("root may write any file: run as an unprivileged user")
    target = tmp_path / "m.bin"
    target.write_bytes(b"keep")
    target.chmod(0o444)
    with pytest.raises(OutputError, match="is read-only"):
        files.write_atomic(target, b"new")
    assert target.read_bytes() == b"keep"


# ---------------------------------------------------------------------------- writing
def test_d24_symlink_is_written_through(tmp_path: Path) -> None:
    """D.24: 0.1 replaced ``latest -> runs/a`` by a regular file and left ``runs/a`` old;
    now the link stays and the file it points to is replaced (atomically)."""
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "a.bin").write_bytes(b"old")
    latest = tmp_path / "latest.bin"
    latest.symlink_to(Path("runs") / "a.bin")
    written = files.write_atomic(latest, b"new")
    assert latest.is_symlink() and os.readlink(latest) == str(Path("runs") / "a.bin")
    assert (runs / "a.bin").read_bytes() == b"new" and written == (runs / "a.bin").resolve()
    dangling = tmp_path / "dangling.bin"
    dangling.symlink_to(runs / "b.bin")
    files.write_atomic(dangling, b"created")
    assert dangling.is_symlink() and (runs / "b.bin").read_bytes() == b"created"
    assert _leftovers(tmp_path) == [] and _leftovers(runs) == []


@pytest.mark.usefixtures("umask")
def test_d21_permissions_follow_the_umask_and_are_kept(tmp_path: Path) -> None:
    """D.21: 0.1's files were always 0600 (mkstemp); now a new file gets 0666 minus the
    umask and a replaced file keeps its bits."""
    os.umask(0o022)
    assert stat.S_IMODE(files.write_atomic(tmp_path / "a", b"x").stat().st_mode) == 0o644
    os.umask(0o077)
    assert stat.S_IMODE(files.write_atomic(tmp_path / "b", b"x").stat().st_mode) == 0o600
    shared = tmp_path / "shared"
    shared.write_bytes(b"x")
    shared.chmod(0o664)
    files.write_atomic(shared, b"y")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o664 and shared.read_bytes() == b"y"


def test_callable_payload_and_failure_cleanup(tmp_path: Path) -> None:
    """Any exception, even KeyboardInterrupt, while writing leaves the old file and no
    temporary file (0.1's ``onnx.export`` did not fsync; ``plotting.save`` and predict
    wrote in place)."""
    target = tmp_path / "f.bin"
    files.write_atomic(target, lambda stream: stream.write(b"first"))
    assert target.read_bytes() == b"first"

    def interrupted(stream) -> None:
        stream.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.write_atomic(target, interrupted)
    assert target.read_bytes() == b"first" and _leftovers(tmp_path) == []


def test_d26_disk_full_names_the_target_and_keeps_the_old_file(tmp_path: Path,
                                                              monkeypatch) -> None:
    """D.26/A.6: a full disk gave ``[Errno 28] No space left on device`` with no path; now
    the OSError keeps errno 28, names the target and says the old file is unchanged."""
    target = tmp_path / "m.bin"
    target.write_bytes(b"old")

    def full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OSError, match=r"m\.bin' \(No space left on device\); the previous "
                                      r"file is unchanged") as caught:
        files.write_atomic(target, b"new", argument="path")
    assert caught.value.errno == 28 and not isinstance(caught.value, OutputError)
    with pytest.raises(OSError, match="nothing was written"):
        files.write_atomic(tmp_path / "new.bin", b"new", argument="path")
    assert target.read_bytes() == b"old" and _leftovers(tmp_path) == [] \
        and not (tmp_path / "new.bin").exists()


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_d29_stale_temporaries_are_removed(tmp_path: Path) -> None:
    """D.29: ``kill -9`` during a save left ``.NAME.*.tmp`` files forever (0.1 never
    removed them). A later save removes those of dead processes and old ones, and keeps
    a fresh one of a live process (it may be saving right now)."""
    target = tmp_path / "m.safetensors"
    dead = tmp_path / f".m.safetensors.{_dead_pid()}-0123abcd.tmp"
    live = tmp_path / f".m.safetensors.{os.getppid()}-89abcdef.tmp"
    old_live = tmp_path / f".m.safetensors.{os.getppid()}-deadbeef.tmp"
    legacy_old = tmp_path / ".m.safetensors.u0n1wds5.tmp"  # neuroflow 0.1's mkstemp name
    other = tmp_path / f".other.safetensors.{_dead_pid()}-0123abcd.tmp"
    for path in (dead, live, old_live, legacy_old, other):
        path.write_bytes(b"partial")
    hour_ago = time.time() - 3600
    for path in (old_live, legacy_old):
        os.utime(path, (hour_ago, hour_ago))
    files.write_atomic(target, b"model")
    assert _leftovers(tmp_path) == sorted([live.name, other.name])


def test_kill_during_save_leaves_a_temporary_named_by_pid(tmp_path: Path) -> None:
    """The temporary file's name carries the writer's pid (what D.29's cleanup reads)."""
    seen: list[str] = []

    def peek(stream) -> None:
        seen.extend(p.name for p in tmp_path.iterdir())
        stream.write(b"x")

    files.write_atomic(tmp_path / "m.bin", peek)
    assert len(seen) == 1 and seen[0].startswith(f".m.bin.{os.getpid()}-")
    assert seen[0].endswith(".tmp")


# ---------------------------------------------------------------------------- its users
def _blobs(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    return rng.normal(size=(n, 2)) + y[:, None] * 2.0, y


def test_csv_logger_keeps_whole_rows_and_leaks_no_handle(tmp_path: Path) -> None:
    """code.md §4 K: 0.1's CSVLogger opened its file in on_train_begin and closed it only
    in on_train_end, which ``fit`` skips when a callback raises; now each epoch rewrites
    the file atomically and nothing stays open."""
    path = tmp_path / "log.csv"

    def fail(epoch: int, logs: dict) -> None:
        if epoch == 1:
            raise RuntimeError("callback failed")

    fd_folder = Path("/proc/self/fd")
    before = len(list(fd_folder.iterdir())) if fd_folder.exists() else 0
    net = nf.Network.from_sizes([2, 4, 2], seed=0)
    with pytest.raises(RuntimeError, match="callback failed"):
        net.fit(*_blobs(), epochs=5, verbose=0, callbacks=[
            callbacks.CSVLogger(path), callbacks.LambdaCallback(on_epoch_end=fail)])
    if fd_folder.exists():
        assert len(list(fd_folder.iterdir())) == before
    rows = list(csv.DictReader(path.open(newline="")))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert _leftovers(tmp_path) == []


def test_csv_logger_refuses_a_fifo_before_training(tmp_path: Path) -> None:
    """A.1 for logs: opening a FIFO for writing blocked 0.1's CSVLogger forever."""
    fifo = _fifo(tmp_path / "log.csv")
    net = nf.Network.from_sizes([2, 4, 2], seed=0)
    with pytest.raises(OutputError, match="path: .*log.csv' is a FIFO"):
        net.fit(*_blobs(), epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(fifo)])
    assert net.epochs_trained == 0


def test_onnx_export_and_figures_go_through_the_writer(tmp_path: Path) -> None:
    """A.1/D.24 for ``export --onnx`` and figures: a FIFO is refused (0.1 replaced it or
    blocked), a symlink is written through (0.1 replaced the link)."""
    net = nf.Network.from_sizes([2, 3, 2], seed=0)
    fifo = _fifo(tmp_path / "fifo")
    pytest.importorskip("onnx")
    with pytest.raises(OutputError, match="is a FIFO"):
        net.to_onnx(str(fifo))
    (tmp_path / "real.onnx").write_bytes(b"")
    (tmp_path / "link.onnx").symlink_to("real.onnx")
    net.to_onnx(str(tmp_path / "link.onnx"))
    assert (tmp_path / "link.onnx").is_symlink() and (tmp_path / "real.onnx").stat().st_size
    # skip on the third-party dependency only: a broken neuroflow.plotting must fail
    pytest.importorskip("matplotlib")
    from neuroflow import plotting
    figure = plotting.learning_curves({"loss": [1.0, 0.5]})
    with pytest.raises(OutputError, match="is a FIFO"):
        plotting.save(figure, _fifo(tmp_path / "fifo.png"))
    (tmp_path / "plot.svg").symlink_to("real.svg")
    plotting.save(figure, tmp_path / "plot.svg")
    assert (tmp_path / "plot.svg").is_symlink() and "<svg" in (tmp_path / "real.svg").read_text()
    assert _leftovers(tmp_path) == []
