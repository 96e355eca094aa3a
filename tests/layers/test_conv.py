"""Conv2D: the fast path (im2col + GEMM) equals the loops written from the equations,
whole convolutional networks pass the gradient check for every stride, padding and
pooling, and a CNN goes everywhere a dense network goes (image inputs, files, copies,
checkpoints, summary)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.callbacks import ModelCheckpoint
from neuroflow.layers import conv_reference as reference


def _built(layer, dtype=np.float64, seed=0):
    layer.build(np.random.default_rng(seed), np.dtype(dtype))
    rng = np.random.default_rng(seed + 1)
    for value in layer.params.values():
        value[...] = rng.normal(0.0, 0.5, value.shape)
    return layer


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("kernel", [3, (2, 3)])
def test_fast_path_equals_the_reference_loops(stride, padding, kernel, kernel_choice):
    layer = _built(nf.Conv2D(3, kernel, stride=stride, padding=padding, input_shape=(2, 6, 7)))
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 2, 6, 7))
    z = layer.forward(x, training=True)
    expected = reference.conv2d_forward(x, layer.params["W"], layer.params["b"],
                                        layer.stride, layer.pads)
    assert z.shape == expected.shape == (2, *layer.output_shape)
    np.testing.assert_allclose(z, expected, rtol=0, atol=1e-12)
    delta = rng.normal(size=z.shape)
    grad_x = layer.backward(delta.copy())
    grad_w, grad_b, expected_x = reference.conv2d_backward(x, layer.params["W"], delta,
                                                          layer.stride, layer.pads)
    np.testing.assert_allclose(layer.grads["W"], grad_w, rtol=0, atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], grad_b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(grad_x, expected_x, rtol=0, atol=1e-12)


def test_same_padding_keeps_the_size_and_valid_shrinks_it():
    assert nf.Conv2D(4, 3, padding="same", input_shape=(1, 28, 28)).output_shape == (4, 28, 28)
    assert nf.Conv2D(4, 3, input_shape=(1, 28, 28)).output_shape == (4, 26, 26)
    assert nf.Conv2D(4, 3, stride=2, padding="same", input_shape=(1, 7, 7)).output_shape == \
        (4, 4, 4)
    assert nf.Conv2D(4, 3, stride=2, input_shape=(1, 7, 7)).output_shape == (4, 3, 3)


def _network(stride: int, padding: str, pool: str, activation: str = "tanh") -> nf.Network:
    pooling = nf.MaxPool2D if pool == "max" else nf.AvgPool2D
    images = nf.layers.connect([
        nf.Conv2D(3, 3, stride=stride, padding=padding, activation=activation,
                  input_shape=(2, 7, 7)),
        pooling(2, stride=stride, padding=padding),
        nf.Conv2D(2, 2, padding="same", activation=activation),
        nf.Flatten(),
    ])  # sized: the Dense layer takes the flattened width
    return nf.Network([*images, nf.Dense(images[-1].out_features, 3, activation="softmax")],
                      seed=3, dtype="float64")


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("pool", ["max", "avg"])
def test_whole_network_gradient_check(stride, padding, pool):
    net = _network(stride, padding, pool)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2, 7, 7))
    result = nf.check_gradients(net, x, np.array([0, 1, 2]), max_entries=30)
    assert result.passed, str(result)
    assert result.max_error < 1e-6


def test_image_inputs_in_every_layout_give_the_same_predictions():
    net = nf.Network([nf.Conv2D(2, 3, input_shape=(1, 28, 28), activation="relu"),
                      nf.MaxPool2D(2), nf.Flatten(), nf.Dense(2 * 13 * 13, 10,
                                                             activation="softmax")], seed=0)
    images = np.random.default_rng(0).random((4, 28, 28)).astype(np.float32)
    expected = net.predict(images.reshape(4, 784))
    for x in (images, images[:, :, :, None], images[:, None]):
        np.testing.assert_array_equal(net.predict(x), expected)
    with pytest.raises(ValueError, match=r"expected images of shape \(n, 1, 28, 28\)"):
        net.predict(np.zeros((2, 27, 28)))


def test_channels_last_inputs_are_transposed_at_the_edge():
    net = nf.Network([nf.Conv2D(2, 2, input_shape=(3, 4, 5)), nf.GlobalAveragePooling2D(),
                      nf.Dense(2, 1)], seed=0, dtype="float64")
    first = np.random.default_rng(1).normal(size=(2, 3, 4, 5))
    np.testing.assert_array_equal(net.predict(first.transpose(0, 2, 3, 1)), net.predict(first))


@pytest.mark.parametrize(("make", "message"), [
    (lambda: nf.Conv2D(0, 3), r"filters: expected a positive integer, received: 0"),
    (lambda: nf.Conv2D(2, 3, padding="full"), r"padding: expected one of valid, same"),
    (lambda: nf.Conv2D(2, (3, 3, 3)), r"kernel_size: expected a positive integer or a pair"),
    (lambda: nf.Conv2D(2, 5, input_shape=(1, 4, 4)), r"too small for a 5x5 kernel"),
    (lambda: nf.Conv2D(2, 3, input_shape=(28, 28)), r"Conv2D: expected input images"),
    (lambda: nf.Network([nf.Conv2D(2, 3)]), r"layers\[0\]: Conv2D is the first layer"),
    (lambda: nf.Network([nf.Dense(4, 8), nf.Conv2D(2, 3)]),
     r"Conv2D: expected input images .* give input_shape"),
])
def test_bad_arguments_are_refused_with_their_name(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def small_cnn(seed: int = 0, dtype: str = "float64") -> nf.Network:
    return nf.Network([
        nf.Conv2D(4, 3, padding="same", use_bias=False, input_shape=(1, 6, 6)),
        nf.BatchNorm(activation="relu"),
        nf.MaxPool2D(2),
        nf.Dropout(0.2),
        nf.Conv2D(4, 2, activation="relu"),
        nf.Flatten(),
        nf.Dense(16, 3, activation="softmax"),
    ], seed=seed, dtype=dtype)


def _data(n: int = 40):
    """Noise with a bright 2x2 blob in the top-left, top-right or bottom half: the class."""
    rng = np.random.default_rng(0)
    x = rng.random((n, 6, 6)) * 0.5
    y = rng.integers(0, 3, n)
    rows = np.where(y == 2, rng.integers(3, 5, n), rng.integers(0, 2, n))
    cols = np.where(y == 1, rng.integers(3, 5, n), rng.integers(0, 2, n))
    cols = np.where(y == 2, rng.integers(0, 5, n), cols)
    for i in range(n):
        x[i, rows[i]:rows[i] + 2, cols[i]:cols[i] + 2] += 1.0
    return x, y


def test_save_load_copy_and_summary(tmp_path):
    net = small_cnn(dtype="float32")
    x, y = _data()
    net.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "cnn.safetensors"
    net.save(str(path))
    for other in (nf.load(str(path)), net.copy()):
        assert other.get_config() == net.get_config()
        np.testing.assert_array_equal(other.predict(x), net.predict(x))
        for (name, p, _), (_, q, _) in zip(net.named_parameters(), other.named_parameters()):
            np.testing.assert_array_equal(p, q, err_msg=name)
    text = net.summary()
    assert "(None, 4, 6, 6)" in text and "(None, 4, 3, 3)" in text and "(None, 16)" in text
    assert f"{4 * 9:>6}" in text  # the first convolution: 4 filters of 3x3, no bias
    assert net.parameter_count == 36 + 8 + (4 * 4 * 4 + 4) + (16 * 3 + 3)


def test_old_model_files_still_load():
    fixtures = Path(__file__).parent.parent / "fixtures"
    with pytest.warns(nf.errors.ModelFileWarning):
        net = nf.load(str(fixtures / "model-0.1.safetensors"))
    np.testing.assert_allclose(net.predict(np.load(fixtures / "model-0.1-inputs.npy")),
                               np.load(fixtures / "model-0.1-outputs.npy"), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_checkpoint_and_resume_are_bit_identical(tmp_path, dtype):
    x, y = _data()
    options = {"batch_size": 8, "validation_split": 0.2, "verbose": 0}
    whole = small_cnn(seed=1, dtype=dtype)
    whole.fit(x, y, epochs=3, **options)
    path = tmp_path / "ckpt.safetensors"
    small_cnn(seed=1, dtype=dtype).fit(x, y, epochs=1, callbacks=[ModelCheckpoint(path)],
                                       **options)
    resumed = small_cnn(seed=1, dtype=dtype)
    resumed.fit(x, y, epochs=3, resume_from=path, **options)
    for p, q in zip(whole.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p, q)
    assert resumed.history.history["loss"] == whole.history.history["loss"]


def test_a_small_cnn_learns():
    x, y = _data(120)
    net = small_cnn(seed=0, dtype="float32")
    net.fit(x, y, epochs=25, batch_size=16, verbose=0, optimizer=nf.optimizers.Adam(3e-3))
    assert net.evaluate(x, y)["accuracy"] > 0.85
