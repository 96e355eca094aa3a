"""Signed model files: ``save(..., sign_key=)`` records an HMAC-SHA256 of what the SHA-256
covers, ``load(..., key=)`` refuses unsigned, mis-signed and downgraded (format-1) files;
a format-1 file that holds format-2 fields is refused, and ``strict=True`` refuses
format 1 altogether. The SHA-256 alone detects corruption, not tampering."""

from __future__ import annotations

import hashlib
import hmac
import json
import warnings

import numpy as np
import pytest
from io_model_files import description, header_end, model_bytes
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

import neuroflow as nf
from neuroflow import io as nfio
from neuroflow.callbacks import ModelCheckpoint
from neuroflow.errors import ModelFileError, ModelFileWarning

KEY = b"0123456789abcdef-a-test-key"
OTHER = b"0123456789abcdef-another-key"


def signed(name: str = "csv", key: bytes = KEY) -> bytes:
    return nfio.to_bytes(nfio.from_bytes(model_bytes(name)), sign_key=key)


def rewrite(data: bytes, change, digest: str = "file") -> bytes:
    """``data`` with its metadata edited by ``change(metadata)`` and the SHA-256 computed
    again, as anyone who edits a file can (``digest="tensor"``: format 1's hash)."""
    end = header_end(data)
    header = json.loads(data[8:end])
    metadata = header["__metadata__"]
    change(metadata)
    tensors = st_load(data)
    metadata["sha256"] = (nfio.file_digest(metadata, tensors) if digest == "file"
                          else nfio.tensor_digest(tensors))
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + data[end:]


def swap_class_names(metadata: dict) -> None:
    metadata["class_names"] = json.dumps(json.loads(metadata["class_names"])[::-1])


def test_signed_file_round_trips_with_and_without_the_key(tmp_path):
    net = nfio.from_bytes(model_bytes("csv"))
    path = tmp_path / "m.safetensors"
    net.save(str(path), sign_key=KEY)
    assert description(nf.load(path, key=KEY)) == description(net)
    assert description(nf.load(path, key=KEY.decode())) == description(net)  # str: UTF-8
    assert description(nf.load(path)) == description(net)  # the signature is optional
    nf.save(net, path, sign_key=KEY.decode())
    assert description(nf.load(path, key=KEY)) == description(net)


def test_signature_is_hmac_sha256_of_what_the_hash_covers():
    data = signed()
    header = json.loads(data[8:header_end(data)])
    metadata = header["__metadata__"]
    stream = b"".join(key.encode() + b"\0" + metadata[key].encode() + b"\0"
                      for key in sorted(metadata) if key not in ("sha256", "hmac_sha256"))
    stream += b"\0"
    for name, array in sorted(st_load(data).items()):
        stream += (name.encode() + b"\0" + f"{array.dtype.kind}{array.dtype.itemsize}".encode()
                   + b"\0" + ",".join(map(str, array.shape)).encode() + b"\0"
                   + array.astype(array.dtype.newbyteorder("<")).tobytes())
    assert metadata["hmac_sha256"] == hmac.new(KEY, stream, hashlib.sha256).hexdigest()
    # the SHA-256 is computed after signing, so it covers the signature too
    assert metadata["sha256"] == nfio.file_digest(metadata, st_load(data))
    corrupted = data.replace(metadata["hmac_sha256"].encode(),
                             metadata["hmac_sha256"][::-1].encode())
    with pytest.raises(ModelFileError, match="SHA-256"):
        nfio.from_bytes(corrupted)


def test_recomputed_hash_hides_an_edit_only_from_a_load_without_key():
    """The review's tamper.py: swapped class names with the SHA-256 computed again."""
    data = signed()
    tampered = rewrite(data, swap_class_names)
    original = nfio.from_bytes(data).class_names
    assert nfio.from_bytes(tampered).class_names == original[::-1]  # a corruption check only
    with pytest.raises(ModelFileError, match="signature .* does not match the key"):
        nfio.from_bytes(tampered, key=KEY)


