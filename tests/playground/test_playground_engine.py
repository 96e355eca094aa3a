"""The playground's engine without HTTP: frames, the inspector against nf.trace, the code
that reproduces the weights bit for bit, the landscape, the race and MNIST."""

from __future__ import annotations

import base64
import json
import shlex
import time

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.cli import main
from neuroflow.experiments.sweep import sweep, to_csv
from neuroflow.playground import Config, Engine, MnistEngine, toy_data
from neuroflow.playground.explore import landscape, parse_weight, race
from neuroflow.playground.frames import dequantise, quantise
from neuroflow.playground.mnist import frame_digit


@pytest.fixture(scope="module")
def trained() -> Engine:
    engine = Engine(Config())
    engine.step(5)
    return engine


def test_toy_data_sets_are_seeded_two_class_sets():
    for name in ("moons", "circles", "xor", "spiral"):
        x, y = toy_data(name, 120, 0.1, 3)
        again = toy_data(name, 120, 0.1, 3)
        assert x.shape == (120, 2) and x.dtype == np.float32 and set(np.unique(y)) == {0, 1}
        assert np.array_equal(x, again[0]) and np.array_equal(y, again[1])
    with pytest.raises(ValueError, match="data: expected one of"):
        toy_data("stripes")


def test_config_round_trips_through_the_url_and_names_bad_keys():
    config = Config(data="spiral", noise=0.25, layers=(6, 4, 2), activation="relu",
                    optimizer="adam", learning_rate=0.003, batch_size=16, seed=7)
    assert Config.parse(config.query()) == config
    assert Config.parse({"layers": ""}).layers == ()
    for query, message in [({"lr": "abc"}, "lr: expected a number"),
                           ({"lr": "0"}, "lr: expected a number > 0"),
                           ({"layers": "8,99"}, "layers: expected at most"),
                           ({"act": "swish"}, "act: expected one of"),
                           ({"bs": "0"}, "bs: expected an integer"),
                           ({"colour": "red"}, "colour: unknown setting")]:
        with pytest.raises(ValueError, match=message):
            Config.parse(query)


def test_quantised_maps_decode_within_half_a_step():
    values = np.linspace(-3.0, 5.0, 64 * 64).reshape(64, 64)
    encoded = quantise(values)
    assert encoded["shape"] == [64, 64] and encoded["lo"] == -3.0 and encoded["hi"] == 5.0
    assert np.abs(dequantise(encoded) - values).max() <= 8.0 / 510 + 1e-12
    assert quantise(np.full((2, 2), np.nan))["data"]  # non-finite: still a valid map


def test_frames_are_small_deterministic_and_fast_enough():
    first, second = Engine(Config()), Engine(Config())
    first.step(1)  # the first fit loads the training services
    second.step(1)
    started = time.perf_counter()
    for _ in range(10):
        first.step(1)
        frame = first.frame()
    rate = 10 / (time.perf_counter() - started)
    second.step(10)
    assert json.dumps(frame) == json.dumps(second.frame())  # the same seed, the same frames
    size = len(json.dumps(frame))
    assert size < 100_000, size
    assert frame["epoch"] == 11 and len(frame["neurons"]) == 2
    assert all(len(layer) == 8 for layer in frame["neurons"])
    assert frame["boundary"]["shape"] == [64, 64]
    assert np.array_equal(np.array(frame["weights"][1]), first.network.layers[1].params["W"])
    assert first.losses[-1] < first.losses[0]
    print(f"engine: {rate:.0f} frames/s (one epoch + frame each), frame {size} bytes")


def test_inspector_equals_trace_to_1e_12(trained):
    for index in (0, 17, 399):
        record = trained.inspect(index, 0.05)
        x, y = trained.x[index:index + 1], trained.y[index:index + 1]
        reference = nf.trace(trained.network, x, y, 0.05)
        assert record["cost_before"] == pytest.approx(reference.cost, abs=1e-12)
        for mine, theirs in zip(record["layers"], reference.layers):
            for key, value in [("z", theirs.z[0]), ("a", theirs.a[0]),
                               ("delta", theirs.delta[0]), ("dW", theirs.weight_gradient),
                               ("change", theirs.weight_change), ("db", theirs.bias_gradient)]:
                assert np.abs(np.array(mine[key]) - value).max() <= 1e-12, key
        # one small step down the gradient lowers this point's cost
        assert record["cost_after"] < record["cost_before"]
    with pytest.raises(ValueError, match="i: expected a point index"):
        trained.inspect(400)


