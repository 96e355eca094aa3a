"""Every single-bit flip and every single-byte substitution of the header (its 8-byte
length and its JSON) of five different model files: each is refused with
ModelFileError or gives back the identical model; no other exception escapes ``load``.

The files (tests/io/io_model_files.py): a dense network with Adam's state, one with
Dropout, one with BatchNorm, one trained from a CSV file (standardised inputs, text class
names, feature names) and a checkpoint taken in the middle of an epoch with EarlyStopping
and ReduceLROnPlateau states.
"""

from __future__ import annotations

import contextlib
import json

import pytest
from fuzz_scale import STRIDE
from io_model_files import NAMES, description, header_end, model_bytes, read

import neuroflow as nf
from neuroflow.errors import ModelFileError

pytestmark = pytest.mark.fuzz

#: The replacement bytes of the substitutions: JSON's structure, digits, a sign, letters
#: of numbers and literals, an escape and a space.
REPLACEMENTS = b',.:[]{}"019-etE\\ '


def mutants(data: bytes):
    """Each distinct file that one bit flip or one byte substitution (by each of
    :data:`REPLACEMENTS`) of the header makes, once: (position, new byte)."""
    for position in range(header_end(data)):
        old = data[position]
        replacements = {old ^ (1 << bit) for bit in range(8)} | set(REPLACEMENTS)
        replacements.discard(old)
        for new in sorted(replacements):
            yield position, new


@pytest.mark.parametrize("name", NAMES)
def test_every_header_flip_and_substitution_is_refused_or_harmless(name):
    """All of them, through what ``load`` does once the file is open (the on-disk path
    is sampled below): about 47,000 distinct files per model, 234,000 for the five.
    ``make test`` takes every ``STRIDE``-th of them (tests/fuzz_scale.py): every
    position, a different substitution at each; ``NEUROFLOW_FUZZ=full`` takes all."""
    data = model_bytes(name)
    reference = description(read(data))
    counts = {"refused": 0, "identical": 0}
    mutable = bytearray(data)
    for index, (position, new) in enumerate(mutants(data)):
        if index % STRIDE:
            continue
        old = mutable[position]
        mutable[position] = new
        try:
            network = read(bytes(mutable))
        except ModelFileError:
            counts["refused"] += 1
        else:
            assert description(network) == reference, (position, bytes([old, new]))
            counts["identical"] += 1
        mutable[position] = old
    total = sum(counts.values())
    # each position: its 8 flips and the replacements that are neither it nor a flip of it
    assert total * STRIDE >= header_end(data) * len(REPLACEMENTS) > 16_000
    assert counts["identical"] < total / 100, counts


@pytest.mark.parametrize("name", NAMES)
def test_sampled_mutations_through_load_on_disk(tmp_path, name):
    """The same mutations through ``nf.load`` of a real file (every 499th one)."""
    data = model_bytes(name)
    path = tmp_path / "m.safetensors"
    for index, (position, new) in enumerate(mutants(data)):
        if index % 499:
            continue
        mutable = bytearray(data)
        mutable[position] = new
        path.write_bytes(bytes(mutable))
        with contextlib.suppress(ModelFileError):
            nf.load(path)


def test_sampled_mutations_of_a_signed_file_loaded_with_its_key():
    """Every 23rd mutation of a signed file, loaded with the key (and strictly)."""
    key = b"0123456789abcdef-fuzz"
    data = nf.io.to_bytes(read(model_bytes("mid_epoch")), sign_key=key)
    reference = description(read(data, key=key, strict=True))
    mutable = bytearray(data)
    for index, (position, new) in enumerate(mutants(data)):
        if index % 23:
            continue
        old = mutable[position]
        mutable[position] = new
        try:
            network = read(bytes(mutable), key=key, strict=True)
        except ModelFileError:
            pass
        else:
            assert description(network) == reference, (position, bytes([old, new]))
        mutable[position] = old


def edit_entry(data: bytes, change) -> bytes:
    """``data`` with the JSON header edited by ``change(header)`` (length kept right)."""
    end = header_end(data)
    header = json.loads(data[8:end])
    change(header)
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + data[end:]


