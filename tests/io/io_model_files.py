"""Five different model files for the tests of tests/io: a plain dense network, one with
Dropout, one with BatchNorm, one trained from a CSV file (standardised inputs, text class
names, feature names) and a checkpoint taken in the middle of an epoch with stateful
callbacks. Each is built once per test session (they take well under a second)."""

from __future__ import annotations

import functools
import io
import tempfile
from pathlib import Path

import numpy as np

import neuroflow as nf
from neuroflow import io as nfio
from neuroflow.callbacks import Callback, EarlyStopping, ReduceLROnPlateau
from neuroflow.io import reader
from neuroflow.preprocessing import StandardScaler

NAMES = ("dense", "dropout", "batchnorm", "csv", "mid_epoch")


def _data(seed: int = 0, n: int = 30, features: int = 3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    return x, (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)


class _StopAt(Callback):
    """Asks ``fit`` to stop after batch ``batch`` of epoch ``epoch`` (as Ctrl-C does)."""

    def __init__(self, epoch: int, batch: int) -> None:
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            self.network.stop_training = True


def _dense() -> nf.Network:
    x, y = _data()
    net = nf.Network.from_sizes([3, 4, 3], hidden="tanh", seed=1)
    net.fit(x, y, epochs=1, batch_size=10, optimizer="adam", verbose=0)
    return net


def _dropout() -> nf.Network:
    x, y = _data(1)
    net = nf.Network([nf.Dense(3, 4), nf.Dropout(0.25), nf.Dense(4, 3, activation="softmax")],
                     seed=2)
    net.fit(x, y, epochs=1, batch_size=10, optimizer="sgd", verbose=0)
    return net


def _batchnorm() -> nf.Network:
    x, y = _data(2)
    net = nf.Network([nf.Dense(3, 4), nf.BatchNorm(), nf.Dense(4, 3, activation="softmax")],
                     seed=3)
    net.fit(x, y, epochs=1, batch_size=10, optimizer="sgd", verbose=0)
    return net


def _csv() -> nf.Network:
    """Trained from a CSV file as a user would: text labels (with a comma, a quote, a line
    break and non-ASCII letters) become ``class_names``, the header ``feature_names``,
    and the inputs are standardised."""
    rows = ["sepal length,sepal wïdth,petal,species"]
    labels = ['ca\nt,"x', "ñ dog", "bird"]
    x, y = _data(3)
    for features, label in zip(x, y):
        quoted = '"' + labels[label].replace('"', '""') + '"'
        rows.append(",".join(f"{value:.3f}" for value in features) + "," + quoted)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flowers.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        data = nf.datasets.load_csv(path, target="species")
    scaler = StandardScaler().fit(data.x)
    net = nf.Network.from_sizes([3, 4, len(data.class_names)], seed=4)
    net.preprocessing = scaler
    net.class_names = data.class_names
    net.feature_names = data.model_feature_names
    net.fit(scaler.transform(data.x), data.y, epochs=1, batch_size=10, optimizer="sgd",
            verbose=0)
    return net


def _mid_epoch() -> nf.Network:
    """Stopped after the second batch of the second epoch, with EarlyStopping (holding its
    best weights as arrays) and ReduceLROnPlateau: ``history.partial`` and the callback
    states are saved."""
    x, y = _data(4, n=40)
    net = nf.Network.from_sizes([3, 4, 3], seed=5)
    callbacks = [EarlyStopping("loss", patience=3, restore_best=True),
                 ReduceLROnPlateau("loss", patience=1), _StopAt(1, 1)]
    net.fit(x, y, epochs=3, batch_size=10, optimizer="sgd", verbose=0, callbacks=callbacks)
    assert net.history.partial is not None and net.epochs_trained == 1
    return net


@functools.cache
def model_bytes(name: str) -> bytes:
    """The file ``save`` writes for fixture ``name`` (one of :data:`NAMES`)."""
    builders = {"dense": _dense, "dropout": _dropout, "batchnorm": _batchnorm, "csv": _csv,
                "mid_epoch": _mid_epoch}
    return nfio.to_bytes(builders[name]())


def header_end(data: bytes) -> int:
    """Where the data section begins: the 8-byte length plus the JSON header."""
    return 8 + int.from_bytes(data[:8], "little")


def read(data: bytes, **options) -> nf.Network:
    """What ``nf.load`` does with a file of these bytes once it is open (checks of the
    header, then a bounded read, then everything else)."""
    header, whole = reader._read_bounded(io.BytesIO(data), len(data), "model file")
    return reader._build(reader._decode(header, whole, "model file",
                                        options.get("key"), options.get("strict", False)),
                         "model file")


def description(network: nf.Network) -> tuple[dict, dict]:
    """Everything a model is (``capture``): metadata and tensors, for comparisons."""
    metadata, tensors = nfio.capture(network)
    return metadata, {name: (array.dtype.str, array.shape, array.tobytes())
                      for name, array in tensors.items()}
