"""Writing files safely: the one writer behind every file neuroflow writes.

Model files, checkpoints, ONNX exports, figures, prediction CSVs and training logs all go
through :func:`write_atomic`; commands call :func:`check_writable` first, so that a bad
output path is refused before any work starts. The rules:

* **Atomic.** The data goes to a temporary file in the target's folder, which is flushed
  and ``fsync``-ed, renamed over the target with :func:`os.replace` (atomic on POSIX),
  and the folder is ``fsync``-ed. A crash, a full disk or Ctrl-C leaves either the old
  file or the new one, never a mix; on any failure (``BaseException``) the temporary
  file is removed and the target is untouched.
* **Regular files only.** An existing target that is a directory, a character or block
  device (``/dev/null``, ``/dev/full``), a FIFO or a socket is refused: replacing it would
  destroy the node (as root, ``--out /dev/null`` would otherwise replace ``/dev/null``).
* **Symlinks stay symlinks.** A target that is a symbolic link is written *through*: the
  file it points to (after resolving every link) is replaced atomically and the link is
  kept, so ``latest.safetensors -> runs/a.safetensors`` updates ``runs/a.safetensors``.
  A link to a missing file creates that file (its folder must exist).
* **...but only links the kernel would follow.** Every link on the way (the target and
  any folder of its path) must pass Linux's ``fs.protected_symlinks`` rule, whatever that
  setting is on this machine: a link is followed when it is owned by the writing user,
  or when its folder is not both sticky and writable by everyone (``/tmp``), or when the
  link and its folder have the same owner. A link that another user planted in a shared
  ``/tmp``-like folder is refused, so that a save cannot be turned into a write to a
  file of the attacker's choosing. A path through more than 40 links is refused, as the
  kernel refuses it (``ELOOP``).
* **Inputs are never overwritten.** A target that is the same file as one of ``inputs``
  (:func:`os.path.samefile`: same path, hard link or symlink) is refused, and so is any
  target anywhere inside a folder among ``inputs``, at any depth (an image folder's
  files sit in its class folders), whether the file exists yet or not.
* **Permissions.** Replacing a file keeps its permission bits (and its owner, where the
  process may set it); a new file gets ``0o666`` minus the umask, as ``open`` would give.
  A read-only target is refused rather than silently replaced.
* **Messages** name the argument and the path the caller gave, never the temporary file;
  a missing folder is named up front.
* **Temporary files** are named ``.NAME.PID-XXXXXXXX.tmp`` beside the target (``NAME``
  cut to 200 characters, ``PID`` the writing process, ``XXXXXXXX`` random hex). A process
  killed during a save (``kill -9``) leaves one behind; the next save of the same target
  removes those whose process is gone or that are older than :data:`STALE_SECONDS`
  (and the ``.NAME.XXXXXXXX.tmp`` files of neuroflow 0.1 older than that).

Errors: a refused path raises :class:`neuroflow.errors.OutputError` (a ``ValueError``)
before anything is written; a failure while writing (disk full, I/O error) raises
:class:`WriteError` (an :class:`OSError`) with the original ``errno`` and a message naming
the target and saying that the previous file is unchanged (or that nothing was written).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import BinaryIO, Union

from neuroflow.errors import OutputError

__all__ = ["write_atomic", "check_writable", "WriteError", "STALE_SECONDS"]

#: Age after which a leftover temporary file of a live-looking process is removed anyway
#: (process ids are reused).
STALE_SECONDS = 600.0

_NAME_KEEP = 200
_MAX_LINKS = 40  # the kernel's limit on links followed in one path (ELOOP beyond)
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]{1,12})-[0-9a-f]{8}\.tmp", re.DOTALL)
_LEGACY = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp", re.DOTALL)  # tempfile.mkstemp

PathLike = Union[str, "os.PathLike[str]"]
Payload = bytes | bytearray | memoryview | Callable[[BinaryIO], object]


class WriteError(OSError):
    """Writing an output failed (disk full, I/O error); the previous file is unchanged.
    ``errno`` is the original one."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _input_files(inputs: Iterable[PathLike | None]) -> list[tuple[str, str]]:
    """``(file, shown)`` pairs: each existing input, and the files directly inside each
    input folder (``shown`` names the file as the caller gave it); deeper files are
    covered by :func:`_inside`."""
    pairs: list[tuple[str, str]] = []
    for item in inputs:
        if item is None or not isinstance(item, (str, os.PathLike)) or not os.fspath(item):
            continue
        name = os.fspath(item)
        if os.path.isdir(name):
            try:
                with os.scandir(name) as entries:
                    pairs += [(entry.path, entry.path) for entry in entries
                              if entry.is_file()]
            except OSError:
                continue
        elif os.path.exists(name):
            pairs.append((name, name))
    return pairs


