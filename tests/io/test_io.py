"""Model files: round trips, validation of every field, fuzzing, atomic save under SIGKILL."""

from __future__ import annotations

import io as _io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

import neuroflow as nf
from neuroflow import files
from neuroflow import io as nfio
from neuroflow.errors import ModelFileError

ROOT = Path(__file__).resolve().parents[2]


def small_data(seed: int = 0, n: int = 48):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    return x, y


def trained(dtype: str = "float32", optimizer: str = "adam", epochs: int = 2) -> nf.Network:
    x, y = small_data()
    net = nf.Network.from_sizes([4, 6, 3], hidden="tanh", seed=3, dtype=dtype)
    net.fit(x, y, epochs=epochs, batch_size=16, optimizer=optimizer, verbose=0)
    return net


def split(data: bytes) -> tuple[dict, bytes]:
    length = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + length]), data[8 + length:]


def join(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + body


def edit_metadata(data: bytes, sign: bool = True, **changes: str | None) -> bytes:
    """``data`` with metadata fields changed (``None`` removes one); with ``sign`` the
    whole-file SHA-256 is recomputed, so the field's own validation is what is tested."""
    header, body = split(data)
    for key, value in changes.items():
        if value is None:
            header["__metadata__"].pop(key, None)
        else:
            header["__metadata__"][key] = value
    if sign and "sha256" in header["__metadata__"] and "sha256" not in changes:
        tensors = {k: v for k, v in st_load(data).items()}
        header["__metadata__"]["sha256"] = nfio.file_digest(header["__metadata__"], tensors)
    return join(header, body)


def same_parameters(a: nf.Network, b: nf.Network) -> bool:
    return all(np.array_equal(p, q) and p.dtype == q.dtype
               for p, q in zip(a.parameters(), b.parameters()))


# ---------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_round_trip_predictions_and_continued_training(tmp_path, dtype, optimizer):
    net = trained(dtype, optimizer)
    path = tmp_path / "model.safetensors"
    net.save(str(path))
    loaded = nf.load(path)
    x, y = small_data(1)
    assert np.array_equal(net.predict(x), loaded.predict(x))
    assert loaded.dtype == net.dtype and loaded.epochs_trained == 2
    assert loaded.history.history["loss"] == net.history.history["loss"]
    assert loaded.optimizer.get_config() == net.optimizer.get_config()
    assert loaded.optimizer.iterations == net.optimizer.iterations
    # Continued training is identical: weights, optimiser state and random generator.
    net.fit(x, y, epochs=2, batch_size=8, verbose=0)
    loaded.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert same_parameters(net, loaded)


def test_round_trip_keeps_architecture_class_names_and_seed(tmp_path):
    layers = [nf.Dense(4, 5, activation="leaky_relu", initializer="glorot_normal"),
              nf.Dense(5, 1, activation="sigmoid", use_bias=False)]
    net = nf.Network(layers, seed=11, dtype="float64")
    net.class_names = ["cat", "dog"]
    path = tmp_path / "m.safetensors"
    nf.save(net, path)
    loaded = nf.load(path)
    assert loaded.get_config() == net.get_config()
    assert loaded.class_names == ["cat", "dog"]
    assert loaded.seed == 11
    assert "b" not in loaded.layers[1].params


def test_training_run_record_round_trips():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 3)), rng.integers(0, 2, 30)
    net = nf.Network.from_sizes([3, 4, 2], seed=1)
    net.fit(x, y, epochs=1, batch_size=7, validation_split=0.2, verbose=0)
    run = net.training_run
    assert run["batch_size"] == 7 and run["samples"] == 24 and run["validation_samples"] == 6
    assert nfio.from_bytes(nfio.to_bytes(net)).training_run == run
    # a later minor version's extra fields are dropped, the known ones kept
    data = nfio.to_bytes(net)
    training = json.loads(split(data)[0]["__metadata__"]["training"])
    training["run"]["workers"] = 4
    later = edit_metadata(data, training=json.dumps(training))
    assert nfio.from_bytes(later).training_run == run


def test_include_optimizer_false_omits_optimizer_state():
    net = trained()
    data = nfio.to_bytes(net, include_optimizer=False)
    assert not any(name.startswith("optimizer.") for name in split(data)[0])
    loaded = nfio.from_bytes(data)
    assert loaded.optimizer is None and loaded.epochs_trained == 2
    assert len(data) < len(nfio.to_bytes(net))


