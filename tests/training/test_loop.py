import io

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.callbacks import Callback
from neuroflow.callbacks.progress import ProgressBar

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([0, 1, 1, 0])


def test_xor_converges_with_plain_gradient_descent():
    net = nf.Network.from_sizes([2, 4, 1], hidden="tanh", output="sigmoid", seed=1,
                                dtype="float64")
    history = net.fit(XOR_X, XOR_Y, epochs=2000, batch_size=4, verbose=0,
                      optimizer=nf.optimizers.SGD(learning_rate=0.5))
    assert history.history["loss"][-1] < 0.05
    np.testing.assert_array_equal(net.predict_classes(XOR_X), XOR_Y)


def test_xor_converges_with_softmax_and_adam():
    net = nf.Network.from_sizes([2, 8, 2], hidden="relu", output="softmax", seed=0)
    net.fit(XOR_X, XOR_Y, epochs=300, batch_size=2, verbose=0,
            optimizer=nf.optimizers.Adam(learning_rate=0.02))
    np.testing.assert_array_equal(net.predict_classes(XOR_X), XOR_Y)


def test_small_regression_converges(rng):
    x = rng.uniform(-3, 3, size=(256, 1))
    y = np.sin(x)
    net = nf.Network.from_sizes([1, 32, 32, 1], hidden="tanh", output="linear", seed=0,
                                dtype="float64")
    history = net.fit(x, y, epochs=150, batch_size=32, verbose=0,
                      optimizer=nf.optimizers.Adam(learning_rate=0.01))
    assert history.history["loss"][0] > 0.1
    assert net.evaluate(x, y)["loss"] < 0.005
    assert "accuracy" not in history.history


def test_loss_decreases_with_every_optimizer(rng):
    x = rng.normal(size=(200, 5))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    for optimizer in ("sgd", "adam", "rmsprop"):
        net = nf.Network.from_sizes([5, 8, 2], seed=0)
        history = net.fit(x, y, epochs=15, batch_size=20, optimizer=optimizer,
                          learning_rate=0.05, verbose=0)
        assert history.history["loss"][-1] < 0.5 * history.history["loss"][0], optimizer


def test_same_seed_gives_bit_identical_weights_and_history(rng):
    x = rng.normal(size=(150, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=150)

    def run():
        net = nf.Network.from_sizes([6, 10, 3], seed=42)
        history = net.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_split=0.2)
        return net, history

    (a, ha), (b, hb) = run(), run()
    assert all(np.array_equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert ha.history["loss"] == hb.history["loss"]
    assert ha.history["val_accuracy"] == hb.history["val_accuracy"]


class _BatchRecorder(Callback):
    def __init__(self):
        super().__init__()
        self.sizes = []
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(f"epoch_begin {epoch}")

    def on_batch_end(self, batch, logs=None):
        self.sizes.append(logs["size"])

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(f"epoch_end {epoch}")

    def on_train_end(self, logs=None):
        self.events.append("train_end")


def test_last_partial_batch_is_used_and_hooks_fire_in_order(rng):
    recorder = _BatchRecorder()
    net = nf.Network.from_sizes([3, 2], seed=0)
    net.fit(rng.normal(size=(10, 3)), rng.integers(0, 2, 10), epochs=2, batch_size=4,
            callbacks=[recorder], verbose=0)
    assert recorder.sizes == [4, 4, 2, 4, 4, 2]
    assert recorder.events == ["train_begin", "epoch_begin 0", "epoch_end 0", "epoch_begin 1",
                               "epoch_end 1", "train_end"]


def test_every_epoch_reshuffles(rng):
    seen = []

    class Spy(Callback):
        def on_batch_begin(self, batch, logs=None):
            pass

    net = nf.Network.from_sizes([1, 2], seed=0)
    original = net.forward

    def forward(x, training=False):
        if training:
            seen.append(x[:, 0].copy())
        return original(x, training)

    net.forward = forward
    x = np.arange(8, dtype=np.float32).reshape(-1, 1)
    net.fit(x, np.zeros(8, dtype=int), epochs=2, batch_size=8, verbose=0, callbacks=[Spy()])
    assert sorted(seen[0]) == sorted(seen[1]) == list(range(8))
    assert not np.array_equal(seen[0], seen[1])


def test_validation_data_and_history_keys(rng):
    x, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    net = nf.Network.from_sizes([3, 2], seed=0)
    history = net.fit(x, y, epochs=2, verbose=0, validation_data=(x[:10], y[:10]))
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy",
                                    "learning_rate", "time"}
    assert history.epoch == [0, 1]
    assert len(history.history["val_loss"]) == 2


