"""Fuzzing the ``neuroflow`` command line: files in, files out.

What is fuzzed
--------------
``make test`` runs every tenth case of each loop and ``NEUROFLOW_FUZZ=full`` (CI's fuzz
pass) all of them (tests/fuzz_scale.py); the counts below are the full run's.

* **Malformed inputs** (at least 2,000 in all, counted per kind in :data:`INPUTS`), each
  made by mutating a valid seed, fed to the commands that read that kind of file:

  - CSV files (bad cells: NaN, inf, ``1e400``, ``1_000``, empty, NUL, huge numbers;
    ragged rows, BOM, UTF-16, other delimiters, quotes, line endings, header or none,
    reordered, renamed and duplicate columns for a model with feature names, truncation
    and byte flips) to ``predict``, ``evaluate --data F --target C`` and ``train``;
  - images (28x28 PNG/JPEG/BMP/GIF written with Pillow in many modes and sizes, then
    truncated, bit-flipped, given a huge declared size, misnamed) to ``predict``;
  - ``.npy`` arrays (many dtypes and shapes, then header edits, truncation, pickled object
    arrays that must be refused *without being unpickled*) to ``predict``;
  - MNIST IDX folders (20 images; magic, dimensions, lengths, labels, element types,
    gzip, missing or replaced files) to ``train --data F`` and ``evaluate --data F``;
  - model files (``.safetensors`` of small trained networks: byte flips anywhere,
    truncation, header-length edits, and structural edits of the metadata JSON and the
    tensors that are re-signed with the SHA-256 documented in ``neuroflow.io`` so that
    they reach the field checks) to ``summary``, ``predict``, ``evaluate``,
    ``gradcheck``, ``explain``, ``train --resume`` and ``export --onnx``.

* **Random option combinations** (at least 500, per command in :data:`COMBOS`) drawn from
  the options each subcommand's ``--help`` lists, with valid, out-of-range, negative,
  ``nan``, ``1e23``, empty, very long and newline-holding values, directories, missing
  files, FIFOs, symbolic links (to inputs, to ``/dev/null``, dangling) and
  ``/dev/null`` as paths, unknown, abbreviated and repeated options.

* **Faults**: Ctrl-C (SIGINT or KeyboardInterrupt), a full disk and no memory at the n-th
  ``os.fsync``/``os.replace`` while an output is written, and Ctrl-C or an I/O error at
  the n-th ``os.stat`` of the command's files.

The contract every run keeps (``neuroflow.cli.main(argv)`` called in-process)
--------------------------------------------------------------------------------
* the exit status is 0 (success), 1 (failed check, diverged training), 2 (usage or
  input error) or 130 (interrupted); 141 (closed stdout) cannot happen here;
* no exception escapes ``main``, and no "Traceback" is printed;
* with exit status 2, at most one line on standard error (a Python warning counts: the
  real command would print it there);
* no file of the working folder changes, appears or disappears (path -> SHA-256 and
  mode, symlinks by target) except the run's declared output (``--out``/``--onnx``, the
  default ``model.safetensors`` or the ``--resume`` file of ``train``, ``KIND.png`` of
  ``plot``), and never one of the run's own input files; so no ``.tmp`` file is left
  behind; ``/dev/null`` stays a character device; a model written by ``train`` loads;
* after a fault: exit status 130 for Ctrl-C, 2 otherwise, and an output written once is
  the old file (or absent), never a partial one; ``main`` leaves SIGINT as it found it.

The violations these loops found are listed in :data:`FOUND_BUGS`, each with a test that
reproduced it and now checks its fix; the loops tolerate none.

Everything is drawn from seeded ``numpy.random.default_rng`` generators (one per case),
so a failure reproduces: its message shows the argv and the recipe of the input, which
names the function that makes it again (``npy_case(8)`` returns the argv and the files).
Runs are cheap (tiny models 4-3-2 and 784-4-10, 20-image IDX folders, ``--epochs`` 1 or
2): the whole file takes under a minute on two cores. ``NEUROFLOW_FUZZ_STATS=1`` (with
``-s``) prints the runs, exit statuses and known bugs of each test;
``NEUROFLOW_FUZZ_LOG=FILE`` appends one JSON line per run (argv, input, exit status,
seconds, output) to FILE.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import errno
import gzip
import hashlib
import importlib.util
import io
import json
import os
import pickle
import re
import shlex
import shutil
import signal
import stat
import struct
import sys
import time
import traceback
import warnings
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fuzz_scale import cases, share

import neuroflow as nf
from neuroflow import cli

pytestmark = pytest.mark.fuzz

#: Malformed inputs generated per kind: 2,000 or more without the optional ONNX part.
INPUTS = {"csv": 700, "image": 360, "npy": 400, "idx": 260, "model": 400, "model-onnx": 80}
#: Random option combinations per command: 500 or more without export (onnx) and plot
#: (matplotlib), which are skipped when their optional dependency is missing.
COMBOS = {"train": 120, "predict": 100, "evaluate": 80, "summary": 50, "gradcheck": 70,
          "explain": 90, "export": 50, "plot": 60}

ALLOWED_CODES = (0, 1, 2, 130)
RUN_TIMEOUT_S = 60
ALARM = hasattr(signal, "SIGALRM")  # a run that hangs fails after RUN_TIMEOUT_S (POSIX)
#: Warning categories Python does not print by default.
SILENT_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                   ResourceWarning)
STATS = bool(os.environ.get("NEUROFLOW_FUZZ_STATS"))
LOG = os.environ.get("NEUROFLOW_FUZZ_LOG")  # a file: one JSON line per run


# ============================================================================ the harness
class _Hang(BaseException):
    """Raised by SIGALRM in a run that has not returned after RUN_TIMEOUT_S seconds."""


def _alarm(signum: int, frame: object) -> None:
    raise _Hang(f"main() had not returned after {RUN_TIMEOUT_S} s")


#: Options whose value names the file a run may write (train also its --resume file).
_OUTPUT_FLAGS = ("--out", "--onnx", "--animate")


def _option_values(argv: Sequence[str], flags: Sequence[str]) -> list[str]:
    """The values given to ``flags`` in ``argv``, also as ``--flag=value`` or as a prefix
    argparse accepts (``--ou``)."""
    return [value for _, value in _option_positions(argv, flags)]


def _option_positions(argv: Sequence[str], flags: Sequence[str]) -> list[tuple[int, str]]:
    """(index of the token holding the value, value) of each of ``flags`` in ``argv``."""
    found = []
    for i, token in enumerate(argv):
        name, equals, value = token.partition("=")
        if len(name) < 3 or not name.startswith("--"):
            continue
        if any(flag.startswith(name) for flag in flags):
            if equals:
                found.append((i, value))
            elif i + 1 < len(argv):
                found.append((i + 1, argv[i + 1]))
    return found


@dataclass
class Fuzzer:
    """Runs ``cli.main`` in ``work`` and checks the contract of each run; after each run
    the folder is put back as it was when :meth:`freeze` was called."""

    capsys: Any
    work: Path
    name: str
    baseline: dict[str, tuple[int, str, bytes | None]] = field(default_factory=dict)
    runs: int = 0
    inputs: int = 0
    codes: Counter = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    known: dict[str, list[str]] = field(default_factory=dict)  # unused: none tolerated
    notes: list[str] = field(default_factory=list)

    # ---------------------------------------------------------------- folder state
    def snapshot(self) -> dict[str, tuple[int, str]]:
        """Every entry below ``work``: relative path -> (mode, SHA-256 or link target)."""
        entries = {}
        folders = [""]
        while folders:
            folder = folders.pop()
            with os.scandir(self.work / folder) as scan:
                for entry in scan:
                    rel = os.path.join(folder, entry.name)
                    mode = entry.stat(follow_symlinks=False).st_mode
                    digest = ""
                    if stat.S_ISREG(mode):
                        with open(entry.path, "rb") as stream:
                            digest = hashlib.sha256(stream.read()).hexdigest()
                    elif stat.S_ISLNK(mode):
                        digest = "-> " + os.readlink(entry.path)
                    elif stat.S_ISDIR(mode):
                        folders.append(rel)
                    entries[rel] = (mode, digest)
        return entries

    def freeze(self) -> None:
        self.baseline = {}
        for rel, (mode, digest) in self.snapshot().items():
            data = (self.work / rel).read_bytes() if stat.S_ISREG(mode) else None
            self.baseline[rel] = (mode, digest, data)

    def restore(self, current: dict[str, tuple[int, str]]) -> None:
        """Back to the frozen state: new entries removed, changed ones rewritten."""
        for rel in sorted(current, key=lambda p: -p.count(os.sep)):
            if rel in self.baseline and self.baseline[rel][:2] == current[rel]:
                continue
            _remove(self.work / rel)
        for rel in sorted(self.baseline, key=lambda p: p.count(os.sep)):
            mode, digest, data = self.baseline[rel]
            path = self.work / rel
            if current.get(rel) == (mode, digest) and os.path.lexists(path):
                continue
            if stat.S_ISDIR(mode):
                path.mkdir(exist_ok=True)
            elif stat.S_ISFIFO(mode):
                os.mkfifo(path)
            elif stat.S_ISLNK(mode):
                os.symlink(digest[3:], path)
            elif data is not None:
                path.write_bytes(data)
            if not stat.S_ISLNK(mode):
                os.chmod(path, stat.S_IMODE(mode))

    def _files_named(self, argv: Sequence[str], before: dict[str, Any]) -> set[str]:
        """Entries of the folder that ``argv`` names, other than as an output: the run's
        inputs (a folder stands for its files)."""
        outputs = {i for i, _ in _option_positions(argv, (*_OUTPUT_FLAGS, "--resume"))}
        named = set()
        for i, token in enumerate(argv):
            value = token.partition("=")[2] if token.startswith("--") else token
            if not value or i in outputs:
                continue
            rel = self._relative(value)
            if rel is None or rel not in before:
                continue
            for name in (rel, self._relative(os.path.realpath(self.work / rel))):
                if name in before:
                    named.add(name)
                    named.update(p for p in before if p.startswith(name + os.sep))
        return named

    def _relative(self, value: str) -> str | None:
        root = os.path.realpath(self.work)
        try:
            rel = os.path.relpath(os.path.normpath(os.path.join(root, value)), root)
        except ValueError:  # NUL in the name
            return None
        return None if rel.startswith("..") else rel

    def declared(self, argv: Sequence[str]) -> set[str]:
        """The files the run may write: ``--out``/``--onnx`` (train: also ``--resume``
        and the default ``model.safetensors``; plot: the default ``KIND.png``)."""
        command = argv[0] if argv else ""
        flags = (*_OUTPUT_FLAGS, "--resume") if command == "train" else _OUTPUT_FLAGS
        values = _option_values(argv, flags)
        if command == "train":
            values.append("model.safetensors")
        if command == "plot":  # the kind is a positional anywhere among the options
            kinds = [a for a in argv[1:] if isinstance(a, str) and a.lower() in cli.PLOT_KINDS]
            values += [name for kind in kinds for name in (f"{kind}.png", f"{kind.lower()}.png")]
        declared = set()
        for value in values:
            rel = self._relative(value) if value else None
            if rel is not None:
                declared.add(rel)
                with contextlib.suppress(OSError, ValueError):
                    real = self._relative(os.path.realpath(self.work / value))
                    if real is not None:
                        declared.add(real)
        return declared

    # ---------------------------------------------------------------- one run
    def run(self, argv: Sequence[object], recipe: str = "",
            fault: Fault | None = None) -> int | None:
        """Run ``main(argv)``, check the contract, restore the folder; ``fault`` makes an
        ``os`` function fail once during the run."""
        argv = [str(a) for a in argv]
        before = self.snapshot()
        code: Any = None
        escaped = None
        sigint = signal.getsignal(signal.SIGINT)
        previous = signal.signal(signal.SIGALRM, _alarm) if ALARM else None
        if ALARM:
            signal.alarm(RUN_TIMEOUT_S)
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught, injected(fault):
            warnings.simplefilter("always")
            try:
                code = cli.main(argv)
            except BaseException:  # the contract: nothing escapes main
                escaped = traceback.format_exc()
            finally:
                if ALARM:
                    signal.alarm(0)
                    signal.signal(signal.SIGALRM, previous)
        seconds = time.perf_counter() - started
        out, err = self.capsys.readouterr()
        after = self.snapshot()
        self.runs += 1
        self.codes[code] += 1

        problems = []
        if signal.getsignal(signal.SIGINT) is not sigint:
            problems.append(f"main() left SIGINT handled by {signal.getsignal(signal.SIGINT)}")
            signal.signal(signal.SIGINT, sigint)
        if fault is not None and fault.fired:
            problems += fault.verdict(code)
        if escaped is not None:
            problems.append("an exception escaped main():\n" + escaped.rstrip())
        elif type(code) is not int or code not in ALLOWED_CODES:
            problems.append(f"exit status {code!r}, expected 0, 1, 2 or 130")
        for stream, text in (("stdout", out), ("stderr", err)):
            if "Traceback" in text:
                problems.append(f"'Traceback' on {stream}")
        shown = [f"{w.category.__name__}: {w.message}" for w in caught
                 if not issubclass(w.category, SILENT_WARNINGS)]
        lines = err.splitlines() + shown
        if code == 2 and len(lines) > 1:
            problems.append(f"{len(lines)} lines on stderr with exit status 2 (at most 1)"
                            + (f", counting warnings {shown}" if shown else ""))
        changed = sorted(p for p in before.keys() | after.keys()
                         if before.get(p) != after.get(p))
        inputs = self._files_named(argv, before)
        declared = self.declared(argv)
        data_sets = {rel for rel in inputs if stat.S_ISDIR(before[rel][0])}
        for rel in changed:
            what = ("appeared" if rel not in before else "disappeared" if rel not in after
                    else "changed")
            folder, name = os.path.split(rel)
            if rel in inputs:
                problems.append(f"the input {rel!r} {what}")
            elif folder in data_sets and name in IDX_NAMES:
                problems.append(f"{rel!r} {what} in the input folder {folder!r}, where the IDX "
                                "reader finds it first: the data set is replaced")
            elif rel not in declared:
                problems.append(f"{rel!r} {what}, but is not the declared output")
            elif code == 2 and fault is None:
                self.notes.append(f"exit 2 but the output {rel!r} {what}: "
                                  f"{shlex.join(argv)}")
            elif fault is not None and fault.fired and code != 0 and fault.single_write:
                problems.append(f"the output {rel!r} {what} although writing it failed")
            elif argv[0] == "train" and rel in after and stat.S_ISREG(after[rel][0]):
                try:
                    nf.load(self.work / rel)
                except Exception as error:  # a partial model file
                    problems.append(f"the output {rel!r} does not load: {error}")
        if not stat.S_ISCHR(os.stat("/dev/null").st_mode):
            problems.append("/dev/null is no longer a character device")
        if LOG:
            with open(LOG, "a", encoding="utf-8") as log:
                log.write(json.dumps({"test": self.name, "argv": argv, "input": recipe,
                                      "code": code, "seconds": round(seconds, 3),
                                      "stderr": err[:2000],
                                      "stdout": out[:200], "problems": problems}) + "\n")
        if problems:
            text = (f"argv: {shlex.join(argv)}\ninput: {recipe or '-'}\nexit status: {code!r}\n"
                    f"stdout: {_clip(out)}\nstderr: {_clip(err)}\n"
                    + "\n".join(f"PROBLEM: {p}" for p in problems))
            self.violations.append(text)
        self.restore(after)
        return code

    # ---------------------------------------------------------------- verdict
    def check(self, minimum_runs: int = 0, minimum_inputs: int = 0, *,
              known_bugs_pass: bool = True) -> None:
        """Fail on any broken contract, or when fewer runs or inputs than asked were
        made."""
        if STATS:
            with self.capsys.disabled():
                print(f"\n[{self.name}] runs {self.runs}, inputs {self.inputs}, exit statuses "
                      f"{dict(sorted(self.codes.items(), key=str))}, violations "
                      f"{len(self.violations)}, known bugs "
                      f"{ {key: len(found) for key, found in self.known.items()} }")
                for note in self.notes[:20]:
                    print(f"  note: {note}")
                for violation in self.violations + sum(self.known.values(), []):
                    lines = violation.splitlines()
                    print("  VIOLATION " + " | ".join(lines[:2] + [lines[-1]])[:400])
        violations = list(self.violations)
        if not known_bugs_pass:
            violations += sum(self.known.values(), [])
        shown = "\n\n".join(violations[:12])
        assert not violations, (
            f"{len(violations)} of {self.runs} runs broke the CLI contract "
            f"(first {min(12, len(violations))}):\n\n{shown}")
        assert self.runs >= minimum_runs, (self.runs, minimum_runs)
        assert self.inputs >= minimum_inputs, (self.inputs, minimum_inputs)


#: Contract violations the fuzzing found that are not fixed yet: each has a test below
#: marked ``xfail(strict=True)`` that reproduces it, and the fuzz tests let exactly that
#: signature pass (counting it), so that they keep guarding everything else. When a bug
#: is fixed, its xfail test passes, fails as strict, and the entry here goes.
#: Contract violations the fuzz loops found, kept as documentation: each has a test below
#: that reproduced it and now checks its fix. No violation is tolerated any more.
FOUND_BUGS = {
    "npy-header-token-error":
        "a .npy header that Python's tokenizer cannot finish (cut short by its length "
        "field, or a stray bracket) makes numpy raise tokenize.TokenError, which "
        "neuroflow.datasets.npy does not catch (it catches ValueError): a traceback",
    "output-replaces-idx-data":
        "train --data FOLDER --out FOLDER/train-images-idx3-ubyte.gz (or any IDX name the "
        "reader prefers to the existing file: NAME.gz beside NAME) is accepted: the model "
        "is written where the MNIST reader then finds it first, so the data set is "
        "silently replaced (the next train/evaluate --data FOLDER fails: bad IDX magic)",
    "oserror-name-with-newline":
        "an OSError that names its file (File name too long, from pathlib's exists/is_dir "
        "on an INPUT or --data path) is printed as 'FILENAME: REASON' with the name raw, "
        "so a name holding a newline puts 2 lines on stderr with exit status 2",
    "format-1-warning-and-error":
        "a model file of format 1.x is read with a ModelFileWarning, printed by Python's "
        "warnings module on stderr (2 lines), and then refused for another defect: "
        "3 lines on stderr with exit status 2",
}


@dataclass
class Fault:
    """``os.NAME`` fails on its ``nth`` call in a run: ``error`` is raised, or for
    ``"SIGINT"`` the process sends itself SIGINT (Ctrl-C) and the call goes on. Counted
    are the calls on the command's files: for ``fsync`` those of a file, not of a folder
    (whose failure after the rename only costs durability); for ``stat`` those of a path
    in the working folder (not Python's own look-ups, such as argparse's translations)."""

    name: str
    nth: int
    error: str  # "SIGINT", "KeyboardInterrupt", "MemoryError", "ENOSPC" or "EIO"
    single_write: bool  # the command writes its output once (so atomically or not at all)
    fired: bool = False

    def raise_it(self) -> None:
        self.fired = True
        if self.error == "SIGINT":
            signal.raise_signal(signal.SIGINT)
        elif self.error == "KeyboardInterrupt":
            raise KeyboardInterrupt
        elif self.error == "MemoryError":
            raise MemoryError
        else:
            number = getattr(errno, self.error)
            raise OSError(number, os.strerror(number))

    def verdict(self, code: Any) -> list[str]:
        expected = {"SIGINT": (130,), "KeyboardInterrupt": (130,)}.get(self.error, (2,))
        if code in expected:
            return []
        return [f"{self.error} in os.{self.name} call {self.nth}: exit status {code!r}, "
                f"expected {' or '.join(map(str, expected))}"]


@contextlib.contextmanager
def injected(fault: Fault | None):
    if fault is None:
        yield
        return
    original = getattr(os, fault.name)
    calls = 0

    def counts(target: Any) -> bool:
        if fault.name == "fsync":
            return not stat.S_ISDIR(os.fstat(target).st_mode)
        if fault.name == "stat" and isinstance(target, (str, os.PathLike)):
            path = os.fspath(target)
            return not os.path.isabs(path) or path.startswith(os.getcwd())
        return fault.name != "stat"

    def failing(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        if counts(args[0]):
            calls += 1
            if calls == fault.nth:
                fault.raise_it()
        return original(*args, **kwargs)

    setattr(os, fault.name, failing)
    try:
        yield
    finally:
        setattr(os, fault.name, original)


def _clip(text: str, limit: int = 600) -> str:
    return repr(text if len(text) <= limit else text[:limit // 2] + " ... " + text[-limit // 2:])


def _remove(path: Path) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _fifo(path: Path) -> bool:
    try:
        os.mkfifo(path)
    except (OSError, AttributeError):
        return False
    return True


# ============================================================================ byte mutations
def mutate_bytes(rng: np.random.Generator, data: bytes, count: int | None = None,
                 start: int = 0) -> tuple[bytes, list[str]]:
    """``data`` after 1-3 random edits at or after ``start``: truncation, bit flips, byte
    sets, insertions, deletions, duplications, garbage appended."""
    buffer = bytearray(data)
    steps = []
    for _ in range(count or int(rng.integers(1, 4))):
        op = rng.choice(["truncate", "flip", "flip", "set", "insert", "delete", "duplicate",
                         "append"])
        low = min(start, len(buffer))
        at = int(rng.integers(low, len(buffer) + 1))
        if op == "truncate":
            del buffer[at:]
        elif op == "flip" and at < len(buffer):
            bit = 1 << int(rng.integers(8))
            buffer[at] ^= bit
            op = f"flip bit {bit:#x}"
        elif op == "set" and at < len(buffer):
            value = int(rng.choice([0, 0xFF, 0x7F, 0x80, int(rng.integers(256))]))
            buffer[at] = value
            op = f"set {value:#x}"
        elif op == "insert":
            chunk = bytes(rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8))
            buffer[at:at] = chunk
            op = f"insert {chunk.hex()}"
        elif op == "delete":
            size = int(rng.integers(1, 33))
            del buffer[at:at + size]
            op = f"delete {size}"
        elif op == "duplicate":
            size = int(rng.integers(1, 65))
            buffer[at:at] = buffer[at:at + size]
            op = f"duplicate {size}"
        else:
            chunk = bytes(rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8))
            buffer += chunk
            op, at = "append", len(buffer) - len(chunk)
        steps.append(f"{op}@{at}")
    return bytes(buffer), steps


def choice(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


# ============================================================================ seeds
def write_idx(path: Path, array: np.ndarray, code: int = 0x08) -> None:
    path.write_bytes(idx_bytes(array, code))


IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + struct.pack(">" + "I" * array.ndim,
                                                           *array.shape)
    return header + np.asarray(array).astype(IDX_TYPES.get(code, ">u1")).tobytes()


def digit(rng: np.random.Generator | None = None) -> np.ndarray:
    image = np.zeros((28, 28), dtype=np.uint8)
    image[5:8, 6:22] = 255
    for row in range(8, 23):
        image[row, 20 - (row - 8) // 2:23 - (row - 8) // 2] = 255
    if rng is not None:
        image = np.clip(image + rng.integers(0, 60, image.shape), 0, 255).astype(np.uint8)
    return image


def png_bytes(array: np.ndarray, mode: str = "L", fmt: str = "PNG", **options: Any) -> bytes:
    from PIL import Image

    image = Image.fromarray(array.astype(np.uint8), "L")
    if mode != "L":
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _table_rows(rng: np.random.Generator, n: int, width: int) -> list[list[str]]:
    return [[f"{v:.4f}" for v in rng.normal(size=width)] for _ in range(n)]


def _run_quietly(argv: Sequence[object]) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main([str(a) for a in argv])
    assert code == 0, argv


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> Path:
    """Valid files every test starts from: models (4-3-2 saved by nf.save after one epoch;
    784-4-10, a CSV classifier with feature and class names and a CSV regressor, trained
    by ``neuroflow train``), a 20-image IDX folder, CSV rows, images, a .npy array, and
    broken files and folders whose names hold a newline."""
    folder = tmp_path_factory.mktemp("seeds")
    rng = np.random.default_rng(20240601)
    idx = folder / "idx"
    idx.mkdir()
    for split, n in (("train", 20), ("t10k", 10)):
        write_idx(idx / f"{split}-images-idx3-ubyte",
                  (rng.random((n, 28, 28)) * 255).astype(np.uint8))
        write_idx(idx / f"{split}-labels-idx1-ubyte", np.arange(n) % 10)
    x = rng.normal(size=(30, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    net = nf.Network.from_sizes([4, 3, 2], seed=0)
    net.fit(x, y, epochs=1, batch_size=8, verbose=0)
    nf.save(net, folder / "m43.safetensors")
    header = "a,b,c,d"
    (folder / "rows4.csv").write_text("".join(",".join(r) + "\n" for r in _table_rows(rng, 5, 4)))
    (folder / "pets_x.csv").write_text(
        header + "\n" + "".join(",".join(r) + "\n" for r in _table_rows(rng, 5, 4)))
    (folder / "m43_eval.csv").write_text(
        header + ",y\n" + "".join(",".join(f"{v:.4f}" for v in row) + f",{label}\n"
                                  for row, label in zip(x, y)))
    (folder / "pets.csv").write_text(
        header + ",animal\n" + "".join(",".join(f"{v:.4f}" for v in row)
                                       + (",dog\n" if label else ",cat\n")
                                       for row, label in zip(x, y)))
    prices = rng.normal(size=(30, 2))
    (folder / "prices.csv").write_text(
        "a,b,price\n" + "".join(f"{p:.4f},{q:.4f},{2 * p - q + 0.5:.4f}\n" for p, q in prices))
    (folder / "prices_x.csv").write_text(
        "a,b\n" + "".join(f"{p:.4f},{q:.4f}\n" for p, q in prices[:4]))
    (folder / "digit.png").write_bytes(png_bytes(digit()))
    (folder / "digits").mkdir()
    (folder / "digits" / "one.png").write_bytes(png_bytes(digit()))
    (folder / "digits" / "two.bmp").write_bytes(png_bytes(255 - digit(), fmt="BMP"))
    (folder / "sub").mkdir()
    np.save(folder / "x4.npy", rng.normal(size=(3, 4)))
    _run_quietly(["train", "--data", idx, "--layers", "784,4,10", "--epochs", "1",
                  "--batch-size", "8", "--quiet", "--out", folder / "m784.safetensors"])
    _run_quietly(["train", "--data", folder / "pets.csv", "--target", "animal", "--layers",
                  "4,3,2", "--epochs", "1", "--batch-size", "8", "--quiet", "--out",
                  folder / "pets.safetensors"])
    _run_quietly(["train", "--data", folder / "prices.csv", "--target", "price", "--layers",
                  "2,3,1", "--epochs", "1", "--batch-size", "8", "--quiet", "--out",
                  folder / "reg.safetensors"])
    shutil.copy(folder / "m784.safetensors", folder / "resume_idx.safetensors")
    shutil.copy(folder / "pets.safetensors", folder / "resume_csv.safetensors")
    data = (folder / "m43.safetensors").read_bytes()
    (folder / "broken.safetensors").write_bytes(data[:len(data) // 2])
    # names with a newline: a message that prints them raw takes two lines
    (folder / "bad\nname.safetensors").write_bytes(data[:len(data) // 2])
    (folder / "bad\nname.csv").write_bytes(b"a,b,c,d\n1,2,x,4\n")
    (folder / "bad\nname.npy").write_bytes(b"\x93NUMPY junk")
    (folder / "bad\nname.png").write_bytes(b"\x89PNG junk")
    shutil.copytree(idx, folder / "good\nidx")
    shutil.copytree(idx, folder / "bad\nidx")
    (folder / "bad\nidx" / "train-images-idx3-ubyte").write_bytes(b"\0\0\x08\x03junk")
    return folder


#: Symbolic links of every working folder: outputs are written through them, so one that
#: leads to an input must be refused.
LINKS = {"link_rows.csv": "rows4.csv", "link_model.safetensors": "m43.safetensors",
         "dangling.safetensors": "nowhere/x.safetensors", "link_sub": "sub",
         "link_null.png": "/dev/null", "link_null.onnx": "/dev/null", "link_idx": "idx"}


@pytest.fixture
def fuzzer(request, seeds, tmp_path, monkeypatch, capsys) -> Fuzzer:
    """A working folder holding a copy of the seeds, FIFOs and :data:`LINKS`, as the
    current folder."""
    work = tmp_path / "work"
    shutil.copytree(seeds, work)
    for name in ("pipe.csv", "pipe.safetensors", "pipe.onnx", "pipe.png"):
        _fifo(work / name)
    for name, target in LINKS.items():
        os.symlink(target, work / name)
    monkeypatch.chdir(work)
    capsys.readouterr()
    runner = Fuzzer(capsys, work, request.node.name)
    runner.freeze()
    yield runner
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_the_counts_add_up():
    """The full run makes 2,000 malformed inputs and 500 option combinations or more;
    the tests below each assert that they ran their share."""
    assert sum(n for kind, n in INPUTS.items() if kind != "model-onnx") >= 2000
    assert sum(n for command, n in COMBOS.items() if command not in ("export", "plot")) >= 500


# ============================================================================ CSV
WEIRD_CELLS = [
    "", " ", "NaN", "nan", "-nan", "inf", "-Infinity", "1e400", "-1e400", "1e-400", "3.5e38",
    "-3.5e38", "1e308", "1_000", "0x1F", "1,5", "1;5", '"1"', '"', "'3'", " 3 ", "\t4", "+5",
    ".", "-", "e5", "1e", "1.2.3", "TRUE", "NA", "N/A", "?", "null", "None", "\u0663",
    "\uff11\uff12", "\u00bd", "9" * 400, "1" + "0" * 5000, "\u00e9", "\U0001f642", "\x00",
    "\x00\x00", "\x1b[31m", "\u2028", "1\r2", "1\n2", "=1+1", "cat", "dog", "bird", "0",
    "-0", "1e23", "-1e23", "1.0000000000000000000001", "a\x00b", "\ufeff1",
]
CSV_KINDS = {  # seed table: (header, width of the features, target)
    "rows4": (None, 4, None),
    "pets_x": (["a", "b", "c", "d"], 4, None),
    "pets": (["a", "b", "c", "d", "animal"], 4, "animal"),
    "m43_eval": (["a", "b", "c", "d", "y"], 4, "y"),
    "prices": (["a", "b", "price"], 2, "price"),
}


def csv_table(rng: np.random.Generator, kind: str) -> tuple[list[str] | None,
                                                             list[list[str]]]:
    header, width, target = CSV_KINDS[kind]
    n = int(rng.integers(3, 26))
    rows = _table_rows(rng, n, width)
    for row in rows:
        if target == "animal":
            row.append(choice(rng, ["cat", "dog"]))
        elif target == "y":
            row.append(choice(rng, ["0", "1"]))
        elif target == "price":
            row.append(f"{rng.normal() * 3:.4f}")
    if kind == "m43_eval" and rng.random() < 0.3:
        header = None
    return (list(header) if header else None), rows


def mutate_table(rng: np.random.Generator, header: list[str] | None, rows: list[list[str]]
                 ) -> tuple[list[str] | None, list[list[str]], list[str]]:
    steps = []
    for _ in range(int(rng.integers(1, 4))):
        op = choice(rng, ["cell", "cell", "cell", "ragged", "header", "rows", "label"])
        if op == "cell" and rows:
            if header is not None and rng.random() < 0.15:
                column = int(rng.integers(len(header)))
                header[column] = choice(rng, WEIRD_CELLS)
                steps.append(f"header[{column}]={header[column]!r:.40}")
            else:
                row = int(rng.integers(len(rows)))
                if rows[row]:
                    column = int(rng.integers(len(rows[row])))
                    rows[row][column] = choice(rng, WEIRD_CELLS)
                    steps.append(f"row {row} col {column}={rows[row][column]!r:.40}")
        elif op == "ragged" and rows:
            row = int(rng.integers(len(rows)))
            if rng.random() < 0.5 and rows[row]:
                rows[row].pop()
                steps.append(f"row {row} one cell short")
            else:
                rows[row].append(f"{rng.normal():.3f}")
                steps.append(f"row {row} one cell long")
        elif op == "header":
            sub = choice(rng, ["drop", "numbers", "duplicate", "rename", "reorder", "extra",
                               "remove", "empty-name", "only", "spaces", "upper"])
            width = len(header) if header else (len(rows[0]) if rows else 0)
            if sub == "drop":
                header = None
            elif sub == "numbers":
                header = [str(i) for i in range(width)]
            elif sub == "only":
                rows = []
            elif header and width:
                column = int(rng.integers(width))
                if sub == "duplicate":
                    header[column] = header[(column + 1) % width]
                elif sub == "rename":
                    header[column] = choice(rng, ["z", "A", "a ", "animal", "price", "y"])
                elif sub == "reorder":
                    order = rng.permutation(width)
                    header = [header[i] for i in order]
                    rows = [[r[i] if i < len(r) else "" for i in order] for r in rows]
                elif sub == "extra":
                    header.append("extra")
                    rows = [r + [f"{rng.normal():.2f}"] for r in rows]
                elif sub == "remove":
                    header.pop(column)
                    rows = [r[:column] + r[column + 1:] for r in rows]
                elif sub == "empty-name":
                    header[column] = ""
                elif sub == "spaces":
                    header = [f" {h} " for h in header]
                else:
                    header = [h.upper() for h in header]
            steps.append(f"header {sub}")
        elif op == "rows":
            sub = choice(rng, ["none", "one", "many", "wide", "blank", "whitespace"])
            if sub == "none":
                rows = []
            elif sub == "one":
                rows = rows[:1]
            elif sub == "many":
                rows = rows * 40
            elif sub == "wide":
                rows = [r + [f"{v:.2f}" for v in rng.normal(size=300)] for r in rows]
            elif sub == "blank" and rows:
                rows.insert(int(rng.integers(len(rows) + 1)), [])
            elif sub == "whitespace" and rows:
                rows.insert(int(rng.integers(len(rows) + 1)), ["  "])
            steps.append(f"rows {sub}")
        elif op == "label" and rows:
            value = choice(rng, ["bird", "", "Cat", "1.5", "nan", "2", "-1", "cat ", "10"])
            if rng.random() < 0.3:
                for r in rows:
                    if r:
                        r[-1] = value
                steps.append(f"every label={value!r}")
            else:
                row = int(rng.integers(len(rows)))
                if rows[row]:
                    rows[row][-1] = value
                    steps.append(f"label row {row}={value!r}")
    return header, rows, steps


def serialize_csv(rng: np.random.Generator, header: list[str] | None,
                  rows: list[list[str]]) -> tuple[bytes, str, list[str]]:
    """Bytes of a table in a random dialect and encoding; the delimiter used."""
    steps = []
    delimiter = choice(rng, [",", ",", ",", ",", ",", ";", "\t", "|", " "])
    quote = rng.random() < 0.12
    eol = choice(rng, ["\n"] * 6 + ["\r\n", "\r"])
    lines = [delimiter.join(f'"{c}"' if quote else c for c in cells)
             for cells in ([header] if header is not None else []) + rows]
    text = eol.join(lines) + (eol if rng.random() < 0.9 else "")
    if rng.random() < 0.04 and text:
        at = int(rng.integers(len(text)))
        text = text[:at] + '"' + text[at:]
        steps.append("unbalanced quote")
    encoding = choice(rng, ["utf-8"] * 10 + ["utf-8-sig", "utf-16", "utf-16-le", "utf-32",
                                             "latin-1", "cp1252"])
    data = text.encode(encoding, errors="replace")
    if delimiter != ",":
        steps.append(f"delimiter {delimiter!r}")
    if quote:
        steps.append("quoted")
    if eol != "\n":
        steps.append(f"eol {eol!r}")
    if encoding != "utf-8":
        steps.append(encoding)
    if rng.random() < 0.3:
        data, more = mutate_bytes(rng, data)
        steps += more
    return data, delimiter, steps


def csv_options(rng: np.random.Generator, delimiter: str) -> list[str]:
    options = []
    if delimiter != "," and rng.random() < 0.5:
        options += ["--delimiter", {"\t": "tab", " ": "space"}.get(delimiter, delimiter)]
    draw = rng.random()
    if draw < 0.1:
        options.append("--header")
    elif draw < 0.2:
        options.append("--no-header")
    return options


def csv_case(i: int) -> tuple[list[str], dict[str, bytes], str]:
    """CSV input ``i``: the command line, the files to write and the recipe."""
    rng = np.random.default_rng((1, i))
    kind = choice(rng, list(CSV_KINDS))
    header, rows = csv_table(rng, kind)
    header, rows, steps = mutate_table(rng, header, rows)
    data, delimiter, more = serialize_csv(rng, header, rows)
    name = "in" + choice(rng, [".csv"] * 12 + [".txt", ".CSV", ".tsv"])
    train = ["--epochs", "1", "--batch-size", "8", "--quiet", "--out", "out.safetensors"]
    if kind == "rows4":
        argv = ["predict", "m43.safetensors", name]
    elif kind == "pets_x":
        argv = ["predict", "pets.safetensors", name]
    elif kind == "m43_eval":
        argv = ["evaluate", "m43.safetensors", "--data", name, "--target",
                choice(rng, ["y", "4", "-1"])]
    elif kind == "pets":
        argv = (["train", "--data", name, "--target", "animal", *train]
                if rng.random() < 0.35 else
                ["evaluate", "pets.safetensors", "--data", name, "--target", "animal"])
    elif rng.random() < 0.35:
        argv = ["train", "--data", name, "--target", "price", *train]
        if rng.random() < 0.3:
            argv += ["--task", "regression"]
    else:
        argv = ["evaluate", "reg.safetensors", "--data", name, "--target", "price"]
    argv += csv_options(rng, delimiter)
    recipe = f"csv_case({i}), seed {kind}: {'; '.join(steps + more)}; bytes {data[:80]!r}"
    return argv, {name: data}, recipe


def write_files(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = Path(name)
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)


def test_fuzz_csv_inputs(fuzzer):
    for i in cases(INPUTS["csv"]):
        argv, files, recipe = csv_case(i)
        write_files(files)
        fuzzer.inputs += 1
        fuzzer.run(argv, recipe)
    fuzzer.check(share(INPUTS["csv"]), share(INPUTS["csv"]))


# ============================================================================ images
IMAGE_MODES = {"PNG": ["L", "L", "RGB", "RGBA", "LA", "P", "1", "I", "I;16"],
               "JPEG": ["L", "RGB", "CMYK"], "BMP": ["L", "RGB", "1", "P"],
               "GIF": ["L", "P", "1"]}


def image_seed(rng: np.random.Generator) -> tuple[bytes, str, str]:
    fmt = choice(rng, list(IMAGE_MODES))
    mode = choice(rng, IMAGE_MODES[fmt])
    size = choice(rng, [(28, 28)] * 8 + [(27, 28), (1, 1), (56, 56), (28, 1), (120, 90)])
    pixels = choice(rng, ["digit", "noise", "white", "black"])
    if pixels == "digit" and size == (28, 28):
        array = digit(rng)
    elif pixels == "white":
        array = np.full(size[::-1], 255, dtype=np.uint8)
    elif pixels == "black":
        array = np.zeros(size[::-1], dtype=np.uint8)
    else:
        array = rng.integers(0, 256, size[::-1]).astype(np.uint8)
    options: dict[str, Any] = {}
    if fmt in ("GIF", "PNG") and rng.random() < 0.15:  # animated
        from PIL import Image

        options = {"save_all": True, "append_images": [Image.fromarray(255 - array, "L")
                                                       .convert(mode)]}
    try:
        data = png_bytes(array, mode, fmt, **options)
    except (OSError, ValueError, KeyError):
        mode, options = "L", {}
        data = png_bytes(array, mode, fmt)
    animated = ", animated" if options else ""
    return data, fmt, f"{fmt} {mode} {size[0]}x{size[1]} {pixels}{animated}"


def _declare_size(data: bytes, fmt: str, width: int, height: int, crc: bool) -> bytes:
    buffer = bytearray(data)
    if fmt == "PNG" and len(buffer) >= 33:
        buffer[16:24] = struct.pack(">II", width, height)
        if crc:
            buffer[29:33] = struct.pack(">I", zlib.crc32(bytes(buffer[12:29])))
    elif fmt == "BMP" and len(buffer) >= 26:
        buffer[18:26] = struct.pack("<ii", min(width, 2**31 - 1), min(height, 2**31 - 1))
    elif fmt == "GIF" and len(buffer) >= 10:
        buffer[6:10] = struct.pack("<HH", width & 0xFFFF, height & 0xFFFF)
    elif fmt == "JPEG":
        at = bytes(buffer).find(b"\xff\xc0")
        if at < 0:
            at = bytes(buffer).find(b"\xff\xc2")
        if at >= 0 and len(buffer) >= at + 9:
            buffer[at + 5:at + 9] = struct.pack(">HH", height & 0xFFFF, width & 0xFFFF)
    return bytes(buffer)


def mutate_image(rng: np.random.Generator, data: bytes, fmt: str) -> tuple[bytes, str, str]:
    """Mutated bytes, the file suffix, and what was done."""
    suffix = {"PNG": ".png", "JPEG": choice(rng, [".jpg", ".jpeg"]), "BMP": ".bmp",
              "GIF": ".gif"}[fmt]
    op = choice(rng, ["truncate", "flip", "flip", "bytes", "size", "size", "suffix", "tail",
                      "empty", "text", "header-only"])
    if op == "truncate":
        at = int(rng.integers(0, len(data)))
        return data[:at], suffix, f"truncated to {at} bytes"
    if op == "flip":
        start = 0 if rng.random() < 0.3 else min(8, len(data))
        data, steps = mutate_bytes(rng, data, start=start)
        return data, suffix, "; ".join(steps)
    if op == "bytes":
        data, steps = mutate_bytes(rng, data, count=int(rng.integers(4, 20)), start=8)
        return data, suffix, "; ".join(steps)
    if op == "size":
        width, height = choice(rng, [(100000, 100000), (2**31 - 1, 1), (0, 0), (28, 0),
                                     (65535, 65535), (29, 28), (28, 2**20), (1 << 32 - 1, 28)])
        crc = rng.random() < 0.7
        return (_declare_size(data, fmt, width, height, crc), suffix,
                f"declared size {width}x{height}{' (CRC fixed)' if crc else ''}")
    if op == "suffix":
        other = choice(rng, [".png", ".jpg", ".bmp", ".gif", ".PNG", ".Jpeg"])
        return data, other, f"named {other}"
    if op == "tail":
        tail = bytes(rng.integers(0, 256, int(rng.integers(1, 4096)), dtype=np.uint8))
        return data + tail, suffix, f"{len(tail)} bytes appended"
    if op == "empty":
        return b"", suffix, "empty file"
    if op == "text":
        return b"this is not an image\n" * 3, suffix, "text"
    return data[:int(rng.integers(8, 40))], suffix, "header only"


def image_case(i: int) -> tuple[list[str], dict[str, bytes], str]:
    rng = np.random.default_rng((2, i))
    data, fmt, recipe = image_seed(rng)
    data, suffix, step = mutate_image(rng, data, fmt)
    options = ["--invert", choice(rng, ["auto", "yes", "no"])] if rng.random() < 0.3 else []
    model = "m784.safetensors" if rng.random() < 0.93 else "m43.safetensors"
    if rng.random() < 0.15:  # a folder of images, one of them broken
        files = {"in_images/ok.png": png_bytes(digit()), f"in_images/bad{suffix}": data}
        target = "in_images"
    else:
        target = f"in{suffix}"
        files = {target: data}
    return (["predict", model, target, *options], files,
            f"image_case({i}): {recipe}, then {step}; bytes {data[:48]!r}")


def test_fuzz_image_inputs(fuzzer):
    for i in cases(INPUTS["image"]):
        argv, files, recipe = image_case(i)
        write_files(files)
        fuzzer.inputs += 1
        fuzzer.run(argv, recipe)
    fuzzer.check(share(INPUTS["image"]), share(INPUTS["image"]))


# ============================================================================ .npy
_unpickled: list[str] = []


def _record_unpickling(tag: str) -> str:
    """Called only if an object array is unpickled; neuroflow must never do that."""
    _unpickled.append(tag)
    return tag


class _Trap:
    def __reduce__(self):
        return (_record_unpickling, ("unpickled",))


NPY_DTYPES = ["<f8", "<f4", "<f2", ">f8", "<i1", "<i2", "<i4", "<i8", "<u1", "<u2", "<u4", "<u8",
              "|b1", "<c8", "<U3", "|S3", "<M8[s]", "<m8[s]", "[('a','<f4'),('b','<f4')]",
              "<f16", "|V4"]
NPY_SHAPES = [(3, 4), (1, 4), (4,), (), (0, 4), (3, 5), (2, 2, 2), (28, 28), (2, 28, 28),
              (1, 784), (784,), (2, 784), (3, 2), (2,), (5, 0)]
DESCRS = ["'|O'", "'<U5'", "'|S3'", "'<c16'", "[('a', '<f4')]", "'<M8[s]'", "'float32'",
          "'xyz'", "''", "'<f16'", "'>i8'", "'|b1'", "'<V8'", "'<f8'", "'<i4'", "1", "None",
          "'<f4' + '<f8'", "[]", "'<f8", "'O'"]
SHAPE_TEXTS = ["(3, 4)", "(-1, 4)", "(4611686018427387904,)", "(2**62,)", "[3, 4]", "3",
               "(3, 4, 5)", "()", "(0,)", "(1e3,)", "(3, -4)", "(99999999, 99999999)",
               "('a',)", "(True,)"]


def npy_seed(rng: np.random.Generator) -> tuple[bytes, str, str]:
    """A valid ``.npy`` (of any dtype), the model to feed it to, and its description."""
    dtype = choice(rng, NPY_DTYPES)
    shape = choice(rng, NPY_SHAPES)
    model = {784: "m784.safetensors", 4: "m43.safetensors"}.get(
        int(np.prod(shape[-1:])) if shape and shape[-1] in (4, 784) else 0,
        "m784.safetensors" if 28 in shape else choice(rng, ["m43.safetensors",
                                                            "pets.safetensors"]))
    if rng.random() < 0.2:
        model = "pets.safetensors"  # preprocessing: integers are values, not pixels
    size = int(np.prod(shape))
    values = choice(rng, ["small", "pixels", "nan", "inf", "huge", "negative", "max"])
    base = {"small": rng.normal(size=size), "pixels": rng.integers(0, 256, size),
            "nan": np.where(rng.random(size) < 0.2, np.nan, 1.0),
            "inf": np.where(rng.random(size) < 0.2, np.inf, 1.0),
            "huge": np.full(size, 1e300), "negative": -rng.integers(1, 300, size),
            "max": np.full(size, 2**63 - 1, dtype=np.int64)}[values]
    descr = np.dtype(ast.literal_eval(dtype) if dtype.startswith("[") else dtype)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            array = np.asarray(base).astype(descr).reshape(shape)
        except (TypeError, ValueError):
            array = np.zeros(shape, dtype=descr)
    if rng.random() < 0.2 and array.ndim >= 2:
        array = np.asfortranarray(array)
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue(), model, f"{descr.str} {shape} {values}"


def mutate_npy(rng: np.random.Generator, data: bytes) -> tuple[bytes, str]:
    op = choice(rng, ["descr", "descr", "shape", "shape", "fortran", "syntax", "hlen",
                      "version", "magic", "truncate", "bytes", "append", "pickle", "npz",
                      "text"])
    if op == "pickle":
        array = np.array([_Trap(), 1.0, "x"], dtype=object)
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=True)
        return buffer.getvalue(), "pickled object array (np.save allow_pickle=True)"
    if op == "npz":
        buffer = io.BytesIO()
        np.savez(buffer, a=np.zeros((2, 4)))
        return buffer.getvalue(), ".npz archive named .npy"
    if op == "text":
        return b"1,2,3,4\n", "text named .npy"
    if op in ("truncate", "bytes", "append"):
        mutated, steps = mutate_bytes(rng, data, start=0 if op == "bytes" else 10)
        if op == "truncate":
            at = int(rng.integers(0, len(data)))
            return data[:at], f"truncated to {at} bytes"
        if op == "append":
            return data + b"\0" * int(rng.integers(1, 64)), "trailing bytes"
        return mutated, "; ".join(steps)
    if op == "magic":
        at = int(rng.integers(0, 6))
        return data[:at] + b"\x00" + data[at + 1:], f"magic byte {at} zeroed"
    if op == "version":
        major, minor = choice(rng, [(2, 0), (3, 0), (0, 0), (9, 9), (1, 1), (255, 255)])
        return data[:6] + bytes([major, minor]) + data[8:], f"version {major}.{minor}"
    if op == "hlen":
        value = int(choice(rng, [0, 1, 10, 65535, 118, 200, int(rng.integers(0, 65536))]))
        return data[:8] + struct.pack("<H", value) + data[10:], f"header length {value}"
    header_len = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + header_len].decode("latin-1")
    body = data[10 + header_len:]
    if op == "descr":
        new = choice(rng, DESCRS)
        header = re.sub(r"'descr': [^,]*(?:\)\])?,", f"'descr': {new},", header, count=1)
        what = f"descr {new}"
    elif op == "shape":
        new = choice(rng, SHAPE_TEXTS)
        header = re.sub(r"'shape': \([^)]*\)", f"'shape': {new}", header, count=1)
        what = f"shape {new}"
    elif op == "fortran":
        new = choice(rng, ["True", "1", "'yes'", "None"])
        header = header.replace("'fortran_order': False", f"'fortran_order': {new}")
        what = f"fortran_order {new}"
    else:
        at = int(rng.integers(0, max(1, len(header) - 1)))
        header = header[:at] + choice(rng, ["{", "}", "'", "(", ",", "\x00", ""]) + header[at + 1:]
        what = f"header syntax broken at {at}"
    raw = header.encode("latin-1", errors="replace")
    if len(raw) < header_len:  # keep the documented padding (ends in a newline)
        raw = raw.rstrip(b"\n") + b" " * (header_len - len(raw)) + b"\n"
    return data[:8] + struct.pack("<H", len(raw)) + raw + body, what


def npy_case(i: int) -> tuple[list[str], dict[str, bytes], str]:
    rng = np.random.default_rng((3, i))
    data, model, recipe = npy_seed(rng)
    step = "unchanged"
    if rng.random() < 0.85:
        data, step = mutate_npy(rng, data)
    return (["predict", model, "in.npy"], {"in.npy": data},
            f"npy_case({i}): {recipe}, then {step}; bytes {data[:100]!r}")


def test_fuzz_npy_inputs(fuzzer):
    _unpickled.clear()
    for i in cases(INPUTS["npy"]):
        argv, files, recipe = npy_case(i)
        write_files(files)
        fuzzer.inputs += 1
        fuzzer.run(argv, recipe)
    assert not _unpickled, "neuroflow unpickled an object array from a .npy file"
    fuzzer.check(share(INPUTS["npy"]), share(INPUTS["npy"]))


# ============================================================================ IDX folders
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte")
#: The names the MNIST reader looks for in a --data folder (gzip first, then plain, then
#: the ``.idx`` spelling): a file of one of these names written into the folder becomes
#: the data set.
IDX_NAMES = {name for stem in IDX_FILES
             for name in (stem + ".gz", stem, stem.replace("-idx", ".idx"))}


def idx_folder(rng: np.random.Generator, folder: Path) -> str:
    """A mutated copy of the 20-image IDX seed in ``folder``; what was done."""
    arrays = {name: None for name in IDX_FILES}
    rows = {"train": 20, "t10k": 10}
    contents = {}
    for name in IDX_FILES:
        split = name.split("-")[0]
        n = rows[split]
        array = ((rng.random((n, 28, 28)) * 255).astype(np.uint8) if "images" in name
                 else np.arange(n) % 10)
        arrays[name] = array
        contents[name] = idx_bytes(array)
    steps = []
    names = dict.fromkeys(IDX_FILES, None)
    for _ in range(int(rng.integers(1, 3))):
        name = choice(rng, IDX_FILES)
        array = arrays[name]
        data = contents[name]
        op = choice(rng, ["magic", "dims", "dims", "length", "labels", "dtype", "shape",
                          "count", "gzip", "missing", "directory", "empty", "flip", "rename",
                          "symlink", "fifo", "zero"])
        if op == "magic":
            at = int(rng.integers(4))
            value = int(choice(rng, [1, 0x07, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0xFF, 0, 2, 4, 255]))
            data = data[:at] + bytes([value]) + data[at + 1:]
            steps.append(f"{name}: magic byte {at} = {value:#x}")
        elif op == "dims":
            ndim = data[3]
            at = int(rng.integers(ndim)) if ndim else 0
            value = int(choice(rng, [0, 1, 19, 21, 27, 29, 2**31, 2**32 - 1, 60000, 784]))
            data = data[:4 + 4 * at] + struct.pack(">I", value) + data[8 + 4 * at:]
            steps.append(f"{name}: dimension {at} = {value}")
        elif op == "length":
            k = int(rng.integers(1, 100))
            data = data[:-k] if rng.random() < 0.5 else data + b"\x07" * k
            steps.append(f"{name}: length changed by {k}")
        elif op == "labels":
            split = name.split("-")[0]
            label_name = f"{split}-labels-idx1-ubyte"
            labels = np.array(arrays[label_name])
            value = int(choice(rng, [10, 11, 255, 9, 0]))
            if rng.random() < 0.3:
                labels[:] = value
            else:
                labels[int(rng.integers(len(labels)))] = value
            code = int(choice(rng, [0x08, 0x08, 0x0C, 0x0D, 0x09]))
            if code == 0x0C and rng.random() < 0.5:
                labels = labels.astype(np.int64) - 2**31 + 5
            name, data = label_name, idx_bytes(labels, code)
            steps.append(f"{name}: labels {value} (type {code:#x})")
        elif op == "dtype":
            split = name.split("-")[0]
            image_name = f"{split}-images-idx3-ubyte"
            code = int(choice(rng, [0x09, 0x0B, 0x0C, 0x0D, 0x0E]))
            values = choice(rng, ["pixels", "nan", "inf", "huge", "negative"])
            images = arrays[image_name].astype(np.float64)
            if values == "nan":
                images.flat[int(rng.integers(images.size))] = np.nan
            elif values == "inf":
                images.flat[int(rng.integers(images.size))] = np.inf
            elif values == "huge":
                images *= 1e30
            elif values == "negative":
                images -= 300
            with np.errstate(all="ignore"):
                name, data = image_name, idx_bytes(images, code)
            steps.append(f"{name}: element type {code:#x}, {values}")
        elif op == "shape":
            new = choice(rng, [array.reshape(len(array), -1) if array.ndim > 1 else
                               array.reshape(-1, 1),
                               array[..., :27] if array.ndim > 1 else array[:, None],
                               array[..., None], array.reshape(-1)])
            data = idx_bytes(new)
            steps.append(f"{name}: shape {new.shape}")
        elif op == "count":
            k = int(choice(rng, [0, 1, len(array) - 1, len(array) + 1]))
            new = (np.resize(array, (k, *array.shape[1:])) if k else array[:0])
            data = idx_bytes(new)
            steps.append(f"{name}: {k} items")
        elif op == "gzip":
            packed = gzip.compress(data)
            sub = choice(rng, ["valid", "truncated", "flipped", "both"])
            if sub == "truncated":
                packed = packed[:int(rng.integers(2, len(packed)))]
            elif sub == "flipped":
                packed, _ = mutate_bytes(rng, packed, start=10)
            if sub == "both":
                contents[name + "-plain"] = data
            names[name] = name + ".gz"
            data = packed
            steps.append(f"{name}: gzip {sub}")
        elif op == "rename":
            names[name] = choice(rng, [name.replace("-idx", ".idx"), name.upper(), name + ".bin",
                                       name.replace("ubyte", "ubyte ")])
            steps.append(f"{name}: renamed {names[name]!r}")
        elif op in ("missing", "directory", "empty", "symlink", "fifo", "zero"):
            names[name] = f"{op}:{names[name] or name}"
            steps.append(f"{name}: {op}")
        else:
            data, more = mutate_bytes(rng, data)
            steps.append(f"{name}: {'; '.join(more)}")
        contents[name] = data
    folder.mkdir()
    for name in IDX_FILES:
        target = names[name] or name
        kind, _, real = target.partition(":") if ":" in target else ("file", "", target)
        path = folder / real
        if kind == "missing":
            continue
        if kind == "directory":
            path.mkdir()
        elif kind == "empty":
            path.write_bytes(b"")
        elif kind == "symlink":
            os.symlink("/dev/zero", path)
        elif kind == "zero":
            os.symlink("/dev/null", path)
        elif kind == "fifo":
            if not _fifo(path):
                path.write_bytes(b"")
        else:
            path.write_bytes(contents[name])
        if name + "-plain" in contents:
            (folder / name).write_bytes(contents[name + "-plain"])
    return "; ".join(steps)


def idx_case(i: int, folder: Path) -> tuple[list[str], str]:
    """IDX input ``i``, written to ``folder``: the command line and the recipe."""
    rng = np.random.default_rng((4, i))
    recipe = idx_folder(rng, folder)
    draw = rng.random()
    if draw < 0.45:
        argv = ["train", "--data", str(folder), "--layers", "784,4,10", "--epochs", "1",
                "--batch-size", "8", "--quiet", "--out", "out.safetensors"]
    elif draw < 0.9:
        argv = ["evaluate", "m784.safetensors", "--data", str(folder)]
    else:
        argv = ["explain", "m784.safetensors", "--data", str(folder), "--sample",
                str(int(rng.integers(0, 12)))]
    return argv, f"idx_case({i}): {recipe}"


def test_fuzz_idx_folders(fuzzer):
    for i in cases(INPUTS["idx"]):
        argv, recipe = idx_case(i, Path("in_idx"))
        fuzzer.inputs += 1
        fuzzer.run(argv, recipe)
    fuzzer.check(share(INPUTS["idx"]), share(INPUTS["idx"]))


# ============================================================================ model files
ST_DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I8": "<i1", "I16": "<i2",
             "I32": "<i4", "I64": "<i8", "U8": "<u1", "U16": "<u2", "U32": "<u4",
             "U64": "<u8", "BOOL": "|b1"}
_ST_CODES = {np.dtype(v).str: k for k, v in ST_DTYPES.items()}


def read_safetensors(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    base = 8 + n
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[base + start:base + end],
                                      dtype=ST_DTYPES[info["dtype"]]).reshape(info["shape"])
    return metadata, tensors


def write_safetensors(metadata: dict[str, Any] | None, tensors: dict[str, np.ndarray]) -> bytes:
    header: dict[str, Any] = {} if metadata is None else {"__metadata__": metadata}
    body = b""
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _ST_CODES[array.dtype.newbyteorder("<").str],
                        "shape": list(array.shape), "data_offsets": [len(body),
                                                                     len(body) + len(raw)]}
        body += raw
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


def model_digest(metadata: dict[str, Any], tensors: dict[str, np.ndarray],
                 tensors_only: bool = False) -> str:
    """The ``sha256`` field as ``neuroflow.io`` documents it (format 2: metadata and
    tensors; format 1: tensors only)."""
    digest = hashlib.sha256()
    if not tensors_only:
        for key in sorted(metadata):
            if key != "sha256":
                digest.update(key.encode() + b"\0" + str(metadata[key]).encode() + b"\0")
        digest.update(b"\0")
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        little = array.astype(array.dtype.newbyteorder("<"), copy=False)
        digest.update(name.encode() + b"\0")
        digest.update(array.dtype.kind.encode() + str(array.dtype.itemsize).encode() + b"\0")
        digest.update(",".join(str(s) for s in array.shape).encode() + b"\0")
        digest.update(little.tobytes())
    return digest.hexdigest()


JSON_JUNK: list[Any] = [
    None, True, False, 0, -1, 1, 2, 3, 10**12, 2**63, -(2**63), 1.5, float("nan"),
    float("inf"), -1e308, "", "relu", "softmax", "sigmoid", "linear", "Dense", "Dropout",
    "BatchNorm", "float16", "int8", "float64", "float32", "x" * 1000, [], {}, [1, 2],
    {"a": 1}, "__class__", "os.system", "PCG64", "MT19937", "adam", "sgd", "mse",
]
META_KEYS = ["format", "format_version", "architecture", "sha256", "training", "class_names",
             "feature_names", "preprocessing", "neuroflow_version", "extra"]


def mutate_json(rng: np.random.Generator, value: Any) -> tuple[Any, str]:
    """``value`` (a parsed JSON document) with one node replaced, deleted or
    duplicated."""
    value = json.loads(json.dumps(value))
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for key in node:
                walk(node[key], (*path, key))
        elif isinstance(node, list):
            for index, item in enumerate(node[:50]):
                walk(item, (*path, index))

    walk(value, ())
    path = choice(rng, paths)
    if not path:
        return choice(rng, JSON_JUNK), "document replaced"
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    op = choice(rng, ["replace", "replace", "replace", "delete", "duplicate"])
    if op == "delete":
        del parent[key]
    elif op == "duplicate" and isinstance(parent, list):
        parent.insert(key, json.loads(json.dumps(parent[key])))
    else:
        op = "replace"
        parent[key] = choice(rng, JSON_JUNK)
    return value, f"{op} {'/'.join(map(str, path))}"


def mutate_model(rng: np.random.Generator, data: bytes) -> tuple[bytes, str]:
    if rng.random() < 0.3:
        op = choice(rng, ["bytes", "bytes", "truncate", "header-length", "deep-json",
                          "header-json"])
        if op == "bytes":
            data, steps = mutate_bytes(rng, data, count=int(rng.integers(1, 9)))
            return data, "raw: " + "; ".join(steps)
        if op == "truncate":
            at = int(rng.integers(0, len(data)))
            return data[:at], f"raw: truncated to {at} bytes"
        if op == "header-length":
            n = int.from_bytes(data[:8], "little")
            value = int(choice(rng, [0, 1, 2, n - 1, n + 1, len(data) - 8, len(data) - 7,
                                     2**63, 2**64 - 1, 2**32 + n]))
            return struct.pack("<Q", value) + data[8:], f"raw: header length {value}"
        if op == "deep-json":
            text = b"[" * 100000 + b"]" * 100000
            return struct.pack("<Q", len(text)) + text, "raw: header of 100000 nested lists"
        junk = choice(rng, [b"[]", b"1", b'"x"', b"null", b"{}", b"\xff\xfe{}", b"{\"a\":"])
        n = int.from_bytes(data[:8], "little")
        junk = junk + b" " * max(0, n - len(junk))
        return data[:8] + junk[:n] + data[8 + n:], f"raw: header JSON {junk[:12]!r}"
    metadata, tensors = read_safetensors(data)
    metadata = dict(metadata)
    tensors = {k: np.array(v) for k, v in tensors.items()}
    steps = []
    for _ in range(int(rng.integers(1, 4))):
        op = choice(rng, ["json", "json", "json", "set", "delete", "version", "tensor-nan",
                          "tensor-shape", "tensor-dtype", "tensor-delete", "tensor-add",
                          "tensor-empty", "tensor-scale"])
        if op == "json":
            keys = [k for k in ("architecture", "training", "class_names", "feature_names",
                                "preprocessing") if k in metadata]
            key = choice(rng, keys)
            try:
                document = json.loads(metadata[key])
            except ValueError:
                document = None
            if rng.random() < 0.1:
                metadata[key] = choice(rng, ["[" * 50000, "{", "nope", "", "NaN"])
                steps.append(f"{key}: not JSON")
            else:
                document, what = mutate_json(rng, document)
                metadata[key] = json.dumps(document)
                steps.append(f"{key}: {what}")
        elif op == "set":
            key = choice(rng, META_KEYS)
            value = choice(rng, ["", "null", "[]", "{}", "1", "nan", '"str"', "x" * 10000,
                                 "[1, 2]", '{"layers": []}', 7, None, ["a"]])
            metadata[key] = value
            steps.append(f"metadata {key} = {value!r:.30}")
        elif op == "delete":
            key = choice(rng, META_KEYS)
            metadata.pop(key, None)
            steps.append(f"metadata {key} deleted")
        elif op == "version":
            value = choice(rng, ["1.0", "1.9", "2.1", "2.999", "3.0", "2", "", "x.y",
                                 "02.0", "2.0.0", " 2.0", "-1.0", "1e3.0", "2.-1"])
            metadata["format_version"] = value
            steps.append(f"format_version {value!r}")
        elif tensors:
            name = choice(rng, sorted(tensors))
            array = tensors[name]
            if op == "tensor-nan" and array.size and array.dtype.kind == "f":
                array = array.copy()
                array.flat[int(rng.integers(array.size))] = choice(rng, [np.nan, np.inf,
                                                                         -np.inf])
            elif op == "tensor-shape":
                array = choice(rng, [array.T, array.reshape(-1), array[None],
                                     array[..., :-1] if array.ndim and array.shape[-1] else
                                     array])
            elif op == "tensor-dtype":
                with np.errstate(all="ignore"):
                    array = array.astype(choice(rng, ["<f8", "<f4", "<f2", "<i4", "<u1",
                                                      "|b1"]))
            elif op == "tensor-delete":
                del tensors[name]
                steps.append(f"tensor {name} deleted")
                continue
            elif op == "tensor-add":
                name = choice(rng, ["layers.9.W", "layers.0.extra", "evil", "optimizer.99.m",
                                    "preprocessing.mean2", "callbacks.0.best", "layers.0.W.T",
                                    "../x", "layers.1.b"])
                array = rng.normal(size=tuple(int(s) for s in rng.integers(0, 4, 2)))
            elif op == "tensor-empty":
                array = np.zeros((0,) + array.shape[1:], dtype=array.dtype)
            elif op == "tensor-scale" and array.dtype.kind == "f":
                array = array * np.asarray(choice(rng, [1e30, 1e38, -1e20, 0.0]),
                                           dtype=array.dtype)
            tensors[name] = np.ascontiguousarray(array)
            steps.append(f"{op} {name} -> {array.dtype.str} {array.shape}")
    sign = rng.random()
    version = str(metadata.get("format_version", ""))
    if sign < 0.85:
        metadata["sha256"] = model_digest(metadata, tensors, tensors_only=version.startswith("1"))
    elif sign < 0.93:
        steps.append("digest left stale")
    else:
        metadata.pop("sha256", None)
        steps.append("digest removed")
    try:
        return write_safetensors(metadata, tensors), "re-signed: " + "; ".join(steps)
    except (TypeError, ValueError, KeyError) as error:
        return data, f"unchanged ({error})"


MODEL_INPUTS = {  # seed -> (predict input, evaluate data options, resume data)
    "m43.safetensors": ("rows4.csv", ["--data", "m43_eval.csv", "--target", "y"], None),
    "pets.safetensors": ("pets_x.csv", ["--data", "pets.csv", "--target", "animal"],
                         "pets.csv"),
    "reg.safetensors": ("prices_x.csv", ["--data", "prices.csv", "--target", "price"],
                        "prices.csv"),
    "m784.safetensors": ("digit.png", ["--data", "idx"], "idx"),
}


def model_input(rng: np.random.Generator) -> tuple[str, bytes, str]:
    """A mutated copy of a seed model of the current folder."""
    seed = choice(rng, ["m43.safetensors"] * 4 + ["pets.safetensors"] * 3
                  + ["reg.safetensors"] * 2 + ["m784.safetensors"])
    data, recipe = mutate_model(rng, Path(seed).read_bytes())
    return seed, data, recipe


def model_case(i: int) -> tuple[list[str], dict[str, bytes], str]:
    rng = np.random.default_rng((5, i))
    seed, data, recipe = model_input(rng)
    name = choice(rng, ["in.safetensors"] * 8 + ["in.bin", "in"])
    predict_input, evaluate, resume_data = MODEL_INPUTS[seed]
    command = choice(rng, ["summary", "summary", "predict", "predict", "evaluate", "evaluate",
                           "gradcheck", "explain", "resume"])
    if command == "gradcheck" and seed == "m784.safetensors":
        command = "summary"  # gradcheck of a 784-input model reads all of MNIST
    if command == "resume" and resume_data is None:
        command = "predict"
    if command == "summary":
        argv = ["summary", name]
    elif command == "predict":
        argv = ["predict", name, predict_input]
    elif command == "evaluate":
        argv = ["evaluate", name, *evaluate]
    elif command == "gradcheck":
        argv = ["gradcheck", name, "--samples", "2", "--max-entries", "4"]
    elif command == "explain":
        argv = ["explain", name] + (["--data", "idx"] if seed == "m784.safetensors" else [])
    else:
        argv = ["train", "--resume", name, "--data", resume_data, "--epochs", "2",
                "--batch-size", "8", "--quiet"]
        if resume_data.endswith(".csv"):
            argv += ["--target", "animal" if seed == "pets.safetensors" else "price"]
    return argv, {name: data}, f"model_case({i}) from {seed}: {recipe}"


def test_fuzz_model_files(fuzzer):
    for i in cases(INPUTS["model"]):
        argv, files, recipe = model_case(i)
        write_files(files)
        fuzzer.inputs += 1
        fuzzer.run(argv, recipe)
    fuzzer.check(share(INPUTS["model"]), share(INPUTS["model"]))


def test_fuzz_model_files_export(fuzzer):
    pytest.importorskip("onnx")
    for i in cases(INPUTS["model-onnx"]):
        rng = np.random.default_rng((6, i))
        seed, data, recipe = model_input(rng)
        Path("in.safetensors").write_bytes(data)
        options = ["--no-preprocessing"] if rng.random() < 0.3 else []
        fuzzer.inputs += 1
        fuzzer.run(["export", "in.safetensors", "--onnx", "out.onnx", *options],
                   f"export case {i} (rng (6, {i})) from {seed}: {recipe}")
    fuzzer.check(share(INPUTS["model-onnx"]), share(INPUTS["model-onnx"]))


# ============================================================================ option combinations
@dataclass
class Option:
    name: str
    takes_value: bool
    choices: list[str]


def options_of(fuzzer: Fuzzer, command: str) -> list[Option]:
    """The options ``neuroflow COMMAND --help`` lists (read through ``main``)."""
    assert fuzzer.run([command, "--help"]) == 0
    fuzzer.capsys.readouterr()
    with contextlib.redirect_stdout(io.StringIO()) as buffer:
        assert cli.main([command, "--help"]) == 0
    text = buffer.getvalue()
    match = re.search(r"(?m)^(options|optional arguments):$", text)
    assert match, text
    found = []
    for line in text[match.end():].splitlines():
        usage = re.match(r"^  (-\S.*?)(?:\s{2,}\S.*)?$", line)
        if not usage:
            continue
        for variant in usage.group(1).split(", "):
            name, _, rest = variant.partition(" ")
            if name in ("-h", "--help") or not name.startswith("--"):
                continue
            choices = rest.strip("{}").split(",") if rest.startswith("{") else []
            found.append(Option(name, bool(rest), choices))
    return found


NUMBER_JUNK = ["", " ", "nan", "NaN", "inf", "-inf", "1e23", "-1", "0", "-0", "1_0", "0x10",
               "1e400", "\u0663", "abc", "9" * 5000, "1.5", "+3", "1e-300", "--", "-x"]
PATH_JUNK = ["", ".", "..", "/", "sub", "sub/", "missing.csv", "nodir/x.csv", "/dev/null",
             "x" * 300, "a\nb.csv", "-", " ", "pipe.csv", "/nonexistent/x", "~", "a\x00b"]
#: Valid and invalid values of each option (valid: accepted by the parser, though not
#: necessarily by the command with the rest of the line).
OUT_VALUES = (["out.safetensors", "o.txt", "{epoch}.safetensors", "%s.safetensors",
               "sub/x.safetensors", "sub/../o.safetensors", "m43.safetensors"],
              ["", ".", "sub", "nodir/x.safetensors", "/dev/null", "/nonexistent/x",
               "x" * 300 + ".safetensors", "a\nb.safetensors", "idx", "rows4.csv", "pipe.csv",
               "-", "idx/train-images-idx3-ubyte", "digits/one.png", "pets.csv"])
MODEL_VALUES = (["m43.safetensors"] * 3 + ["pets.safetensors"] * 2
                + ["reg.safetensors", "m784.safetensors"],
                ["missing.safetensors", "sub", "rows4.csv", "/dev/null", "",
                 "broken.safetensors", "pipe.safetensors", "x" * 300, "a\nb.safetensors",
                 "idx", "-"])
INPUT_VALUES = (["rows4.csv", "rows4.csv", "pets_x.csv", "prices_x.csv", "digit.png", "x4.npy",
                 "digits", "digits/one.png"],
                ["sub", "missing.csv", "", "idx", "/dev/null", "pipe.csv", "m43.safetensors",
                 "x" * 300, "a\nb.csv", "-", "pipe.png"])
ACTIVATIONS = (["relu", "tanh", "sigmoid", "softmax", "linear", "elu", "gelu", "leaky_relu",
                "softplus", "RELU"], ["", "swish", "relu "])
VALUES: dict[str, tuple[list[str], list[str]]] = {
    "--data": (["idx", "pets.csv", "prices.csv", "m43_eval.csv"],
               ["sub", "missing_dir", "pets.safetensors", "/dev/null", "", "pipe.csv",
                "x" * 300, "digits", "a\nb.csv", "moons", "circles", "rows4.csv", "idx/"]),
    "--target": (["animal", "price", "y", "-1", "4", "0"],
                 ["99", "-99", "", "nope", "animal\n", "1e3", "--"]),
    "--task": (["auto", "classification", "regression"], ["", "AUTO", "bogus"]),
    "--missing": (["fail", "drop"], ["", "skip"]),
    "--layers": (["784,4,10", "784,3,10", "4,3,2", "2,3,1", "784,10", "784,4,4,10",
                  "784,300,10", "4,3,1", "2,5000,1", "4,2", "2," * 20 + "2"],
                 ["784,0,10", "784,-4,10", "784", "", "784,,10", "1e3,4", "784,4,10,",
                  "784, 4, 10"]),
    "--activation": ACTIVATIONS, "--output-activation": ACTIVATIONS,
    "--loss": (["cross_entropy", "mse", "binary_cross_entropy", "CROSS_ENTROPY"], ["", "hinge"]),
    "--optimizer": (["adam", "sgd", "adamw", "rmsprop", "ADAM"], ["", "lbfgs"]),
    "--learning-rate": (["0.01", "0.1", "1e-300", "5", "1e23", "1e308"],
                        ["0", "-1", "nan", "inf", "", "abc"]),
    "--epochs": (["1", "1", "1", "2"], ["0", "-1", "100001", "1e23", "nan", "", "1.0",
                                        "99999999999999999999", "one"]),
    "--batch-size": (["1", "4", "8", "1000000"], ["0", "-3", "nan", "1e23", "", "2.5"]),
    "--validation-split": (["0", "0.2", "0.5", "0.9", "0.99"],
                           ["1", "1.5", "-0.1", "nan", "inf", "1e23", "", "abc"]),
    "--seed": (["0", "1", "42", str(2**64), str(10**40)], ["-1", "nan", "", "1e3"]),
    "--dtype": (["float32", "float64"], ["", "float16", "FLOAT32"]),
    "--preset": (["mnist-best"], ["", "best", "MNIST-BEST"]),
    "--out": OUT_VALUES,
    "--resume": (["resume_idx.safetensors", "resume_csv.safetensors"],
                 ["m43.safetensors", "missing.safetensors", "sub", "pets.csv", "/dev/null", "",
                  "broken.safetensors", "pipe.safetensors", "idx"]),
    "--delimiter": ([",", ";", "tab", "comma", "\\t", "space", "pipe", "TAB", "\t", " "],
                    ["", ",,", '"', "\n", "\u00e9x"]),
    "--invert": (["auto", "yes", "no"], ["", "YES", "maybe"]),
    "--samples": (["1", "2", "8", "64"], ["0", "-1", "nan", "1e23", "", "2.5"]),
    "--threshold": (["1e-6", "1", "1e-300", "1e23"], ["0", "-1", "nan", "inf", ""]),
    "--max-entries": (["1", "5", "100"], ["0", "-2", "nan", "", "1e23"]),
    "--sample": (["0", "1", "9", "399"], ["-1", "10", "400", str(10**9), "abc", "", "-400"]),
    "--precision": (["1", "4", "17", "100", "100000"], ["0", "-1", "nan", "", "1e23"]),
    "--dpi": (["10", "20", "50"], ["9", "1001", "0", "-1", "nan", "", "1e23"]),
    "--onnx": (["x.onnx", "X.ONNX", "sub/x.onnx", "sub/../y.onnx"],
               ["x.txt", "", "sub", "nodir/x.onnx", "/dev/null", "m43.safetensors", "pipe.onnx",
                "x" * 300 + ".onnx", "a\nb.onnx", ".onnx", "idx/x.onnx"]),
}
COMMAND_VALUES: dict[tuple[str, str], tuple[list[str], list[str]]] = {
    ("plot", "--epochs"): (["0,1", "0", "1", "2", "1,0"],
                           ["", "-1", "10001", "0,1,2,3,4,5,6,7,8", "a", "0,,1"]),
    ("plot", "--out"): (["p.png", "p.svg", "p.PNG", "sub/p.png"],
                        ["p.jpg", "", "sub", "nodir/p.png", "/dev/null", "pipe.png",
                         "digit.png", "x" * 300 + ".png", "a\nb.png", ".png", "link_null.png",
                         "no\ndir/p.png"]),
    ("plot", "--layers"): (["2,3,2", "2,16,2", "2,3,1", "784,4,10", "4,3,2"],
                           ["", "2,0,2", "2," * 20 + "2", "2,5000,2", "2,-1,2"]),
    ("explain", "--layers"): (["2,3,1", "2,3,2", "4,3,2", "2,1", "3,3", "2,64,64,2",
                               "784,4,10"], ["2,0,1", "", "2,,1", "2,3,1,"]),
    ("explain", "--data"): (["moons", "circles", "idx", "MOONS"],
                            ["pets.csv", "missing", "", "sub", "digits", "/dev/null",
                             "bad\nidx", "good\nidx", "a\n" + "x" * 300]),
    ("plot", "--data"): (["moons", "circles", "idx", "pets.csv", "prices.csv"],
                         ["missing", "", "sub", "/dev/null", "bad\nidx", "bad\nname.csv"]),
    ("evaluate", "--data"): (["idx", "pets.csv", "prices.csv", "m43_eval.csv", "idx/"],
                             ["sub", "missing.csv", "", "/dev/null", "digit.png", "pipe.csv",
                              "moons", "a\nb.csv", "rows4.csv", "bad\nidx", "bad\nname.csv",
                              "link_idx", "good\nidx", "a\n" + "x" * 300 + ".csv"]),
    ("gradcheck", "--seed"): (["0", "1", str(2**64)], ["-1", "abc", "", "1e3"]),
    ("explain", "--seed"): (["0", "1", str(2**64)], ["-1", "abc", ""]),
}
# names with a newline, symbolic links (LINKS) and broken folders of the working folder
OUT_VALUES[1].extend(["link_rows.csv", "link_model.safetensors", "dangling.safetensors",
                      "link_sub", "link_null.png", "no\ndir/x.safetensors",
                      "link_idx/x.safetensors", "bad\nname.csv", "./rows4.csv",
                      "sub/../rows4.csv", "link_sub/../m43.safetensors", "./m43.safetensors",
                      "link_idx/train-labels-idx1-ubyte", "./idx/../pets.csv",
                      "idx/train-images-idx3-ubyte.gz", "idx/t10k-labels-idx1-ubyte.gz",
                      "link_idx/train-labels-idx1-ubyte.gz", "idx/model.safetensors"])
MODEL_VALUES[1].extend(["bad\nname.safetensors", "link_model.safetensors",
                        "dangling.safetensors", "link_sub"])
#: too long for the file system, and with a newline: the error names it
LONG_NAME = "a\n" + "x" * 300
INPUT_VALUES[1].extend(["bad\nname.csv", "bad\nname.npy", "bad\nname.png", "link_rows.csv",
                        "link_sub", "a\nb.png", "a\nb.npy", LONG_NAME + ".csv"])
VALUES["--data"][1].extend(["bad\nidx", "good\nidx", "bad\nname.csv", "link_idx",
                            "link_rows.csv", LONG_NAME, LONG_NAME + ".csv"])
MODEL_VALUES[1].append(LONG_NAME + ".safetensors")
VALUES["--resume"][1].extend(["bad\nname.safetensors", "link_model.safetensors",
                              "dangling.safetensors"])
VALUES["--onnx"][1].extend(["link_null.onnx", "no\ndir/x.onnx", "link_sub/x.onnx"])


PLOT_KINDS = (["architecture", "cost-weight", "curves", "confusion", "weights",
               "misclassified", "boundary", "ARCHITECTURE"], ["", "histogram"])


def pick(rng: np.random.Generator, values: tuple[list[str], list[str]],
         valid: float = 0.75) -> str:
    """A valid value with probability ``valid``, else an invalid one."""
    good, bad = values
    return choice(rng, good if rng.random() < valid else bad)


def _value(rng: np.random.Generator, command: str, option: Option) -> str:
    values = COMMAND_VALUES.get((command, option.name)) or VALUES.get(option.name)
    if values is None and option.choices:
        values = (option.choices, ["", option.choices[0].upper() + "x", "bogus"])
    if values is None:  # an option this test does not know yet: generic values
        values = (NUMBER_JUNK, PATH_JUNK)
    if rng.random() < 0.05:
        return choice(rng, NUMBER_JUNK + PATH_JUNK)
    return pick(rng, values)


def _positionals(rng: np.random.Generator, command: str) -> list[str]:
    model = pick(rng, MODEL_VALUES, 0.85)
    if command in ("summary", "export", "evaluate"):
        return [model]
    if command == "predict":
        count = int(choice(rng, [1, 1, 1, 2, 3]))
        return [model, *(pick(rng, INPUT_VALUES, 0.8) for _ in range(count))]
    if command == "gradcheck":
        if rng.random() < 0.04:
            return []  # a fresh 784-16-10 network on MNIST
        return [model if model != "m784.safetensors" else "m43.safetensors"]
    if command == "explain":
        return [] if rng.random() < 0.4 else [model]
    if command == "plot":
        kind = pick(rng, PLOT_KINDS, 0.9)
        return [kind] if rng.random() < 0.4 else [kind, model]
    return []


def _given(argv: Sequence[str], flag: str) -> bool:
    return bool(_option_values(argv, (flag,))) or flag in argv


def combo(rng: np.random.Generator, command: str, options: list[Option]) -> list[str]:
    """One random command line: positionals, up to 6 options with random values, now
    and then an unknown, abbreviated or repeated option or ``--``; then what keeps a run
    cheap (no bundled MNIST for training, at most 2 epochs)."""
    picked: list[str] = []
    count = int(rng.integers(0, min(5, len(options)) + 1))
    for index in rng.choice(len(options), size=count, replace=False):
        option = options[int(index)]
        name = option.name
        if rng.random() < 0.05 and len(name) > 5:
            name = name[:int(rng.integers(3, len(name)))]  # an abbreviation
        if not option.takes_value:
            picked.append(name)
            continue
        value = _value(rng, command, option)
        if rng.random() < 0.1:
            picked.append(f"{name}={value}")
        else:
            picked += [name, value]
        if rng.random() < 0.07:  # repeated
            picked += [option.name, _value(rng, command, option)]
    draw = rng.random()
    if draw < 0.04:
        picked.append(choice(rng, ["--bogus", "--bogus=1", "-z", "---", "--data-dir"]))
    elif draw < 0.06:
        picked.append("--help")
    positionals = _positionals(rng, command)
    if rng.random() < 0.2:
        argv = [command, *picked, *positionals]
    elif rng.random() < 0.05:
        argv = [command, *picked, "--", *positionals]
    else:
        argv = [command, *positionals, *picked]
    model = next((token for token in argv if token in MODEL_INPUTS), None)
    if model is not None and rng.random() < 0.6:  # the model's own data, to get further
        predict_input, evaluate, _ = MODEL_INPUTS[model]
        if command == "evaluate":
            argv += evaluate
        elif command == "predict" and argv[-1] != "--" and argv.index(model) == len(argv) - 2:
            argv[-1] = predict_input
    # keep it cheap: no run trains on (or reads) the bundled MNIST, at most 2 epochs
    if command == "train":
        if not _given(argv, "--data"):
            argv += ["--data", choice(rng, ["idx", "pets.csv", "prices.csv"])]
        if not _given(argv, "--epochs"):
            argv += ["--epochs", "1"]
        if not _given(argv, "--batch-size"):
            argv += ["--batch-size", "8"]
    elif command == "evaluate" and not _given(argv, "--data") and rng.random() < 0.97:
        argv += ["--data", choice(rng, ["idx", "pets.csv", "m43_eval.csv"])]
    elif command in ("explain", "plot") and "m784.safetensors" in argv \
            and not _given(argv, "--data") and rng.random() < 0.9:
        argv += ["--data", "idx"]
    if command == "plot":
        if not _given(argv, "--epochs"):
            argv += ["--epochs", "0,1"]
        if not _given(argv, "--dpi"):
            argv += ["--dpi", "20"]
    if command == "explain" and any(v.startswith("784") for v in
                                    _option_values(argv, ("--layers",))) \
            and not _given(argv, "--data"):
        argv += ["--data", "idx"]
    return argv


@pytest.mark.parametrize("command", list(COMBOS))
def test_fuzz_option_combinations(fuzzer, command):
    if command == "export":
        pytest.importorskip("onnx")
    if command == "plot":
        pytest.importorskip("matplotlib")
    options = options_of(fuzzer, command)
    for i in cases(COMBOS[command]):
        rng = np.random.default_rng((100 + list(COMBOS).index(command), i))
        argv = combo(rng, command, options)
        fuzzer.run(argv, f"option combination {i} of {command}")
    fuzzer.check(share(COMBOS[command]))


FAULT_COMMANDS = [  # (argv, single write)
    (["train", "--data", "idx", "--layers", "784,4,10", "--epochs", "2", "--batch-size", "8",
      "--quiet", "--out", "out.safetensors"], False),
    (["train", "--data", "pets.csv", "--target", "animal", "--epochs", "2", "--batch-size", "8",
      "--out", "pets_x.csv"], False),
    (["train", "--resume", "resume_idx.safetensors", "--data", "idx", "--epochs", "3",
      "--batch-size", "8", "--quiet"], False),
    (["predict", "m43.safetensors", "rows4.csv", "--out", "pred.csv"], True),
    (["predict", "pets.safetensors", "pets_x.csv", "--out", "prices_x.csv"], True),
    (["export", "pets.safetensors", "--onnx", "out.onnx"], True),
    (["plot", "architecture", "--layers", "2,3,1", "--out", "digit.png", "--dpi", "20"], True),
]


@pytest.mark.parametrize("name", ["fsync", "replace"])
def test_fuzz_write_faults(fuzzer, name):
    """Ctrl-C, a full disk or no memory while an output is written: the right exit
    status, no temporary file left, and an output that is the old file or a whole new one
    (a model that loads)."""
    ran = 0
    for argv, single in FAULT_COMMANDS:
        if argv[0] == "export" and importlib.util.find_spec("onnx") is None:
            continue
        if argv[0] == "plot" and importlib.util.find_spec("matplotlib") is None:
            continue
        for error in ("SIGINT", "KeyboardInterrupt", "ENOSPC", "MemoryError"):
            for nth in (1,) if single else (1, 2, 3):  # train: 2 checkpoints, 1 final save
                fuzzer.run(argv, f"os.{name} call {nth}: {error}",
                           Fault(name, nth, error, single))
                ran += 1
    fuzzer.check(ran)


STAT_COMMANDS = [
    ["predict", "m43.safetensors", "rows4.csv"],
    ["predict", "m784.safetensors", "digits"],
    ["evaluate", "m784.safetensors", "--data", "idx"],
    ["train", "--data", "pets.csv", "--target", "animal", "--epochs", "1", "--batch-size", "8",
     "--quiet", "--out", "out.safetensors"],
    ["summary", "pets.safetensors"],
]


def test_fuzz_faults_while_reading(fuzzer):
    """Ctrl-C or an I/O error at the n-th ``os.stat`` (reading inputs, checking outputs):
    exit status 130 or 2 with one line, nothing written."""
    ran = 0
    for argv in STAT_COMMANDS:
        single = argv[0] != "train"  # train writes a checkpoint, then the model
        for error in ("SIGINT", "KeyboardInterrupt", "EIO"):
            for nth in (1, 2, 4, 7, 11):
                fuzzer.run(argv, f"os.stat call {nth}: {error}",
                           Fault("stat", nth, error, single))
                ran += 1
    fuzzer.check(ran)


def test_fuzz_top_level_arguments(fuzzer):
    """The parser itself: no command, unknown commands, --version, stray words."""
    rng = np.random.default_rng(7)
    words = ["", "--version", "--help", "-h", "trian", "TRAIN", "summary", "--", "-", "x" * 300,
             "\u00e9", "--bogus", "predict", "a\nb"]
    for _ in range(60):
        argv = [choice(rng, words) for _ in range(int(rng.integers(0, 4)))]
        fuzzer.run(argv, "top-level words")
    fuzzer.check(60)


# ============================================================================ found bugs, fixed
# Each reproduces a violation the fuzz loops found (see FOUND_BUGS); they pass now.
def test_found_bug_npy_header_token_error(fuzzer):
    """``predict M cut.npy``: a .npy file whose header-length field says 10 bytes, so that
    numpy reads the header ``{'descr': `` only (any array saved by np.save)."""
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((3, 4)))
    data = buffer.getvalue()
    Path("cut.npy").write_bytes(data[:8] + struct.pack("<H", 10) + data[10:])
    fuzzer.run(["predict", "m43.safetensors", "cut.npy"], "header length field 10")
    fuzzer.check(1, known_bugs_pass=False)


def test_found_bug_output_replaces_idx_data(fuzzer):
    """``train --data idx --out idx/train-images-idx3-ubyte.gz``: exit 0, and the folder's
    training images are now the model file."""
    fuzzer.run(["train", "--data", "idx", "--layers", "784,4,10", "--epochs", "1", "--quiet",
                "--out", "idx/train-images-idx3-ubyte.gz"], "the seed IDX folder")
    fuzzer.check(1, known_bugs_pass=False)


@pytest.mark.parametrize("argv", [
    ["predict", "m43.safetensors", "a\n" + "x" * 300 + ".csv"],
    ["evaluate", "m43.safetensors", "--data", "a\n" + "x" * 300 + ".csv", "--target", "y"],
    ["train", "--data", "a\n" + "x" * 300, "--epochs", "1"],
    ["explain", "--data", "a\n" + "x" * 300],
], ids=["predict", "evaluate", "train", "explain"])
def test_found_bug_oserror_name_with_newline(fuzzer, argv):
    """A missing input whose name is too long (ENAMETOOLONG) and holds a newline: the
    message is 'neuroflow predict: error: a' NEWLINE 'xxx...x.csv: File name too long'."""
    fuzzer.run(argv, "a name of 302 characters holding a newline")
    fuzzer.check(1, known_bugs_pass=False)


def test_found_bug_format_1_warning_and_error(fuzzer):
    """``summary old.safetensors``: a 4-3-2 model with ``format_version`` "1.0" (so its
    SHA-256 covers the tensors only, as documented) and ``class_names`` not JSON."""
    metadata, tensors = read_safetensors(Path("m43.safetensors").read_bytes())
    metadata = {**metadata, "format_version": "1.0", "class_names": "nope"}
    metadata["sha256"] = model_digest(metadata, tensors, tensors_only=True)
    Path("old.safetensors").write_bytes(write_safetensors(metadata, tensors))
    fuzzer.run(["summary", "old.safetensors"], "format 1.0, class_names 'nope'")
    fuzzer.check(1, known_bugs_pass=False)


def test_found_bug_ctrl_c_while_parsing(fuzzer, monkeypatch):
    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(argparse.ArgumentParser, "parse_known_args", interrupted)
    fuzzer.run(["summary", "m43.safetensors"], "Ctrl-C in ArgumentParser.parse_known_args")
    fuzzer.check(1, known_bugs_pass=False)


# ============================================================================ helpers' own tests
def test_the_harness_sees_broken_contracts(fuzzer, monkeypatch):
    """Each way of breaking the contract, by a stand-in for ``main``, is reported once,
    and the folder is put back afterwards."""
    def fake(argv):
        kind = argv[0]
        if kind == "stray":
            Path(".out.safetensors.123-abcd.tmp").write_bytes(b"x")
        elif kind == "input":  # predict M rows4.csv --out rows4.csv, written anyway
            Path("rows4.csv").write_text("overwritten\n")
        elif kind == "through-link":
            Path("link_rows.csv").write_text("overwritten\n")
        elif kind == "lines":
            print("neuroflow x: error: one", file=sys.stderr)
            print("and two", file=sys.stderr)
            return 2
        elif kind == "warning":
            warnings.warn("careful", UserWarning, stacklevel=1)
            print("neuroflow x: error: one", file=sys.stderr)
            return 2
        elif kind == "raise":
            raise ValueError("escaped")
        elif kind == "status":
            return 3
        elif kind == "traceback":
            print("Traceback (most recent call last):")
        elif kind == "sigint":
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        elif kind == "fine":
            Path("out.csv").write_text("declared\n")
        return 0

    monkeypatch.setattr(cli, "main", fake)
    cases = [["stray"], ["input", "m43.safetensors", "rows4.csv", "--out", "rows4.csv"],
             ["through-link", "rows4.csv", "--out", "link_rows.csv"], ["lines"], ["warning"],
             ["raise"], ["status"], ["traceback"], ["sigint"]]
    for argv in cases:
        before = len(fuzzer.violations)
        fuzzer.run(argv)
        assert len(fuzzer.violations) == before + 1, argv
        assert fuzzer.snapshot() == {rel: entry[:2] for rel, entry in fuzzer.baseline.items()}
    fuzzer.run(["fine", "--out", "out.csv"])
    assert len(fuzzer.violations) == len(cases)
    fuzzer.violations.clear()
    fuzzer.check(len(cases) + 1)


def test_declared_outputs_are_read_like_argparse(tmp_path, capsys):
    runner = Fuzzer(capsys, tmp_path, "self-test")
    assert runner.declared(["predict", "m", "x.csv", "--out", "o.csv"]) == {"o.csv"}
    assert runner.declared(["export", "m", "--onnx=a/../b.onnx"]) == {"b.onnx"}
    assert runner.declared(["train", "--ou", "t.safetensors"]) == {"t.safetensors",
                                                                   "model.safetensors"}
    assert "r.safetensors" in runner.declared(["train", "--resume", "r.safetensors"])
    assert runner.declared(["plot", "weights"]) == {"weights.png"}


def test_the_model_digest_is_the_documented_one(seeds, tmp_path):
    """The re-signing above must match what neuroflow writes, or structural model
    mutations would all stop at the digest check."""
    data = (seeds / "pets.safetensors").read_bytes()
    metadata, tensors = read_safetensors(data)
    assert model_digest(metadata, tensors) == metadata["sha256"]
    path = tmp_path / "resigned.safetensors"
    path.write_bytes(write_safetensors(metadata, tensors))
    assert nf.load(path).class_names == ["cat", "dog"]


def test_pickle_trap_would_be_noticed(tmp_path):
    """The object array of the .npy fuzzing does record its unpickling."""
    before = len(_unpickled)
    path = tmp_path / "trap.npy"
    np.save(path, np.array([_Trap()], dtype=object), allow_pickle=True)
    np.load(path, allow_pickle=True)
    assert len(_unpickled) == before + 1
    del _unpickled[before:]
    assert pickle.loads(pickle.dumps(_Trap())) == "unpickled"
    del _unpickled[before:]

