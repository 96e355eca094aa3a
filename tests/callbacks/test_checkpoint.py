"""ModelCheckpoint, fit(resume_from=...), Ctrl-C during fit and the divergence guard."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.callbacks import Callback, ModelCheckpoint
from neuroflow.errors import ModelFileError, TrainingDivergedError, TrainingInterrupted


def data(n: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 0.5)
    return x, y


def network(dtype: str = "float64") -> nf.Network:
    return nf.Network.from_sizes([5, 8, 3], hidden="relu", seed=4, dtype=dtype)


OPTIONS = {"batch_size": 10, "validation_split": 0.25, "verbose": 0}


def identical(a: nf.Network, b: nf.Network) -> bool:
    return all(np.array_equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_interrupted_and_resumed_equals_uninterrupted(tmp_path, dtype, optimizer):
    x, y = data()
    path = tmp_path / "ckpt.safetensors"
    whole = network(dtype)
    whole.fit(x, y, epochs=5, optimizer=optimizer, **OPTIONS)

    first = network(dtype)
    first.fit(x, y, epochs=2, optimizer=optimizer, callbacks=[ModelCheckpoint(path)], **OPTIONS)
    resumed = network(dtype)  # a fresh process would build the same network again
    history = resumed.fit(x, y, epochs=5, optimizer=optimizer, resume_from=path, **OPTIONS)
    assert identical(whole, resumed)
    assert resumed.epochs_trained == 5 and history.epoch == [0, 1, 2, 3, 4]
    assert history.history["loss"] == whole.history.history["loss"]
    assert history.history["val_loss"] == whole.history.history["val_loss"]


def test_resume_after_ctrl_c_equals_uninterrupted(tmp_path):
    """SIGINT in the middle of epoch 3: the epoch-2 checkpoint resumes exactly."""
    x, y = data()
    path = tmp_path / "ckpt.safetensors"

    class CtrlC(Callback):
        def on_batch_end(self, batch, logs=None):
            if self.network.epochs_trained == 2 and batch == 2:
                os.kill(os.getpid(), signal.SIGINT)

    seen = []

    class Ends(Callback):
        def on_train_end(self, logs=None):
            seen.append("end")

    interrupted = network()
    checkpoint = ModelCheckpoint(path)
    with pytest.raises(TrainingInterrupted, match="after 2 complete epochs") as caught:
        interrupted.fit(x, y, epochs=6, callbacks=[CtrlC(), checkpoint, Ends()], **OPTIONS)
    assert isinstance(caught.value, KeyboardInterrupt)
    assert caught.value.epochs_trained == 2 and seen == ["end"]
    assert checkpoint.last_epoch == 2 and nf.load(path).epochs_trained == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    resumed = network()
    resumed.fit(x, y, epochs=6, resume_from=path, **OPTIONS)
    whole = network()
    whole.fit(x, y, epochs=6, **OPTIONS)
    assert identical(whole, resumed)


def test_sigint_handler_is_restored_after_errors():
    x, y = data()
    with pytest.raises(ValueError, match="batch_size"):
        network().fit(x, y, epochs=1, batch_size=0)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_second_ctrl_c_interrupts_at_once():
    x, y = data()

    class TwoCtrlC(Callback):
        def on_batch_end(self, batch, logs=None):
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt) as caught:
        network().fit(x, y, epochs=3, callbacks=[TwoCtrlC()], **OPTIONS)
    assert not isinstance(caught.value, TrainingInterrupted)


def test_resume_with_epochs_already_reached_trains_nothing(tmp_path):
    x, y = data()
    path = tmp_path / "c.safetensors"
    net = network()
    net.fit(x, y, epochs=3, callbacks=[ModelCheckpoint(path)], **OPTIONS)
    again = network()
    history = again.fit(x, y, epochs=2, resume_from=path, **OPTIONS)
    assert again.epochs_trained == 3 and len(history.epoch) == 3
    assert identical(net, again)


def test_resume_refuses_other_architecture_and_optimizer(tmp_path):
    x, y = data()
    path = tmp_path / "c.safetensors"
    network().fit(x, y, epochs=1, optimizer="adam", callbacks=[ModelCheckpoint(path)],
                  **OPTIONS)
    other = nf.Network.from_sizes([5, 9, 3], seed=4, dtype="float64")
    with pytest.raises(ValueError, match="resume_from: the checkpoint .* differs"):
        other.fit(x, y, epochs=2, resume_from=path, **OPTIONS)
    with pytest.raises(ValueError, match="optimizer: the checkpoint .* continues with 'adam'"):
        network().fit(x, y, epochs=2, optimizer="sgd", resume_from=path, **OPTIONS)
    network().fit(x, y, epochs=2, optimizer="adam", resume_from=path, **OPTIONS)  # same: fine


@pytest.mark.parametrize(("change", "message"), [
    ({"batch_size": 16}, r"batch_size 10 -> 16"),
    ({"validation_split": 0.5}, r"training samples 48 -> 32; validation samples 16 -> 32"),
    ({"shuffle": False}, r"shuffle True -> False"),
    ({"x": "other rows"}, r"data fingerprint '[0-9a-f]{16}' -> '[0-9a-f]{16}'"),
    ({"sample_weight": "uneven"}, r"data fingerprint"),
])
def test_resume_refuses_other_data_or_settings(tmp_path, change, message):
    x, y = data()
    path = tmp_path / "c.safetensors"
    network().fit(x, y, epochs=1, callbacks=[ModelCheckpoint(path)], **OPTIONS)
    assert nf.load(path).training_run == network_run(x, y)
    options = {**OPTIONS, **change}
    if options.pop("x", None):
        x = x[::-1].copy()  # same samples, other order: the batches would differ
    if options.get("sample_weight") == "uneven":
        options["sample_weight"] = np.linspace(0.5, 1.5, len(x))
    with pytest.raises(ValueError, match=r"resume_from: the checkpoint .* was trained with "
                                         r"other data or settings \(.*" + message):
        network().fit(x, y, epochs=2, resume_from=path, **options)


def network_run(x, y):
    """The run record ``fit`` writes for OPTIONS on ``(x, y)``."""
    net = network()
    net.fit(x, y, epochs=1, **OPTIONS)
    return net.training_run


def test_resume_from_a_checkpoint_without_run_record_is_not_checked(tmp_path):
    x, y = data()
    path = tmp_path / "c.safetensors"
    old = network()
    old.fit(x, y, epochs=1, **OPTIONS)
    old.training_run = None  # as written before the record existed
    old.save(str(path))
    assert nf.load(path).training_run is None
    resumed = network()
    resumed.fit(x, y, epochs=2, resume_from=path, **{**OPTIONS, "batch_size": 16})
    assert resumed.epochs_trained == 2 and resumed.training_run["batch_size"] == 16


def test_resume_needs_optimizer_state(tmp_path):
    x, y = data()
    path = tmp_path / "c.safetensors"
    network().fit(x, y, epochs=1, callbacks=[ModelCheckpoint(path, include_optimizer=False)],
                  **OPTIONS)
    with pytest.raises(ModelFileError, match="holds no optimizer state"):
        network().fit(x, y, epochs=2, resume_from=path, **OPTIONS)
    with pytest.raises(ModelFileError, match="cannot be read"):
        network().fit(x, y, epochs=2, resume_from=tmp_path / "none.safetensors", **OPTIONS)


def test_checkpoint_save_best_only_and_path_template(tmp_path):
    x, y = data()
    net = network()
    losses = []

    class Record(Callback):
        def on_epoch_end(self, epoch, logs=None):
            losses.append(logs["loss"])

    best = ModelCheckpoint(tmp_path / "best.safetensors", monitor="loss", save_best_only=True)
    every = ModelCheckpoint(str(tmp_path / "e{epoch:02d}-{loss:.2f}.safetensors"))
    net.fit(x, y, epochs=3, callbacks=[Record(), best, every], **OPTIONS)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert [n[:3] for n in names if n.startswith("e")] == ["e01", "e02", "e03"]
    assert best.best == min(losses)
    assert best.last_epoch == 1 + int(np.argmin(losses))
    assert nf.load(tmp_path / "best.safetensors").epochs_trained == best.last_epoch


def test_checkpoint_monitor_mode_and_errors(tmp_path):
    x, y = data()
    assert ModelCheckpoint("m", monitor="val_accuracy").mode == "max"
    with pytest.raises(ValueError, match="mode: expected 'auto', 'min' or 'max'"):
        ModelCheckpoint("m", mode="up")
    with pytest.raises(ValueError, match="monitor: expected the name"):
        ModelCheckpoint("m", monitor="")
    with pytest.raises(ValueError, match="path: expected a file path"):
        ModelCheckpoint("")
    missing = ModelCheckpoint(tmp_path / "m", monitor="val_loss", save_best_only=True)
    with pytest.raises(ValueError, match="monitor='val_loss' is not among the epoch logs"):
        network().fit(x, y, epochs=1, verbose=0, callbacks=[missing])
    bad = ModelCheckpoint(str(tmp_path / "{nothing}.safetensors"))
    with pytest.raises(ValueError, match="path: cannot fill in"):
        network().fit(x, y, epochs=1, verbose=0, callbacks=[bad])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_keeps_last_good_checkpoint(tmp_path):
    x, y = data()
    path = tmp_path / "c.safetensors"
    net = network()
    checkpoint = ModelCheckpoint(path)

    class Explode(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:  # the weights blow up after a good epoch 2 was checkpointed
                self.network.layers[0].params["W"][0, 0] = np.inf

    with pytest.raises(TrainingDivergedError, match=r"at epoch 3, batch 1; .*try a lower one"):
        net.fit(x, y, epochs=5, callbacks=[checkpoint, Explode()], **OPTIONS)
    saved = nf.load(path)
    assert checkpoint.last_epoch == 2 and saved.epochs_trained == 2
    assert all(np.isfinite(p).all() for p in saved.parameters())


def test_checkpoint_skips_non_finite_weights(tmp_path):
    x, y = data()
    path = tmp_path / "c.safetensors"

    class Poison(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.network.layers[1].params["b"][0] = np.nan

    checkpoint = ModelCheckpoint(path)
    net = network()
    with pytest.raises(TrainingDivergedError, match="outputs are NaN or infinite"):
        net.fit(x, y, epochs=1, callbacks=[checkpoint, Poison()], verbose=0)
    assert not path.exists() and checkpoint.last_path is None


def test_resume_is_exact_with_dropout_and_batchnorm(tmp_path):
    x, y = data()
    registry = nf.layers.LAYERS

    def make() -> nf.Network:
        return nf.Network([nf.Dense(5, 8, activation="relu"), registry["BatchNorm"](8),
                           registry["Dropout"](0.3), nf.Dense(8, 3, activation="softmax")],
                          seed=2, dtype="float64")

    path = tmp_path / "c.safetensors"
    whole = make()
    whole.fit(x, y, epochs=4, **OPTIONS)
    make().fit(x, y, epochs=2, callbacks=[ModelCheckpoint(path)], **OPTIONS)
    resumed = make()
    resumed.fit(x, y, epochs=4, resume_from=path, **OPTIONS)
    for a, b in zip(whole.layers, resumed.layers):  # running statistics included
        assert all(np.array_equal(p, q) for p, q in zip(a.state().values(),
                                                        b.state().values()))


def test_resume_is_refused_for_distributed_training(tmp_path):
    x, y = data()
    with pytest.raises(ValueError, match="resume_from: not supported with distributed=True"):
        network().fit(x, y, epochs=1, distributed=True, resume_from=tmp_path / "c")


@pytest.mark.parametrize("monitor", ["val_f1", "val_precision", "recall", "val_accuracy"])
def test_auto_mode_keeps_the_largest_score_like_early_stopping(tmp_path, monitor):
    """``mode="auto"`` maximises every score EarlyStopping maximises: with an F1 of 0.2,
    0.9 and 0.5, the best checkpoint is epoch 2's, not the worst epoch's."""
    from neuroflow.callbacks import EarlyStopping

    class Scores(nf.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs[monitor] = [0.2, 0.9, 0.5][epoch]

    x, y = data()
    best = ModelCheckpoint(tmp_path / "best.safetensors", monitor=monitor, save_best_only=True)
    assert best.mode == EarlyStopping(monitor).mode == "max"
    network().fit(x, y, epochs=3, verbose=0, callbacks=[Scores(), best])
    assert nf.load(tmp_path / "best.safetensors").epochs_trained == 2
