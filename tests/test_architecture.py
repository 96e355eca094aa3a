"""The layout shows the design: the layering holds, imports sit at module level, files stay
small, and importing neuroflow loads no optional extra and no face module."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "neuroflow"

#: Top-level packages of the optional extras, and numba (a dependency whose import takes
#: half a second, loaded by the first kernel call): the only imports allowed inside
#: functions.
OPTIONAL_EXTRAS = {"matplotlib", "sklearn", "onnx", "onnxruntime", "mpi4py", "cupy",
                   "array_api_compat", "array_api_strict", "starlette", "uvicorn", "torch",
                   "threadpoolctl", "numba", "tensorboardX", "IPython",
                   "anyio"}  # Starlette's own dependency, part of [playground]
#: First-party modules that exist to wrap an optional extra; a command may import them
#: when it is run (the CLI's plot, export and --distributed), so that `neuroflow --help`
#: and the other commands never load the extra.
FACES_OF_EXTRAS = {"neuroflow.plotting", "neuroflow.onnx", "neuroflow.distributed",
                   "neuroflow.playground"}


def lint_imports() -> Path:
    for folder in (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent):
        if (folder / "lint-imports").exists():
            return folder / "lint-imports"
    pytest.skip("import-linter is not installed (the [dev] extra)")


def test_no_source_file_is_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def function_level_imports() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                else:
                    continue
                for name in names:
                    found.append((str(path.relative_to(PACKAGE)), node.lineno, name))
    return found


def test_imports_inside_functions_are_optional_extras_only():
    """Module-level imports are the layering; only optional extras (and the faces that
    exist to wrap one) are imported when first used."""
    offending = [(path, line, name) for path, line, name in function_level_imports()
                 if name.split(".")[0] not in OPTIONAL_EXTRAS and name not in FACES_OF_EXTRAS]
    assert offending == []


def test_import_neuroflow_loads_no_extra_and_no_face():
    probe = ("import sys, neuroflow\n"
             "print('\\n'.join(sorted(sys.modules)))")
    loaded = set(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                check=True).stdout.split())
    extras = {name for name in loaded if name.split(".")[0] in OPTIONAL_EXTRAS}
    faces = {name for name in loaded if name.split(".")[:2] in (
        ["neuroflow", "cli"], ["neuroflow", "plotting"], ["neuroflow", "sklearn"],
        ["neuroflow", "onnx"], ["neuroflow", "distributed"], ["neuroflow", "presets"],
        ["neuroflow", "playground"])}
    assert extras == set() and faces == set()


def test_faces_are_still_reachable_from_the_package():
    import neuroflow as nf

    assert nf.presets.names() and callable(nf.distributed.fit)


def test_lint_imports_passes_and_catches_an_upward_import(tmp_path):
    """The contracts in pyproject.toml hold, and they are not vacuous: the same check on
    a copy with one deliberate upward import (the math importing the training loop)
    fails."""
    tool = lint_imports()
    # no cache: the checkout may be read-only for the user running the suite
    ok = subprocess.run([str(tool), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    shutil.copytree(PACKAGE, tmp_path / "src" / "neuroflow")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "src" / "neuroflow" / "activations.py"
    target.write_text(target.read_text() + "\nimport neuroflow.training  # upward\n")
    broken = subprocess.run([str(tool), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(tmp_path / "src"), "PATH": ""})
    assert broken.returncode != 0
    assert "neuroflow.activations -> neuroflow.training" in broken.stdout
