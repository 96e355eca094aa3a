"""ONNX export: validity, parity with predict in onnxruntime, and clear errors."""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import activations
from neuroflow.preprocessing import StandardScaler

# optional extras (pip install 'neuroflow[onnx]'): skip, rather than fail at collection
onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")


def run_onnx(path, x):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": x.astype(np.float32)})[0]


def perturb(net, seed):
    """Non-zero biases, so the bias path of every Gemm is exercised."""
    rng = np.random.default_rng(seed)
    for layer in net.layers:
        for key, value in layer.params.items():
            if key == "b":
                value += rng.normal(0, 0.5, size=value.shape).astype(value.dtype)
    return net


@pytest.mark.parametrize("depth", [1, 2, 4])
@pytest.mark.parametrize("hidden", [a for a in activations.names() if a != "softmax"])
def test_parity_with_predict(tmp_path, hidden, depth):
    sizes = [5] + [7] * (depth - 1) + [3]
    output = "softmax" if depth % 2 else hidden
    net = perturb(nf.Network.from_sizes(sizes, hidden=hidden, output=output, seed=depth), depth)
    x = np.random.default_rng(0).normal(0, 2, size=(33, 5)).astype(np.float32)
    path = tmp_path / "model.onnx"
    model = net.to_onnx(str(path))
    assert model.ir_version == 8
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    ops = [node.op_type for node in loaded.graph.node]
    assert ops.count("Gemm") == depth
    assert np.abs(run_onnx(path, x) - net.predict(x)).max() <= 1e-5


def test_parity_with_dropout_batchnorm_preprocessing_and_class_names(tmp_path):
    x, y = nf.datasets.make_moons(120, noise=0.1, seed=0)
    x = x * 40 + 300
    net = nf.Network([nf.Dense(2, 8, activation="relu"), nf.layers.Dropout(0.2),
                      nf.layers.BatchNorm(activation="elu"),
                      nf.Dense(8, 2, activation="softmax", use_bias=False)], seed=0)
    net.preprocessing = StandardScaler().fit(x)
    net.class_names = ["north", "south"]
    net.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert not np.allclose(net.layers[2].running_mean, 0)
    path = tmp_path / "moons.onnx"
    model = net.to_onnx(str(path))
    ops = [node.op_type for node in model.graph.node]
    assert ops[:2] == ["Sub", "Div"] and "Elu" in ops and "Dropout" not in ops
    assert np.abs(run_onnx(path, x) - net.predict(x)).max() <= 1e-5
    props = {p.key: p.value for p in model.metadata_props}
    assert props["neuroflow.class_names"] == '["north", "south"]'
    raw = tmp_path / "raw.onnx"
    net.to_onnx(str(raw), include_preprocessing=False)
    scaled = net.preprocessing.transform(x)
    assert np.abs(run_onnx(raw, scaled) - net.predict(x)).max() <= 1e-5


def test_gelu_and_leaky_relu_parameters_carry_over(tmp_path):
    net = perturb(nf.Network([nf.Dense(3, 4, activation=activations.LeakyReLU(0.3)),
                              nf.Dense(4, 4, activation=activations.ELU(0.7)),
                              nf.Dense(4, 2, activation="gelu")], seed=1), 1)
    x = np.random.default_rng(1).normal(0, 3, size=(10, 3)).astype(np.float32)
    path = tmp_path / "m.onnx"
    model = net.to_onnx(str(path))
    alphas = [a.f for n in model.graph.node for a in n.attribute if a.name == "alpha"]
    np.testing.assert_allclose(alphas, [0.3, 0.7], rtol=1e-6)
    assert np.abs(run_onnx(path, x) - net.predict(x)).max() <= 1e-5


def test_float64_network_exports_float32(tmp_path):
    net = nf.Network.from_sizes([4, 6, 1], hidden="tanh", output="sigmoid", seed=2,
                                dtype="float64")
    x = np.random.default_rng(2).normal(size=(9, 4))
    path = tmp_path / "m.onnx"
    net.to_onnx(str(path))
    assert np.abs(run_onnx(path, x) - net.predict(x)).max() <= 1e-5


class Swish(activations.Activation):
    name = "swish"

    def forward(self, z):
        return z / (1 + np.exp(-z))


class Doubler(nf.Layer):
    type_name = "Doubler"

    def __init__(self, features):
        super().__init__()
        self.in_features = self.out_features = features

    def build(self, rng, dtype):
        self.built = True

    def forward(self, x, training=False):
        return 2 * x


def test_unsupported_pieces_raise_clear_errors(tmp_path):
    path = tmp_path / "m.onnx"
    net = nf.Network([nf.Dense(2, 3, activation=Swish()), nf.Dense(3, 1)], seed=0)
    with pytest.raises(ValueError, match=r"layers\[0\] \(Dense\): activation 'swish' cannot "
                                         r"be exported to ONNX; supported activations: elu"):
        net.to_onnx(str(path))
    net = nf.Network([nf.Dense(2, 3), Doubler(3)], seed=0)
    with pytest.raises(ValueError, match=r"layers\[1\] \(Doubler\): layer type 'Doubler' "
                                         "cannot be exported"):
        net.to_onnx(str(path))

    class Custom:
        def transform(self, x):
            return x

    net = nf.Network([nf.Dense(2, 1)], seed=0)
    net.preprocessing = Custom()
    with pytest.raises(ValueError, match="network.preprocessing: Custom cannot be exported"):
        net.to_onnx(str(path))
    assert not path.exists()
