"""The CLI's signed model files: ``train --sign-key FILE`` signs checkpoints and the
model, ``--verify-key FILE`` (or ``$NEUROFLOW_SIGN_KEY``) makes every command that loads
a model refuse unsigned, mis-signed and format-1 files, and ``--no-legacy`` refuses
format 1; each refusal is one line with exit status 2."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from safetensors.numpy import load as st_load

import neuroflow as nf
from neuroflow import io as nfio
from neuroflow.cli import main

KEY = b"0123456789abcdef-cli-key\n"  # the line break of `echo ... > key` is dropped
OTHER = b"0123456789abcdef-other-key"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], err


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A CSV data set, a key file and another key file, in ``tmp_path`` (the cwd)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEUROFLOW_SIGN_KEY", raising=False)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    labels = np.where(x[:, 0] > 0, "yes", "no")
    rows = ["a,b,c,label"] + [f"{p:.3f},{q:.3f},{r:.3f},{label}"
                              for (p, q, r), label in zip(x, labels)]
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "inputs.csv").write_text("a,b,c\n0.1,0.2,0.3\n")
    (tmp_path / "key").write_bytes(KEY)
    (tmp_path / "other").write_bytes(OTHER)
    return tmp_path


def train(capsys, *extra) -> int:
    code, _, err = run(capsys, "train", "--data", "data.csv", "--epochs", "1", "--quiet",
                       "--batch-size", "10", *extra)
    assert "0123456789abcdef" not in err
    return code


def test_train_signs_and_loading_commands_verify(capsys, setup):
    assert train(capsys, "--out", "signed.safetensors", "--sign-key", "key") == 0
    assert nf.load("signed.safetensors", key=KEY.strip()).in_features == 3
    code, out, err = run(capsys, "summary", "signed.safetensors", "--verify-key", "key")
    assert code == 0 and "epochs trained: 1" in out, err
    code, out, err = run(capsys, "predict", "signed.safetensors", "inputs.csv",
                         "--verify-key", "key")
    assert code == 0 and out.strip(), err
    code, _, err = run(capsys, "evaluate", "signed.safetensors", "--data", "data.csv",
                       "--verify-key", "key")
    assert code == 0, err
    code, _, err = run(capsys, "summary", "signed.safetensors", "--verify-key", "other")
    assert code == 2
    one_line(err, "neuroflow summary: error:", "does not match the key")


COMMANDS = {
    "summary": ["summary", "{model}"],
    "evaluate": ["evaluate", "{model}", "--data", "data.csv"],
    "predict": ["predict", "{model}", "inputs.csv"],
    "explain": ["explain", "{model}", "--data", "data.csv"],
    "gradcheck": ["gradcheck", "{model}"],
    "plot": ["plot", "architecture", "{model}", "--out", "a.png"],
    "export": ["export", "{model}", "--onnx", "m.onnx"],
    "train": ["train", "--resume", "{model}", "--data", "data.csv", "--epochs", "2"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_loading_command_refuses_an_unsigned_model(capsys, setup, command):
    assert train(capsys, "--out", "plain.safetensors") == 0
    argv = [a.format(model="plain.safetensors") for a in COMMANDS[command]]
    code, _, err = run(capsys, *argv, "--verify-key", "key")
    assert code == 2
    one_line(err, f"neuroflow {command}: error:", "not signed")


def test_environment_key_signs_and_verifies(capsys, setup, monkeypatch):
    assert train(capsys, "--out", "plain.safetensors") == 0
    monkeypatch.setenv("NEUROFLOW_SIGN_KEY", KEY.decode())
    assert train(capsys, "--out", "signed.safetensors") == 0
    assert nf.load("signed.safetensors", key=KEY.strip()).in_features == 3
    assert run(capsys, "summary", "signed.safetensors")[0] == 0
    code, _, err = run(capsys, "summary", "plain.safetensors")
    assert code == 2
    one_line(err, "not signed")
    code, _, err = run(capsys, "summary", "signed.safetensors", "--verify-key", "other")
    assert code == 2  # a key file named wins over the environment
    one_line(err, "does not match the key")


def test_resume_verifies_the_checkpoint_and_signs_the_result(capsys, setup):
    assert train(capsys, "--out", "ckpt.safetensors", "--sign-key", "key") == 0
    code = train(capsys, "--resume", "ckpt.safetensors", "--epochs", "2", "--verify-key",
                 "key", "--sign-key", "key")
    assert code == 0
    assert nf.load("ckpt.safetensors", key=KEY.strip()).epochs_trained == 2
    code, _, err = run(capsys, "train", "--resume", "ckpt.safetensors", "--data", "data.csv",
                       "--epochs", "3", "--verify-key", "other")
    assert code == 2
    one_line(err, "neuroflow train: error:", "does not match the key")
    assert nf.load("ckpt.safetensors", key=KEY.strip()).epochs_trained == 2  # untouched


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read 'missing'"),
    (b"short\n", "at least 16 bytes"),
    (b"x" * 5000, "larger than 4096 bytes"),
])
def test_bad_key_files_are_one_line(capsys, setup, content, message):
    name = "missing"
    if content is not None:
        (setup / "bad").write_bytes(content)
        name = "bad"
    code, _, err = run(capsys, "train", "--data", "data.csv", "--out", "m.safetensors",
                       "--sign-key", name)
    assert code == 2
    one_line(err, "--sign-key", message)
    code, _, err = run(capsys, "summary", "m.safetensors", "--verify-key", name)
    assert code == 2
    one_line(err, "--verify-key", message)


def test_no_legacy_refuses_format_1(capsys, setup):
    assert train(capsys, "--out", "new.safetensors") == 0
    data = (setup / "new.safetensors").read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + length])
    metadata = header["__metadata__"]
    metadata["format_version"] = "1.0"
    for key in set(metadata) - {"format", "format_version", "architecture", "training",
                                "class_names", "preprocessing", "neuroflow_version"}:
        metadata.pop(key)
    metadata["sha256"] = nfio.tensor_digest(st_load(data))
    raw = json.dumps(header).encode()
    (setup / "old.safetensors").write_bytes(len(raw).to_bytes(8, "little") + raw
                                            + data[8 + length:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code, out, err = run(capsys, "summary", "old.safetensors")
    assert code == 0 and "warning: " in err and "format 1.0" in err
    code, _, err = run(capsys, "summary", "old.safetensors", "--no-legacy")
    assert code == 2
    one_line(err, "format 1.0", "--no-legacy")
    code, _, err = run(capsys, "summary", "old.safetensors", "--verify-key", "key")
    assert code == 2
    one_line(err, "not signed", "format 1.0 cannot carry a signature")


@pytest.mark.parametrize("flag", [["--verify-key", "key"], ["--no-legacy"]])
def test_train_refuses_verify_options_without_resume(capsys, setup, flag):
    code, _, err = run(capsys, "train", "--data", "data.csv", "--out", "m.safetensors", *flag)
    assert code == 2
    one_line(err, f"{flag[0]}: only with --resume")
