"""Details of neuroflow.files that the write tests leave open: whether the process that
owns a temporary file is gone (checked without ever signalling anything), every kind of
node and refusal named in whole, inputs that are not paths or cannot be read, the links
a path follows, the temporary file's name and flags, failures without a reason, the
owner and mode of a replaced file, and which leftover files are removed."""

from __future__ import annotations

import errno
import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neuroflow import files
from neuroflow.errors import OutputError
from neuroflow.files import _kind, _links_followed, _process_gone


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


# ---------------------------------------------------------------------------- kinds, inputs
OTHER_UID = 65534  # nobody
needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                reason="giving a link to another uid needs root")


@pytest.mark.parametrize("mode, kind", [
    (stat.S_IFDIR, "a directory"), (stat.S_IFCHR, "a character device"),
    (stat.S_IFBLK, "a block device"), (stat.S_IFIFO, "a FIFO (named pipe)"),
    (stat.S_IFSOCK, "a socket"), (stat.S_IFLNK, "not a regular file")])
def test_every_kind_of_node_is_named(mode, kind):
    assert _kind(mode | 0o644) == kind


@pytest.mark.parametrize("existed", [False, True])
def test_inputs_that_are_not_paths_are_skipped(tmp_path, existed):
    target = tmp_path / "m.bin"
    if existed:
        target.write_bytes(b"old")
    assert files.write_atomic(target, b"new", inputs=[3, None, "", b"m.bin"]) == target
    assert target.read_bytes() == b"new"