def test_untrained_network_round_trips():
    net = nf.Network.from_sizes([3, 2], output="linear", seed=0)
    loaded = nfio.from_bytes(nfio.to_bytes(net))
    assert same_parameters(net, loaded)
    assert loaded.optimizer is None and loaded.history is None and loaded.epochs_trained == 0


def test_layer_state_beyond_dense_round_trips():
    x, y = small_data()
    layers = [nf.Dense(4, 6, activation="relu"), nf.layers.LAYERS["BatchNorm"](6),
              nf.Dense(6, 3, activation="softmax")]
    net = nf.Network(layers, seed=0)
    net.fit(x, y, epochs=1, batch_size=16, verbose=0)
    loaded = nfio.from_bytes(nfio.to_bytes(net))
    for a, b in zip(net.layers, loaded.layers):
        state_a, state_b = a.state(), b.state()
        assert state_a.keys() == state_b.keys()
        assert all(np.array_equal(state_a[k], state_b[k]) for k in state_a)
    assert np.array_equal(net.predict(x), loaded.predict(x))


def test_header_fields_and_hash_are_documented_values():
    net = trained()
    header, _ = split(nfio.to_bytes(net))
    meta = header["__metadata__"]
    assert meta["format"] == "neuroflow" and meta["format_version"] == nfio.FORMAT_VERSION
    assert json.loads(meta["architecture"]) == net.get_config()
    training = json.loads(meta["training"])
    assert training["epochs_trained"] == 2 and training["rng"]["bit_generator"] == "PCG64"
    tensors = {f"layers.{i}.{k}": v for i, layer in enumerate(net.layers)
               for k, v in layer.state().items()}
    tensors.update({f"optimizer.{k}": v for k, v in net.optimizer.state_dict().items()})
    assert meta["sha256"] == nfio.file_digest(meta, tensors)
    assert set(header) - {"__metadata__"} == set(tensors)


def test_hash_covers_every_metadata_field_and_every_tensor_byte(good):
    """A digest over the architecture alone (or any part of the file) fails here: each
    field changed, added or removed, and each tensor byte changed, with the recorded
    SHA-256 kept, is refused for its SHA-256 before any other check."""
    header, body = split(good)
    metadata = header["__metadata__"]
    tensors = dict(st_load(good))
    reference = nfio.file_digest(metadata, tensors)
    edits = [{**metadata, key: metadata[key] + " "} for key in metadata if key != "sha256"]
    edits += [{k: v for k, v in metadata.items() if k != key}
              for key in metadata if key != "sha256"]
    edits += [{**metadata, "class_names": '["a", "b", "c"]'}, {**metadata, "extra": ""},
              {**metadata, "architecture" + "\0": metadata["architecture"]}]
    for edited in edits:
        assert nfio.file_digest(edited, tensors) != reference, sorted(edited)
        if "format" in edited and "format_version" in edited and \
                edited["format"] == "neuroflow" and \
                edited["format_version"] == nfio.FORMAT_VERSION:
            with pytest.raises(ModelFileError, match="SHA-256 of the file's metadata"):
                nfio.from_bytes(join({**header, "__metadata__": edited}, body))
    start = int.from_bytes(good[:8], "little") + 8
    for position in range(start, len(good)):
        changed = bytearray(good)
        changed[position] ^= 0x01
        with pytest.raises(ModelFileError, match="SHA-256 of the file's metadata"):
            nfio.from_bytes(bytes(changed))
    renamed = {name + ("x" if name == min(tensors) else ""): array
               for name, array in tensors.items()}
    assert nfio.file_digest(metadata, renamed) != reference
    reshaped = {name: array.reshape(-1) if array.ndim == 2 else array
                for name, array in tensors.items()}
    assert nfio.file_digest(metadata, reshaped) != reference


def test_unserialisable_schedule_is_a_clear_error():
    net = trained()
    net.optimizer.learning_rate = lambda step: 0.01  # no get_config: cannot be saved
    with pytest.raises(ValueError, match="include_optimizer: the optimizer's configuration"):
        nfio.to_bytes(net)
    assert nfio.from_bytes(nfio.to_bytes(net, include_optimizer=False)).optimizer is None


