"""A model whose preprocessing is a Pipeline (one-hot categories, then standardisation):
saved with its categories in the metadata and its scaler under ``preprocessing.1.*``,
loaded exactly; a damaged Pipeline config is a ModelFileError."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import load as st_load

import neuroflow as nf
from neuroflow import io as nfio
from neuroflow.errors import ModelFileError
from neuroflow.preprocessing import OneHotEncoder, Pipeline, StandardScaler


def split(data: bytes) -> dict:
    length = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + length])


def edit_metadata(data: bytes, **changes: str) -> bytes:
    """``data`` with metadata fields changed and its SHA-256 recomputed, so that the
    fields' own validation is what is tested."""
    header = split(data)
    header["__metadata__"].update(changes)
    header["__metadata__"]["sha256"] = nfio.file_digest(header["__metadata__"], st_load(data))
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + data[8 + int.from_bytes(data[:8], "little"):]


def _categorical_network() -> tuple[nf.Network, np.ndarray]:
    rows = np.array([["red", 1.0], ["blue", 2.0], ["green", 6.0], ["red", 3.0]], dtype=object)
    encoder = OneHotEncoder().fit({"colour": rows[:, 0].astype(str).astype(object),
                                   "size": rows[:, 1].astype(float)})
    net = nf.Network.from_sizes([4, 3, 2], seed=0)
    net.preprocessing = Pipeline([encoder, StandardScaler().fit(encoder.transform(rows))])
    net.feature_names = encoder.feature_names_out
    return net, rows


def test_pipeline_saves_categories_and_scaler_and_loads_exactly():
    net, rows = _categorical_network()
    data = nfio.to_bytes(net)
    meta = split(data)["__metadata__"]
    assert meta["format_version"] == nfio.FORMAT_VERSION == "2.2"
    config = json.loads(meta["preprocessing"])
    assert config["type"] == "Pipeline"
    assert config["steps"][0]["columns"] == [
        {"name": "colour", "categories": ["blue", "green", "red"]},
        {"name": "size", "categories": None}]
    assert sorted(k for k in st_load(data) if k.startswith("preprocessing.")) == \
        ["preprocessing.1.mean", "preprocessing.1.scale"]
    loaded = nfio.from_bytes(data)
    assert isinstance(loaded.preprocessing, Pipeline)
    assert loaded.feature_names == ["colour=blue", "colour=green", "colour=red", "size"]
    np.testing.assert_array_equal(loaded.predict(rows), net.predict(rows))


@pytest.mark.parametrize("steps, message", [
    ([], "Pipeline config: expected steps as a non-empty list"),
    ([{"type": "Whitening"}], "preprocessing type: expected one of"),
    ([{"type": "OneHotEncoder", "columns": [{"name": 3}]}], "OneHotEncoder config"),
])
def test_a_damaged_pipeline_config_is_a_model_file_error(steps, message):
    net, _ = _categorical_network()
    data = edit_metadata(nfio.to_bytes(net),
                         preprocessing=json.dumps({"type": "Pipeline", "steps": steps}))
    with pytest.raises(ModelFileError, match=f"preprocessing: .*{message}"):
        nfio.from_bytes(data)
