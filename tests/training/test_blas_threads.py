"""Small products on one BLAS thread while fit trains: the switch, its restoration, and
the same numbers as with the process's own thread count."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import neuroflow as nf
from neuroflow.training import blas, steps
from neuroflow.training.blas import ProductThreads, numpy_openblas

openblas = pytest.mark.skipif(numpy_openblas() is None,
                              reason="NumPy's BLAS is not an OpenBLAS (nothing to switch)")


def _threads() -> int:
    functions = numpy_openblas()
    assert functions is not None
    return int(functions[0]())


@openblas
def test_small_products_get_one_thread_large_ones_the_processs_count():
    with threadpool_limits(limits=2, user_api="blas"):
        threads = ProductThreads(limit=1000)
        assert threads.threads == 2 and threads.active
        threads(999)
        assert _threads() == 1
        threads(1000)
        assert _threads() == 2
        threads(10)
        threads.close()
        assert _threads() == 2


def test_without_several_threads_nothing_is_switched(monkeypatch):
    monkeypatch.setattr(blas, "numpy_openblas", lambda: None)
    threads = ProductThreads(limit=1000)
    assert not threads.active and threads.threads == 1
    threads(10)  # no library: a no-op
    threads.close()


def test_largest_product_per_sample_counts_dense_layers_only():
    net = nf.Network.from_sizes([784, 256, 128, 10], seed=0)
    assert blas.largest_product_per_sample(net) == 2 * 784 * 256
    dropout = nf.Network([nf.Dense(4, 6), nf.layers.Dropout(0.5), nf.Dense(6, 2)], seed=0)
    assert blas.largest_product_per_sample(dropout) == 2 * 4 * 6
    normalised = nf.Network([nf.Dense(4, 6), nf.layers.BatchNorm(), nf.Dense(6, 2)], seed=0)
    assert blas.largest_product_per_sample(normalised) is None


@openblas
def test_one_thread_gives_the_same_products_to_rounding():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(32, 784)).astype(np.float32), \
        rng.normal(size=(784, 256)).astype(np.float32)
    with threadpool_limits(limits=1, user_api="blas"):
        one = a @ b
    with threadpool_limits(limits=2, user_api="blas"):
        two = a @ b
    exact = a.astype(np.float64) @ b.astype(np.float64)
    scale = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    for product in (one, two):  # float32 accumulation error, far below any real change
        assert np.all(np.abs(product - exact) <= 784 * np.finfo(np.float32).eps * scale)


def _fit(limit, monkeypatch):
    monkeypatch.setattr(blas, "SMALL_PRODUCT_FLOPS", limit)
    rng = np.random.default_rng(1)
    x = rng.random((64, 784), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    net = nf.Network.from_sizes([784, 32, 10], seed=2)
    net.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return net


@openblas
def test_fit_with_switched_threads_trains_as_with_one_thread(monkeypatch):
    # every product below the limit: on one thread, as in a process limited to one
    with threadpool_limits(limits=2, user_api="blas"):
        switched = _fit(10**9, monkeypatch)
        assert _threads() == 2
    with threadpool_limits(limits=1, user_api="blas"):
        single = _fit(10**9, monkeypatch)
    for a, b in zip(switched.parameters(), single.parameters()):
        np.testing.assert_array_equal(a, b)
    assert switched.history.history["loss"] == single.history.history["loss"]


@openblas
def test_callbacks_run_with_the_processs_thread_count(monkeypatch):
    seen = []

    class Threads(nf.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(_threads())

    monkeypatch.setattr(blas, "SMALL_PRODUCT_FLOPS", 10**9)
    x = np.ones((8, 4), np.float32)
    with threadpool_limits(limits=2, user_api="blas"):
        nf.Network.from_sizes([4, 3, 2], seed=0).fit(x, np.arange(8) % 2, batch_size=4,
                                                     epochs=1, verbose=0,
                                                     callbacks=[Threads()])
    assert seen == [2, 2]


@openblas
def test_fit_restores_the_thread_count_when_a_callback_raises(monkeypatch):
    class Boom(nf.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            raise RuntimeError("boom")

    monkeypatch.setattr(blas, "SMALL_PRODUCT_FLOPS", 10**9)
    x = np.ones((8, 4), np.float32)
    with threadpool_limits(limits=2, user_api="blas"):
        with pytest.raises(RuntimeError, match="boom"):
            nf.Network.from_sizes([4, 3, 2], seed=0).fit(x, np.arange(8) % 2, verbose=0,
                                                          callbacks=[Boom()])
        assert _threads() == 2


@pytest.mark.parametrize("case", ["softmax", "binary", "one-hot", "mse-labels"])
def test_correct_count_is_accuracy_times_n_bit_for_bit(case):
    rng = np.random.default_rng(3)
    n = 50  # not a power of two: count / n * n need not be the count
    output = rng.random((n, 4)).astype(np.float32)
    labels = rng.integers(0, 4, n)
    target, loss = {"softmax": (labels, "cross_entropy"),
                    "binary": ((output > 0.4).astype(np.float32), "binary_cross_entropy"),
                    "one-hot": (np.eye(4, dtype=np.float32)[labels], "cross_entropy"),
                    "mse-labels": (labels, nf.losses.get("mse"))}[case]
    expected = nf.metrics.accuracy(output, target, loss=loss) * n
    got = steps.correct_count(output, target, loss)
    assert got == expected and type(got) is float
