"""Details of the model-file reader and writer that a changed operator, constant or message
would otherwise leave unnoticed: whole error messages, format-1 files without optional
fields, header strings written with JSON escapes, the exact digest byte stream, and the
checkpoint checks of ``load_into``."""

from __future__ import annotations

import json
import os
import re
import warnings

import numpy as np
import pytest
from io_model_files import header_end, model_bytes
from safetensors.numpy import load as st_load

import neuroflow as nf
from neuroflow import io as nfio
from neuroflow.errors import ModelFileError, ModelFileWarning

KEY = b"0123456789abcdef-a-test-key"


def rewrite(data: bytes, change, digest: str = "file") -> bytes:
    """``data`` with its metadata edited by ``change(metadata)`` and its SHA-256 computed
    again (``digest="tensor"``: format 1's tensor-only hash)."""
    end = header_end(data)
    header = json.loads(data[8:end])
    metadata = header["__metadata__"]
    change(metadata)
    tensors = st_load(data)
    metadata["sha256"] = (nfio.file_digest(metadata, tensors) if digest == "file"
                          else nfio.tensor_digest(tensors))
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + data[end:]


def relabel_format_1(data: bytes, *removed: str, training=None) -> bytes:
    """``data`` relabelled as format 1.0 with the fields ``removed`` taken out (and its
    ``training`` object edited by ``training``), with format 1's tensor-only hash."""
    def change(metadata: dict) -> None:
        metadata["format_version"] = "1.0"
        for key in removed:
            metadata.pop(key, None)
        if training is not None:
            record = json.loads(metadata["training"])
            training(record)
            metadata["training"] = json.dumps(record)
    return rewrite(data, change, digest="tensor")


def with_header(data: bytes, header: dict, **dumps) -> bytes:
    raw = json.dumps(header, **dumps).encode()
    return len(raw).to_bytes(8, "little") + raw + data[header_end(data):]


def message(error: pytest.ExceptionInfo) -> str:
    return str(error.value)


# --- format 1 ---------------------------------------------------------------------------

def test_format_1_messages_are_whole():
    legacy = relabel_format_1(model_bytes("dense"))
    with pytest.raises(ModelFileError) as strict:
        nfio.from_bytes(legacy, strict=True)
    assert message(strict) == (
        "model file: written in model format 1.0, whose SHA-256 covers the tensors only; "
        "refused (strict loading, --no-legacy in the CLI); save it again with this neuroflow")
    with pytest.raises(ModelFileError) as keyed:
        nfio.from_bytes(legacy, key=KEY)
    assert message(keyed) == (
        "model file: not signed (model format 1.0 cannot carry a signature; a signed file "
        "was downgraded, or the file predates signing); a key was given, so only files "
        "signed with it load")


def test_format_1_file_without_training_field_loads():
    """``training`` is optional in format 1 (a network saved before it was trained)."""
    data = nfio.to_bytes(nfio.from_bytes(model_bytes("dense")), include_optimizer=False)
    legacy = relabel_format_1(data, "training")
    with pytest.warns(ModelFileWarning, match="format 1.0"):
        net = nfio.from_bytes(legacy)
    assert net.sizes == [3, 4, 3] and net.optimizer is None


def test_format_1_file_with_preprocessing_tensors_loads():
    legacy = relabel_format_1(model_bytes("csv"), "feature_names")
    with pytest.warns(ModelFileWarning, match="format 1.0"):
        net = nfio.from_bytes(legacy)
    assert net.preprocessing is not None and net.class_names is not None


def test_format_1_refusal_lists_the_first_three_newer_fields():
    legacy = relabel_format_1(model_bytes("mid_epoch"), training=lambda record: record.update(
        {"zeta": 1, "alpha": 2}))
    legacy = rewrite(legacy, lambda metadata: metadata.update({"extra": "x", "more": "y"}),
                     digest="tensor")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ModelFileError) as refused:
            nfio.from_bytes(legacy)
    assert message(refused) == (
        "model file: claims model format 1.0 but holds fields that only format 2 has "
        "('extra', 'more', training 'alpha'); a format-2 file relabelled as format 1 is "
        "refused, since format 1's hash would not cover its metadata")


def test_format_1_refusal_names_a_partial_history():
    net = nfio.from_bytes(model_bytes("dense"))
    net.history.partial = {"epoch": 1, "batches": 1, "samples": 10, "loss": 1.0}
    with pytest.raises(ModelFileError, match=r"has \(training history 'partial'\); a format"):
        nfio.from_bytes(relabel_format_1(nfio.to_bytes(net)))


# --- the header -------------------------------------------------------------------------

def test_escaped_non_ascii_text_in_the_header_is_accepted():
    """A writer that escapes non-ASCII characters (``\\ud83d\\ude00`` for one emoji) writes
    valid text; only a lone surrogate is refused."""
    net = nfio.from_bytes(model_bytes("dense"))
    net.class_names = ["\N{GRINNING FACE}", "caf\N{LATIN SMALL LETTER E WITH ACUTE}", "z"]
    data = rewrite(nfio.to_bytes(net), lambda metadata: metadata.update(
        class_names=json.dumps(net.class_names, ensure_ascii=False)))
    header = json.loads(data[8:header_end(data)])
    escaped = with_header(data, header, ensure_ascii=True)
    assert b"\\ud83d\\ude00" in escaped[:header_end(escaped)]
    assert nfio.from_bytes(escaped).class_names == net.class_names
    lone = json.dumps(header).replace("\\ud83d\\ude00", "\\ud83d").encode()
    with pytest.raises(ModelFileError, match="text that is not valid Unicode"):
        nfio.from_bytes(len(lone).to_bytes(8, "little") + lone + data[header_end(data):])


