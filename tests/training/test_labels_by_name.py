"""Class labels by name (strings, objects, pandas categories) in fit, evaluate and
predict_labels: classes learnt in sorted order as the network's class_names."""

import numpy as np
import pandas as pd
import pytest

import neuroflow as nf


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    numbers = ((x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)).astype(np.int64)
    return x, numbers


NAMES = np.array(["setosa", "versicolor", "virginica"])


def _net(outputs=3, **kwargs):
    return nf.Network.from_sizes([4, 8, outputs], seed=0, **kwargs)


def test_string_labels_train_like_their_sorted_numbers():
    x, numbers = _data()
    reference = _net()
    expected = reference.fit(x, numbers, epochs=3, verbose=0)
    named = _net()
    history = named.fit(x, NAMES[numbers].tolist(), epochs=3, verbose=0)  # a plain list
    assert named.class_names == ["setosa", "versicolor", "virginica"]
    assert history.history["loss"] == expected.history["loss"]
    assert all(np.array_equal(a, b) for a, b in zip(reference.parameters(),
                                                       named.parameters()))
    assert named.evaluate(x, NAMES[numbers]) == reference.evaluate(x, numbers)
    labels = named.predict_labels(x)
    assert labels.dtype.kind == "U"
    assert labels.tolist() == NAMES[reference.predict_classes(x)].tolist()
    assert reference.predict_labels(x).tolist() == reference.predict_classes(x).tolist()


def test_pandas_categorical_labels_sorted_like_label_encoder():
    x, numbers = _data()
    # categories declared in another order: classes are still sorted
    labels = pd.Series(pd.Categorical(np.array(["zebra", "ant", "mole"])[numbers],
                                      categories=["zebra", "mole", "ant"]))
    net = _net()
    net.fit(pd.DataFrame(x, columns=list("abcd")), labels, epochs=2, verbose=0,
            validation_data=(x[:10], labels[:10]))
    assert net.class_names == ["ant", "mole", "zebra"]
    assert net.feature_names == ["a", "b", "c", "d"]
    assert set(net.predict_labels(x)) <= {"ant", "mole", "zebra"}
    codes = np.searchsorted(["ant", "mole", "zebra"], np.asarray(labels, dtype=str))
    assert net.evaluate(x, labels) == net.evaluate(x, codes)


def test_binary_string_labels_with_one_sigmoid_output(tmp_path):
    x, numbers = _data()
    answers = np.where(numbers > 0, "yes", "no").astype(object)
    net = _net(outputs=1, output="sigmoid")
    net.fit(x, answers, epochs=2, verbose=0)
    assert net.class_names == ["no", "yes"]
    net.save(tmp_path / "binary.safetensors")
    loaded = nf.load(tmp_path / "binary.safetensors")
    assert loaded.class_names == ["no", "yes"]
    assert loaded.predict_labels(x).tolist() == net.predict_labels(x).tolist()
    assert loaded.evaluate(x, answers) == net.evaluate(x, answers)


def test_label_errors():
    x, numbers = _data()
    with pytest.raises(ValueError, match=r"y: expected 3 classes .* received 2: \['a', 'b'\]"):
        _net().fit(x, np.where(numbers > 0, "a", "b"), verbose=0)
    net = _net()
    net.fit(x, NAMES[numbers], epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"y: unknown class labels \['lily'\]"):
        net.evaluate(x[:2], ["setosa", "lily"])
    labels = NAMES[numbers].astype(object)
    labels[5] = None
    with pytest.raises(ValueError, match="missing one .* at row 6"):
        _net().fit(x, labels, verbose=0)
    with pytest.raises(ValueError, match="labels by name .* need the network's class_names"):
        _net().evaluate(x, NAMES[numbers])
    with pytest.raises(ValueError, match="labels of one kind"):
        _net().fit(x[:3], np.array(["a", 1, 2.5], dtype=object), verbose=0)


def test_stream_of_named_labels_uses_the_networks_class_names():
    x, numbers = _data()
    named = NAMES[numbers]
    batches = [(x[i:i + 40], named[i:i + 40]) for i in range(0, len(x), 40)]
    with pytest.raises(ValueError, match="need the network's class_names"):
        _net().fit(batches, verbose=0)
    net = _net()
    net.class_names = NAMES.tolist()
    reference = _net()
    reference.fit(x, numbers, batch_size=40, shuffle=False, epochs=2, verbose=0,
                  validation_data=(x[:10], numbers[:10]))
    history = net.fit(batches, shuffle=False, epochs=2, verbose=0,
                      validation_data=(x[:10], named[:10]))
    assert history.history["val_loss"] == reference.history.history["val_loss"]
    assert net.class_names == NAMES.tolist()
