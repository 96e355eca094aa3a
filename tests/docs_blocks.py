"""Run the fenced blocks of a Markdown page (README.md, docs/tutorial.md) with Sybil.

The rules, which tests/test_docs.py applies to every page it names:

- Every fenced block has a language, and it is one of:

  - ``python``: executed, in order, in one namespace per page (Sybil's Python parser). A
    block that starts with ``>>>`` is a doctest: what it prints is compared with the lines
    shown under each ``>>>`` statement (``...`` in a shown line matches any text, the
    doctest ELLIPSIS rule). ``<!-- invisible-code-block: python ... -->`` runs code the
    reader does not see (used to write example input files).
  - ``console``: shell commands, each on a line starting with ``$ ``; the lines after a
    command, up to the next ``$ `` line, are its printed output. ``neuroflow ARGS`` runs
    as ``neuroflow.cli.main(ARGS)`` in the page's temporary working directory (standard
    output and standard error together, as a terminal shows them) and must exit with 0.
    When the page shows output, the output is compared: ``...`` matches any text,
    including whole lines (timings, paths, long tables left out); trailing spaces are
    ignored; everything else must be equal. ``make TARGET`` is checked with ``make -n
    TARGET`` in the repository (the target exists and its recipe expands; it is not
    built, because ``make test`` is this very suite), and ``python -m MODULE``
    (``.venv/bin/python`` too) runs the module with the test's interpreter in the
    repository.
  - ``text``: not a command (an equation, a usage synopsis, a listing): never run.

- ``<!-- test: ... -->`` comments right before a block change how the test runs it, so
  that long trainings fit the test's time; the reader does not see them, the test
  reports them in its name and fails when one no longer applies:

  - ``add `ARGS``` appends ARGS to every ``neuroflow`` or ``python -m`` command of the
    block (e.g. ``add `--epochs 1```);
  - ``replace `OLD` with `NEW``` replaces text in the block's source (it must occur).

  Several are separated by ``;``.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sybil import Document, Example, Region, Sybil
from sybil.evaluators.doctest import NUMBER
from sybil.parsers.markdown import PythonCodeBlockParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer, RawFencedCodeBlockLexer
from sybil.region import Lexeme

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("python", "console", "text")
CHECKER = doctest.OutputChecker()
FLAGS = doctest.ELLIPSIS
#: Doctests also take Sybil's NUMBER rule: a number written with a decimal point matches
#: within one unit of its last written digit, as console output does (numbers_match).
DOCTEST_FLAGS = FLAGS | NUMBER

_DIRECTIVE = re.compile(r"<!--\s*test:(?P<body>.*?)-->", re.DOTALL)
_ITEM = re.compile(r"\s*(?:add\s+`(?P<args>[^`]+)`|replace\s+`(?P<old>[^`]+)`\s+with\s+"
                   r"`(?P<new>[^`]*)`)\s*(?:;|$)")


@dataclass
class Adjustment:
    """What a ``<!-- test: ... -->`` comment changes in the block after it."""

    add: list[str] = field(default_factory=list)
    replace: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"add {' '.join(self.add)}"] if self.add else []
        parts += [f"{old} -> {new}" for old, new in self.replace]
        return "; ".join(parts)


def _directives(text: str, start: int) -> Adjustment | None:
    """The test comments right before position ``start`` (only blank space between)."""
    found: list[str] = []
    before = text[:start].rstrip()
    while before.endswith("-->"):
        opening = before.rfind("<!--")
        match = _DIRECTIVE.fullmatch(before[opening:])
        if match is None:
            break
        found.insert(0, match.group("body"))
        before = before[:opening].rstrip()
    if not found:
        return None
    adjustment = Adjustment()
    for body in found:
        position, body = 0, body.strip()
        while position < len(body):
            item = _ITEM.match(body, position)
            if item is None:
                raise ValueError(f"unknown test directive {body[position:]!r} before "
                                 f"position {start}")
            if item.group("args") is not None:
                adjustment.add += shlex.split(item.group("args"))
            else:
                adjustment.replace.append((item.group("old"), item.group("new")))
            position = item.end()
    return adjustment


def _replaced(source: str, adjustment: Adjustment | None, where: str) -> str:
    for old, new in adjustment.replace if adjustment else []:
        if old not in source:
            raise ValueError(f"{where}: test directive 'replace `{old}`': no such text in "
                             "the block")
        source = source.replace(old, new)
    return source


def _line(document: Document, position: int) -> int:
    return document.text.count("\n", 0, position) + 1


class AdjustedPythonParser:
    """Sybil's Python parser (code blocks and ``>>>`` doctests), with ``replace``
    directives applied to a code block's source."""

    def __init__(self) -> None:
        self.parser = PythonCodeBlockParser(doctest_optionflags=DOCTEST_FLAGS)

    def __call__(self, document: Document):
        for region in self.parser(document):
            adjustment = _directives(document.text, region.start)
            if adjustment is not None:
                where = f"{Path(document.path).name} line {_line(document, region.start)}"
                if adjustment.add or str(region.parsed).startswith(">>>") or not isinstance(
                        region.parsed, Lexeme):
                    raise ValueError(f"{where}: only 'replace' applies to a plain python "
                                     "block")
                parsed = region.parsed
                region.parsed = Lexeme(_replaced(str(parsed), adjustment, where),
                                       offset=parsed.offset, line_offset=parsed.line_offset)
                region.adjustment = adjustment
            yield region


