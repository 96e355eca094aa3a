"""fit on a stream of batches: generators, sequences with __len__/__getitem__,
re-iterables and memory-mapped arrays read in slices (neuroflow.training.stream)."""

import inspect
import tracemalloc

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.training import fit as training_fit


def _data(n=150, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = ((x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)).astype(np.int64)
    return x, y


def _net(features=4, seed=0):
    return nf.Network.from_sizes([features, 8, 3], seed=seed)


def _batches(x, y, size=32):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, x.shape[0], size)]


class Batches:
    """A Keras-style sequence: __len__ batches, __getitem__ returns one."""

    def __init__(self, x, y, size=32):
        self.x, self.y, self.size = x, y, size

    def __len__(self):
        return -(-self.x.shape[0] // self.size)

    def __getitem__(self, index):
        part = slice(index * self.size, (index + 1) * self.size)
        return self.x[part], self.y[part]


def _same(first, second):
    return all(np.array_equal(a, b) for a, b in zip(first.parameters(), second.parameters()))


def test_generator_trains_like_the_same_batches_in_arrays():
    x, y = _data()
    reference = _net()
    expected = reference.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)

    def forever():
        while True:
            yield from _batches(x, y)

    streamed = _net()
    history = streamed.fit(forever(), steps_per_epoch=5, epochs=3, verbose=0)
    assert _same(reference, streamed)
    assert history.history["loss"] == expected.history["loss"]
    assert history.history["accuracy"] == expected.history["accuracy"]
    assert streamed.epochs_trained == 3


def test_sequence_of_batches_visits_every_batch_each_epoch():
    x, y = _data()
    reference = _net()
    reference.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
    ordered = _net()
    ordered.fit(Batches(x, y), epochs=2, shuffle=False, verbose=0)
    assert _same(reference, ordered)
    shuffled = _net()
    history = shuffled.fit(Batches(x, y), epochs=2, verbose=0)  # batch order drawn per epoch
    assert len(history.history["loss"]) == 2 and not _same(reference, shuffled)
    listed = _net()
    listed.fit(_batches(x, y), epochs=2, shuffle=False, verbose=0)  # a list of pairs
    assert _same(reference, listed)


def test_reiterable_restarts_each_epoch():
    x, y = _data()

    class Passes:
        def __iter__(self):
            return iter(_batches(x, y))

    reference = _net()
    reference.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    streamed = _net()
    streamed.fit(Passes(), steps_per_epoch=5, epochs=3, verbose=0)
    assert _same(reference, streamed)


def test_weights_validation_and_class_weight_in_a_stream():
    x, y = _data()
    weights = np.where(np.arange(x.shape[0]) % 2, 1.0, 0.25).astype(np.float32)
    reference = _net()
    expected = reference.fit(x, y, epochs=2, batch_size=50, shuffle=False, verbose=0,
                             sample_weight=weights, class_weight={0: 2.0},
                             validation_data=(x[:20], y[:20]))
    batches = [(x[i:i + 50], y[i:i + 50], weights[i:i + 50]) for i in range(0, 150, 50)]
    streamed = _net()
    history = streamed.fit(batches, epochs=2, shuffle=False, verbose=0, class_weight={0: 2.0},
                           validation_data=(x[:20], y[:20]))
    assert _same(reference, streamed)
    assert history.history["val_loss"] == expected.history["val_loss"]