def test_every_input_counts_whatever_comes_before_it(tmp_path, monkeypatch):
    model = tmp_path / "model.bin"
    model.write_bytes(b"model")
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_bytes(b"1")
    with pytest.raises(OutputError, match="is the input file"):
        files.write_atomic(model, b"x", inputs=[model, data])  # a file, then a folder
    unreadable = tmp_path / "unreadable"
    unreadable.mkdir()
    real_scandir, real_samefile = os.scandir, os.path.samefile

    def scandir(path="."):
        if os.fspath(path) == str(unreadable):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_scandir(path)

    def samefile(first, second):
        if os.fspath(second) == str(data / "a.csv"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_samefile(first, second)
    monkeypatch.setattr(files.os, "scandir", scandir)
    monkeypatch.setattr(files.os.path, "samefile", samefile)
    # a folder that cannot be listed, an input that cannot be compared: the next one counts
    for inputs in ([unreadable, model], [data, model]):
        with pytest.raises(OutputError, match="is the input file"):
            files.write_atomic(model, b"x", inputs=inputs)
    assert model.read_bytes() == b"model"


def test_input_refusals_are_whole_messages(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    images = str(data / "images.idx")
    Path(images).write_bytes(b"images")
    with pytest.raises(OutputError) as refused:
        files.write_atomic(images, b"x", inputs=[images], argument="--out")
    assert str(refused.value) == (f"--out: {images!r} is the input file {images!r}; writing "
                                  "it would destroy the input, choose another path")
    new = str(data / "new.bin")
    with pytest.raises(OutputError) as refused:
        files.check_writable(new, inputs=[str(data)], argument="--out")
    assert str(refused.value) == (f"--out: {new!r} is inside the input folder "
                                  f"{str(data)!r}, whose files are read as data; choose a "
                                  "path outside it")


# ---------------------------------------------------------------------------- refusals
def test_read_only_target_and_folder_are_refused_with_whole_messages(tmp_path, monkeypatch):
    root = os.path.realpath(tmp_path)
    target = os.path.join(root, "m.bin")
    Path(target).write_bytes(b"keep")
    denied: set[str] = set()
    real_access = os.access

    def access(path, mode, **options):  # what an unprivileged user would be told
        if os.fspath(path) in denied and mode & os.W_OK:
            return False
        return real_access(path, mode, **options)
    monkeypatch.setattr(files.os, "access", access)
    denied.add(target)
    with pytest.raises(OutputError) as refused:
        files.write_atomic(target, b"new")
    assert str(refused.value) == (f"out: {target!r} is read-only; change its permissions "
                                  "or choose another path")
    denied.add(root)
    new = os.path.join(root, "new.bin")
    with pytest.raises(OutputError) as refused:
        files.check_writable(new, argument="path")
    assert str(refused.value) == (f"path: cannot create files in the folder {root!r} (not "
                                  f"writable), so {new!r} cannot be written")
    assert Path(target).read_bytes() == b"keep" and not os.path.exists(new)


def test_a_missing_or_false_folder_is_named_as_given_or_as_the_link_leads(tmp_path,
                                                                          monkeypatch):
    root = os.path.realpath(tmp_path)
    monkeypatch.chdir(root)
    with pytest.raises(OutputError) as refused:
        files.check_writable(os.path.join("nodir", "m.bin"), argument="--out")
    assert str(refused.value) == "--out: the folder 'nodir' does not exist (for 'nodir/m.bin')"
    os.symlink(os.path.join(root, "gone", "m.bin"), "link.bin")
    with pytest.raises(OutputError) as refused:
        files.check_writable("link.bin")
    shown = os.path.join(root, "gone")
    assert str(refused.value) == f"out: the folder {shown!r} does not exist (for 'link.bin')"
    Path("file").write_bytes(b"")
    with pytest.raises(OutputError) as refused:
        files.check_writable("file/m.bin")
    assert str(refused.value) == "out: the folder 'file' is not a folder (for 'file/m.bin')"


def test_a_target_that_cannot_be_examined_says_why(tmp_path):
    given = str(tmp_path / ("a" * 300))
    with pytest.raises(OutputError) as refused:
        files.check_writable(given)
    assert str(refused.value) == f"out: {given!r} cannot be examined (File name too long)"


def test_a_path_object_of_bytes_is_refused():
    class BytesPath:
        def __fspath__(self) -> bytes:
            return b"m.bin"

        def __repr__(self) -> str:
            return "BytesPath()"
    with pytest.raises(OutputError) as refused:
        files.check_writable(BytesPath(), argument="path")  # type: ignore[arg-type]
    assert str(refused.value) == "path: expected a file path as text, received BytesPath()"


# ---------------------------------------------------------------------------- links
def test_links_followed_walks_the_path_as_the_kernel_does(tmp_path, monkeypatch):
    root = os.path.realpath(tmp_path)
    monkeypatch.chdir(root)
    os.makedirs(os.path.join("dir", "sub"))
    os.symlink("sub/inner", os.path.join("dir", "outer"))  # a target through a folder
    os.symlink("file", os.path.join("dir", "sub", "inner"))
    expected = [(f"{root}/dir/outer", f"{root}/dir"),
                (f"{root}/dir/sub/inner", f"{root}/dir/sub")]
    assert _links_followed("dir/outer") == expected  # relative: from the current folder
    for path in (f"{root}/dir//outer", f"{root}/dir/./outer", f"{root}/dir/sub/../outer"):
        assert _links_followed(path) == expected, path
    real_readlink = os.readlink

    def readlink(path, *args, **options):
        if os.fspath(path).endswith("inner"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_readlink(path, *args, **options)
    monkeypatch.setattr(files.os, "readlink", readlink)
    assert _links_followed("dir/outer") == expected  # the walk ends at a link it cannot read


def test_a_path_through_more_than_40_links_is_refused_as_the_kernel_refuses_it(tmp_path):
    root = Path(os.path.realpath(tmp_path))
    target = root / "target.bin"
    previous = target
    for number in range(41):
        link = root / f"link{number}"
        link.symlink_to(previous)
        previous = link
    assert files.write_atomic(root / "link39", b"forty links") == target
    with pytest.raises(OutputError) as refused:
        files.write_atomic(root / "link40", b"x", argument="--out")
    assert str(refused.value) == (f"--out: {str(root / 'link40')!r} passes through more than "
                                  "40 symbolic links (too many levels of symbolic links); "
                                  "give a path with fewer links")
    with pytest.raises(OSError) as kernel:
        open(root / "link40", "rb")  # noqa: SIM115 (the kernel's own limit)
    assert kernel.value.errno == errno.ELOOP
    assert target.read_bytes() == b"forty links"


def _shared(tmp_path: Path, name: str, mode: int) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    folder.chmod(mode)
    return folder


def _planted(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    os.lchown(link, OTHER_UID, -1)
    return link


@needs_root
def test_a_planted_link_beyond_40_links_is_not_followed(tmp_path):
    root = Path(os.path.realpath(tmp_path))
    victim = root / "victim.txt"
    victim.write_bytes(b"root's file")
    previous = _planted(_shared(root, "shared", 0o1777) / "m.bin", victim)
    for number in range(41):
        link = root / f"link{number}"
        link.symlink_to(previous)
        previous = link
    with pytest.raises(OutputError, match="more than 40 symbolic links"):
        files.write_atomic(previous, b"model")
    assert victim.read_bytes() == b"root's file"


@needs_root
def test_planted_link_message_and_which_folders_are_shared(tmp_path):
    root = Path(os.path.realpath(tmp_path))
    victim = root / "victim.txt"
    victim.write_bytes(b"root's file")
    folder = _shared(root, "shared", 0o1777)
    link = _planted(folder / "m.bin", victim)
    with pytest.raises(OutputError) as refused:
        files.write_atomic(link, b"x", argument="--out")
    assert str(refused.value) == (
        f"--out: {str(link)!r} is a symbolic link that another user (uid {OTHER_UID}) owns "
        f"in the shared folder {str(folder)!r} (sticky, writable by everyone); it is not "
        "followed, as the kernel's protected_symlinks rule would not; remove the link or "
        "choose another path")
    assert victim.read_bytes() == b"root's file"
    # a folder that is only sticky, or only writable by everyone, is not shared
    for name, mode in (("sticky", 0o1755), ("open", 0o777)):
        link = _planted(_shared(root, name, mode) / "m.bin", root / f"{name}.bin")
        files.write_atomic(link, b"followed")
        assert (root / f"{name}.bin").read_bytes() == b"followed"


@needs_root
def test_a_link_that_cannot_be_examined_does_not_hide_the_next(tmp_path, monkeypatch):
    root = Path(os.path.realpath(tmp_path))
    victim = root / "victim.txt"
    victim.write_bytes(b"root's file")
    planted = _planted(_shared(root, "shared", 0o1777) / "p", victim)
    first = root / "first"
    first.mkdir()
    (first / "m.bin").symlink_to(planted)
    real_stat = os.stat

    def stat_(path, *args, **options):
        if os.fspath(path) == str(first):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_stat(path, *args, **options)
    monkeypatch.setattr(files.os, "stat", stat_)
    with pytest.raises(OutputError, match="protected_symlinks"):
        files.write_atomic(first / "m.bin", b"x")
    monkeypatch.undo()
    assert victim.read_bytes() == b"root's file"


# ---------------------------------------------------------------------------- writing
def test_the_temporary_file_is_named_by_name_pid_and_eight_hex_digits(tmp_path):
    seen: list[str] = []

    def peek(stream) -> None:
        seen.extend(p.name for p in tmp_path.iterdir())
        stream.write(b"x")
    files.write_atomic(tmp_path / "m.bin", peek)
    assert len(seen) == 1
    assert re.fullmatch(rf"\.m\.bin\.{os.getpid()}-[0-9a-f]{{8}}\.tmp", seen[0]), seen


@pytest.mark.parametrize("existed", [False, True])
def test_a_taken_temporary_name_is_never_written_through(tmp_path, monkeypatch, existed):
    target = tmp_path / "m.bin"
    if existed:
        target.write_bytes(b"old")
    monkeypatch.setattr(files.secrets, "token_hex", lambda size: "0123abcd")
    taken = tmp_path / f".m.bin.{os.getpid()}-0123abcd.tmp"  # this process's: not stale
    taken.write_bytes(b"someone else's")
    with pytest.raises(files.WriteError) as failed:
        files.write_atomic(target, b"new", argument="--out")
    kept = "the previous file is unchanged" if existed else "nothing was written"
    assert failed.value.errno == errno.EEXIST
    assert failed.value.strerror == f"--out: cannot write {str(target)!r} (File exists); {kept}"
    assert taken.read_bytes() == b"someone else's"
    assert (target.read_bytes() == b"old") if existed else not target.exists()


@pytest.mark.parametrize("error, reason", [(OSError("quota gone"), "quota gone"),
                                           (OSError(), "OSError")])
def test_a_failure_without_strerror_is_named_by_its_text_or_type(tmp_path, monkeypatch,
                                                                  error, reason):
    def failing_replace(source, destination):
        raise error
    monkeypatch.setattr(files.os, "replace", failing_replace)
    target = tmp_path / "m.bin"
    with pytest.raises(files.WriteError) as failed:
        files.write_atomic(target, b"x", argument="path")
    assert failed.value.strerror == (f"path: cannot write {str(target)!r} ({reason}); "
                                     "nothing was written")


def test_a_temporary_that_cannot_be_removed_does_not_hide_the_failure(tmp_path, monkeypatch):
    def failing_replace(source, destination):
        raise OSError(errno.EIO, "I/O error")

    def failing_unlink(path, *args, **options):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(files.os, "replace", failing_replace)
    monkeypatch.setattr(files.os, "unlink", failing_unlink)
    with pytest.raises(files.WriteError) as failed:
        files.write_atomic(tmp_path / "m.bin", b"x")
    assert failed.value.errno == errno.EIO


def test_a_replaced_file_keeps_its_owner_and_mode(tmp_path, monkeypatch):
    calls: list[tuple[int, int, int]] = []

    def fchown(descriptor, uid, gid):
        calls.append((os.fstat(descriptor).st_ino, uid, gid))
    monkeypatch.setattr(files.os, "fchown", fchown)
    mine = tmp_path / "mine.bin"
    mine.write_bytes(b"old")
    files.write_atomic(mine, b"new")
    assert calls == []  # the writer's own file: nothing to give away
    theirs = tmp_path / "theirs.bin"
    theirs.write_bytes(b"old")
    theirs.chmod(0o640)
    uid = os.geteuid()
    monkeypatch.setattr(files.os, "geteuid", lambda: uid + 1)  # the file is another user's
    files.write_atomic(theirs, b"new")
    info = os.stat(theirs)
    assert calls == [(info.st_ino, info.st_uid, info.st_gid)]
    assert stat.S_IMODE(info.st_mode) == 0o640 and theirs.read_bytes() == b"new"

    def refused(descriptor, uid, gid):  # only root may give a file away
        raise PermissionError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(files.os, "fchown", refused)
    files.write_atomic(theirs, b"newer")
    assert stat.S_IMODE(os.stat(theirs).st_mode) == 0o640 and theirs.read_bytes() == b"newer"


def test_another_users_process_is_not_gone(monkeypatch):
    def kill(pid, signal_number):
        assert signal_number == 0
        raise PermissionError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(files.os, "kill", kill)
    assert _process_gone(12345) is False


# ---------------------------------------------------------------------------- stale files
def _in_name_order(monkeypatch) -> None:
    """The folder listed in name order, so a test can put one entry before another."""
    real_scandir = os.scandir
    monkeypatch.setattr(files.os, "scandir",
                        lambda path=".": sorted(real_scandir(path), key=lambda e: e.name))


def test_stale_clean_up_skips_what_is_not_its_own_and_goes_on(tmp_path, monkeypatch):
    _in_name_order(monkeypatch)
    dead = _dead_pid()
    hour_ago = time.time() - 3600
    note = tmp_path / ".m.bin.0note"  # starts like a temporary file, is none
    folder = tmp_path / ".m.bin.0-0000abcd.tmp"  # named like one, a folder
    other = tmp_path / ".m.bin.bak.u0n1wds5.tmp"  # 0.1's temporary file of m.bin.bak
    link = tmp_path / f".m.bin.{dead}-aaaaaaaa.tmp"  # named like one, a link
    stale = tmp_path / f".m.bin.{dead}-bbbbbbbb.tmp"
    for path in (note, other, stale, tmp_path / "elsewhere"):
        path.write_bytes(b"partial")
    folder.mkdir()
    link.symlink_to(tmp_path / "elsewhere")
    os.utime(other, (hour_ago, hour_ago))
    files.write_atomic(tmp_path / "m.bin", b"model")
    assert not stale.exists()
    assert note.exists() and folder.is_dir() and other.exists() and link.is_symlink()


def test_stale_clean_up_goes_on_after_a_file_it_cannot_remove(tmp_path, monkeypatch):
    _in_name_order(monkeypatch)
    dead = _dead_pid()
    first = tmp_path / f".m.bin.{dead}-00000000.tmp"
    second = tmp_path / f".m.bin.{dead}-ffffffff.tmp"
    for path in (first, second):
        path.write_bytes(b"partial")
    real_unlink = os.unlink

    def unlink(path, *args, **options):
        if os.fspath(path) == str(first):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_unlink(path, *args, **options)
    monkeypatch.setattr(files.os, "unlink", unlink)
    files.write_atomic(tmp_path / "m.bin", b"model")
    assert first.exists() and not second.exists()


def test_a_temporary_file_exactly_stale_seconds_old_is_kept(tmp_path, monkeypatch):
    now = float(int(time.time()))
    monkeypatch.setattr(files.time, "time", lambda: now)
    live = tmp_path / f".m.bin.{os.getppid()}-0123abcd.tmp"  # a live process's
    older = tmp_path / f".m.bin.{os.getppid()}-4567abcd.tmp"
    for path, age in ((live, files.STALE_SECONDS), (older, files.STALE_SECONDS + 1)):
        path.write_bytes(b"partial")
        seconds = int(now - age)
        os.utime(path, ns=(seconds * 10**9, seconds * 10**9))
    files.write_atomic(tmp_path / "m.bin", b"model")
    assert live.exists() and not older.exists()


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
