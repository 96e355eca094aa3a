"""The training loop: behaviour pinned by the mutation run of ``training/loop.py``
(docs/testing.md).

Each test checks something a changed loop gets wrong: the whole messages of the stream
refusals and of divergence, what a stream ``fit`` resolves and records, and what the loop
tells its callbacks. Networks and data are tiny: the mechanics, not the learning, are
under test.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import neuroflow as nf


def _data(n: int = 12, features: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    return x, (x[:, 0] > 0).astype(np.int64)


def _net(dtype: str = "float64") -> nf.Network:
    return nf.Network.from_sizes([3, 4, 2], seed=0, dtype=dtype)


def _batches(x: np.ndarray, y: np.ndarray, size: int = 4) -> list[tuple[np.ndarray, ...]]:
    return [(x[i:i + size], y[i:i + size]) for i in range(0, x.shape[0], size)]


# ----------------------------------------------------------------- streams of batches
@pytest.mark.parametrize(("option", "value"), [
    ("validation_split", 0.25), ("sample_weight", [1.0] * 12), ("distributed", True),
    ("resume_from", "checkpoint.safetensors"),
])
def test_stream_refusals_name_the_option_and_where_weights_go(option, value) -> None:
    x, y = _data()
    message = (f"{option}: not supported when x is a stream of batches, received {value!r}; "
               "give validation_data, and sample weights as the third item of each batch")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _net().fit(_batches(x, y), epochs=1, verbose=0, **{option: value})


@pytest.mark.parametrize("validation_data", [(np.zeros((2, 3)), [0, 1], [1.0, 1.0]),
                                             "xy", [np.zeros((2, 3))]])
def test_stream_validation_data_must_be_a_pair(validation_data) -> None:
    x, y = _data()
    received = type(validation_data).__name__
    with pytest.raises(ValueError, match=rf"^validation_data: expected a pair \(x_val, y_val\), "
                                         rf"received {received}$"):
        _net().fit(_batches(x, y), epochs=1, verbose=0, validation_data=validation_data)


def test_stream_fit_uses_the_optimizer_named_and_clears_the_run_record() -> None:
    x, y = _data()
    net = _net()
    net.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert isinstance(net.training_run, dict)  # arrays: the run can be resumed and checked
    net.fit(_batches(x, y), epochs=1, verbose=0, optimizer="sgd", learning_rate=0.5)
    assert isinstance(net.optimizer, nf.optimizers.SGD)
    assert net.optimizer.current_learning_rate() == 0.5
    assert net.training_run is None  # a stream cannot be replayed


# ----------------------------------------------------------------- divergence
@pytest.mark.parametrize(("dtype", "exponent"), [("float32", 19), ("float64", 154)])
def test_weights_beyond_the_norm_limit_name_the_dtypes_limit_and_the_rate(dtype, exponent):
    x, y = _data()
    net = _net(dtype)
    message = (f"the weights became NaN, infinite or too large to compute with (norm beyond "
               f"1e{exponent}) at epoch 1, batch 1; the learning rate (1e+300) is probably too "
               "high, try a lower one (or --dtype float64 when the data's values are very "
               "large)")
    with pytest.raises(nf.TrainingDivergedError, match=f"^{re.escape(message)}$"):
        net.fit(x, y, epochs=1, batch_size=12, optimizer="sgd", learning_rate=1e300,
                verbose=0)


# ----------------------------------------------------------------- what callbacks are told
class _Recorder(nf.callbacks.Callback):
    """Keeps the loop's parameters and stops after batch ``stop_at`` of the first epoch."""

    def __init__(self, stop_at: int | None = None) -> None:
        super().__init__()
        self.stop_at = stop_at
        self.seen_params: dict | None = None

    def on_train_begin(self, logs=None):
        self.seen_params = dict(self.params)

    def on_batch_end(self, batch, logs=None):
        if batch == self.stop_at:
            self.network.stop_training = True


def test_a_stream_tells_callbacks_its_steps_and_no_sample_count_or_batch_size() -> None:
    x, y = _data()
    recorder = _Recorder()
    _net().fit(_batches(x, y), epochs=2, verbose=0, callbacks=[recorder])
    assert recorder.seen_params == {"epochs": 2, "steps": 3, "samples": None,
                                    "batch_size": None, "verbose": 0, "initial_epoch": 0}


def test_a_stop_after_one_sample_logs_that_sample() -> None:
    x, y = _data()
    net = _net()
    net.fit(x, y, epochs=2, batch_size=1, verbose=0, callbacks=[_Recorder(stop_at=0)])
    assert net.epochs_trained == 0 and net.history.epoch == []
    partial = net.history.partial
    assert (partial["epoch"], partial["batches"], partial["samples"]) == (0, 1, 1)


def test_a_stop_mid_epoch_logs_the_accuracy_of_the_samples_seen() -> None:
    x, y = _data()
    net = _net()
    correct = int(np.sum(np.argmax(net.predict(x[:4]), axis=1) == y[:4]))
    assert 0 < correct < 4  # a fraction that tells correct / seen apart from other formulas
    net.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0,
            callbacks=[_Recorder(stop_at=0)])
    assert net.history.partial["accuracy"] == correct / 4