@pytest.mark.parametrize(("value", "found"), [
    ([], "a list"), ("F32", "a string"), (True, "a boolean"), (7, "a number"),
    (1.5, "a number"), (None, "null"),
])
def test_entry_that_is_not_an_object_is_named_in_words(value, found):
    data = model_bytes("dense")
    header = json.loads(data[8:header_end(data)])
    header["layers.0.W"] = value
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(with_header(data, header))
    assert message(refused) == (
        "model file: header: tensor 'layers.0.W': must be an object with exactly "
        f"'data_offsets', 'dtype' and 'shape', found {found}")


@pytest.mark.parametrize(("metadata", "found"), [
    ([], "found a list"), ("text", "found a string"), (3, "found a number"),
    ({"format": {}}, "found an object for 'format'"),
    ({"format": None}, "found null for 'format'"),
    ({"format": False}, "found a boolean for 'format'"),
])
def test_metadata_that_is_not_strings_is_named_in_words(metadata, found):
    data = model_bytes("dense")
    header = json.loads(data[8:header_end(data)])
    header["__metadata__"] = metadata
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(with_header(data, header))
    assert message(refused).endswith(found)


# --- load_into --------------------------------------------------------------------------

def test_load_into_refuses_a_file_without_optimizer_state(tmp_path):
    net = nfio.from_bytes(model_bytes("dense"))
    path = tmp_path / "inference.safetensors"
    nf.save(net, path, include_optimizer=False)
    with pytest.raises(ModelFileError) as refused:
        nfio.load_into(net, path)
    assert message(refused) == (
        f"model file {str(path)!r}: holds no optimizer state (saved with "
        "include_optimizer=False); training cannot resume exactly")


def test_load_into_refuses_another_architecture(tmp_path):
    path = tmp_path / "c.safetensors"
    nf.save(nfio.from_bytes(model_bytes("dense")), path)
    other = nf.Network.from_sizes([3, 5, 3], seed=0)
    with pytest.raises(ValueError, match=re.escape(
            f"resume_from: the checkpoint {str(path)!r} holds a network Network(")) as refused:
        nfio.load_into(other, path)
    assert "which differs from this one Network(" in message(refused)


# --- where a message says it comes from --------------------------------------------------

def test_from_bytes_messages_name_the_source_given():
    data = model_bytes("dense")
    with pytest.raises(ModelFileError, match=r"^upload\.safetensors: not a safetensors file "
                                             r"\(only 3 bytes"):
        nfio.from_bytes(b"abc", source="upload.safetensors")
    header = json.loads(data[8:header_end(data)])
    unsigned = json.loads(data[8:header_end(data)])
    del unsigned["__metadata__"]["sha256"]
    header["layers.0.W"]["shape"] = [-1]
    with pytest.raises(ModelFileError, match=r"^upload\.safetensors: header: tensor "
                                             r"'layers\.0\.W': shape must be a list"):
        nfio.from_bytes(with_header(data, header), source="upload.safetensors")
    with pytest.raises(ModelFileError, match=r"^upload\.safetensors: metadata 'sha256' is "
                                             "missing"):
        nfio.from_bytes(with_header(data, unsigned), source="upload.safetensors")
    bad_sizes = rewrite(data, lambda m: m.update(architecture=json.dumps(
        {**json.loads(m["architecture"]), "loss": {"name": "no such loss"}})))
    with pytest.raises(ModelFileError, match=r"^upload\.safetensors: "):
        nfio.from_bytes(bad_sizes, source="upload.safetensors")


def test_bytes_of_another_type_are_named():
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes("not bytes")  # type: ignore[arg-type]
    assert message(refused) == "model file: expected bytes, received str"


def test_unsigned_file_with_a_key_message_is_whole():
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(model_bytes("dense"), key=KEY)
    assert message(refused) == (
        "model file: not signed (no metadata 'hmac_sha256'); a key was given, so only files "
        "signed with it load")


def test_preprocessing_that_cannot_be_rebuilt_says_why():
    data = rewrite(model_bytes("csv"), lambda m: m.update(preprocessing='{"type": "nope"}'))
    with pytest.raises(ModelFileError,
                       match=r"^model file: preprocessing: preprocessing type: expected one of"):
        nfio.from_bytes(data)


# --- keys ---------------------------------------------------------------------------------

def test_key_messages_name_the_argument_and_the_type(tmp_path):
    net = nfio.from_bytes(model_bytes("dense"))
    with pytest.raises(ValueError, match=r"^sign_key: expected a key of at least 16 bytes"):
        nfio.to_bytes(net, sign_key=b"short")
    with pytest.raises(ValueError, match=r"^key: expected a key of at least 16 bytes"):
        nfio.from_bytes(model_bytes("dense"), key=b"short")
    with pytest.raises(ValueError) as refused:
        nfio.from_bytes(model_bytes("dense"), key=12345)  # type: ignore[arg-type]
    assert message(refused) == "key: expected a secret key (bytes or str), received int"


