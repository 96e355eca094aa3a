"""Signed model files in the CLI: ``--sign-key FILE`` (``train``) and ``--verify-key FILE``
with ``--no-legacy`` (every command that loads a model).

A key is read from a file, or from the environment variable ``NEUROFLOW_SIGN_KEY`` when
no file is named, never from the command line (where any local user could read it with
``ps``). One trailing line break of a key file is dropped, so ``echo`` and editors make
the same key as ``printf``. With a key, ``train`` signs its checkpoints and its model
(HMAC-SHA256, see :func:`neuroflow.io.save`) and the loading commands refuse unsigned,
mis-signed and format-1 files (exit 2, one line).
"""

from __future__ import annotations

import argparse
import os
import stat
from typing import Any

from neuroflow.cli._args import UsageError, path_text
from neuroflow.io import load
from neuroflow.io.format import sign_key_bytes

__all__ = ["ENVIRONMENT", "add_sign_option", "add_verify_options", "sign_key", "train_key",
           "load_model"]

#: The environment variable that holds the key when no key file is named.
ENVIRONMENT = "NEUROFLOW_SIGN_KEY"
#: Largest key file read (a key is tens of bytes; anything longer is not a key file).
_MAX_KEY_FILE = 4096


def add_sign_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--sign-key FILE`` to a command that saves models."""
    parser.add_argument("--sign-key", default=None, type=path_text, metavar="FILE",
                        help="sign the checkpoints and the model with the secret key held "
                             f"in FILE (default: the key in ${ENVIRONMENT}, when set); "
                             "'--verify-key FILE' then refuses any file that was changed. "
                             "Make one with: head -c 32 /dev/urandom > FILE")


def add_verify_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--verify-key FILE`` and ``--no-legacy`` to a command that loads models."""
    parser.add_argument("--verify-key", default=None, type=path_text, metavar="FILE",
                        help="load only model files signed with the secret key held in "
                             f"FILE (default: the key in ${ENVIRONMENT}, when set); "
                             "without a key the file's SHA-256 detects corruption, not "
                             "tampering")
    parser.add_argument("--no-legacy", action="store_true",
                        help="refuse model files of format 1 (neuroflow 0.1), whose hash "
                             "covers the tensors only")


def sign_key(args: argparse.Namespace) -> bytes | None:
    """The key ``train`` signs with: ``--sign-key``'s file, else ``$NEUROFLOW_SIGN_KEY``."""
    return _key(getattr(args, "sign_key", None), "--sign-key")


def train_key(args: argparse.Namespace) -> bytes | None:
    """:func:`sign_key` for ``train``, which also refuses ``--verify-key`` and
    ``--no-legacy`` without ``--resume`` (they apply to the model it loads)."""
    for flag in ("verify_key", "no_legacy"):
        if getattr(args, flag, None) and not getattr(args, "resume", None):
            raise UsageError(f"--{flag.replace('_', '-')}: only with --resume MODEL (the "
                             "model that train loads)")
    return sign_key(args)


def load_model(path: str, args: argparse.Namespace) -> Any:
    """:func:`neuroflow.io.load` of ``path`` with the command's ``--verify-key`` (or
    ``$NEUROFLOW_SIGN_KEY``) and ``--no-legacy``."""
    key = _key(getattr(args, "verify_key", None), "--verify-key")
    return load(path, key=key, strict=bool(getattr(args, "no_legacy", False)))


def _key(path: str | None, flag: str) -> bytes | None:
    if path is None:
        text = os.environ.get(ENVIRONMENT)
        if not text:
            return None
        return _checked(os.fsencode(text), f"{flag} (from ${ENVIRONMENT})")
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block open()
            raise UsageError(f"{flag}: {path!r} is not a regular file")
        with open(path, "rb") as stream:
            data = stream.read(_MAX_KEY_FILE + 1)
    except OSError as error:
        raise UsageError(f"{flag}: cannot read {path!r} ({error.strerror})") from None
    if len(data) > _MAX_KEY_FILE:
        raise UsageError(f"{flag}: {path!r} is larger than {_MAX_KEY_FILE} bytes; expected "
                         "a file holding a secret key")
    return _checked(data, f"{flag} {path!r}")


def _checked(data: bytes, where: str) -> bytes:
    if data.endswith(b"\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n"):
        data = data[:-1]
    try:
        return sign_key_bytes(data, where)
    except ValueError as error:
        raise UsageError(str(error)) from None
