"""Every block of README.md and docs/tutorial.md runs, and the output they show is what
neuroflow prints (the rules are in tests/docs_blocks.py).

Numbers that depend on the arithmetic (a BLAS kernel, a thread count, the numba or NumPy
kernels) are compared within one unit of their last written digit (``numbers_match`` in
tests/docs_blocks.py). With ``NEUROFLOW_TEST_PERTURB=1`` (CI's second pass, beside
``NEUROFLOW_KERNELS=numpy`` and one BLAS thread) every weight matrix a block creates is moved
by one ulp, the size of a difference between two machines: a number that moves further
than its last digit under it is shown with fewer digits, or as ``...`` with what is robust
about it said in words.

One test per block, named ``PAGE:LINE`` (plus ``[...]`` naming what a ``<!-- test: ...
-->`` comment changes, e.g. fewer epochs); a page's blocks run in order in one namespace and
one temporary working directory, so a block selected alone first runs those before it.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

import docs_blocks
import numpy as np
import pytest

from neuroflow.layers import Dense

PAGES = ("docs/tutorial.md", "README.md")
SYBIL = docs_blocks.sybil()


def _examples(page: str) -> list:
    return list(SYBIL.parse(docs_blocks.ROOT / page))


def _cases() -> list:
    return [pytest.param(page, index, id=docs_blocks.label(example))
            for page in PAGES for index, example in enumerate(_examples(page))]


@dataclass
class PageRun:
    folder: Path
    examples: list
    done: int = 0
    failed: str | None = None


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, PageRun]:
    return {page: PageRun(tmp_path_factory.mktemp(Path(page).stem), _examples(page))
            for page in PAGES}


PERTURB = os.environ.get("NEUROFLOW_TEST_PERTURB", "") == "1"


def one_ulp_up(monkeypatch) -> None:
    """Every Dense layer built from now on starts with each weight one ulp higher."""
    build = Dense.build

    def perturbed(self, rng, dtype):
        build(self, rng, dtype)
        weights = self.params["W"]
        weights[...] = np.nextafter(weights, np.inf)

    monkeypatch.setattr(Dense, "build", perturbed)


def test_the_perturbation_moves_every_weight_by_one_ulp(monkeypatch) -> None:
    import neuroflow as nf

    plain = nf.Network.from_sizes([3, 4, 2], seed=0).layers[0].params["W"]
    one_ulp_up(monkeypatch)
    moved = nf.Network.from_sizes([3, 4, 2], seed=0).layers[0].params["W"]
    np.testing.assert_array_equal(moved, np.nextafter(plain, np.inf))


@pytest.mark.parametrize(("page", "index"), _cases())
def test_block(page: str, index: int, runs: dict[str, PageRun], monkeypatch) -> None:
    if PERTURB:
        one_ulp_up(monkeypatch)
    run = runs[page]
    monkeypatch.chdir(run.folder)
    while run.done <= index:
        if run.failed is not None:
            pytest.fail(f"not run: the block at {run.failed} failed before it")
        example = run.examples[run.done]
        run.done += 1
        try:
            example.evaluate()
        except BaseException:
            run.failed = docs_blocks.label(example)
            raise


@pytest.mark.parametrize("page", PAGES)
def test_every_fenced_block_is_run_or_marked_text(page: str) -> None:
    path = docs_blocks.ROOT / page
    blocks = docs_blocks.fences(path)
    unknown = [(line, language) for line, language in blocks
               if language not in docs_blocks.LANGUAGES]
    assert not unknown, (f"{page}: fenced blocks need a language from "
                         f"{docs_blocks.LANGUAGES}: (line, language) {unknown}")
    text = path.read_text(encoding="utf-8")
    starts = [text.count("\n", 0, example.start) + 1 for example in _examples(page)]
    lines = [line for line, _ in blocks] + [text.count("\n") + 2]
    run = [(line, end) for (line, language), end in zip(blocks, lines[1:])
           if language in ("python", "console")]
    # each python or console block yields at least one example (a doctest one per >>>)
    missed = [line for line, end in run if not any(line <= start < end for start in starts)]
    assert not missed, f"{page}: blocks at lines {missed} were not collected"
    assert len(run) >= 5  # the collector sees the pages at all


@pytest.mark.parametrize("page", PAGES)
def test_every_test_comment_sits_right_before_a_block(page: str) -> None:
    text = (docs_blocks.ROOT / page).read_text(encoding="utf-8")
    comment = re.compile(r"<!--\s*test:.*?-->", re.DOTALL)
    for match in comment.finditer(text):
        after = comment.sub("", text[match.end():]).lstrip()
        # the text after it, leaving out further test comments and blank space
        rest = text[match.end():]
        while True:
            stripped = rest.lstrip()
            found = comment.match(stripped)
            if not found:
                break
            rest = stripped[found.end():]
        assert rest.lstrip().startswith("```"), (
            f"{page} line {text.count(chr(10), 0, match.start()) + 1}: a test comment must "
            f"come right before a fenced block, found {after[:40]!r}")


def test_output_rule_ellipsis_and_trailing_spaces() -> None:
    assert docs_blocks.matches("loss 0.5 (...s)\n", "loss 0.5 (1.2s)   \n")
    assert docs_blocks.matches("a\n...\nz\n", "a\nb\nc\nz\n")
    # a number with a decimal point: within one unit of its last written digit
    assert docs_blocks.matches("loss 0.5\n", "loss 0.6\n")
    assert docs_blocks.matches("loss 0.3565 99.5%\n", "loss 0.3564 99.6%\n")
    assert not docs_blocks.matches("loss 0.5\n", "loss 0.7\n")
    assert not docs_blocks.matches("loss 0.3565\n", "loss 0.3567\n")
    assert not docs_blocks.matches("9.056e-08\n", "9.056e-05\n")
    # integers (counts, epochs, sizes) are text: equal
    assert not docs_blocks.matches("epoch 3/5\n", "epoch 4/5\n")
    # a column may shift when a number is printed with fewer digits
    assert docs_blocks.matches("   1  0.06709  x\n", "   1   0.0671  x\n")
    assert not docs_blocks.matches("  aligned\n", "aligned\n")


# ----------------------------------------------------------------- the tutorial's figures
# Every figure of docs/tutorial.md is drawn by docs/make_figures.py. A figure that the page
# pairs with a command or a Python block must be drawn by make_figures.py with the same
# command (``command(...)``: ``neuroflow plot`` with ``--dpi 80`` added) or the same
# plotting call on the same network and data (only the drawing size may differ).

TUTORIAL = docs_blocks.ROOT / "docs" / "tutorial.md"
MAKE_FIGURES = docs_blocks.ROOT / "docs" / "make_figures.py"
FIGURES = docs_blocks.ROOT / "docs" / "figures"
#: Arguments that change how large a figure is drawn, not what it shows.
COSMETIC = {"figsize", "resolution", "dpi", "--dpi"}
IMAGE = re.compile(r"!\[[^\]]*\]\(figures/(?P<name>[^)]+)\)")


def _figure_commands() -> dict[str, list[str]]:
    """make_figures.py's ``command(...)`` calls: each file written -> the arguments."""
    written: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(MAKE_FIGURES.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "command"):
            argv = [ast.literal_eval(argument) for argument in node.args]
            for option in ("--out", "--animate"):
                if option in argv:
                    written[argv[argv.index(option) + 1]] = argv
    return written


