"""Checks shared by the dataset readers: a path must be a regular file of bounded size, and
running out of memory or a failing read becomes a :class:`DatasetError` naming the file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from neuroflow.errors import DatasetError

__all__ = ["check_file", "reading", "describe"]

_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def describe(what: str, path: str | os.PathLike[str]) -> str:
    """``what 'path'``, the prefix of every message about a file."""
    return f"{what} {str(path)!r}"


def check_file(path: Path, what: str, max_bytes: int) -> int:
    """Return the size of ``path`` after checking that it is a regular file of at most
    ``max_bytes`` bytes (symbolic links are followed); nothing is read.

    Raises
    ------
    DatasetError
        Naming the file, for a missing path, a directory, a FIFO, device or socket, an
        unreadable path or a file larger than ``max_bytes``.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DatasetError(f"{describe(what, path)}: no such file") from None
    except OSError as error:
        raise DatasetError(f"{describe(what, path)}: cannot be read "
                           f"({error.strerror or error})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DatasetError(f"{describe(what, path)}: expected a file, received a directory")
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
        raise DatasetError(f"{describe(what, path)}: expected a regular file, received {kind}")
    if info.st_size > max_bytes:
        raise DatasetError(f"{describe(what, path)}: expected at most {max_bytes} bytes, "
                           f"received a file of {info.st_size} bytes")
    return info.st_size


@contextmanager
def reading(path: Path, what: str) -> Iterator[None]:
    """Turn ``MemoryError`` and ``OSError`` raised inside the block into a one-line
    :class:`DatasetError` naming the file."""
    try:
        yield
    except MemoryError:
        raise DatasetError(f"{describe(what, path)}: not enough memory to read it") from None
    except FileNotFoundError:
        raise DatasetError(f"{describe(what, path)}: no such file") from None
    except OSError as error:
        text = str(error).splitlines()[0] if str(error) else type(error).__name__
        reason = error.strerror or text
        raise DatasetError(f"{describe(what, path)}: cannot be read ({reason})") from None