@pytest.mark.parametrize(("change", "message"), [
    # a flipped bit turned [0, 32] into [0.32]: IndexError in the bounded read before
    (lambda h: h["layers.0.b"].update(data_offsets=[0.32]), "data_offsets must be two"),
    (lambda h: h["layers.0.b"].update(data_offsets=[32]), "data_offsets must be two"),
    (lambda h: h["layers.0.b"].update(data_offsets=[]), "data_offsets must be two"),
    (lambda h: h["layers.0.b"].update(data_offsets=[0, 16, 32]), "data_offsets must be two"),
    (lambda h: h["layers.0.b"].update(data_offsets="0,16"), "data_offsets must be two"),
    (lambda h: h["layers.0.b"].update(data_offsets=[16, 0]), "data_offsets must be two"),
    (lambda h: h["layers.0.b"].update(data_offsets=[-16, 0]), "data_offsets must be two"),
    (lambda h: h["layers.0.b"].update(data_offsets=[True, 16]), "data_offsets must be two"),
    (lambda h: h["layers.0.b"].update(data_offsets=[0, 10**30]), "hold .* bytes"),
    (lambda h: h["layers.0.b"].update(shape=[4.0]), "shape must be a list"),
    (lambda h: h["layers.0.b"].update(shape=[-4]), "shape must be a list"),
    (lambda h: h["layers.0.b"].update(shape=4), "shape must be a list"),
    (lambda h: h["layers.0.b"].update(shape=[2, 3]), "shape .* needs 24"),
    (lambda h: h["layers.0.b"].update(dtype="BF16"), "dtype must be one of"),
    (lambda h: h["layers.0.b"].update(dtype=3), "dtype must be one of"),
    (lambda h: h["layers.0.b"].pop("dtype"), "exactly 'data_offsets', 'dtype' and 'shape'"),
    (lambda h: h["layers.0.b"].update(extra=1), "exactly 'data_offsets'"),
    (lambda h: h.update({"layers.0.b": [0, 16]}), "must be an object"),
    (lambda h: h.update({"__metadata__": ["format"]}), "'__metadata__' must be an object"),
    (lambda h: h["__metadata__"].update(format_version=2.0), "must map names to strings"),
    (lambda h: h["__metadata__"].update(training=None), "must map names to strings"),
    (lambda h: h.update({"x": {"dtype": "F32", "shape": [0], "data_offsets": [7, 7]}}),
     "starts at byte 7 of the data, expected"),
])
def test_header_fields_are_checked_before_use(tmp_path, change, message):
    data = edit_entry(model_bytes("dense"), change)
    path = tmp_path / "m.safetensors"
    path.write_bytes(data)
    with pytest.raises(ModelFileError, match=message):
        nf.load(path)
    with pytest.raises(ModelFileError, match=message):
        nf.io.from_bytes(data)


def test_overlapping_and_duplicate_entries_are_refused():
    data = model_bytes("dense")
    end = header_end(data)
    header = json.loads(data[8:end])
    later = max((name for name in header if name != "__metadata__"),
                key=lambda name: header[name]["data_offsets"][0])
    begin, stop = header[later]["data_offsets"]
    header[later]["data_offsets"] = [begin - 4, stop - 4]  # same size, 4 bytes earlier
    raw = json.dumps(header).encode()
    with pytest.raises(ModelFileError, match=f"{later}' starts at byte {begin - 4} .*overlaps"):
        nf.io.from_bytes(len(raw).to_bytes(8, "little") + raw + data[end:])
    text = data[8:end].decode()
    duplicated = text.replace('{"__metadata__":', '{"__metadata__":{},"__metadata__":', 1)
    raw = duplicated.encode()
    with pytest.raises(ModelFileError, match="appears twice"):
        nf.io.from_bytes(len(raw).to_bytes(8, "little") + raw + data[end:])
    for constant in (b"NaN", b"Infinity"):
        raw = data[8:end].replace(b'"data_offsets":[0,', b'"data_offsets":[' + constant + b",",
                                  1)
        with pytest.raises(ModelFileError, match="not a JSON number"):
            nf.io.from_bytes(len(raw).to_bytes(8, "little") + raw + data[end:])


def test_lone_surrogate_in_metadata_is_a_model_file_error():
    data = model_bytes("dense")
    end = header_end(data)
    raw = data[8:end].replace(b'"format":"neuroflow"', b'"format":"neuroflow\\ud800"', 1)
    assert raw != data[8:end]
    with pytest.raises(ModelFileError, match="not valid Unicode"):
        nf.io.from_bytes(len(raw).to_bytes(8, "little") + raw + data[end:])