def test_code_reproduces_the_weights_bit_for_bit(tmp_path):
    engine = Engine(Config(data="xor", layers=(5, 3)))
    engine.step(4)
    engine.configure(engine.config.with_changes(learning_rate=0.3))  # continues
    engine.step(2)
    engine.configure(engine.config.with_changes(optimizer="adam", learning_rate=0.01))
    engine.step(3)
    engine.configure(engine.config.with_changes(batch_size=32))
    engine.step(2)
    assert [s["epochs"] for s in engine.segments] == [4, 2, 3, 2]
    code = engine.code(str(tmp_path / "m.safetensors"))
    namespace: dict = {}
    exec(code["python"], namespace)
    for ours, theirs in zip(engine.network.parameters(), namespace["net"].parameters()):
        assert np.array_equal(ours, theirs)
    loaded = nf.load(str(tmp_path / "m.safetensors"))
    assert all(np.array_equal(a, b) for a, b in zip(loaded.parameters(),
                                                    engine.network.parameters()))
    assert "neuroflow summary" in code["cli"]


def test_the_command_shown_reproduces_the_weights_bit_for_bit(tmp_path, monkeypatch, capsys):
    engine = Engine(Config(data="spiral", layers=(6, 3), activation="relu", learning_rate=0.05,
                           batch_size=16, seed=4))
    engine.step(3)
    engine.configure(engine.config.with_changes(learning_rate=0.7))  # not trained with yet
    command = engine.code("cli.safetensors")["cli"].splitlines()[1]
    assert command.startswith("neuroflow playground --state 'data=spiral&")
    monkeypatch.chdir(tmp_path)
    assert main(shlex.split(command)[1:]) == 0
    assert "wrote cli.safetensors (3 epochs" in capsys.readouterr().out
    saved = nf.load("cli.safetensors")
    assert all(np.array_equal(a, b) for a, b in zip(saved.parameters(),
                                                    engine.network.parameters()))
    engine.step(1)  # a second stretch at the new rate: the Python alone says it
    assert "neuroflow playground" not in engine.code()["cli"]


def test_the_saved_model_is_read_by_neuroflow_explain(tmp_path, capsys):
    engine = Engine(Config())
    engine.step(2)
    code = engine.code(str(tmp_path / "m.safetensors"), sample=3)
    engine.save(tmp_path / "m.safetensors")
    command = [line for line in code["cli"].splitlines() if "neuroflow explain" in line][0]
    assert command.endswith("--data moons --sample 3 --learning-rate 0.1")
    assert main(command.split()[1:]) == 0
    shown = capsys.readouterr().out
    record = engine.inspect(3)  # the same point, the same step: the same costs
    assert (f"C before = {record['cost_before']:.4f}, C after = {record['cost_after']:.4f}"
            in shown)


def test_a_change_of_network_rebuilds_and_save_writes_safetensors(tmp_path):
    engine = Engine(Config())
    engine.step(2)
    assert not engine.configure(engine.config.with_changes(learning_rate=0.2))
    assert engine.epoch == 2
    assert engine.configure(engine.config.with_changes(layers=(3,)))
    assert engine.epoch == 0 and engine.network.sizes == [2, 3, 1] and engine.segments == []
    path = engine.save(tmp_path / "p.safetensors")
    assert nf.load(path).sizes == [2, 3, 1]


def test_divergence_stops_training_with_a_message():
    engine = Engine(Config(data="circles", activation="linear", learning_rate=10.0,
                           batch_size=5, layers=(8, 8, 8)))
    engine.step(5)
    assert engine.error is not None and "diverged" in engine.error
    assert engine.frame()["error"] == engine.error and engine.epoch == 0
    engine.reset()
    assert engine.error is None


def test_landscape_centre_is_the_current_cost_and_the_path_is_the_training(trained):
    first, second = parse_weight("0.0.1", trained.config.sizes), (1, 2, 3)
    result = landscape(trained, first, second, span=1.0, resolution=21)
    costs = np.array(result["costs"])
    assert costs.shape == (21, 21)
    assert costs[10, 10] == pytest.approx(trained.losses[-1], abs=1e-12)
    assert len(result["path"]) == trained.epoch + 1
    assert result["path"][-1] == [result["w1"][10], result["w2"][10]]
    isolated = landscape(trained, first, second, span=1.0, resolution=5, mode="isolate")
    assert len(isolated["path"]) > 1
    with pytest.raises(ValueError, match="w: expected a weight of the 2-8-8-1"):
        parse_weight("0.5.0", trained.config.sizes)