def _inside(folder: Path, top: str) -> bool:
    """Whether the real folder ``folder`` is ``top`` or lies anywhere below it (compared
    by device and inode, so another path to ``top`` counts too)."""
    try:
        top_info = os.stat(top)
    except OSError:
        return False
    for ancestor in (folder, *folder.parents):
        try:
            if os.path.samestat(os.stat(ancestor), top_info):
                return True
        except OSError:
            continue
    return False


def _links_followed(path: str) -> list[tuple[str, str]]:
    """``(link, folder)`` for each symbolic link that resolving ``path`` follows, in
    order, with the real folder holding it (as the kernel walks a path: component by
    component, a link's target continuing the walk, ``..`` after the links before it)."""
    pending = list(reversed(path.split(os.sep)))
    resolved = os.sep if path.startswith(os.sep) else os.getcwd()
    followed: list[tuple[str, str]] = []
    while pending and len(followed) <= _MAX_LINKS:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            resolved = os.path.dirname(resolved)
            continue
        candidate = os.path.join(resolved, part)
        if not os.path.islink(candidate):
            resolved = candidate
            continue
        followed.append((candidate, resolved))
        try:
            target = os.readlink(candidate)
        except OSError:
            break
        if target.startswith(os.sep):
            resolved = os.sep
        pending.extend(reversed(target.split(os.sep)))
    return followed


def _check_links(given: str, argument: str) -> None:
    """Refuse ``given`` when a link on its path fails Linux's ``protected_symlinks`` rule:
    in a sticky, world-writable folder, a link is followed only when the writing user
    or the folder's owner owns it. A path through more than :data:`_MAX_LINKS` links is
    refused as the kernel refuses it (``ELOOP``): the links past the limit are not
    checked, and :func:`os.path.realpath` would still follow them."""
    followed = _links_followed(given)
    if len(followed) > _MAX_LINKS:
        raise OutputError(f"{argument}: {given!r} passes through more than {_MAX_LINKS} "
                          "symbolic links (too many levels of symbolic links); give a path "
                          "with fewer links")
    for link, folder in followed:
        try:
            link_info, folder_info = os.lstat(link), os.stat(folder)
        except OSError:
            continue
        shared = (folder_info.st_mode & stat.S_ISVTX and folder_info.st_mode & stat.S_IWOTH)
        if shared and link_info.st_uid not in (os.geteuid(), folder_info.st_uid):
            shown = "" if os.path.abspath(given) == link else f" (through {link!r})"
            raise OutputError(
                f"{argument}: {given!r}{shown} is a symbolic link that another user (uid "
                f"{link_info.st_uid}) owns in the shared folder {folder!r} (sticky, "
                "writable by everyone); it is not followed, as the kernel's "
                "protected_symlinks rule would not; remove the link or choose another path")


def _plan(path: object, inputs: Sequence[PathLike | None], argument: str
          ) -> tuple[Path, os.stat_result | None, str]:
    """Check ``path`` (see the module doc); return the real target, its ``stat`` (None
    when it does not exist yet) and the path as shown in messages."""
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise OutputError(f"{argument}: expected a file path, received {path!r}")
    given = os.fspath(path)
    if not isinstance(given, str):
        raise OutputError(f"{argument}: expected a file path as text, received {path!r}")
    if given.endswith(("/", os.sep)):
        raise OutputError(f"{argument}: {given!r} names a folder; give a file name")
    _check_links(given, argument)
    real = Path(os.path.realpath(given))
    through = f" (a link to {str(real)!r})" if os.path.islink(given) else ""
    folder = real.parent
    if not folder.is_dir():
        shown_folder = str(folder) if through else (os.path.dirname(given) or ".")
        what = "is not a folder" if folder.exists() else "does not exist"
        raise OutputError(f"{argument}: the folder {shown_folder!r} {what} (for {given!r})")
    try:
        info: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise OutputError(f"{argument}: {given!r}{through} cannot be examined "
                          f"({error.strerror or error})") from None
    if info is not None:
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(f"{argument}: {given!r}{through} is {_kind(info.st_mode)}, not "
                              "a regular file; give the path of a file to write")
        for candidate, shown in _input_files(inputs):
            try:
                same = os.path.samefile(real, candidate)
            except OSError:
                continue
            if same:
                raise OutputError(f"{argument}: {given!r} is the input file {shown!r}; "
                                  "writing it would destroy the input, choose another path")
        if not os.access(real, os.W_OK):
            raise OutputError(f"{argument}: {given!r}{through} is read-only; change its "
                              "permissions or choose another path")
    for item in inputs:  # a new file in a data folder could become one of its inputs
        name = os.fspath(item) if isinstance(item, (str, os.PathLike)) else ""
        if name and os.path.isdir(name) and _inside(folder, name):
            raise OutputError(f"{argument}: {given!r} is inside the input folder {name!r}, "
                              "whose files are read as data; choose a path outside it")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{argument}: cannot create files in the folder {str(folder)!r} "
                          f"(not writable), so {given!r} cannot be written")
    return real, info, given


