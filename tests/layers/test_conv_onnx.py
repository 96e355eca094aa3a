"""ONNX export of convolutional networks: Conv, MaxPool, AveragePool, GlobalAveragePool,
Flatten and per-channel BatchNorm, run by onnxruntime, equal to ``predict`` to 1e-5."""

from __future__ import annotations

import numpy as np
import pytest

import neuroflow as nf

onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def _trained(layers, x, y) -> nf.Network:
    net = nf.Network(layers, seed=0)
    net.fit(x, y, epochs=1, batch_size=16, verbose=0)  # moves BatchNorm's statistics
    return net


def _run(path, x):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x.reshape(len(x), -1).astype(np.float32)})[0]


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2])
def test_conv_network_matches_onnxruntime(tmp_path, padding, stride):
    rng = np.random.default_rng(0)
    x, y = rng.random((48, 2, 12, 12)).astype(np.float32), rng.integers(0, 3, 48)
    layers = nf.layers.connect([
        nf.Conv2D(4, 3, stride=stride, padding=padding, use_bias=False, input_shape=(2, 12, 12)),
        nf.BatchNorm(activation="relu"),
        nf.MaxPool2D(2, stride=1, padding=padding),
        nf.Dropout(0.3),
        nf.Conv2D(3, 2, stride=stride, padding=padding, activation="tanh"),
        nf.AvgPool2D(2, stride=1, padding=padding),
        nf.Flatten(),
    ])
    net = _trained([*layers, nf.Dense(layers[-1].out_features, 3, activation="softmax")], x, y)
    net.to_onnx(tmp_path / "cnn.onnx")
    np.testing.assert_allclose(_run(tmp_path / "cnn.onnx", x), net.predict(x), atol=1e-5)


def test_global_average_pooling_exports(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.random((32, 8, 8)).astype(np.float32), rng.integers(0, 2, 32)
    net = _trained([nf.Conv2D(5, 3, padding="same", activation="elu", input_shape=(1, 8, 8)),
                    nf.GlobalAveragePooling2D(), nf.Dense(5, 2, activation="softmax")], x, y)
    model = net.to_onnx(tmp_path / "gap.onnx")
    assert {"Conv", "GlobalAveragePool", "Flatten"} <= {n.op_type for n in model.graph.node}
    np.testing.assert_allclose(_run(tmp_path / "gap.onnx", x), net.predict(x), atol=1e-5)
