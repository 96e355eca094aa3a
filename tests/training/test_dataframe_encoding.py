"""A pandas DataFrame with categorical or string feature columns: one-hot encoded by a
OneHotEncoder that fit makes, saved with the model and applied by predict/evaluate."""

import numpy as np
import pandas as pd
import pytest

import neuroflow as nf
from neuroflow.preprocessing import OneHotEncoder


def _table(n=90, seed=0):
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    colour = np.array(["red", "green", "blue"])[rng.integers(0, 3, n)]
    shape = pd.Categorical(np.array(["round", "square"])[rng.integers(0, 2, n)])
    table = pd.DataFrame({"size": size, "colour": colour, "shape": shape,
                          "weight": rng.normal(size=n)})
    y = (size > 0).astype(np.int64) + (colour == "red")
    return table, y


def _encoded(table):
    """The same encoding by hand: categories sorted, each column in its place."""
    colour = np.asarray(table["colour"])
    shape = np.asarray(table["shape"], dtype=str)
    return np.column_stack([table["size"], colour == "blue", colour == "green",
                            colour == "red", shape == "round", shape == "square",
                            table["weight"]]).astype(np.float64)


def test_categorical_columns_trained_as_their_one_hot_encoding(tmp_path):
    table, y = _table()
    reference = nf.Network.from_sizes([7, 8, 3], seed=0)
    expected = reference.fit(_encoded(table), y, epochs=3, verbose=0)
    net = nf.Network.from_sizes([7, 8, 3], seed=0)
    history = net.fit(table, y, epochs=3, verbose=0)
    assert history.history["loss"] == expected.history["loss"]
    assert isinstance(net.preprocessing, OneHotEncoder)
    assert net.feature_names == ["size", "colour=blue", "colour=green", "colour=red",
                                 "shape=round", "shape=square", "weight"]
    np.testing.assert_array_equal(net.predict(table), reference.predict(_encoded(table)))
    assert net.evaluate(table, y) == reference.evaluate(_encoded(table), y)

    net.save(tmp_path / "table.safetensors")
    loaded = nf.load(tmp_path / "table.safetensors")
    assert loaded.preprocessing.columns[1] == {"name": "colour",
                                               "categories": ["blue", "green", "red"]}
    np.testing.assert_array_equal(loaded.predict(table.iloc[:5]), net.predict(table.iloc[:5]))


def test_encoding_errors_name_column_and_category():
    table, y = _table()
    with pytest.raises(ValueError, match=r"gives 7 features \(size, colour=blue.*takes 4"):
        nf.Network.from_sizes([4, 8, 3], seed=0).fit(table, y, verbose=0)
    net = nf.Network.from_sizes([7, 8, 3], seed=0)
    net.fit(table, y, epochs=1, verbose=0)
    unseen = table.iloc[:3].copy()
    unseen["colour"] = ["red", "purple", "blue"]
    with pytest.raises(ValueError, match=r"x column 'colour': unknown class labels \['purple'\]"):
        net.predict(unseen)
    with pytest.raises(ValueError, match=r"expected the columns \['size', 'colour'"):
        net.predict(table[["colour", "size", "shape", "weight"]])
    with pytest.raises(ValueError, match="OneHotEncoder: call fit"):
        OneHotEncoder().transform(table)


def test_encoder_on_its_own_and_from_config():
    table, _ = _table(30)
    encoder = OneHotEncoder().fit(table)
    assert encoder.n_features == 7
    again = nf.preprocessing.from_config(encoder.get_config(), encoder.state())
    np.testing.assert_array_equal(again.transform(table), encoder.transform(table))
    with pytest.raises(ValueError, match="OneHotEncoder config: expected columns"):
        nf.preprocessing.from_config({"type": "OneHotEncoder", "columns": [{"name": 3}]}, {})