def _refused_one_huge_sample(net: nf.Network, message: str) -> None:
    """One epoch of SGD (η = 0.05) on the single sample x = 1e20, y = 1 stops with
    exactly ``message``."""
    with pytest.raises(nf.TrainingDivergedError, match=f"^{re.escape(message)}$"):
        net.fit(np.array([[1e20]]), np.array([1.0]), epochs=1, batch_size=1, optimizer="sgd",
                learning_rate=0.05, verbose=0)


def test_outputs_that_overflow_after_the_last_step_are_divergence() -> None:
    """Weights of norm 1e19 pass the float32 weight check, but times an input of 1e20 the
    output overflows: only the check of the trained network's outputs sees it."""
    net = nf.Network.from_sizes([1, 1], output="linear", loss="mse", seed=0, dtype="float32")
    for parameter in net.parameters():
        parameter[...] = 0  # dC/dW = -2 y x = -2e20, so one step of 0.05 makes W = 1e19
    message = ("the trained network's outputs are NaN or infinite; the learning rate (0.05) "
               "is probably too high, try a lower one (or --dtype float64 when the data's "
               "values are very large)")
    _refused_one_huge_sample(net, message)


def test_the_callbacks_final_states_stay_on_the_network() -> None:
    x, y = _data()
    net = _net()
    net.fit(x, y, epochs=2, verbose=0)
    assert net.callback_states is None  # no stateful callback
    plateau = nf.callbacks.ReduceLROnPlateau(monitor="loss", patience=5)
    net.fit(x, y, epochs=3, verbose=0, callbacks=[plateau])
    assert net.callback_states == [{"type": "ReduceLROnPlateau",
                                    "state": plateau.get_state()}]
    assert net.callback_states[0]["state"]["best"] == min(net.history.history["loss"][2:])


def test_the_weight_check_covers_networks_on_another_array_library() -> None:
    """Without NumPy's packed parameter buffer each parameter array is checked."""
    pytest.importorskip("array_api_strict", reason="the array-API test extra is not installed")
    x, y = _data()
    net = nf.Network([nf.Dense(3, 2, activation="softmax")], seed=0,
                     backend="array_api_strict")
    assert net.parameter_buffer is None
    with pytest.raises(nf.TrainingDivergedError, match=r"^the weights became NaN.*norm beyond "
                                                       r"1e19\) at epoch 1, batch 1;"):
        net.fit(x, y, epochs=1, batch_size=12, optimizer="sgd", learning_rate=1e300,
                verbose=0)


def test_a_later_fit_without_resume_starts_its_callbacks_fresh() -> None:
    """The states a fit leaves on the network are restored only by ``resume_from``."""
    x, y = _data()
    net = _net()
    net.fit(x, y, epochs=2, verbose=0,
            callbacks=[nf.callbacks.ReduceLROnPlateau(monitor="loss", patience=5)])
    assert net.callback_states[0]["state"]["best"] < np.inf

    fresh = nf.callbacks.ReduceLROnPlateau(monitor="loss", patience=5)
    expected = fresh.get_state()
    at_start = []
    probe = nf.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: at_start.append(fresh.get_state()))
    net.fit(_batches(x, y), epochs=3, verbose=0, callbacks=[fresh, probe])
    assert at_start[0] == expected


def test_callbacks_are_told_the_runs_size_and_where_it_starts() -> None:
    x, y = _data()
    net = _net()
    first, second = _Recorder(), _Recorder()
    net.fit(x, y, epochs=2, batch_size=5, verbose=0, callbacks=[first])
    net.fit(x, y, epochs=1, batch_size=5, verbose=0, callbacks=[second])
    assert first.seen_params == {"epochs": 2, "steps": 3, "samples": 12, "batch_size": 5,
                                 "verbose": 0, "initial_epoch": 0}
    assert second.seen_params == {"epochs": 3, "steps": 3, "samples": 12, "batch_size": 5,
                                  "verbose": 0, "initial_epoch": 2}


@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_fit_reports_each_epoch_on_stdout(verbose, capsys) -> None:
    x, y = _data()
    recorder = _Recorder()
    _net().fit(x, y, epochs=2, batch_size=4, verbose=verbose, callbacks=[recorder])
    assert recorder.seen_params["verbose"] == verbose
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert [line.split()[:2] for line in lines] == [["epoch", "1/2"], ["epoch", "2/2"]]


def test_an_epochs_loss_and_accuracy_cover_every_batch() -> None:
    """With a step too small to move the weights, the epoch's loss and accuracy are those of
    the untrained network on all samples, the last partial batch included."""
    x, y = _data()
    net = _net()
    before = net.evaluate(x, y)
    accuracy = float(np.mean(np.argmax(net.predict(x), axis=1) == y))
    assert 0 < accuracy < 1
    history = net.fit(x, y, epochs=1, batch_size=5, shuffle=False, optimizer="sgd",
                      learning_rate=1e-300, verbose=0)
    assert history.history["accuracy"] == [accuracy]
    assert history.history["loss"][0] == pytest.approx(before["loss"], rel=1e-12)