def test_schedule_round_trips():
    from neuroflow import schedules

    schedule = schedules.ExponentialDecay(0.01, decay_rate=0.5, decay_steps=3)
    x, y = small_data()
    net = nf.Network.from_sizes([4, 6, 3], seed=0)
    net.fit(x, y, epochs=1, batch_size=16, optimizer=nf.optimizers.Adam(schedule), verbose=0)
    loaded = nfio.from_bytes(nfio.to_bytes(net))
    assert loaded.optimizer.current_learning_rate() == net.optimizer.current_learning_rate()


# ---------------------------------------------------------------------------- validation
@pytest.fixture(scope="module")
def good() -> bytes:
    return nfio.to_bytes(trained())


def test_missing_file_is_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="cannot be read"):
        nf.load(tmp_path / "absent.safetensors")
    with pytest.raises(ModelFileError, match="cannot be read"):
        nf.load(tmp_path)  # a directory
    assert issubclass(ModelFileError, ValueError)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "only 0 bytes"),
    (b"\x00" * 7, "only 7 bytes"),
    (b"\xff" * 64, "header length"),
    (b"PK\x03\x04" + b"\x00" * 60, "header length"),
    ((20).to_bytes(8, "little") + b"not json at all!!!!!", "unreadable header"),
    ((2).to_bytes(8, "little") + b"[]", "not a JSON object"),
])
def test_foreign_bytes(data, message):
    with pytest.raises(ModelFileError, match=message):
        nfio.from_bytes(data)


def test_numpy_npz_is_refused():
    buffer = _io.BytesIO()
    np.savez(buffer, W=np.zeros((4, 6), np.float32))
    with pytest.raises(ModelFileError, match="not a safetensors file"):
        nfio.from_bytes(buffer.getvalue())


def test_other_tools_safetensors_is_refused():
    data = st_save({"weight": np.zeros((4, 6), np.float32)}, metadata={"format": "pt"})
    with pytest.raises(ModelFileError, match="not a neuroflow model .*'pt'"):
        nfio.from_bytes(data)
    with pytest.raises(ModelFileError, match="not a neuroflow model .*None"):
        nfio.from_bytes(st_save({"weight": np.zeros(3, np.float32)}))


@pytest.mark.parametrize(("version", "message"), [
    ("3.1", "newer than this neuroflow reads .*upgrade"),
    ("17.3", "newer than this neuroflow reads"),
    ("0.9", "not supported"),
    ("3.0", "newer than this neuroflow reads"),
    ("1", "must look like 'MAJOR.MINOR'"),
    ("one.two", "must look like"),
])
def test_format_version(good, version, message):
    with pytest.raises(ModelFileError, match=message):
        nfio.from_bytes(edit_metadata(good, format_version=version))


def test_newer_minor_version_is_read(good):
    assert nfio.from_bytes(edit_metadata(good, format_version="2.7")).sizes == [4, 6, 3]


def test_tensor_bytes_must_match_the_hash(good):
    corrupted = bytearray(good)
    corrupted[-3] ^= 0x10
    with pytest.raises(ModelFileError, match="SHA-256 of the file's metadata and tensors"):
        nfio.from_bytes(bytes(corrupted))
    with pytest.raises(ModelFileError, match="'sha256' is missing"):
        nfio.from_bytes(edit_metadata(good, sha256=None))


def architecture_edit(good: bytes, change) -> bytes:
    header, _ = split(good)
    config = json.loads(header["__metadata__"]["architecture"])
    change(config)
    return edit_metadata(good, architecture=json.dumps(config))


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c["layers"][0].update(out_features=7), "in_features 6 does not match|shape"),
    (lambda c: c["layers"][1].update(in_features=5, out_features=3), "does not match"),
    (lambda c: c["layers"][0].update(in_features=10**9, out_features=10**9),
     "tensor 'layers.0.W' has shape"),
    (lambda c: c["layers"][0].update(type="Exec"), "layer type: expected one of"),
    (lambda c: c["layers"][0].update(activation={"name": "evil"}), "activation: expected"),
    (lambda c: c["layers"][0].update(in_features=-4), "in_features: expected a positive"),
    (lambda c: c["layers"][0].update(unknown=1), "layer 0"),
    (lambda c: c.update(dtype="float16"), "dtype must be 'float32' or 'float64'"),
    (lambda c: c.update(loss={"name": "hinge"}), "architecture loss: loss: expected one of"),
    (lambda c: c.update(layers=[]), "non-empty list"),
    (lambda c: c.pop("loss"), "'loss' must be an object"),
    (lambda c: c["layers"][1].update(use_bias=False), "unexpected tensor 'layers.1.b'"),
])
def test_architecture_is_checked_against_tensors(good, change, message):
    with pytest.raises(ModelFileError, match=message):
        nfio.from_bytes(architecture_edit(good, change))