def test_callback_can_stop_training(rng):
    class StopAfterFirst(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.network.stop_training = True

    net = nf.Network.from_sizes([3, 2], seed=0)
    history = net.fit(rng.normal(size=(20, 3)), rng.integers(0, 2, 20), epochs=5, verbose=0,
                      callbacks=[StopAfterFirst()])
    assert history.epoch == [0]


def test_continued_fit_keeps_optimizer_and_epoch_count(rng):
    x, y = rng.normal(size=(20, 3)), rng.integers(0, 2, 20)
    net = nf.Network.from_sizes([3, 2], seed=0)
    net.fit(x, y, epochs=2, verbose=0, optimizer="adam")
    optimizer = net.optimizer
    history = net.fit(x, y, epochs=1, verbose=0)
    assert net.optimizer is optimizer and optimizer.iterations == 3  # one batch per epoch
    # The network's history continues (0.1 replaced it: one epoch listed, three trained).
    assert history is net.history and history.epoch == [0, 1, 2]
    assert len(history.history["loss"]) == net.epochs_trained == 3


def test_plain_progress_lines_when_not_a_terminal(rng):
    stream = io.StringIO()
    net = nf.Network.from_sizes([3, 2], seed=0)
    net.fit(rng.normal(size=(20, 3)), rng.integers(0, 2, 20), epochs=2, verbose=0,
            callbacks=[ProgressBar(1, stream=stream)])
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("epoch 1/2") and "loss=" in lines[0] and "accuracy=" in lines[0]


def test_verbose_zero_is_silent(rng, capsys):
    net = nf.Network.from_sizes([3, 2], seed=0)
    net.fit(rng.normal(size=(20, 3)), rng.integers(0, 2, 20), epochs=2, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_is_reported(rng):
    x = rng.normal(size=(64, 3)) * 100
    y = x @ rng.normal(size=(3, 1)) * 100
    net = nf.Network.from_sizes([3, 16, 1], hidden="relu", output="linear", seed=0)
    with pytest.raises(nf.TrainingDivergedError,
                       match=r"(loss became (nan|inf)|the weights became NaN, infinite or too "
                             r"large.*) at epoch \d+, batch \d+.*try a lower one"):
        net.fit(x, y, epochs=50, batch_size=8, verbose=0, optimizer="sgd", learning_rate=10.0)


def test_mnist_subset_learns_quickly():
    x_train, y_train, x_test, y_test = nf.datasets.mnist()
    net = nf.Network.from_sizes([784, 64, 10], seed=0)
    net.fit(x_train[:6000], y_train[:6000], epochs=3, batch_size=32, verbose=0)
    assert net.evaluate(x_test[:2000], y_test[:2000])["accuracy"] > 0.88


# ------------------------------------------------------------------ validation errors
@pytest.fixture
def small():
    return nf.Network.from_sizes([3, 2], seed=0), np.zeros((6, 3)), np.array([0, 1] * 3)


@pytest.mark.parametrize(("options", "message"), [
    ({"epochs": 0}, r"epochs: expected a positive integer, received: 0"),
    ({"batch_size": 0}, r"batch_size: expected a positive integer, received: 0"),
    ({"batch_size": -3}, r"batch_size: expected a positive integer, received: -3"),
    ({"learning_rate": 0.0, "optimizer": "sgd"}, r"learning_rate: expected a finite number > 0"),
    ({"learning_rate": -0.1}, r"learning_rate: expected a finite number > 0, received: -0.1"),
    ({"optimizer": "adagrad"}, r"optimizer: expected one of adam.*received: 'adagrad'"),
    ({"validation_split": 1.5}, r"validation_split: expected a number in \(0, 1\)"),
    ({"validation_split": 0.01}, r"validation_split: 0.01 of 6 samples leaves"),
    ({"validation_data": [1, 2, 3]}, r"validation_data: expected a pair"),
    ({"sample_weight": [1, 2]}, r"sample_weight: expected a numeric array of shape \(6,\)"),
    ({"sample_weight": [1, 1, 1, 1, 1, -1]}, r"sample_weight: expected finite non-negative"),
    ({"callbacks": [print]}, r"callbacks\[0\]: expected a Callback"),
])
def test_fit_argument_errors(small, options, message):
    net, x, y = small
    with pytest.raises(ValueError, match=message):
        net.fit(x, y, verbose=0, **options)


def test_verbose_must_be_0_1_or_2(small):
    net, x, y = small
    with pytest.raises(ValueError, match=r"verbose: expected 0, 1 or 2, received: 3"):
        net.fit(x, y, verbose=3)


def test_fit_data_errors(small):
    net, x, y = small
    with pytest.raises(ValueError, match=r"y: expected 6 targets \(one per row of x\), "
                                         r"received 5"):
        net.fit(x, y[:5], verbose=0)
    with pytest.raises(ValueError, match=r"x: expected shape \(n_samples, 3\), received shape "
                                         r"\(6, 4\)"):
        net.fit(np.zeros((6, 4)), y, verbose=0)
    bad = x.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"x: expected finite values.*row 3, column 2"):
        net.fit(bad, y, verbose=0)
    with pytest.raises(ValueError, match=r"y: expected class labels in \[0, 1\], received "
                                         r"values in \[0, 7\]"):
        net.fit(x, [0, 1, 7, 0, 1, 0], verbose=0)
    with pytest.raises(ValueError, match=r"x_val: expected shape"):
        net.fit(x, y, verbose=0, validation_data=(np.zeros((2, 5)), [0, 1]))


def test_reused_arrays_are_released_when_a_callback_raises(rng):
    class Boom(Callback):
        def on_batch_end(self, batch, logs=None):
            raise RuntimeError("boom")

    net = nf.Network.from_sizes([3, 4, 2], seed=0)
    with pytest.raises(RuntimeError, match="boom"):
        net.fit(rng.normal(size=(8, 3)), rng.integers(0, 2, 8), epochs=1, verbose=0,
                callbacks=[Boom()])
    assert not any(layer.reuse_buffers for layer in net.layers)
    first = net.forward(rng.normal(size=(8, 3)), training=True)
    kept = first.copy()
    net.forward(rng.normal(size=(8, 3)), training=True)
    np.testing.assert_array_equal(first, kept)  # a new forward did not overwrite it


def test_predict_returns_independent_arrays(rng):
    net = nf.Network.from_sizes([3, 4, 2], seed=0)
    x = rng.normal(size=(5, 3))
    first = net.predict(x)
    kept = first.copy()
    net.predict(rng.normal(size=(5, 3)))
    np.testing.assert_array_equal(first, kept)
    np.testing.assert_allclose(first, net.forward(x.astype(np.float32)), rtol=1e-6)
