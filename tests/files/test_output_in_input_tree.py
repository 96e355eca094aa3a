"""An output anywhere inside an input folder, at any depth, is refused (D2): an image
folder's files sit in its class folders, so ``--out imgs/d0/0.png`` would replace a
training image, and a new file there would become one."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from neuroflow.cli import main
from neuroflow.errors import OutputError
from neuroflow.files import check_writable, write_atomic


@pytest.mark.parametrize("relative", ["d0/0.png", "d0/new.png", "d0/deeper/x.bin",
                                      "new.safetensors"])
def test_output_at_any_depth_of_an_input_folder_is_refused(tmp_path, relative):
    data = tmp_path / "imgs"
    (data / "d0" / "deeper").mkdir(parents=True)
    (data / "d0" / "0.png").write_bytes(b"image")
    target = data / relative
    with pytest.raises(OutputError, match=r"^--out: .* is inside the input folder"):
        check_writable(target, inputs=[data], argument="--out")
    with pytest.raises(OutputError, match="inside the input folder"):
        write_atomic(target, b"model", inputs=[data], argument="--out")
    assert (data / "d0" / "0.png").read_bytes() == b"image"


def test_another_path_to_the_input_folder_counts(tmp_path):
    data = tmp_path / "imgs"
    (data / "d0").mkdir(parents=True)
    alias = tmp_path / "alias"
    alias.symlink_to(data)
    with pytest.raises(OutputError, match="inside the input folder"):
        check_writable(alias / "d0" / "m.bin", inputs=[data], argument="--out")
    with pytest.raises(OutputError, match="inside the input folder"):
        check_writable(data / "d0" / "m.bin", inputs=[alias], argument="--out")


def test_a_sibling_folder_is_not_inside(tmp_path):
    data = tmp_path / "imgs"
    data.mkdir()
    (tmp_path / "imgs2").mkdir()
    write_atomic(tmp_path / "imgs2" / "m.bin", b"ok", inputs=[data])
    assert (tmp_path / "imgs2" / "m.bin").read_bytes() == b"ok"


def test_cli_train_refuses_out_in_a_class_folder_of_the_data(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    for label in ("d0", "d1"):
        (tmp_path / "imgs" / label).mkdir(parents=True)
        for i in range(3):
            pixels = (rng.random((28, 28)) * 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "imgs" / label / f"{i}.png")
    before = (tmp_path / "imgs" / "d0" / "0.png").read_bytes()
    monkeypatch.chdir(tmp_path)
    status = main(["train", "--data", "imgs", "--layers", "784,4,2", "--epochs", "1",
                   "--quiet", "--out", os.path.join("imgs", "d0", "0.png")])
    err = capsys.readouterr().err
    assert status == 2 and (tmp_path / "imgs" / "d0" / "0.png").read_bytes() == before
    assert len(err.strip().splitlines()) == 1 and "--out" in err and "input folder" in err