def test_a_key_of_exactly_the_minimum_length_and_a_surrogate_key_are_accepted():
    net = nfio.from_bytes(model_bytes("dense"))
    for key in (b"k" * 16, "\udc80" * 16):  # a str key is UTF-8, lone surrogates passed on
        data = nfio.to_bytes(net, sign_key=key)
        assert nfio.from_bytes(data, key=key).sizes == [3, 4, 3]


def test_file_signature_ignores_its_own_and_the_digest_field():
    metadata, tensors = nfio.capture(nfio.from_bytes(model_bytes("dense")))
    signature = nfio.file_signature(KEY, metadata, tensors)
    recorded = {**metadata, "sha256": "0" * 64, "hmac_sha256": signature}
    assert nfio.file_signature(KEY, recorded, tensors) == signature


# --- header entries -------------------------------------------------------------------

def test_empty_tensor_name_is_refused_as_such():
    data = model_bytes("dense")
    header = json.loads(data[8:header_end(data)])
    header[""] = header.pop("layers.0.W")
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(with_header(data, header))
    assert message(refused) == "model file: header: tensor name '' is not valid text"


def test_entry_problem_in_a_header_with_escapes_names_the_problem():
    """A valid escaped surrogate pair elsewhere in the header does not make a valid tensor
    name suspect: the message is about the entry's real defect."""
    data = model_bytes("dense")
    header = json.loads(data[8:header_end(data)])
    header["__metadata__"]["note"] = "\N{GRINNING FACE}"
    header["layers.0.W"]["dtype"] = "F99"
    with pytest.raises(ModelFileError, match=r"tensor 'layers\.0\.W': dtype must be one of "
                                             r"F16, .* found 'F99'"):
        nfio.from_bytes(with_header(data, header, ensure_ascii=True))


# --- callback states ------------------------------------------------------------------

def probed(state: dict) -> nf.Network:
    net = nfio.from_bytes(model_bytes("dense"))
    net.callback_states = [{"type": "Probe", "state": state}]
    return net


def test_callback_state_values_and_arrays_are_captured():
    import array_api_strict as xp

    state = {"count": 3, "best": float("inf"), "worst": float("nan"),
             "weights": np.arange(3.0), "other": xp.asarray([1.0, 2.0])}
    metadata, tensors = nfio.capture(probed(state))
    entry, = json.loads(metadata["training"])["callbacks"]
    assert entry["type"] == "Probe" and entry["arrays"] == ["weights", "other"]
    assert entry["state"]["count"] == 3 and entry["state"]["best"] == float("inf")
    assert np.isnan(entry["state"]["worst"])
    np.testing.assert_array_equal(tensors["callbacks.0.other"], [1.0, 2.0])
    np.testing.assert_array_equal(tensors["callbacks.0.weights"], [0.0, 1.0, 2.0])


def test_callback_state_errors_name_the_callback():
    with pytest.raises(ValueError) as refused:
        nfio.capture(probed({"bad key!": np.zeros(2)}))
    assert message(refused) == ("Probe.get_state: array key 'bad key!' must be letters, "
                                "digits, '_' and '.'")
    with pytest.raises(ValueError, match=r"^Probe\.get_state: expected JSON values and "
                                         r"arrays, received .*set"):
        nfio.capture(probed({"seen": {1, 2}}))


# --- load and save on disk ------------------------------------------------------------

def test_load_reads_a_format_1_file_unless_strict(tmp_path):
    path = tmp_path / "legacy.safetensors"
    path.write_bytes(relabel_format_1(model_bytes("dense")))
    with pytest.warns(ModelFileWarning, match="format 1.0"):
        assert nf.load(path).sizes == [3, 4, 3]
    with pytest.raises(ModelFileError, match=re.escape(
            f"model file {str(path)!r}: written in model format 1.0")):
        nf.load(path, strict=True)


@pytest.mark.parametrize("path", [123, ""])
def test_paths_that_are_not_paths_are_named(path):
    net = nfio.from_bytes(model_bytes("dense"))
    expected = f"path: expected a file path (str or path-like), received {path!r}"
    with pytest.raises(ValueError) as refused:
        nf.load(path)
    assert message(refused) == expected
    with pytest.raises(ValueError) as refused:
        nf.save(net, path)
    assert message(refused) == expected