def check_writable(path: PathLike, *, inputs: Sequence[PathLike | None] = (),
                   argument: str = "out") -> Path:
    """Check, before any work, that :func:`write_atomic` may write ``path``.

    Parameters
    ----------
    path : str or path-like
        The output file.
    inputs : sequence of paths
        The files the work reads (a folder stands for the files in it); ``path`` must
        not be one of them. Missing inputs and ``None`` are skipped.
    argument : str
        How messages name the path, e.g. ``"--out"`` or ``"path"``.

    Returns
    -------
    pathlib.Path
        The file that will be written: ``path`` with every symbolic link resolved.

    Raises
    ------
    neuroflow.errors.OutputError
        When the path is refused (see the module doc); the message names ``argument``.
    """
    return _plan(path, inputs, argument)[0]


def write_atomic(path: PathLike, data: Payload, *, inputs: Sequence[PathLike | None] = (),
                 argument: str = "out") -> Path:
    """Write ``data`` to ``path`` atomically (see the module doc for every rule).

    Parameters
    ----------
    path : str or path-like
        The output file; a symbolic link is written through to its target.
    data : bytes or callable
        The content, or a function that writes it to the binary stream it is given
        (``lambda stream: figure.savefig(stream, format="png")``).
    inputs : sequence of paths
        Files that must not be overwritten (see :func:`check_writable`).
    argument : str
        How messages name the path.

    Returns
    -------
    pathlib.Path
        The file written (symbolic links resolved).

    Raises
    ------
    neuroflow.errors.OutputError
        When the path is refused; nothing is written.
    OSError
        When writing fails (disk full, I/O error); the original ``errno`` is kept, the
        message names the target, and the previous file (if any) is unchanged.
    """
    target, info, given = _plan(path, inputs, argument)
    folder = target.parent
    _remove_stale(folder, target.name)
    temporary = folder / (f".{target.name[:_NAME_KEEP]}.{os.getpid()}-"
                          f"{secrets.token_hex(4)}.tmp")
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) \
            | getattr(os, "O_NOFOLLOW", 0)
        descriptor = os.open(temporary, flags, 0o666)  # the umask applies
    except OSError as error:
        raise _failure(error, argument, given, info is not None) from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            if info is not None:
                _copy_owner_and_mode(stream.fileno(), info)
            if callable(data):
                data(stream)
            else:
                stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError) and not isinstance(error, OutputError):
            raise _failure(error, argument, given, info is not None) from error
        raise
    _fsync_folder(folder)
    return target


def _failure(error: OSError, argument: str, given: str, existed: bool) -> WriteError:
    reason = error.strerror or str(error) or type(error).__name__
    kept = "the previous file is unchanged" if existed else "nothing was written"
    return WriteError(error.errno, f"{argument}: cannot write {given!r} ({reason}); {kept}")


def _copy_owner_and_mode(descriptor: int, info: os.stat_result) -> None:
    """Give the new file the replaced file's owner (where allowed) and permission bits."""
    if hasattr(os, "fchown") and (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(OSError):  # only root may give a file away
            os.fchown(descriptor, info.st_uid, info.st_gid)
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, stat.S_IMODE(info.st_mode))


def _process_gone(pid: int) -> bool:
    """Whether no process ``pid`` exists (``os.kill(pid, 0)``; never signals anything)."""
    if pid <= 0:
        return True  # never one of ours; os.kill(0, ...) would mean the process group
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return True
    except OSError:
        return False  # PermissionError: it exists, another user's
    return False


def _remove_stale(folder: Path, name: str) -> None:
    """Remove leftover temporary files of ``name`` in ``folder`` (see the module doc)."""
    keep = name[:_NAME_KEEP]
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(f".{keep}."):
            continue
        match = _TEMPORARY.fullmatch(entry.name)
        legacy = _LEGACY.fullmatch(entry.name)
        if not ((match and match["name"] == keep) or (legacy and legacy["name"] == name)):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
            if match and match["name"] == keep:
                pid = int(match["pid"])
                stale = old or (pid != os.getpid() and _process_gone(pid))
            else:
                stale = old
            if stale:
                os.unlink(entry.path)
        except OSError:
            continue


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