def test_stream_errors_name_the_problem():
    x, y = _data()
    with pytest.raises(ValueError, match="steps_per_epoch: x is a generator of batches"):
        _net().fit((b for b in _batches(x, y)), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"ran out after 5 batches, in epoch 2"):
        _net().fit(iter(_batches(x, y)), steps_per_epoch=5, epochs=2, verbose=0)
    with pytest.raises(ValueError, match="at most the 5 batches"):
        _net().fit(Batches(x, y), steps_per_epoch=6, verbose=0)
    with pytest.raises(ValueError, match=r"expected batches \(x, y\)"):
        _net().fit(iter([x[:10]] * 3), steps_per_epoch=3, verbose=0)
    with pytest.raises(ValueError, match="validation_split: not supported when x is a stream"):
        _net().fit(_batches(x, y), validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="steps_per_epoch: only for a stream"):
        _net().fit(x, y, steps_per_epoch=3, verbose=0)
    with pytest.raises(ValueError, match="y: expected targets"):
        _net().fit(x, verbose=0)
    with pytest.raises(ValueError, match="x: expected shape"):
        _net().fit(iter([(x[:, :3], y)] * 2), steps_per_epoch=1, verbose=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_memmap_streamed_in_slices_keeps_memory_to_a_batch(tmp_path, dtype):
    """A 16 MB (float32) / 32 MB (float64) memory-mapped .npy trains with NumPy
    allocations of a few batches, never the whole array."""
    rows, features, size = 20000, 200, 500
    path = tmp_path / "big.npy"
    mapped = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(rows, features))
    for start in range(0, rows, 5000):
        mapped[start:start + 5000] = np.random.default_rng(start).normal(
            size=(5000, features))
    mapped.flush()
    del mapped
    x = np.load(path, mmap_mode="r")
    y = (np.arange(rows) % 3).astype(np.int64)

    def slices():
        for start in range(0, rows, size):
            yield x[start:start + size], y[start:start + size]

    net = nf.Network.from_sizes([features, 16, 3], seed=0)
    tracemalloc.start()
    try:
        net.fit(slices(), steps_per_epoch=rows // size, epochs=1, verbose=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * size * features * 8, peak  # a few float64 batches, not 16-32 MB
    if dtype == "float32":  # the array path needs no copy of a float32 map either
        tracemalloc.start()
        try:
            nf.Network.from_sizes([features, 16, 3], seed=0).fit(
                x, y, epochs=1, batch_size=size, verbose=0)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < rows * features * 4 / 2, peak


def test_fit_evaluate_predict_have_explicit_signatures():
    """No **options: help(), IDEs and mypy see every parameter of fit."""
    for method in (nf.Network.fit, nf.Network.evaluate, nf.Network.predict):
        kinds = {p.kind for p in inspect.signature(method).parameters.values()}
        assert inspect.Parameter.VAR_KEYWORD not in kinds, method
    network_fit = inspect.signature(nf.Network.fit).parameters
    loop_fit = inspect.signature(training_fit).parameters
    assert list(network_fit)[1:] == list(loop_fit)[1:]
    for name, parameter in loop_fit.items():
        if name != "network":
            assert network_fit[name].default == parameter.default, name
    with pytest.raises(TypeError, match="epoks"):
        _net().fit(*_data(), epoks=3)


def test_evaluate_and_predict_on_a_stream():
    x, y = _data()
    net = _net()
    net.fit(x, y, epochs=2, verbose=0)
    whole = net.evaluate(x, y)
    streamed = net.evaluate(iter(_batches(x, y, 40)))
    assert streamed.keys() == whole.keys()
    assert streamed["accuracy"] == pytest.approx(whole["accuracy"], abs=1e-12)
    assert streamed["loss"] == pytest.approx(whole["loss"], rel=1e-6)
    assert net.evaluate(Batches(x, y, 50)) == pytest.approx(whole, rel=1e-6)
    first = net.evaluate(_batches(x, y, 50), steps=1)
    assert first == pytest.approx(net.evaluate(x[:50], y[:50]), rel=1e-6)
    weights = np.linspace(0.0, 2.0, x.shape[0]).astype(np.float32)
    weighted = net.evaluate(iter([(x[:75], y[:75], weights[:75]),
                                  (x[75:], y[75:], weights[75:])]))
    assert weighted["loss"] == pytest.approx(net.evaluate(x, y, sample_weight=weights)["loss"],
                                             rel=1e-6)
    outputs = net.predict(x[i:i + 40] for i in range(0, 150, 40))
    np.testing.assert_array_equal(outputs, net.predict(x))
    np.testing.assert_array_equal(net.predict(iter(_batches(x, y))), net.predict(x))
    with pytest.raises(ValueError, match="empty stream"):
        net.evaluate(iter([]))
    with pytest.raises(ValueError, match="y: expected targets"):
        net.evaluate(x)