def test_the_race_is_sweep_played_live():
    config = Config(layers=(4,))
    rates = [0.01, 1.0, 60.0]
    events = list(race(config, rates, epochs=12, report_every=4))
    assert [e["event"] for e in events] == ["progress"] * 3 + ["result"]
    rows = events[-1]["rows"]
    x, y = toy_data(config.data, config.points, config.noise, config.seed)
    start = nf.Network.from_sizes(config.sizes, hidden="tanh", output="sigmoid",
                                  seed=config.seed, dtype="float64")
    reference = sweep(start, x, y, learning_rates=rates, optimizers=["sgd"], epochs=12,
                      batch_size=config.batch_size, seed=config.seed)
    for row, expected in zip(rows, reference):
        assert row["learning_rate"] == expected.learning_rate
        assert row["losses"] == list(expected.losses)  # the same numbers, bit for bit
        assert row["accuracy"] == expected.accuracy
        assert row["behaviour"] == expected.behaviour
    assert events[-1]["csv"] == to_csv(reference)
    assert events[1]["losses"][0][:9] == list(reference[0].losses[:9])
    assert rows[0]["behaviour"] == "crawls" and rows[2]["behaviour"] in ("oscillates",
                                                                           "diverges")


def test_mnist_engine_learns_shows_weights_and_reads_a_drawing():
    engine = MnistEngine(hidden=8, subset=600, learning_rate=0.5)
    before = engine.accuracies[-1]
    engine.step(2)
    frame = engine.frame()
    assert frame["weights"]["shape"] == [8, 28, 28] and engine.accuracies[-1] > before
    one = np.zeros((28, 28))
    one[4:24, 13:16] = 1.0
    framed = frame_digit(np.roll(one, 6, axis=1)).reshape(28, 28)
    rows, cols = np.nonzero(framed > 0.05)
    assert rows.max() - rows.min() >= 18 and abs((cols.min() + cols.max()) / 2 - 13.5) <= 1.5
    result = engine.predict(one.ravel().tolist())
    assert sum(result["probabilities"]) == pytest.approx(1.0)
    assert [len(a) for a in result["layers"]] == [8, 10] and 0 <= result["digit"] <= 9
    assert not frame_digit(np.zeros(784)).any()


def test_mnist_engine_with_a_convolution_shows_filters_and_feature_maps():
    engine = MnistEngine.parse({"mconv": "4", "mh": "8", "mn": "600", "mlr": "0.5"})
    assert type(engine.network.layers[0]).__name__ == "Conv2D" and engine.settings["conv"] == 4
    before = engine.accuracies[-1]
    engine.step(2)
    assert engine.accuracies[-1] > before
    frame = engine.frame()
    assert frame["weights"]["shape"] == [4, 3, 3]
    filters = engine.network.layers[0].params["W"][:, 0]
    codes = np.frombuffer(base64.b64decode(frame["weights"]["data"]), np.uint8).reshape(4, 3, 3)
    largest = np.unravel_index(np.abs(filters).argmax(), filters.shape)
    assert codes[largest] == (255 if filters[largest] > 0 else 0)  # quantised on ±max|w|
    one = np.zeros((28, 28))
    one[4:24, 13:16] = 1.0
    result = engine.predict(one.ravel().tolist())
    outputs = engine.network.layer_outputs(frame_digit(one).reshape(1, 784))
    assert [(m["name"], m["shape"]) for m in result["maps"]] == [
        ("convolution", [4, 26, 26]), ("max-pooling", [4, 13, 13])]
    np.testing.assert_array_equal(result["maps"][0]["values"], outputs[0][0].ravel())
    np.testing.assert_array_equal(result["maps"][1]["values"], outputs[1][0].ravel())
    assert [len(a) for a in result["layers"]] == [8, 10]
    assert sum(result["probabilities"]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="mconv: expected a number from 0 to 16"):
        MnistEngine.parse({"mconv": "17"})
    assert MnistEngine.parse({}).predict(one.ravel().tolist())["maps"] == []