def _without_dpi(argv: list[str]) -> list[str]:
    return [a for i, a in enumerate(argv) if a != "--dpi" and argv[i - 1:i] != ["--dpi"]]


def _page_plot_commands() -> list[tuple[int, list[str], str | None]]:
    """The tutorial's ``neuroflow plot`` commands as written, with the first figure shown
    after their block."""
    text = TUTORIAL.read_text(encoding="utf-8")
    document = SYBIL.parse(TUTORIAL)
    found = []
    for example in document:
        if example.region.evaluator is not docs_blocks.evaluate_console:
            continue
        image = IMAGE.search(text, example.end)
        for command in example.parsed:
            if command.written[:2] == ["neuroflow", "plot"]:
                found.append((command.line, command.written[2:],
                              image.group("name") if image else None))
    return found


def test_tutorial_images_exist() -> None:
    names = IMAGE.findall(TUTORIAL.read_text(encoding="utf-8"))
    assert len(names) >= 10
    assert not [name for name in names if not (FIGURES / name).is_file()]


def test_tutorial_plot_commands_make_the_figures_shown() -> None:
    made = _figure_commands()
    assert made, "make_figures.py draws no figure with command(...)"
    on_page = _page_plot_commands()
    for line, argv, image in on_page:
        outputs = [argv[argv.index(o) + 1] for o in ("--out", "--animate") if o in argv]
        shown_here = [name for name in outputs if (FIGURES / name).exists()]
        if not shown_here:
            continue  # a figure the reader makes, not one pictured
        assert image in outputs, (f"tutorial.md line {line}: the figure after "
                                  f"'neuroflow plot {' '.join(argv)}' is {image}")
        for name in shown_here:
            assert name in made, (f"tutorial.md line {line}: make_figures.py does not draw "
                                  f"{name} with a command")
            assert _without_dpi(made[name]) == argv, (
                f"tutorial.md line {line}: 'neuroflow plot {' '.join(argv)}' but "
                f"make_figures.py draws {name} with {' '.join(made[name])}")
    pictured = {name for _, argv, _ in on_page for name in argv}
    assert not [name for name in made if name not in pictured], (
        "make_figures.py draws these with a command the tutorial does not show")


