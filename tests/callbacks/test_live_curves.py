"""LiveCurves: curves redrawn in place in a notebook (a display function), one text line
per epoch elsewhere (or nothing)."""

import io

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.callbacks import LiveCurves

pytest.importorskip("matplotlib", reason="the plot extra")


class FakeDisplay:
    """Records what IPython's display(obj, display_id=True) and handle.update(obj) got."""

    def __init__(self):
        self.shown = []

    def __call__(self, obj, display_id=None):
        assert display_id is True
        self.shown.append(("display", obj))
        return self

    def update(self, obj):
        self.shown.append(("update", obj))


def _fit(callback, epochs=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    net = nf.Network.from_sizes([3, 4, 2], seed=0)
    return net.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=[callback],
                   validation_data=(x[:8], y[:8]))


def test_redraws_one_figure_in_place_each_epoch():
    display = FakeDisplay()
    live = LiveCurves(display=display)
    history = _fit(live)
    assert [kind for kind, _ in display.shown] == ["display", "update", "update"]
    assert all(png.startswith(b"\x89PNG") for _, png in display.shown)
    assert live.curves["loss"] == history.history["loss"]
    assert live.curves["val_accuracy"] == history.history["val_accuracy"]
    assert live.panels() == ["loss", "accuracy"]
    figure = live.figure()
    assert [axes.get_title() for axes in figure.axes] == ["loss", "accuracy"]
    assert [line.get_label() for line in figure.axes[0].lines] == ["training", "validation"]


def test_every_and_metrics():
    display = FakeDisplay()
    live = LiveCurves(metrics=["loss"], every=2, display=display)
    _fit(live, epochs=5)
    assert len(display.shown) == 3  # epochs 2, 4 and the last
    assert [axes.get_title() for axes in live.figure().axes] == ["loss"]


def test_text_fallback_outside_a_notebook():
    stream = io.StringIO()
    _fit(LiveCurves(stream=stream), epochs=2)  # pytest runs no Jupyter kernel
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch 1: loss ")
    assert "val_accuracy" in lines[1]
    silent = LiveCurves()
    _fit(silent, epochs=1)  # no stream: nothing written, curves still kept
    assert len(silent.curves["loss"]) == 1


def test_live_curves_errors():
    with pytest.raises(ValueError, match="every: expected a positive integer"):
        LiveCurves(every=0)
    with pytest.raises(ValueError, match="metrics: expected a list of names"):
        LiveCurves(metrics="loss")