def test_key_refuses_unsigned_and_mis_signed_files(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(model_bytes("dense"))
    with pytest.raises(ModelFileError, match="not signed .*'hmac_sha256'"):
        nf.load(path, key=KEY)
    path.write_bytes(signed("dense", OTHER))
    with pytest.raises(ModelFileError, match="does not match the key .*another key"):
        nf.load(path, key=KEY)
    assert nf.load(path, key=OTHER).sizes == [3, 4, 3]


@pytest.mark.parametrize("value", ["", "0" * 64, "é" * 64, "x"])
def test_forged_signature_values_are_refused(value):
    forged = rewrite(signed("dense"), lambda metadata: metadata.update(hmac_sha256=value))
    with pytest.raises(ModelFileError, match="does not match the key"):
        nfio.from_bytes(forged, key=KEY)


def test_signature_covers_every_field_and_tensor():
    data = signed("mid_epoch")
    metadata = json.loads(data[8:header_end(data)])["__metadata__"]
    for key in sorted(set(metadata) - {"sha256", "hmac_sha256", "format"}):
        value = "2.9" if key == "format_version" else metadata[key] + " "
        edited = rewrite(data, lambda m, key=key, value=value: m.update({key: value}))
        with pytest.raises(ModelFileError, match="does not match the key"):
            nfio.from_bytes(edited, key=KEY)
    removed = rewrite(data, lambda m: m.pop("neuroflow_version"))
    with pytest.raises(ModelFileError, match="does not match the key"):
        nfio.from_bytes(removed, key=KEY)
    end = header_end(data)
    tensors = st_load(data)
    for name in sorted(tensors):
        changed = dict(tensors)
        changed[name] = changed[name].copy()
        changed[name].reshape(-1)[:1] += 1
        header = json.loads(data[8:end])
        header["__metadata__"]["sha256"] = nfio.file_digest(header["__metadata__"], changed)
        body = st_save(changed, metadata=header["__metadata__"])
        with pytest.raises(ModelFileError, match="does not match the key"):
            nfio.from_bytes(body, key=KEY)


def downgraded(data: bytes, *extra_removed: str) -> bytes:
    """``data`` relabelled as format 1.0: its signature and the fields format 1 lacks
    removed, and format 1's tensor-only hash."""
    def change(metadata: dict) -> None:
        metadata["format_version"] = "1.0"
        for key in ("hmac_sha256", *extra_removed):
            metadata.pop(key, None)
    return rewrite(data, change, digest="tensor")


def test_downgrade_to_format_1_is_refused_with_a_key():
    legacy = downgraded(signed("dense"))
    with pytest.warns(ModelFileWarning, match="format 1.0"):
        assert nfio.from_bytes(legacy).sizes == [3, 4, 3]  # a genuine 0.1 file still loads
    with pytest.raises(ModelFileError, match="not signed .*format 1.0 cannot carry"):
        nfio.from_bytes(legacy, key=KEY)
    with pytest.raises(ModelFileError, match="format 1.0, whose .*refused .strict"):
        nfio.from_bytes(legacy, strict=True)
    assert nfio.from_bytes(model_bytes("dense"), strict=True).sizes == [3, 4, 3]


@pytest.mark.parametrize(("name", "removed", "field"), [
    ("csv", ("feature_names",), "hmac_sha256"),  # the signature itself
    ("csv", ("hmac_sha256",), "feature_names"),
    ("mid_epoch", ("hmac_sha256",), "training 'callbacks'"),
])
def test_format_1_file_with_format_2_fields_is_refused(name, removed, field):
    data = nfio.to_bytes(nfio.from_bytes(model_bytes(name)), sign_key=KEY)

    def change(metadata: dict) -> None:
        metadata["format_version"] = "1.0"
        for key in removed:
            metadata.pop(key)
    relabelled = rewrite(data, change, digest="tensor")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused before any warning
        with pytest.raises(ModelFileError, match=f"claims model format 1.0 .*{field}"):
            nfio.from_bytes(relabelled)


def test_format_1_file_with_partial_history_or_callback_tensors_is_refused():
    data = model_bytes("mid_epoch")

    def change(metadata: dict) -> None:
        metadata["format_version"] = "1.0"
        training = json.loads(metadata["training"])
        training.pop("callbacks")
        metadata["training"] = json.dumps(training)
    with pytest.raises(ModelFileError, match="tensor 'callbacks.0.layers"):
        nfio.from_bytes(rewrite(data, change, digest="tensor"))
    net = nfio.from_bytes(model_bytes("dense"))
    net.history.partial = {"epoch": 1, "batches": 1, "samples": 10, "loss": 1.0}
    with pytest.raises(ModelFileError, match="history 'partial'"):
        nfio.from_bytes(downgraded(nfio.to_bytes(net)))


@pytest.mark.parametrize(("key", "message"), [
    (b"short", "at least 16 bytes"),
    ("", "at least 16 bytes"),
    (12345, "expected a secret key"),
])
def test_bad_keys_are_value_errors(tmp_path, key, message):
    net = nfio.from_bytes(model_bytes("dense"))
    with pytest.raises(ValueError, match=message):
        nf.save(net, tmp_path / "m.safetensors", sign_key=key)
    with pytest.raises(ValueError, match=message):
        nfio.from_bytes(model_bytes("dense"), key=key)


def test_signed_checkpoints_resume_with_the_key(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)), np.arange(40) % 3
    path = tmp_path / "ckpt.safetensors"
    first = nf.Network.from_sizes([3, 4, 3], seed=1)
    checkpoint = ModelCheckpoint(path, sign_key=KEY)
    first.fit(x, y, epochs=1, batch_size=10, verbose=0, callbacks=[checkpoint])
    assert nf.load(path, key=KEY).epochs_trained == 1
    resumed = nf.Network.from_sizes([3, 4, 3], seed=1)
    nfio.load_into(resumed, path, key=KEY)
    assert resumed.epochs_trained == 1
    with pytest.raises(ModelFileError, match="does not match the key"):
        nfio.load_into(nf.Network.from_sizes([3, 4, 3], seed=1), path, key=OTHER)