def _resolve(node: ast.AST, names: dict[str, ast.AST]) -> object:
    """A call, its arguments and the variables they name, as nested tuples; a function is
    named by its last part (``nf.datasets.make_moons`` is ``make_moons``)."""
    if isinstance(node, ast.Name):
        return _resolve(names[node.id], names) if node.id in names else node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call):
        return ("item", _resolve(node.slice, names), _resolve(node.value, names))
    if isinstance(node, ast.Call):
        keywords = sorted((k.arg, _resolve(k.value, names)) for k in node.keywords
                          if k.arg not in COSMETIC)
        return (_resolve(node.func, names), tuple(_resolve(a, names) for a in node.args),
                tuple(keywords))
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(_resolve(item, names) for item in node.elts)
    try:
        return ast.literal_eval(node)
    except ValueError:  # an expression such as 1 / 6: compared as written
        return ast.unparse(node)


def _saved_figures(source: str, saver: str) -> dict[str, object]:
    """``saver(FIGURE, "NAME")`` calls of ``source``, statement by statement: NAME ->
    the resolved call that drew FIGURE."""
    names: dict[str, ast.AST] = {}
    saved: dict[str, object] = {}
    tree = ast.parse(source)
    body = [s for node in tree.body
            for s in (node.body if isinstance(node, ast.FunctionDef) else [node])]
    for statement in body:
        value = getattr(statement, "value", None)
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = value
                elif isinstance(target, ast.Tuple):
                    for index, item in enumerate(target.elts):
                        names[item.id] = ast.Subscript(value=value, slice=ast.Constant(index))
        for node in ast.walk(statement):
            if (isinstance(node, ast.Call) and _resolve(node.func, {}) == saver
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
                saved[Path(node.args[1].value).name] = _resolve(node.args[0], names)
    return saved


def _page_python() -> str:
    """The tutorial's Python blocks, prompts and printed output removed."""
    text = TUTORIAL.read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"^```python\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        for line in block.splitlines():
            if line.startswith((">>> ", "... ")):
                lines.append(line[4:])
            elif line in (">>>", "..."):
                continue
            elif not block.startswith(">>>"):
                lines.append(line)
    return "\n".join(lines) + "\n"


def test_tutorial_python_draws_the_figures_shown_as_make_figures_does() -> None:
    on_page = _saved_figures(_page_python(), "save")
    made = _saved_figures(MAKE_FIGURES.read_text(encoding="utf-8"), "write")
    pictured = {name for name in on_page if (FIGURES / name).exists()}
    assert pictured, "the tutorial saves no figure it shows"
    for name in pictured:
        assert name in made, f"make_figures.py does not draw {name}"
        assert on_page[name] == made[name], (
            f"{name}: the tutorial draws\n  {on_page[name]}\nmake_figures.py draws\n  "
            f"{made[name]}")


def test_readme_synopsis_names_real_commands_and_options() -> None:
    """The ``text`` synopsis under "Command line" is not run; each ``neuroflow COMMAND``
    and each ``--option`` it names must exist (and every command be listed)."""
    from neuroflow.cli import build_parser

    text = (docs_blocks.ROOT / "README.md").read_text(encoding="utf-8")
    synopsis = re.search(r"## Command line\n\n```text\n(.*?)```", text, re.DOTALL)
    assert synopsis, "README.md: no text block under '## Command line'"
    parser = build_parser()
    commands = next(a for a in parser._actions if hasattr(a, "choices") and
                    isinstance(a.choices, dict)).choices
    listed: set[str] = set()
    command = None
    for line in synopsis.group(1).splitlines():
        line = line.split("  #")[0]
        for word in re.findall(r"(?<![\w-])neuroflow (\w+)", line):
            command = word
            listed.add(command)
            assert command in commands, f"README synopsis: no command 'neuroflow {command}'"
        options = {o for a in commands[command]._actions for o in a.option_strings}
        for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", line):
            assert option in options, f"README synopsis: 'neuroflow {command}' has no {option}"
    assert listed == set(commands), f"README synopsis leaves out {set(commands) - listed}"


def _run_page(tmp_path: Path, monkeypatch, markdown: str) -> None:
    page = tmp_path / "page.md"
    page.write_text(markdown, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for example in docs_blocks.sybil().parse(page):
        example.evaluate()


def test_a_wrong_output_a_failing_command_or_a_stale_comment_fails(tmp_path, monkeypatch):
    shown = "$ neuroflow explain --layers 2,3,1 --seed 1\nTrace of one ...\n...\n"
    _run_page(tmp_path, monkeypatch, f"```console\n{shown}```\n")
    with pytest.raises(AssertionError, match="differs from the page"):
        _run_page(tmp_path, monkeypatch,
                  f"```console\n{shown.replace('Trace of one', 'Trace of two')}```\n")
    with pytest.raises(AssertionError, match="exited with status 2"):
        _run_page(tmp_path, monkeypatch, "```console\n$ neuroflow summary none.safetensors\n```\n")
    with pytest.raises(ValueError, match="no such text"):
        _run_page(tmp_path, monkeypatch,
                  "<!-- test: replace `--epochs 9` with `--epochs 1` -->\n```console\n"
                  f"{shown}```\n")
    with pytest.raises(AssertionError):
        _run_page(tmp_path, monkeypatch, "```python\n>>> print(1 + 1)\n3\n```\n")


def test_add_and_replace_change_what_runs_not_what_is_shown(tmp_path) -> None:
    page = tmp_path / "page.md"
    page.write_text("<!-- test: add `--epochs 1`; replace `a; b` with `c` -->\n```console\n"
                    "$ neuroflow train --preset nielsen  # a; b\n```\n", encoding="utf-8")
    (example,) = list(docs_blocks.sybil().parse(page))
    (command,) = example.parsed
    assert command.written == ["neuroflow", "train", "--preset", "nielsen"]
    assert command.argv == command.written + ["--epochs", "1"]
    assert docs_blocks.label(example) == "page.md:2 [add --epochs 1; a; b -> c]"