@dataclass
class Command:
    line: int          # line of the page
    argv: list[str]    # what the test runs
    written: list[str]  # what the page shows
    shown: str         # output the page shows ('' when none)


class ConsoleParser:
    """```console blocks: ``$ command`` lines and the output shown after each."""

    def __init__(self) -> None:
        self.lexer = FencedCodeBlockLexer(language="console")

    def __call__(self, document: Document):
        for region in self.lexer(document):
            adjustment = _directives(document.text, region.start)
            where = f"{Path(document.path).name} line {_line(document, region.start)}"
            source = _replaced(str(region.lexemes["source"]), adjustment, where)
            first = _line(document, region.start) + 1
            commands: list[Command] = []
            for number, text in enumerate(source.splitlines(), start=first):
                if text.startswith("$ "):
                    argv = shlex.split(text[2:], comments=True)
                    written = list(argv)
                    if adjustment and adjustment.add and _adjustable(argv):
                        argv += adjustment.add
                    commands.append(Command(number, argv, written, ""))
                elif not commands:
                    raise ValueError(f"{where}: a console block starts with a '$ ' command "
                                     f"line, found {text!r}")
                else:
                    commands[-1].shown += text + "\n"
            if adjustment and adjustment.add and not any(_adjustable(c.argv)
                                                         for c in commands):
                raise ValueError(f"{where}: 'add' needs a neuroflow or python -m command")
            region = Region(region.start, region.end, commands, evaluate_console)
            region.adjustment = adjustment
            yield region


def _adjustable(argv: list[str]) -> bool:
    return argv[:1] == ["neuroflow"] or argv[1:2] == ["-m"]


def run_neuroflow(args: list[str]) -> tuple[int, str]:
    """``neuroflow.cli.main(args)``: its exit status and everything it printed."""
    from neuroflow.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        status = main(args)
    return status, buffer.getvalue()


def _run(argv: list[str]) -> tuple[int, str]:
    program = argv[0]
    if program == "neuroflow":
        return run_neuroflow(argv[1:])
    if program == "make":
        done = subprocess.run(["make", "-n", *argv[1:]], cwd=ROOT, capture_output=True,
                              text=True, check=False)
        return done.returncode, done.stdout + done.stderr
    if Path(program).name.startswith("python") and argv[1:2] == ["-m"]:
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, *argv[1:]], cwd=ROOT, capture_output=True,
                              text=True, check=False, env=environment)
        return done.returncode, done.stdout + done.stderr
    raise ValueError(f"no rule to run {shlex.join(argv)!r} (neuroflow, make and python -m "
                     "are known)")