def test_float64_declared_for_float32_tensors(good):
    with pytest.raises(ModelFileError, match="has dtype float32, the architecture says float64"):
        nfio.from_bytes(architecture_edit(good, lambda c: c.update(dtype="float64")))


@pytest.mark.parametrize(("key", "value", "message"), [
    ("architecture", "{not json", "'architecture' is not valid JSON"),
    ("architecture", "[1, 2]", "'architecture' must be a JSON object"),
    ("architecture", None, "'architecture' is missing"),
    ("training", '{"epochs_trained": -1}', "'epochs_trained' must be an integer in"),
    ("training", '{"epochs_trained": 1000000000000000000000000000000}',
     "'epochs_trained' must be an integer in"),
    ("training", '{"epochs_trained": 1, "seed": "x"}', "'seed' must be"),
    ("training", '{"rng": {"bit_generator": "os.system"}}', "'rng' must name one of"),
    ("training", '{"rng": {"bit_generator": "PCG64", "state": 3}}', "'rng' holds an invalid"),
    ("training", '{"history": {"epoch": ["a"]}}', "'history' must be an object"),
    ("training", '{"optimizer": {"config": {"name": "adam"}}}', "non-negative integer"),
    ("training", '{"optimizer": {"config": {"name": "nope"}, "iterations": 1}}',
     "optimizer: optimizer: expected one of"),
    ("training", '{"optimizer": {"config": {"name": "adam", "beta_1": 5}, "iterations": 1}}',
     "beta_1"),
    ("training", '{"optimizer": null}', "tensor 'optimizer.0.m' without optimizer metadata"),
    ("training", '{"run": [128]}', "'run' must be null or an object"),
    ("training", '{"run": {"batch_size": 0}}', "'run' must be null or an object"),
    ("training", '{"run": {"shuffle": 1}}', "'run' must be null or an object"),
    ("training", '{"run": {"data_fingerprint": "../x"}}', "'run' must be null or an object"),
    ("class_names", '[{"a": 1}]', "'class_names' must be a list of strings"),
    ("preprocessing", "[]", "'preprocessing' must be a JSON object"),
])
def test_metadata_fields_are_validated(good, key, value, message):
    with pytest.raises(ModelFileError, match=message):
        nfio.from_bytes(edit_metadata(good, **{key: value}))


def rebuild_with(net: nf.Network, extra: dict, training_change=None) -> bytes:
    """A correctly hashed file whose tensors are ``net``'s plus ``extra``."""
    header, _ = split(nfio.to_bytes(net))
    meta = header["__metadata__"]
    tensors = {f"layers.{i}.{k}": v for i, layer in enumerate(net.layers)
               for k, v in layer.state().items()}
    tensors.update({f"optimizer.{k}": v for k, v in net.optimizer.state_dict().items()})
    tensors.update(extra)
    tensors = {k: v for k, v in tensors.items() if v is not None}
    if training_change:
        training = json.loads(meta["training"])
        training_change(training)
        meta["training"] = json.dumps(training)
    meta["sha256"] = nfio.file_digest(meta, tensors)
    return st_save(tensors, metadata=meta)


@pytest.mark.parametrize(("extra", "message"), [
    ({"evil": np.zeros(2, np.float32)}, "unexpected tensor 'evil'"),
    ({"layers.9.W": np.zeros(2, np.float32)}, "unexpected tensor 'layers.9.W'"),
    ({"layers.0.W": None}, "tensor 'layers.0.W' is missing"),
    ({"layers.0.b": np.zeros(5, np.float32)}, "'layers.0.b' has shape \\(5,\\)"),
    ({"layers.0.b": np.zeros(6, np.float64)}, "has dtype float64"),
    ({"optimizer.0.m": np.zeros((2, 2), np.float32)}, "'optimizer.0.m' has shape"),
    ({"optimizer.99.m": np.zeros(3, np.float32)}, "refers to parameter 99"),
    ({"optimizer.x": np.zeros(3, np.float32)}, "unexpected tensor 'optimizer.x'"),
    ({"optimizer.0.m": np.zeros((4, 6), np.int32)}, "'optimizer.0.m' has dtype int32"),
    ({"preprocessing.mean": np.zeros(4, np.float32)}, "without preprocessing metadata"),
])
def test_tensors_are_validated_even_with_a_correct_hash(extra, message):
    with pytest.raises(ModelFileError, match=message):
        nfio.from_bytes(rebuild_with(trained(), extra))


