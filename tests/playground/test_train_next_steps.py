"""`neuroflow train` (and so `make run`) ends, at a terminal, with what to try next."""

from __future__ import annotations

import sys

from neuroflow.cli import _hints
from neuroflow.cli import main as neuroflow


def test_train_at_a_terminal_ends_with_the_next_commands(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert neuroflow(["train", "--epochs", "1", "--limit", "600", "--layers", "784,8,10",
                      "--out", "m.safetensors"]) == 0
    out = capsys.readouterr().out
    tail = out[out.index("saved model to m.safetensors"):].splitlines()
    assert tail[1] == "next:"
    assert tail[2].startswith("  neuroflow explain m.safetensors --sample 0")
    assert any("neuroflow playground" in line for line in tail)
    assert any("docs/tutorial.md" in line for line in tail)


def test_not_into_a_pipe_and_not_with_quiet(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert neuroflow(["train", "--epochs", "1", "--limit", "600", "--layers", "784,8,10",
                      "--out", "m.safetensors"]) == 0
    assert "next:" not in capsys.readouterr().out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert neuroflow(["train", "--epochs", "1", "--limit", "600", "--layers", "784,8,10",
                      "--out", "q.safetensors", "--quiet"]) == 0
    assert "next:" not in capsys.readouterr().out
    # data other than MNIST: no explain line (it would need the data's options)
    assert "explain" not in _hints.next_steps("pets.safetensors", "pets.csv")