# ----------------------------------------------------------------- options and resuming
@pytest.mark.parametrize("verbose", [3, -1, True, 1.5])
def test_verbose_outside_0_1_2_is_refused_with_the_value(verbose) -> None:
    x, y = _data()
    message = f"verbose: expected 0, 1 or 2, received: {verbose!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _net().fit(x, y, epochs=1, verbose=verbose)


def test_callbacks_that_are_not_a_list_are_refused_with_their_type() -> None:
    x, y = _data()
    with pytest.raises(ValueError, match="^callbacks: expected a list of Callback objects, "
                                         "received ReduceLROnPlateau$"):
        _net().fit(x, y, epochs=1, verbose=0,
                   callbacks=nf.callbacks.ReduceLROnPlateau(monitor="loss"))


def test_resume_gives_each_stateful_callback_the_next_saved_state_of_its_type(tmp_path) -> None:
    """The first callback of a type takes the saved state; a second of that type finds none
    left and starts fresh."""
    x, y = _data()
    path = tmp_path / "run.safetensors"
    saved = nf.callbacks.ReduceLROnPlateau(monitor="loss", patience=5)
    _net().fit(x, y, epochs=2, batch_size=4, verbose=0,
               callbacks=[saved, nf.callbacks.ModelCheckpoint(path)])
    fresh = nf.callbacks.ReduceLROnPlateau(monitor="loss", patience=5).get_state()
    assert saved.get_state() != fresh

    first = nf.callbacks.ReduceLROnPlateau(monitor="loss", patience=5)
    second = nf.callbacks.ReduceLROnPlateau(monitor="loss", patience=5)
    at_start = []
    probe = nf.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: at_start.append(
        (first.get_state(), second.get_state())))
    _net().fit(x, y, epochs=3, batch_size=4, verbose=0, resume_from=path,
               callbacks=[first, second, probe])
    assert at_start[0] == (saved.get_state(), fresh)


def test_the_steps_end_is_called_after_each_update_before_the_callbacks(monkeypatch) -> None:
    """``end_step`` (the BLAS threads given back) runs once per update, before
    ``on_batch_end``."""
    from neuroflow.training.steps import LocalSteps

    events: list[str] = []
    monkeypatch.setattr(LocalSteps, "end_step", lambda self: events.append("end_step"))
    probe = nf.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: events.append("batch"))
    x, y = _data()
    _net().fit(x, y, epochs=2, batch_size=5, verbose=0, callbacks=[probe])
    assert events == ["end_step", "batch"] * 6


class _Order(nf.callbacks.Callback):
    """Records the hooks it sees, under its name; ``runs_last`` as a saver has it."""

    def __init__(self, name: str, events: list, runs_last: bool = False) -> None:
        super().__init__()
        self.name, self.events, self.runs_last = name, events, runs_last

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append((self.name, "epoch_begin", epoch))

    def on_batch_begin(self, batch, logs=None):
        self.events.append((self.name, "batch_begin", batch))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append((self.name, "epoch_end", epoch))


def test_callbacks_are_told_each_epoch_and_batch_and_savers_end_epochs_last() -> None:
    x, y = _data()
    events: list = []
    saver, other = _Order("saver", events, runs_last=True), _Order("other", events)
    net = _net()
    started = time.perf_counter()
    history = net.fit(x, y, epochs=2, batch_size=5, verbose=0, callbacks=[saver, other])
    elapsed = time.perf_counter() - started
    expected = []
    for epoch in range(2):
        expected += [("other", "epoch_begin", epoch), ("saver", "epoch_begin", epoch)]
        expected += [("other", "batch_begin", batch) for batch in range(3)]
        expected += [("other", "epoch_end", epoch), ("saver", "epoch_end", epoch)]
    assert events == expected
    assert net.stop_training is False
    assert all(0 <= seconds <= elapsed for seconds in history.history["time"])


def test_a_stop_before_the_first_epoch_trains_nothing() -> None:
    """A callback that sets ``stop_training`` when training begins (as a restored state
    of an ended run may) leaves the network as it was, with no epoch logged."""
    x, y = _data()
    net = _net()
    before = [p.copy() for p in net.parameters()]
    stopper = nf.callbacks.LambdaCallback(
        on_train_begin=lambda logs: setattr(net, "stop_training", True))
    history = net.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[stopper])
    assert net.epochs_trained == 0 and history.epoch == []
    assert all(np.array_equal(p, q) for p, q in zip(net.parameters(), before))


def test_a_loss_that_overflows_names_the_batch_and_the_rate() -> None:
    """Outputs of 1e20 overflow float32's squared error at the first batch."""
    net = nf.Network.from_sizes([1, 1], output="linear", loss="mse", seed=0, dtype="float32")
    message = ("loss became inf at epoch 1, batch 1; the learning rate (0.05) is probably too "
               "high, try a lower one (or --dtype float64 when the data's values are very "
               "large)")
    _refused_one_huge_sample(net, message)