def test_load_messages_name_the_file(tmp_path, monkeypatch):
    absent = tmp_path / "absent.safetensors"
    with pytest.raises(ModelFileError) as refused:
        nf.load(absent)
    assert message(refused) == (f"model file {str(absent)!r}: cannot be read (No such file "
                                "or directory)")
    with pytest.raises(ModelFileError) as refused:
        nf.load(tmp_path)
    assert message(refused) == (f"model file {str(tmp_path)!r}: cannot be read (not a "
                                "regular file)")
    short = tmp_path / "short.safetensors"
    short.write_bytes(b"abc")
    with pytest.raises(ModelFileError, match=re.escape(
            f"model file {str(short)!r}: not a safetensors file (only 3 bytes")):
        nf.load(short)
    unsigned = tmp_path / "unsigned.safetensors"
    unsigned.write_bytes(model_bytes("dense"))
    with pytest.raises(ModelFileError, match=re.escape(f"model file {str(unsigned)!r}: not "
                                                       "signed")):
        nf.load(unsigned, key=KEY)
    with pytest.raises(ValueError, match=r"^key: expected a key of at least 16 bytes"):
        nf.load(unsigned, key=b"short")
    mismatched = tmp_path / "mismatched.safetensors"
    mismatched.write_bytes(rewrite(model_bytes("dense"), lambda m: m.update(
        architecture=m["architecture"].replace('"cross_entropy"', '"binary_cross_entropy"'))))
    with pytest.raises(ModelFileError) as refused:
        nf.load(mismatched)
    assert message(refused).startswith(
        f"model file {str(mismatched)!r}: architecture: loss: 'binary_cross_entropy' "
        "expects a sigmoid output layer")

    def out_of_memory(*args):
        raise MemoryError
    monkeypatch.setattr(nfio.reader, "_read_bounded", out_of_memory)
    with pytest.raises(ModelFileError) as refused:
        nf.load(unsigned)
    assert message(refused) == (f"model file {str(unsigned)!r}: cannot be read "
                                "(MemoryError)")