def test_no_pickle_or_eval_in_io_module():
    source = "".join(path.read_text() for path in Path(nfio.__file__).parent.glob("*.py"))
    for word in ("import pickle", "pickle.", "allow_pickle=True", "eval(", "exec(",
                 "importlib", "__import__"):
        assert word not in source


# ---------------------------------------------------------------------------- fuzzing
def mutations(good: bytes, rng: np.random.Generator):
    """Yield (kind, bytes) pairs: truncated, bit-flipped, header-edited and foreign files."""
    header, body = split(good)
    header_length = int.from_bytes(good[:8], "little")
    keys = list(header)
    npz = _io.BytesIO()
    np.savez(npz, a=np.arange(5))
    foreign = [npz.getvalue(), st_save({"x": np.ones(3, np.float32)}),
               st_save({"x": np.ones(3, np.float32)}, metadata={"format": "neuroflow"}),
               b"\x89PNG\r\n\x1a\n" + bytes(40), b"{}", b"\x00" * 8]
    while True:
        kind = int(rng.integers(0, 6))
        if kind == 0:  # truncated
            yield "truncate", good[:int(rng.integers(0, len(good)))]
        elif kind == 1:  # bit flips anywhere
            data = bytearray(good)
            for _ in range(int(rng.integers(1, 4))):
                data[int(rng.integers(0, len(data)))] ^= 1 << int(rng.integers(0, 8))
            yield "flip", bytes(data)
        elif kind == 2:  # bit flips in the JSON header only
            data = bytearray(good)
            data[8 + int(rng.integers(0, header_length))] ^= 1 << int(rng.integers(0, 8))
            yield "header-flip", bytes(data)
        elif kind == 3:  # structural header edits
            edited = json.loads(json.dumps(header))
            key = keys[int(rng.integers(0, len(keys)))]
            if key == "__metadata__":
                meta = edited[key]
                field = sorted(meta)[int(rng.integers(0, len(meta)))]
                choice = int(rng.integers(0, 4))
                meta[field] = ["", "null", "[]", meta[field][::-1]][choice]
            else:
                entry = edited[key]
                choice = int(rng.integers(0, 4))
                if choice == 0:
                    entry["shape"] = [int(s) + int(rng.integers(1, 3)) for s in entry["shape"]]
                elif choice == 1:
                    entry["dtype"] = ["F64", "F16", "I64", "U8", "BOOL"][int(rng.integers(0, 5))]
                elif choice == 2:
                    entry["data_offsets"] = [int(o) + int(rng.integers(-8, 9))
                                             for o in entry["data_offsets"]]
                else:
                    edited[key + "x"] = edited.pop(key)
            yield "header-edit", join(edited, body)
        elif kind == 4:  # foreign files, sometimes truncated
            data = foreign[int(rng.integers(0, len(foreign)))]
            yield "foreign", data[:int(rng.integers(0, len(data) + 1))]
        else:  # random bytes, sometimes with a plausible header length
            data = rng.bytes(int(rng.integers(0, 200)))
            if rng.random() < 0.5 and len(data) > 8:
                data = (len(data) - 8).to_bytes(8, "little") + data[8:]
            yield "random", data


def test_fuzz_only_model_file_errors(good):
    """2,400 mutated files: each is refused with ModelFileError or (rarely) loads intact."""
    rng = np.random.default_rng(2024)
    counts: dict[str, int] = {}
    loaded = 0
    for case, (kind, data) in enumerate(mutations(good, rng)):
        if case == 2400:
            break
        counts[kind] = counts.get(kind, 0) + 1
        try:
            net = nfio.from_bytes(data)
        except ModelFileError:
            continue
        # A mutation that survives every check must still be a complete, working model
        # (e.g. a flipped bit in a JSON string's spelling that changes nothing).
        loaded += 1
        assert net.predict(np.zeros((1, 4))).shape == (1, 3)
    assert sum(counts.values()) == 2400 and len(counts) == 6
    assert loaded < 100