def normalise(text: str) -> str:
    """Trailing spaces of each line and trailing blank lines do not count."""
    return "\n".join(line.rstrip() for line in text.rstrip("\n").splitlines()) + "\n"


#: A number written with a decimal point or an exponent (``0.3565``, ``9.1e-08``, ``99.5%``).
_DECIMAL = r"[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE][-+]?\d))(?:[eE][-+]?\d+)?"
_TOKEN = re.compile(rf"(?P<ellipsis>\.\.\.)|(?P<number>(?<![\w.]){_DECIMAL}(?![\w]|\.\d))"
                    r"|(?P<space>[ \t]+)|(?P<text>.)", re.DOTALL)


def last_digit(number: str) -> float:
    """The value of one unit in the last digit written: ``0.3565`` -> 1e-4, ``9.056e-08``
    -> 1e-11, ``99.5`` -> 0.1."""
    mantissa, _, exponent = number.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def _pattern(shown: str) -> tuple[re.Pattern[str], list[str]]:
    parts, numbers = [], []
    for token in _TOKEN.finditer(shown):
        if token.group("ellipsis"):
            parts.append("(?:.|\n)*?")
        elif token.group("number"):
            numbers.append(token.group("number"))
            parts.append(f"({_DECIMAL})")
        elif token.group("space"):
            parts.append("[ \t]+")
        else:
            parts.append(re.escape(token.group("text")))
    return re.compile("".join(parts)), numbers


def numbers_match(shown: str, printed: str) -> bool:
    """The stated tolerance for numbers that depend on the arithmetic: text equal (``...``
    matching any text, runs of spaces matching runs of spaces, so a column may shift), and
    each number written with a decimal point or an exponent equal to the printed one
    within one unit of its last written digit (``0.3565`` matches 0.3564 to 0.3566).
    Integers (counts, sizes, epochs) are text: they must be equal."""
    pattern, numbers = _pattern(normalise(shown))
    found = pattern.fullmatch(normalise(printed))
    if found is None:
        return False
    return all(abs(float(got) - float(want)) <= 1.000001 * last_digit(want)
               for want, got in zip(numbers, found.groups()))


def matches(shown: str, printed: str) -> bool:
    """The doctest rule (equal, except that ``...`` in ``shown`` matches any text), or
    else equal within the stated tolerance of :func:`numbers_match`."""
    if CHECKER.check_output(normalise(shown), normalise(printed), FLAGS):
        return True
    return numbers_match(shown, printed)


def evaluate_console(example: Example) -> str | None:
    for command in example.parsed:
        status, printed = _run(command.argv)
        where = f"line {command.line}: $ {shlex.join(command.argv)}"
        if status != 0:
            return f"{where}\nexited with status {status}:\n{printed}"
        if command.shown.strip() and not matches(command.shown, printed):
            diff = difflib_text(command.shown, printed)
            return f"{where}\nprinted output differs from the page:\n{diff}"
    return None


def difflib_text(shown: str, printed: str) -> str:
    import difflib

    return "".join(difflib.unified_diff(normalise(shown).splitlines(True),
                                        normalise(printed).splitlines(True),
                                        "shown on the page", "printed"))


def sybil() -> Sybil:
    return Sybil(parsers=[AdjustedPythonParser(), ConsoleParser()])


def fences(path: Path) -> list[tuple[int, str]]:
    """Every fenced block of the page: its first line and its language ('' for none)."""
    document = Document(path.read_text(encoding="utf-8"), str(path))
    lexer = RawFencedCodeBlockLexer(re.compile(r"(?P<language>[^\n]*)\n"),
                                    mapping={"language": "language"})
    return [(_line(document, region.start), region.lexemes["language"].strip())
            for region in lexer(document)]


def label(example: Example) -> str:
    """``tutorial.md:42`` plus what the test changes in the block, if anything."""
    name = f"{Path(example.path).name}:{example.line}"
    adjustment = getattr(example.region, "adjustment", None)
    return f"{name} [{adjustment.describe()}]" if adjustment else name