def test_load_opens_the_file_without_warnings(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(model_bytes("dense"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nf.load(path).sizes == [3, 4, 3]


def test_save_messages_name_the_path_argument(tmp_path):
    net = nfio.from_bytes(model_bytes("dense"))
    with pytest.raises(ValueError, match=r"^path: "):
        nf.save(net, tmp_path)


def test_loss_and_random_generator_of_a_file_without_training_record():
    net = nf.Network.from_sizes([3, 4, 3], loss="mse", seed=1)
    data = rewrite(nfio.to_bytes(net), lambda m: m.pop("training"))
    first, second = nfio.from_bytes(data), nfio.from_bytes(data)
    assert first.loss.name == "mse" and first.optimizer is None
    assert first.rng.random() == second.rng.random()


def test_first_line_of_an_error_without_a_message_is_its_type():
    from neuroflow.io.format import _first_line

    assert _first_line(ValueError()) == "ValueError"
    assert _first_line(ValueError("  one\ntwo ")) == "one"


# --- training fields ------------------------------------------------------------------

def with_training(change, name: str = "dense") -> bytes:
    def edit(metadata: dict) -> None:
        record = json.loads(metadata["training"])
        change(record)
        metadata["training"] = json.dumps(record)
    return rewrite(model_bytes(name), edit)


@pytest.mark.parametrize("history", [
    {"epoch": [0], "history": {"loss": ["x"]}},
    {"epoch": [0], "history": {"loss": [1.0]}, "partial": {"loss": "x"}},
])
def test_history_values_must_be_numbers(history):
    with pytest.raises(ModelFileError, match="training 'history' must be an object"):
        nfio.from_bytes(with_training(lambda record: record.update(history=history)))


CALLBACKS_MESSAGE = ("model file: training 'callbacks' must be a list of objects with a "
                     "'type' name, a 'state' object and an 'arrays' list of keys")


@pytest.mark.parametrize("callbacks", [
    {}, 5, [{"type": 5, "state": {}, "arrays": []}],
    [{"type": "Probe", "state": [], "arrays": []}],
    [{"type": "Probe", "state": {}, "arrays": ["bad key!"]}],
    [{"type": "Probe", "state": {}, "arrays": "ab"}],
])
def test_malformed_callback_records_are_refused(callbacks):
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(with_training(lambda record: record.update(callbacks=callbacks)))
    assert message(refused) == CALLBACKS_MESSAGE


def test_callback_arrays_round_trip_and_must_be_present():
    state = {"best": 0.5, "weights": np.arange(3.0)}
    loaded = nfio.from_bytes(nfio.to_bytes(probed(state)))
    entry, = loaded.callback_states
    assert entry["type"] == "Probe" and entry["state"]["best"] == 0.5
    np.testing.assert_array_equal(entry["state"]["weights"], [0.0, 1.0, 2.0])
    missing = with_training(lambda record: record.update(
        callbacks=[{"type": "Probe", "state": {}, "arrays": ["weights"]}]))
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(missing)
    assert message(refused) == "model file: tensor 'callbacks.0.weights' is missing"


def test_optimizer_iterations_up_to_the_largest_count_are_read():
    def iterations(count):
        return with_training(lambda record: record["optimizer"].update(iterations=count))
    assert nfio.from_bytes(iterations(10**12)).optimizer.iterations == 10**12
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(iterations(10**12 + 1))
    assert message(refused) == ("model file: training 'optimizer' must hold a 'config' object "
                                "and a non-negative integer 'iterations'")


def test_unknown_learning_rate_schedule_is_named_as_such():
    data = with_training(lambda record: record["optimizer"]["config"].update(
        learning_rate={"name": "nope"}))
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(data)
    assert message(refused).startswith(
        "model file: optimizer learning-rate schedule cannot be rebuilt (schedule: expected "
        "a schedule name among")


def test_bounded_read_messages_name_the_file(tmp_path):
    import io

    data = model_bytes("dense")
    with pytest.raises(ModelFileError) as refused:
        nfio.reader._read_bounded(io.BytesIO(data[:-4]), len(data), "model file 'm'")
    tensors = len(data) - header_end(data)
    assert message(refused) == (f"model file 'm': truncated while it was read (the header "
                                f"describes {tensors} bytes of tensors, {tensors - 4} were "
                                "read)")
    header = json.loads(data[8:header_end(data)])
    header["layers.0.W"]["shape"] = [-1]
    path = tmp_path / "bad.safetensors"
    path.write_bytes(with_header(data, header))
    with pytest.raises(ModelFileError, match=re.escape(
            f"model file {str(path)!r}: header: tensor 'layers.0.W': shape")):
        nf.load(path)


def with_architecture(change, name: str = "dense") -> bytes:
    def edit(metadata: dict) -> None:
        config = json.loads(metadata["architecture"])
        change(config)
        metadata["architecture"] = json.dumps(config)
    return rewrite(model_bytes(name), edit)


def test_layer_without_a_width_is_named():
    data = with_architecture(lambda config: config["layers"][1].pop("features"), "dropout")
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(data)
    assert message(refused) == ("model file: architecture layer 1: in_features must be a "
                                "positive integer, found 0")


def test_tensor_of_the_layer_after_the_last_is_unexpected():
    data = model_bytes("dense")
    tensors = dict(st_load(data))
    tensors["layers.2.W"] = np.zeros(2, np.float32)
    from safetensors.numpy import save as st_save

    header = json.loads(data[8:header_end(data)])
    metadata = header["__metadata__"]
    metadata["sha256"] = nfio.file_digest(metadata, tensors)
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(st_save(tensors, metadata=metadata))
    assert message(refused) == "model file: unexpected tensor 'layers.2.W'"


def test_training_record_defaults_and_limits():
    bare = nfio.from_bytes(with_training(lambda record: [record.pop(key) for key in
                                                         ("epochs_trained", "rng")]))
    assert bare.epochs_trained == 0
    assert isinstance(bare.rng, np.random.Generator) and 0 <= bare.rng.random() < 1
    largest = with_training(lambda record: record.update(epochs_trained=10**12))
    assert nfio.from_bytes(largest).epochs_trained == 10**12


def test_random_generator_messages_are_whole():
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(with_training(lambda record: record.update(rng=5)))
    assert message(refused) == ("model file: training 'rng' must name one of MT19937, PCG64, "
                                "PCG64DXSM, Philox, SFC64, found None")
    with pytest.raises(ModelFileError, match=r"^model file: training 'rng' holds an invalid "
                                             r"state \((?!None\)).+\)$"):
        nfio.from_bytes(with_training(lambda record: record.update(
            rng={"bit_generator": "PCG64", "state": 3})))


@pytest.mark.parametrize("history", [
    {"history": {"loss": [1.0]}},                                  # no 'epoch' list
    {"epoch": [0, 1]},                                             # no 'history' object
    {"epoch": [0, 1], "history": {"loss": [1.0, None], "findings": [[], ["slow"]]}},
])
def test_history_records_that_are_read(history):
    loaded = nfio.from_bytes(with_training(lambda record: record.update(history=history)))
    assert loaded.history.history == history.get("history", {})


def test_history_message_is_whole():
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(with_training(lambda record: record.update(history=[])))
    assert message(refused) == (
        "model file: training 'history' must be an object with an 'epoch' list of integers, "
        "a 'history' object of lists (of numbers, or of findings) and an optional 'partial' "
        "object of numbers")


def test_run_message_is_whole():
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(with_training(lambda record: record.update(run=[])))
    assert message(refused) == (
        "model file: training 'run' must be null or an object with positive integers "
        "'batch_size' and 'samples', a boolean 'shuffle', a non-negative integer "
        "'validation_samples' and a hex 'data_fingerprint'")


# --- layer state, optimizer indices, callback tensors, header entries -------------------

def resaved(data: bytes, change) -> bytes:
    """``data`` with its tensors changed by ``change(tensors)``, correctly hashed."""
    from safetensors.numpy import save as st_save

    tensors = dict(st_load(data))
    change(tensors)
    metadata = json.loads(data[8:header_end(data)])["__metadata__"]
    metadata["sha256"] = nfio.file_digest(metadata, tensors)
    return st_save(tensors, metadata=metadata)


def test_dropout_fixed_mask_round_trips_and_is_checked():
    net = nfio.from_bytes(model_bytes("dropout"))
    assert net.layers[1].fixed_mask is None
    net.layers[1].fixed_mask = np.ones((2, 4), dtype=net.dtype)
    data = nfio.to_bytes(net)
    np.testing.assert_array_equal(nfio.from_bytes(data).layers[1].fixed_mask, np.ones((2, 4)))
    wrong = resaved(data, lambda tensors: tensors.update(
        {"layers.1.fixed_mask": np.ones((2, 5), np.float32)}))
    with pytest.raises(ModelFileError, match=r"^model file: layer 1 state: fixed_mask: "
                                             r"expected shape \(n, 4\)"):
        nfio.from_bytes(wrong)


def test_missing_layer_tensors_are_named_with_the_source():
    dense = resaved(model_bytes("dense"), lambda tensors: [tensors.pop(key) for key in
                                                           ("layers.0.W", "layers.0.b")])
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(dense, source="m")
    assert message(refused) == "m: tensor 'layers.0.W' is missing"
    data = model_bytes("batchnorm")
    name = next(key for key in st_load(data) if key.startswith("layers.1."))
    batchnorm = resaved(data, lambda tensors: tensors.pop(name))
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(batchnorm, source="m")
    assert message(refused) == f"m: tensor {name!r} is missing"


def test_optimizer_state_of_the_parameter_after_the_last_is_refused():
    data = resaved(model_bytes("dense"), lambda tensors: tensors.update(
        {"optimizer.4.m": np.zeros(3, np.float32)}))
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(data)
    assert message(refused) == ("model file: tensor 'optimizer.4.m' refers to parameter 4; "
                                "the network has 4")


def test_callback_tensor_without_its_record_is_unexpected():
    data = nfio.to_bytes(probed({"weights": np.arange(3.0)}))
    extra = resaved(data, lambda tensors: tensors.update(
        {"callbacks.0.extra": np.zeros(2)}))
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(extra)
    assert message(refused) == "model file: unexpected tensor 'callbacks.0.extra'"


def test_width_bound_of_layers_sized_by_the_file():
    at_bound = nf.Network([nf.Dropout(0.5, features=5000),
                           nf.Dense(5000, 1, activation="sigmoid", use_bias=False)],
                          loss="binary_cross_entropy", seed=0)
    assert nfio.from_bytes(nfio.to_bytes(at_bound)).sizes == at_bound.sizes
    data = with_architecture(lambda config: config["layers"].insert(
        0, {"type": "Dropout", "rate": 0.5, "features": 10**6}))
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(data)
    assert message(refused) == ("model file: architecture layer 0: width 1000000 is larger "
                                "than the file's tensors allow")


def entry_message(entry, source: str = "m") -> str:
    data = model_bytes("dense")
    header = json.loads(data[8:header_end(data)])
    header["layers.0.W"] = entry
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(with_header(data, header), source=source)
    return message(refused)


def test_entry_messages_are_whole():
    prefix = "m: header: tensor 'layers.0.W': "
    assert entry_message({"dtype": "F32"}) == (
        prefix + "must be an object with exactly 'data_offsets', 'dtype' and 'shape', found "
        "['dtype']")
    assert entry_message({"dtype": "X", "shape": [1], "data_offsets": [0, 4]}) == (
        prefix + "dtype must be one of F16, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, "
        "BOOL, found 'X'")
    assert entry_message({"dtype": "F32", "shape": [1, -2], "data_offsets": [0, 4]}) == (
        prefix + "shape must be a list of at most 32 non-negative integers, found [1, -2]")
    assert entry_message({"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}) == (
        prefix + "data_offsets must be two integers [begin, end] with 0 <= begin <= end, "
        "found [8, 4]")
    assert entry_message({"dtype": "F32", "shape": [2], "data_offsets": [4, 4]}) == (
        prefix + "data_offsets [4, 4] hold 0 bytes, shape [2] of F32 needs 8")
    assert entry_message({"dtype": "F32", "shape": [2], "data_offsets": [4, 8]}) == (
        prefix + "data_offsets [4, 8] hold 4 bytes, shape [2] of F32 needs 8")


def test_tensors_of_up_to_32_dimensions_are_read():
    from neuroflow.io.header import parse_header

    for dimensions, accepted in ((32, True), (33, False)):
        raw = json.dumps({"t": {"dtype": "F32", "shape": [1] * dimensions,
                                "data_offsets": [0, 4]}}).encode()
        prefix = len(raw).to_bytes(8, "little")
        size = 8 + len(raw) + 4
        if accepted:
            assert parse_header(prefix, raw, size, "m").tensors[0].shape == (1,) * 32
        else:
            with pytest.raises(ModelFileError, match="shape must be a list of at most 32"):
                parse_header(prefix, raw, size, "m")
    raw = json.dumps({"t": {"dtype": "F32", "shape": [1] * 32,
                            "data_offsets": [0, 8]}}).encode()
    with pytest.raises(ModelFileError, match=r"'t': data_offsets \[0, 8\] hold 8 bytes, "
                                             r"shape \[1, .*\] of F32 needs 4$"):
        parse_header(len(raw).to_bytes(8, "little"), raw, 8 + len(raw) + 8, "m")


# --- the fields, the capture and the header's common path ---------------------------------

def test_every_json_field_is_named_with_the_source():
    data = model_bytes("csv")
    for field in ("architecture", "training", "class_names", "feature_names",
                  "preprocessing"):
        broken = rewrite(data, lambda metadata, field=field: metadata.update({field: "{"}))
        with pytest.raises(ModelFileError) as refused:
            nfio.from_bytes(broken, source="m")
        assert message(refused).startswith(f"m: metadata '{field}' is not valid JSON (")


def test_architecture_messages_are_whole():
    data = model_bytes("dense")

    def no_layers(metadata: dict) -> None:
        architecture = json.loads(metadata["architecture"])
        architecture["layers"] = []
        metadata["architecture"] = json.dumps(architecture)
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(rewrite(data, no_layers), source="m")
    assert message(refused) == ("m: architecture 'layers' must be a non-empty list of layer "
                                "descriptions")


def test_capture_includes_the_optimizer_by_default():
    net = nfio.from_bytes(model_bytes("dense"))
    metadata, tensors = nfio.capture(net)
    assert json.loads(metadata["training"])["optimizer"]["config"]["name"] == "adam"
    assert any(name.startswith("optimizer.") for name in tensors)


def test_unserialisable_optimizer_message_is_whole():
    net = nfio.from_bytes(model_bytes("dense"))
    net.optimizer.learning_rate = lambda step: 0.01
    with pytest.raises(ValueError) as refused:
        nfio.capture(net)
    assert message(refused) == (
        "include_optimizer: the optimizer's configuration cannot be saved as JSON "
        f"({refused.value.__cause__}); give it a learning-rate schedule from "
        "neuroflow.schedules or save with include_optimizer=False")


def test_layer_state_is_saved_in_the_network_dtype():
    """A fixed mask set in another dtype is written (and read back) in the network's."""
    for dtype in ("float32", "float64"):
        net = nf.Network([nf.Dense(3, 4), nf.Dropout(0.25), nf.Dense(4, 3)], seed=0,
                         dtype=dtype)
        other = np.float64 if dtype == "float32" else np.float32
        net.layers[1].fixed_mask = np.full((2, 4), 2.0, dtype=other)
        metadata, tensors = nfio.capture(net)
        assert tensors["layers.1.fixed_mask"].dtype == np.dtype(dtype)
        loaded = nfio.from_bytes(nfio.to_bytes(net))
        np.testing.assert_array_equal(loaded.layers[1].fixed_mask, np.full((2, 4), 2.0))


def names_message(field: str, names: object, data: bytes | None = None) -> str | None:
    """The message of loading ``data`` (default: the dense model, 3 inputs, 3 outputs)
    with metadata ``field`` set to ``names``; ``None`` when it loads (and keeps them)."""
    data = rewrite(model_bytes("dense") if data is None else data,
                   lambda metadata: metadata.update({field: json.dumps(names)}))
    try:
        net = nfio.from_bytes(data, source="m")
    except ModelFileError as error:
        return str(error)
    assert getattr(net, field) == names
    return None


def test_class_names_are_checked():
    assert names_message("class_names", [0.5, 1.5, "c"]) is None
    assert names_message("class_names", [0.5, float("nan"), "c"]) == (
        "m: metadata 'class_names' must be a list of strings or finite numbers")
    many = "m: metadata 'class_names' must hold 3 different names (one per class of the " \
           "3-output layer), found {}"
    assert names_message("class_names", ["a", "b"]) == many.format(2)
    assert names_message("class_names", ["a", "b", "a"]) == many.format(3)
    assert names_message("class_names", ["a", "b", "c", "d"]) == many.format(4)
    two = nfio.to_bytes(nf.Network.from_sizes([3, 2], seed=0))
    assert names_message("class_names", ["a", "b"], two) is None
    assert names_message("class_names", ["a", "b", "c"], two) == (
        "m: metadata 'class_names' must hold 2 different names (one per class of the "
        "2-output layer), found 3")


def test_feature_names_are_checked():
    assert names_message("feature_names", ["a", "b", "c"]) is None
    many = "m: metadata 'feature_names' must hold 3 different strings (one per input), found {}"
    assert names_message("feature_names", ["a", "b"]) == many.format(2)
    assert names_message("feature_names", ["a", "b", "a"]) == many.format(3)
    assert names_message("feature_names", ["a", 2, "c"]) == many.format(3)


def test_callback_tensor_without_callback_records_is_refused():
    data = resaved(model_bytes("dense"), lambda tensors: tensors.update(
        {"callbacks.0.best": np.zeros(2, np.float32)}))
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(data, source="m")
    assert message(refused) == "m: tensor 'callbacks.0.best' without callback metadata"


def test_json_field_messages_are_whole():
    data = model_bytes("csv")
    broken = rewrite(data, lambda metadata: metadata.update(class_names="{"))
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(broken, source="m")
    assert message(refused) == (
        "m: metadata 'class_names' is not valid JSON (Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1))")
    for field, value, expected in (("class_names", "{}", "list, found dict"),
                                   ("architecture", "[]", "object, found list")):
        changed = rewrite(data, lambda metadata, change={field: value}: metadata.update(change))
        with pytest.raises(ModelFileError) as refused:
            nfio.from_bytes(changed, source="m")
        assert message(refused) == f"m: metadata '{field}' must be a JSON {expected}"


def test_format_version_message_names_the_source():
    data = rewrite(model_bytes("dense"), lambda metadata: metadata.update(format_version="2"))
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(data, source="m")
    assert message(refused) == ("m: metadata 'format_version' must look like 'MAJOR.MINOR', "
                                "found '2'")


def test_non_finite_tensor_is_refused():
    def poison(tensors: dict) -> None:
        tensors["layers.0.b"] = np.full_like(tensors["layers.0.b"], np.nan)
    data = resaved(model_bytes("dense"), poison)
    with pytest.raises(ModelFileError) as refused:
        nfio.from_bytes(data, source="m")
    assert message(refused) == "m: tensor 'layers.0.b' holds NaN or infinite values"


def test_empty_and_one_element_tensors_are_read():
    from neuroflow.io.header import parse_header, tensor_arrays

    raw = json.dumps({"empty": {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]},
                      "one": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                      "last": {"dtype": "I16", "shape": [2], "data_offsets": [4, 8]}}).encode()
    prefix = len(raw).to_bytes(8, "little")
    body = np.array([1.5], "<f4").tobytes() + np.array([-2, 7], "<i2").tobytes()
    data = prefix + raw + body
    arrays = tensor_arrays(parse_header(prefix, raw, len(data), "m"), data)
    assert list(arrays) == ["empty", "one", "last"]
    assert arrays["empty"].shape == (0, 3) and arrays["empty"].dtype == np.float32
    assert arrays["one"].dtype == np.float32 and arrays["one"].tolist() == [1.5]
    assert arrays["last"].dtype == np.int16 and arrays["last"].tolist() == [-2, 7]


def test_digest_mismatch_and_format_1_warning_messages_are_whole():
    for data, covered in ((model_bytes("dense"), "the file's metadata and tensors"),
                          (relabel_format_1(model_bytes("dense")), "the tensors")):
        changed = bytearray(data)
        changed[-1] ^= 1
        with pytest.raises(ModelFileError) as refused:
            nfio.from_bytes(bytes(changed), source="m")
        assert message(refused) == (f"m: SHA-256 of {covered} does not match the one recorded "
                                    "(the file is corrupted or was modified)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nfio.from_bytes(relabel_format_1(model_bytes("dense")), source="m")
    [warning] = [w for w in caught if issubclass(w.category, ModelFileWarning)]
    assert str(warning.message) == (
        "m: written in model format 1.0, whose SHA-256 covers the tensors only, so changes "
        "to its metadata cannot be detected; save it again to protect the whole file")
    # reported where the file was loaded, not inside the reader
    assert not warning.filename.startswith(os.path.dirname(nfio.__file__))


def header_message(text: str, data_size: int = 0, extra: int = 0) -> str:
    """``parse_header``'s message (source ``m``) for the JSON header ``text`` of a file
    with ``data_size`` bytes of tensors and ``extra`` bytes more than the header says."""
    from neuroflow.io.header import parse_header

    raw = text.encode()
    prefix = len(raw).to_bytes(8, "little")
    with pytest.raises(ModelFileError) as refused:
        parse_header(prefix, raw, 8 + len(raw) + data_size + extra, "m")
    return message(refused)


def test_header_messages_are_whole():
    from neuroflow.io.header import parse_header

    one = '"{}": {{"dtype": "F32", "shape": [1], "data_offsets": [{}, {}]}}'
    assert header_message('{"__metadata__": {}, ' + one.format("a", 0, 4) + ', "a": {}}',
                          4) == ("m: not a safetensors file (unreadable header: key 'a' "
                                 "appears twice)")
    single = "{" + one.format("a", 0, 4) + "}"
    described = 8 + len(single) + 4
    assert header_message(single, 4, extra=3) == (
        f"m: truncated or corrupted (the header describes {described} bytes, the file has "
        f"{described + 3})")
    assert header_message("{" + one.format("a", 0, 4) + ", " + one.format("b", 2, 6) + "}",
                          6) == ("m: header: tensor 'b' starts at byte 2 of the data, "
                                 "expected 4 (it overlaps the one before)")
    assert header_message("{" + one.format("a", 0, 4) + ", " + one.format("b", 5, 9) + "}",
                          9) == ("m: header: tensor 'b' starts at byte 5 of the data, "
                                 "expected 4 (it leaves a gap after the one before)")
    assert header_message("{" + one.format("a", 1, 5) + "}", 5) == (
        "m: header: tensor 'a' starts at byte 1 of the data, expected 0 (it leaves a gap "
        "after the one before)")
    assert header_message("{" + one.format("\\ud800", 0, 4) + "}", 4) == (
        "m: header: tensor name '\\ud800' is not valid text")
    assert header_message('{"__metadata__": {"x": "\\udc80"}}') == (
        "m: header '__metadata__' must map names to strings, found text that is not valid "
        "Unicode for 'x'")
    assert header_message('{"a": {"dtype": ["F32"], "shape": [1], "data_offsets": [0, 4]}}',
                          4) == ("m: header: tensor 'a': dtype must be one of F16, F32, F64, "
                                 "I8, I16, I32, I64, U8, U16, U32, U64, BOOL, found ['F32']")
    raw = b"{}"
    with pytest.raises(ModelFileError) as refused:
        parse_header(b"\x02\x00\x00", raw, 10, "m")
    assert message(refused) == "m: not a safetensors file (only 3 bytes; truncated or empty)"
    with pytest.raises(ModelFileError) as refused:
        parse_header((4).to_bytes(8, "little"), raw, 12, "m")
    assert message(refused) == "m: truncated (the header is 4 bytes, the file holds 2 of them)"


def test_header_length_reads_8_bytes_and_fits_the_file():
    from neuroflow.io.header import header_length

    assert header_length((20).to_bytes(8, "little") + b"\x01{}", 28, "m") == 20
    assert header_length((20).to_bytes(8, "little"), 28, "m") == 20
    with pytest.raises(ModelFileError) as refused:
        header_length((21).to_bytes(8, "little"), 28, "m")
    assert message(refused) == ("m: not a safetensors file (header length 21 does not fit "
                                "the 28-byte file; truncated or foreign)")