def test_fuzz_on_disk_files(tmp_path, good):
    rng = np.random.default_rng(7)
    path = tmp_path / "m.safetensors"
    for case, (_kind, data) in enumerate(mutations(good, rng)):
        if case == 100:
            break
        path.write_bytes(data)
        refused = 0
        try:
            nf.load(path)
        except ModelFileError:
            refused += 1
        assert refused or nf.load(path).sizes == [4, 6, 3]


# ---------------------------------------------------------------------------- atomic save
def test_save_leaves_no_temporary_files_and_replaces(tmp_path):
    path = tmp_path / "m.safetensors"
    net = trained()
    nf.save(net, path)
    first = path.read_bytes()
    net.fit(*small_data(), epochs=1, verbose=0)
    nf.save(net, path)
    assert path.read_bytes() != first
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    net = trained()
    nf.save(net, path)
    before = path.read_bytes()

    def broken_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        nf.save(net, path, include_optimizer=False)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


KILL_SCRIPT = r"""
import sys
import numpy as np
import neuroflow as nf
path = sys.argv[1]
net = nf.Network.from_sizes([1500, 1500, 2], output="linear", seed=0)
for layer in net.layers:
    layer.load_state({k: np.zeros_like(v) for k, v in layer.state().items()})
value = 0.0
print("ready", flush=True)
while True:
    value = 1.0 - value   # alternate between an all-0 and an all-1 model
    for layer in net.layers:
        layer.load_state({k: np.full_like(v, value) for k, v in layer.state().items()})
    nf.save(net, path)
"""


def test_sigkill_during_save_leaves_old_or_new_file_and_the_next_save_cleans_up(tmp_path):
    """Kill a process that saves a ~9 MB model in a loop; the target stays loadable, and
    at least one kill must land in the middle of a write (its temporary file is left
    behind), which the next save removes (reliability.md D.29)."""
    path = tmp_path / "big.safetensors"
    script = tmp_path / "saver.py"
    script.write_text(KILL_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    seen: set[float] = set()
    killed_mid_write = 0
    # Odd attempts kill after a delay (anywhere in the loop); even ones as soon as a
    # temporary file appears, so that kills land mid-write however long the rest of a
    # save (capture, hashing) takes on the machine.
    for attempt, delay in enumerate([0.2, 0.45, 0.3, 0.6, 0.25, 0.5] * 2):
        process = subprocess.Popen([sys.executable, str(script), str(path)], env=env,
                                   stdout=subprocess.PIPE)
        assert process.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 20
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
        deadline = time.monotonic() + 10
        while attempt % 2 == 0 and time.monotonic() < deadline and not any(
                p.name.endswith(".tmp") for p in tmp_path.iterdir()):
            time.sleep(0.0005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL, attempt
        net = nf.load(path)  # never half-written
        values = {float(np.unique(p)[0]) for p in net.parameters()}
        assert all(np.unique(p).size == 1 for p in net.parameters())
        assert values in ({0.0}, {1.0})
        seen |= values
        strays = [p for p in tmp_path.iterdir() if p.name not in {"big.safetensors",
                                                                   "saver.py"}]
        # Stray temporary files may remain beside the target, never in its place.
        assert all(p.name.startswith(".big.safetensors.") and p.name.endswith(".tmp")
                   for p in strays)
        killed_mid_write += bool(strays)
        if killed_mid_write and len(seen) == 2:
            break
    assert killed_mid_write >= 1 and seen == {0.0, 1.0}
    nf.save(nf.load(path), path)  # the killed writers are gone: their temps are cleared
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.safetensors", "saver.py"]


def test_preprocessing_round_trips_and_is_validated():
    from neuroflow import preprocessing

    x, y = small_data()
    net = nf.Network.from_sizes([4, 6, 3], seed=0)
    net.preprocessing = preprocessing.StandardScaler().fit(x * 10 + 3)
    data = nfio.to_bytes(net)
    loaded = nfio.from_bytes(data)
    assert np.array_equal(net.predict(x), loaded.predict(x))
    assert any(name.startswith("preprocessing.") for name in split(data)[0])
    with pytest.raises(ModelFileError, match="preprocessing: "):
        nfio.from_bytes(edit_metadata(data, preprocessing='{"name": "nonexistent"}'))
