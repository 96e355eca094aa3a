"""A first-party module that fails to import must fail the suite, never skip it: tests may
skip on a missing third-party dependency only (``importorskip("neuroflow...")`` turned a
renamed ``neuroflow.plotting`` submodule into a skip)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_test_skips_on_a_neuroflow_import() -> None:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "importorskip"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and str(node.args[0].value).split(".")[0] == "neuroflow"):
                found.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert not found, f"importorskip of first-party modules: {found}"
