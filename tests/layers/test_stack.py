"""The one-line layer stacks of ``--layers`` (``conv32k3,pool2,conv64k3,pool2,dense128``),
the mnist-cnn preset, and ``neuroflow train`` with a stack."""

from __future__ import annotations

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import cli, presets
from neuroflow.layers.stack import build_stack, image_shape_of, parse_stack


def test_a_stack_builds_its_layers_with_implied_input_and_output():
    layers = build_stack("conv8k3,pool2,conv16k3s2same,bn,avgpool2,dropout0.25,dense32", 784, 10)
    kinds = [type(layer).__name__ for layer in layers]
    assert kinds == ["Conv2D", "MaxPool2D", "Conv2D", "BatchNorm", "AvgPool2D", "Dropout",
                     "Flatten", "Dense", "Dense"]
    assert layers[0].input_shape == (1, 28, 28) and layers[0].activation.name == "relu"
    assert layers[2].output_shape == (16, 7, 7) and layers[2].padding == "same"
    assert not layers[2].use_bias and layers[2].activation.name == "linear"  # bn follows
    assert layers[3].activation.name == "relu" and layers[3].params == {}  # built later
    assert layers[-1].out_features == 10 and layers[-1].activation.name == "softmax"
    net = nf.Network(layers, seed=0)
    assert net.predict(np.zeros((2, 28, 28))).shape == (2, 10)


def test_gap_and_rgb_images():
    layers = build_stack("conv4k3same,gap", 3 * 8 * 8, 2, "tanh", "sigmoid")
    assert layers[0].input_shape == (3, 8, 8)
    assert [type(layer).__name__ for layer in layers] == ["Conv2D", "GlobalAveragePooling2D",
                                                          "Dense"]
    assert image_shape_of(784) == (1, 28, 28)


@pytest.mark.parametrize(("text", "message"), [
    ("conv32,pool2", r"cannot read 'conv32'; expected comma-separated layers"),
    ("conv0k3", r"filters must be positive"),
    ("conv4k3,dense", r"cannot read 'dense'"),
])
def test_bad_stacks_name_the_token(text, message):
    with pytest.raises(ValueError, match=message):
        parse_stack(text)


def test_non_square_inputs_are_refused():
    with pytest.raises(ValueError, match="needs square images, received rows of 10 values"):
        build_stack("conv4k3", 10, 2)


def test_mnist_cnn_preset_network():
    net = presets.build_network(presets.resolve("mnist-cnn"), seed=0)
    assert [layer.output_shape for layer in net.layers[:4]] == \
        [(32, 26, 26), (32, 13, 13), (64, 11, 11), (64, 5, 5)]
    assert net.parameter_count == 320 + 18_496 + 204_928 + 1_290


def test_cli_trains_a_stack(idx_dir, tmp_path, capsys):
    out = tmp_path / "cnn.safetensors"
    assert cli.main(["train", "--data", str(idx_dir), "--layers", "conv4k3,pool2,dense16",
                     "--epochs", "1", "--out", str(out), "--quiet"]) == 0
    net = nf.load(str(out))
    assert type(net.layers[0]).__name__ == "Conv2D" and net.out_features == 10
    assert cli.main(["train", "--layers", "conv4k3,pool", "--out", str(out)]) == 2
    assert "cannot read 'pool'" in capsys.readouterr().err
