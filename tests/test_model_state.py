"""One model state: copy, save/load and interrupt-then-resume agree on everything.

The property test draws random networks (every layer type and hidden activation,
preprocessing, class and feature names, every optimiser, every stateful callback, every
numpy bit generator, float32 and float64) and checks that ``copy()``, ``save`` -> ``load``
and an interruption at a random batch followed by ``fit(resume_from=...)`` reproduce the
original bit for bit.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from fuzz_scale import cases
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import neuroflow as nf
from neuroflow import io as nfio
from neuroflow.callbacks import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
)
from neuroflow.callbacks.diagnostics import Diagnostics
from neuroflow.layers import LAYERS
from neuroflow.network import STATE_FIELDS, TRANSIENT_FIELDS
from neuroflow.preprocessing import StandardScaler

BIT_GENERATORS = [np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937,
                  np.random.Philox, np.random.SFC64]
HIDDEN = ["relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "softplus", "linear"]
OPTIMIZERS = [lambda: nf.optimizers.SGD(0.05), lambda: nf.optimizers.SGD(0.05, momentum=0.9),
              lambda: nf.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
              lambda: nf.optimizers.Adam(0.01), lambda: nf.optimizers.AdamW(0.01),
              lambda: nf.optimizers.RMSProp(0.01)]


# ---------------------------------------------------------------------------- helpers
def same_arrays(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(
        np.asarray(a[k]).dtype == np.asarray(b[k]).dtype and np.array_equal(a[k], b[k])
        for k in a)


def layer_states(net: nf.Network) -> dict[str, np.ndarray]:
    return {f"{i}.{k}": v for i, layer in enumerate(net.layers)
            for k, v in layer.state().items()}


def history_without_times(net: nf.Network) -> dict | None:
    if net.history is None:
        return None
    data = net.history.to_dict()
    data["history"].pop("time", None)
    return data


def assert_same_model(a: nf.Network, b: nf.Network, x: np.ndarray) -> None:
    """Everything :data:`STATE_FIELDS` names is equal, and so are the predictions."""
    assert a.get_config() == b.get_config()
    assert same_arrays(layer_states(a), layer_states(b))
    assert np.array_equal(a.predict(x), b.predict(x))
    assert (a.optimizer is None) == (b.optimizer is None)
    if a.optimizer is not None:
        assert a.optimizer.get_config() == b.optimizer.get_config()
        assert a.optimizer.iterations == b.optimizer.iterations
        assert same_arrays(a.optimizer.state_dict(), b.optimizer.state_dict())
    assert a.epochs_trained == b.epochs_trained and a.seed == b.seed
    assert type(a.rng.bit_generator) is type(b.rng.bit_generator)
    assert same_generator_state(a.rng, b.rng)
    assert history_without_times(a) == history_without_times(b)
    assert a.training_run == b.training_run
    assert a.class_names == b.class_names and a.feature_names == b.feature_names
    assert (a.preprocessing is None) == (b.preprocessing is None)
    if a.preprocessing is not None:
        assert a.preprocessing.get_config() == b.preprocessing.get_config()
        assert same_arrays(a.preprocessing.state(), b.preprocessing.state())
    assert states_equal(a.callback_states, b.callback_states)


def same_generator_state(a: np.random.Generator, b: np.random.Generator) -> bool:
    return json.dumps(nfio._jsonable(a.bit_generator.state)) == \
        json.dumps(nfio._jsonable(b.bit_generator.state))


def states_equal(a: list | None, b: list | None) -> bool:
    if a is None or b is None:
        return a is b
    return len(a) == len(b) and all(
        x["type"] == y["type"] and x["state"].keys() == y["state"].keys() and all(
            np.array_equal(x["state"][k], y["state"][k]) if isinstance(x["state"][k], np.ndarray)
            else x["state"][k] == y["state"][k] or (x["state"][k] != x["state"][k]
                                                    and y["state"][k] != y["state"][k])
            for k in x["state"]) for x, y in zip(a, b))


class StopAt(Callback):
    """Requests a stop after batch ``batch`` of epoch ``epoch``, as Ctrl-C does (a stop
    after an epoch's last batch ends training with that epoch complete)."""

    def __init__(self, epoch: int, batch: int) -> None:
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            self.network.stop_training = True


# ---------------------------------------------------------------------------- strategies
@st.composite
def models(draw):
    """A random network with data, optimiser and callback factories."""
    dtype = draw(st.sampled_from(["float32", "float64"]))
    bit_generator = draw(st.sampled_from(BIT_GENERATORS))
    seed = draw(st.integers(0, 2**16))
    n_in = draw(st.integers(2, 5))
    n_classes = draw(st.integers(2, 4))
    widths = draw(st.lists(st.integers(2, 6), min_size=1, max_size=2))
    layers: list = []
    previous = n_in
    for width in widths:
        layers.append(nf.Dense(previous, width, activation=draw(st.sampled_from(HIDDEN))))
        extra = draw(st.sampled_from(["none", "dropout", "batchnorm"]))
        if extra == "dropout":
            layers.append(LAYERS["Dropout"](draw(st.sampled_from([0.1, 0.3]))))
        elif extra == "batchnorm":
            layers.append(LAYERS["BatchNorm"]())
        previous = width
    layers.append(nf.Dense(previous, n_classes, activation="softmax"))
    optimizer = draw(st.sampled_from(OPTIMIZERS))
    callbacks = draw(st.sets(st.sampled_from(
        ["early", "plateau", "best", "diagnostics", "scheduler"]), max_size=5))
    preprocessing = draw(st.booleans())
    names = draw(st.booleans())
    validation = draw(st.booleans())
    spec = dict(dtype=dtype, bit_generator=bit_generator, seed=seed, n_in=n_in,
                n_classes=n_classes, layers=[layer.get_config() for layer in layers],
                optimizer=optimizer, callbacks=sorted(callbacks), preprocessing=preprocessing,
                names=names, validation=validation)
    return spec


def build(spec: dict) -> nf.Network:
    rng = np.random.Generator(spec["bit_generator"](spec["seed"]))
    net = nf.Network([nf.layers.layer_from_config(c) for c in spec["layers"]], seed=rng,
                     dtype=spec["dtype"])
    return net


def data(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(spec["seed"] + 1)
    x = rng.normal(size=(40, spec["n_in"])) * 2 + 1
    y = rng.integers(0, spec["n_classes"], 40)
    return x, y


def prepared(spec: dict, net: nf.Network, x: np.ndarray) -> nf.Network:
    if spec["preprocessing"]:
        net.preprocessing = StandardScaler().fit(x)
    if spec["names"]:
        net.class_names = [f"class {i}" for i in range(spec["n_classes"])]
        net.feature_names = [f"f{i}" for i in range(spec["n_in"])]
    return net


def callbacks_for(spec: dict, folder: Path) -> list[Callback]:
    monitor = "val_loss" if spec["validation"] else "loss"
    made: list[Callback] = []
    for name in spec["callbacks"]:
        if name == "early":
            made.append(EarlyStopping(monitor=monitor, patience=1, restore_best=True))
        elif name == "plateau":
            made.append(ReduceLROnPlateau(monitor=monitor, patience=1, factor=0.5))
        elif name == "best":
            made.append(ModelCheckpoint(folder / "best.safetensors", monitor=monitor,
                                        save_best_only=True))
        elif name == "diagnostics":
            made.append(Diagnostics(verbose=False))
        elif name == "scheduler":
            made.append(LearningRateScheduler(lambda epoch: 0.02 / (1 + epoch)))
    return made


def fit(spec: dict, net: nf.Network, x, y, callbacks, **options):
    return net.fit(x, y, epochs=4, batch_size=12, verbose=0, callbacks=callbacks,
                   validation_split=0.25 if spec["validation"] else 0.0, **options)


PROPERTY = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


# ---------------------------------------------------------------------------- properties
@PROPERTY
@given(spec=models())
def test_copy_and_save_load_keep_everything(tmp_path, spec):
    x, y = data(spec)
    net = prepared(spec, build(spec), x)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    fit(spec, net, x, y, callbacks_for(spec, folder), optimizer=spec["optimizer"]())
    assert_same_model(net, net.copy(), x)
    path = folder / "model.safetensors"
    net.save(path)
    assert_same_model(net, nf.load(path), x)
    # the copy and the loaded model train on identically
    copied, loaded = net.copy(), nf.load(path)
    for model in (net, copied, loaded):
        model.fit(x, y, epochs=1, batch_size=12, verbose=0)
    assert_same_model(net, copied, x)
    assert_same_model(net, loaded, x)


@PROPERTY
@given(spec=models(), where=st.tuples(st.integers(1, 3), st.integers(0, 2)))
def test_interrupt_at_a_random_batch_then_resume_equals_uninterrupted(tmp_path, spec, where):
    x, y = data(spec)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    whole = prepared(spec, build(spec), x)
    fit(spec, whole, x, y, callbacks_for(spec, folder) + [
        ModelCheckpoint(folder / "whole.safetensors")], optimizer=spec["optimizer"]())
    epoch, batch = where
    assume(epoch < whole.epochs_trained)  # EarlyStopping may end the run sooner
    assume(batch < math.ceil(whole.training_run["samples"] / 12) - 1)  # not the last one

    path = folder / "resume.safetensors"
    part = prepared(spec, build(spec), x)
    fit(spec, part, x, y, callbacks_for(spec, folder) + [ModelCheckpoint(path),
                                                         StopAt(epoch, batch)],
        optimizer=spec["optimizer"]())
    assert part.epochs_trained == epoch  # the stopped epoch is not counted ...
    assert part.history.partial["epoch"] == epoch  # ... but its loss so far is recorded
    resumed = prepared(spec, build(spec), x)
    fit(spec, resumed, x, y, callbacks_for(spec, folder) + [ModelCheckpoint(path)],
        resume_from=path)
    assert_same_model(whole, resumed, x)


# ---------------------------------------------------------------------------- coverage
def test_state_fields_name_every_attribute_of_a_network():
    """Adding an attribute to Network without saying whether it is saved fails here."""
    x = np.random.default_rng(0).normal(size=(20, 3))
    net = nf.Network([nf.Dense(3, 4), LAYERS["Dropout"](0.2), LAYERS["BatchNorm"](),
                      nf.Dense(4, 2, activation="softmax")], seed=0)
    net.preprocessing = StandardScaler().fit(x)
    net.fit(x, np.arange(20) % 2, epochs=1, verbose=0, callbacks=[EarlyStopping("loss")])
    assert set(vars(net)) == set(STATE_FIELDS) | set(TRANSIENT_FIELDS)


def test_a_file_written_by_0_1_loads_with_a_warning_and_predicts_identically():
    """Format 1.1 files (neuroflow 0.1) still load; their weaker check is named."""
    folder = Path(__file__).parent / "fixtures"
    with pytest.warns(nf.errors.ModelFileWarning, match="covers the tensors only"):
        net = nf.load(folder / "model-0.1.safetensors")
    inputs = np.load(folder / "model-0.1-inputs.npy")
    assert np.array_equal(net.predict(inputs), np.load(folder / "model-0.1-outputs.npy"))
    assert net.class_names == ["low", "mid", "high"] and net.epochs_trained == 3


# ---------------------------------------------------------------------------- header fuzz
def small_model_bytes() -> bytes:
    x = np.random.default_rng(0).normal(size=(12, 2))
    net = nf.Network.from_sizes([2, 3, 2], seed=0)
    net.preprocessing = StandardScaler().fit(x)
    net.class_names = ["no", "yes"]
    net.feature_names = ["a", "b"]
    net.fit(x, np.arange(12) % 2, epochs=1, batch_size=6, verbose=0,
            callbacks=[EarlyStopping("loss", restore_best=True)])
    return nfio.to_bytes(net)


@pytest.mark.fuzz
def test_every_single_bit_flip_of_the_header_is_detected():
    """0.1 hashed the tensors only: ~8% of header flips loaded a silently changed model
    (reliability.md B.7). Every bit of the length prefix and the header with
    ``NEUROFLOW_FUZZ=full``; ``make test`` takes every ``STRIDE``-th (tests/fuzz_scale.py)."""
    good = small_model_bytes()
    header_end = 8 + int.from_bytes(good[:8], "little")
    loaded = []
    for flip in cases(header_end * 8):  # bit by bit over the bytes: the sample has every bit
        bit, byte = divmod(flip, header_end)
        corrupted = bytearray(good)
        corrupted[byte] ^= 1 << bit
        try:
            nfio.from_bytes(bytes(corrupted))
        except nf.ModelFileError:
            continue
        loaded.append((byte, bit))
    assert header_end > 1000 and loaded == []


def test_tensor_bit_flips_are_detected():
    good = small_model_bytes()
    header_end = 8 + int.from_bytes(good[:8], "little")
    rng = np.random.default_rng(1)
    for position in rng.integers(header_end, len(good), 300):
        corrupted = bytearray(good)
        corrupted[position] ^= 1 << int(rng.integers(8))
        with pytest.raises(nf.ModelFileError):
            nfio.from_bytes(bytes(corrupted))


# ---------------------------------------------------------------------------- regressions
def test_copy_keeps_preprocessing_names_dropout_mask_and_training_state():
    """0.1's copy() dropped preprocessing, class_names and Dropout's fixed_mask
    (code.md §4 D): cost_vs_weight and check_gradients then saw another model."""
    x = np.random.default_rng(0).normal(size=(10, 3)) * 5 + 2
    dropout = LAYERS["Dropout"](0.5)
    net = nf.Network([nf.Dense(3, 4), dropout, nf.Dense(4, 2, activation="softmax")], seed=0)
    net.preprocessing = StandardScaler().fit(x)
    net.class_names = ["a", "b"]
    net.fit(x, np.arange(10) % 2, epochs=2, verbose=0)
    dropout.fixed_mask = (np.arange(40).reshape(10, 4) % 2 * 2.0).astype(np.float32)
    clone = net.copy(dtype="float64")
    assert clone.class_names == ["a", "b"] and clone.dtype == np.float64
    assert np.array_equal(clone.predict(x), net.predict(x).astype(np.float64)) or \
        np.allclose(clone.predict(x), net.predict(x), rtol=1e-6)
    assert np.array_equal(clone.layers[1].fixed_mask, dropout.fixed_mask)
    assert clone.optimizer.iterations == net.optimizer.iterations
    assert np.array_equal(clone.preprocessing.state()["mean"], net.preprocessing.state()["mean"])
    out_a = net.forward(net.prepare_inputs(x), training=True)
    out_b = clone.forward(clone.prepare_inputs(x), training=True)
    np.testing.assert_allclose(out_a, out_b, rtol=1e-5)  # the same fixed mask applies


@pytest.mark.parametrize("bit_generator", BIT_GENERATORS)
def test_any_numpy_bit_generator_saves_and_loads(tmp_path, bit_generator):
    """0.1 could not load a model seeded with a non-PCG64 Generator (reliability.md A.3):
    'state must be for a PCG64 RNG'. The generator's own type is now restored."""
    net = nf.Network.from_sizes([2, 3, 2], seed=np.random.Generator(bit_generator(0)))
    x = np.random.default_rng(0).normal(size=(8, 2))
    net.fit(x, np.arange(8) % 2, epochs=1, verbose=0)
    net.save(tmp_path / "m.safetensors")
    loaded = nf.load(tmp_path / "m.safetensors")
    assert type(loaded.rng.bit_generator) is bit_generator
    assert same_generator_state(loaded.rng, net.rng)
    assert loaded.rng.random() == net.rng.random()


def test_sklearn_with_an_mt19937_generator_saves_a_loadable_network(tmp_path):
    """reliability.md A.3, through scikit-learn's random_state."""
    # skip on the third-party dependency only: a broken neuroflow.sklearn must fail
    pytest.importorskip("sklearn")
    from neuroflow import sklearn
    x = np.random.default_rng(0).normal(size=(30, 3))
    model = sklearn.MLPClassifier(hidden_layer_sizes=(4,), max_iter=2,
                                  random_state=np.random.Generator(np.random.MT19937(0)))
    with pytest.warns(Warning):
        model.fit(x, np.arange(30) % 2)
    model.network_.save(tmp_path / "m.safetensors")
    assert type(nf.load(tmp_path / "m.safetensors").rng.bit_generator) is np.random.MT19937


def test_loading_does_not_mutate_the_generator_a_network_was_given(tmp_path):
    """code.md §4 P: load_into assigned the file's state into the user's Generator."""
    x = np.random.default_rng(0).normal(size=(8, 2))
    trained = nf.Network.from_sizes([2, 3, 2], seed=1)
    trained.fit(x, np.arange(8) % 2, epochs=1, verbose=0,
                callbacks=[ModelCheckpoint(tmp_path / "c.safetensors")])
    mine = np.random.Generator(np.random.MT19937(5))
    net = nf.Network.from_sizes([2, 3, 2], seed=mine)
    after_init = json.dumps(nfio._jsonable(mine.bit_generator.state))
    net.fit(x, np.arange(8) % 2, epochs=2, verbose=0, resume_from=tmp_path / "c.safetensors")
    assert json.dumps(nfio._jsonable(mine.bit_generator.state)) == after_init
    assert type(net.rng.bit_generator) is np.random.PCG64


def test_resume_with_stateful_callbacks_is_bit_identical(tmp_path):
    """reliability.md B.11 / code.md §4 G: EarlyStopping, ReduceLROnPlateau and
    ModelCheckpoint.best were not checkpointed, so a resumed run changed course."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)

    def callbacks(path):
        return [EarlyStopping("val_loss", patience=2, restore_best=True),
                ReduceLROnPlateau("val_loss", patience=1, factor=0.5),
                ModelCheckpoint(tmp_path / "best.safetensors", save_best_only=True),
                ModelCheckpoint(path)]

    def make():
        return nf.Network.from_sizes([4, 16, 3], seed=0)

    options = dict(epochs=8, batch_size=10, validation_split=0.3, verbose=0)
    whole = make()
    whole.fit(x, y, callbacks=callbacks(tmp_path / "w.safetensors"),
              optimizer=nf.optimizers.SGD(0.5), **options)
    part = make()
    part.fit(x, y, callbacks=callbacks(tmp_path / "p.safetensors") + [StopAt(4, 2)],
             optimizer=nf.optimizers.SGD(0.5), **options)
    assert part.epochs_trained == 4 < whole.epochs_trained
    resumed = make()
    resumed.fit(x, y, callbacks=callbacks(tmp_path / "p.safetensors"),
                resume_from=tmp_path / "p.safetensors", **options)
    assert_same_model(whole, resumed, x)
    assert whole.history.history["learning_rate"] != [0.5] * len(whole.history.epoch)


def test_stop_from_a_batch_callback_logs_the_samples_seen_and_not_an_epoch():
    """code.md §4 B: 0.1 divided the partial loss by all samples (1.42 logged as 0.142)
    and counted the epoch as trained."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(100, 3)), rng.integers(0, 2, 100)
    seen = []
    net = nf.Network.from_sizes([3, 4, 2], seed=0)
    probe = nf.callbacks.LambdaCallback(on_batch_end=lambda b, logs: seen.append(logs))
    net.fit(x, y, epochs=3, batch_size=10, verbose=0, callbacks=[probe, StopAt(1, 1)])
    assert net.epochs_trained == 1 and net.history.epoch == [0]
    partial = net.history.partial
    assert partial["epoch"] == 1 and partial["samples"] == 20 and partial["batches"] == 2
    assert math.isclose(partial["loss"], (seen[-1]["loss"] + seen[-2]["loss"]) / 2,
                        rel_tol=1e-12)


def test_learning_rate_of_a_later_fit_applies_and_conflicts_are_refused():
    """reliability.md B.14: a second fit(learning_rate=...) kept the first rate, and
    fit(optimizer=SGD(0.1), learning_rate=5.0) ignored 5.0; shuffle='no' shuffled."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)), rng.integers(0, 2, 20)
    net = nf.Network.from_sizes([3, 4, 2], seed=0)
    net.fit(x, y, epochs=1, verbose=0)
    state = net.optimizer.state_dict()["0.m"].copy()
    net.fit(x, y, epochs=1, verbose=0, learning_rate=0.5)
    assert net.history.history["learning_rate"] == [0.001, 0.5]
    assert not np.array_equal(net.optimizer.state_dict()["0.m"], state)  # state continued
    with pytest.raises(ValueError, match="learning_rate: give the rate to the 'sgd'"):
        net.fit(x, y, verbose=0, optimizer=nf.optimizers.SGD(0.1), learning_rate=5.0)
    with pytest.raises(ValueError, match="shuffle: expected True or False, received: 'no'"):
        net.fit(x, y, verbose=0, shuffle="no")
    with pytest.raises(ValueError, match="callbacks: expected a list of Callback objects"):
        net.fit(x, y, verbose=0, callbacks=3)


def test_resume_refuses_a_new_learning_rate(tmp_path):
    x = np.random.default_rng(0).normal(size=(8, 2))
    net = nf.Network.from_sizes([2, 3, 2], seed=0)
    net.fit(x, np.arange(8) % 2, epochs=1, verbose=0,
            callbacks=[ModelCheckpoint(tmp_path / "c.safetensors")])
    with pytest.raises(ValueError, match="learning_rate: resume_from continues"):
        nf.Network.from_sizes([2, 3, 2], seed=0).fit(
            x, np.arange(8) % 2, epochs=2, verbose=0, learning_rate=0.1,
            resume_from=tmp_path / "c.safetensors")


def test_divergence_in_the_last_step_is_caught_and_never_checkpointed(tmp_path):
    """reliability.md B.9: one epoch of one batch with learning rate 1e38 saved an
    all-NaN model (exit 0): the loss was only checked before each step."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 4)), rng.integers(0, 3, 30)
    net = nf.Network.from_sizes([4, 8, 3], seed=0)
    checkpoint = ModelCheckpoint(tmp_path / "c.safetensors")
    with pytest.raises(nf.TrainingDivergedError, match="epoch 1, batch 1"):
        net.fit(x, y, epochs=1, batch_size=100, optimizer="sgd", learning_rate=1e38,
                verbose=0, callbacks=[checkpoint])
    assert not (tmp_path / "c.safetensors").exists()


def test_exploded_weights_hidden_by_cross_entropy_clipping_are_divergence():
    """reliability.md B.9: SGD at 1e6 drove the weights to 1.8e21 while the clipped
    cross-entropy sat at ~14.5 and the run exited 0."""
    x_train, y_train, _, _ = nf.datasets.mnist()
    net = nf.Network.from_sizes([784, 32, 10], seed=0)
    with pytest.raises(nf.TrainingDivergedError, match="too large to compute with"):
        net.fit(x_train[:2000], y_train[:2000], epochs=5, batch_size=128, optimizer="sgd",
                learning_rate=1e6, verbose=0)


def test_api_misuse_raises_value_error_not_type_error():
    """reliability.md D.27: save(None), save(3), load(None), load(3) raised TypeError."""
    net = nf.Network.from_sizes([2, 2], seed=0)
    for bad in (None, 3, ""):
        with pytest.raises(ValueError, match="path: expected a file path"):
            net.save(bad)
        with pytest.raises(ValueError, match="path: expected a file path"):
            nf.load(bad)


def test_load_checks_the_file_before_reading_it(tmp_path):
    """reliability.md C.17: /dev/zero was read whole (MemoryError), a FIFO hung."""
    import os

    with pytest.raises(nf.ModelFileError, match="not a regular file"):
        nf.load("/dev/zero")
    fifo = tmp_path / "fifo.safetensors"
    os.mkfifo(fifo)
    # opening a FIFO for reading blocks until a writer appears: the check comes first
    # (in a child process, so that a regression fails by timeout instead of hanging)
    script = (f"import neuroflow as nf\ntry:\n    nf.load({str(fifo)!r})\n"
              "except nf.ModelFileError as e:\n    print(e)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert "not a regular file" in done.stdout
    big = tmp_path / "big.safetensors"
    with open(big, "wb") as stream:
        stream.write((2**40).to_bytes(8, "little"))
        stream.truncate(10_000)
    with pytest.raises(nf.ModelFileError, match="header length"):
        nf.load(big)


def test_an_ignored_sigint_stays_ignored_during_fit():
    """reliability.md D.22: fit re-enabled a SIGINT the parent ignored."""
    import signal

    seen = []
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        net = nf.Network.from_sizes([2, 2], seed=0)
        probe = nf.callbacks.LambdaCallback(
            on_batch_end=lambda b, logs: seen.append(signal.getsignal(signal.SIGINT)))
        net.fit(np.zeros((4, 2)), [0, 1, 0, 1], epochs=1, verbose=0, callbacks=[probe])
        assert seen and all(handler is signal.SIG_IGN for handler in seen)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
