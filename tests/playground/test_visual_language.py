"""One visual language: the sign of a weight has one colour in every figure, the
playground's CSS and its drawing code, and neurons are numbered from 0 everywhere (as
``neuroflow explain`` and the tutorial number them)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import neuroflow as nf

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.colors import to_hex, to_rgb  # noqa: E402

from neuroflow import plotting  # noqa: E402
from neuroflow.playground.server import STATIC  # noqa: E402
from neuroflow.plotting._common import NEGATIVE, POSITIVE  # noqa: E402


def css_variables() -> dict[str, str]:
    text = (STATIC / "style.css").read_text()
    pairs = re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", text)
    return {name: value.lower() for name, value in pairs}


def js_colour(name: str) -> str:
    """A ``const NAME = [r, g, b]`` of the playground's draw.js as ``#rrggbb``."""
    text = (STATIC / "draw.js").read_text()
    r, g, b = map(int, re.search(rf"const {name} = \[(\d+), (\d+), (\d+)\]", text).groups())
    return f"#{r:02x}{g:02x}{b:02x}"


def test_the_page_and_its_drawing_code_use_the_figures_colours():
    css = css_variables()
    assert css["blue"] == POSITIVE and css["orange"] == NEGATIVE
    assert js_colour("BLUE") == POSITIVE and js_colour("ORANGE") == NEGATIVE


def test_every_figure_draws_a_positive_weight_blue_and_a_negative_one_orange():
    net = nf.Network([nf.Dense(2, 1)], seed=0)
    net.layers[0].params["W"][:] = [[2.0], [-1.0]]
    figure = plotting.architecture(net, figsize=(4, 3))
    ax = figure.axes[0]
    edges = [to_hex(c[:3]) for c in ax.collections[0].get_colors()]
    assert edges == [POSITIVE, NEGATIVE]
    legend = {line.get_label(): to_hex(line.get_color()) for line in ax.get_lines()}
    assert legend["positive weight"] == POSITIVE and legend["negative weight"] == NEGATIVE

    digits = nf.Network.from_sizes([784, 4, 10], seed=0)
    weights = plotting.first_layer_weights(digits, max_images=4, figsize=(3, 3))
    assert "blue: positive, orange: negative" in weights.get_suptitle()
    image = weights.axes[0].images[0]
    high, low = image.norm.vmax, image.norm.vmin
    assert to_hex(image.cmap(image.norm(high))) == POSITIVE
    assert to_hex(image.cmap(image.norm(low))) == NEGATIVE

    x, y = nf.datasets.make_moons(60, seed=0)
    small = nf.Network.from_sizes([2, 3, 2], hidden="tanh", seed=0)
    maps = plotting.neurons(small, x, y, resolution=12, figsize=(5, 3))
    contour = next(c for c in maps.axes[0].collections if hasattr(c, "cmap"))
    assert to_hex(contour.cmap(1.0)) == POSITIVE and to_hex(contour.cmap(0.0)) == NEGATIVE
    assert "blue high, orange low" in maps.get_suptitle()


def test_class_one_is_blue_in_the_boundary_figure_as_on_the_page():
    x, y = nf.datasets.make_moons(60, seed=0)
    net = nf.Network.from_sizes([2, 4, 2], hidden="tanh", seed=0)
    figure = plotting.decision_boundary_over_time(net, x, y, epochs=(0,), resolution=12,
                                                  figsize=(3, 3))
    points = next(c for c in figure.axes[0].collections if c.get_offsets().shape[0] == 60)
    points.autoscale_None()
    zero, one = points.to_rgba(np.array([0.0, 1.0]))[:, :3]
    assert np.allclose(one, to_rgb(POSITIVE), atol=0.02)
    assert np.allclose(zero, to_rgb(NEGATIVE), atol=0.02)


def test_neurons_are_numbered_from_zero_in_explain_the_figures_and_the_playground():
    from neuroflow.explain import format_trace  # what `neuroflow explain` prints

    net = nf.Network.from_sizes([2, 3, 1], hidden="tanh", output="sigmoid", seed=0)
    x = np.array([[0.1, -0.2]])
    text = format_trace(nf.trace(net, x, np.array([1]), 0.1))
    assert re.search(r"\bx0\s+x1\b", text) and re.search(r"\bn0\s+n1\s+n2\b", text)
    net_js = (STATIC / "net.js").read_text()
    assert "return features ? features[i] : `x${i}`;" in net_js
    assert "return `h${k}.${i}`;" in net_js
    assert "${i + 1}" not in net_js + (STATIC / "panels.js").read_text()
    assert Path(STATIC / "index.html").read_text().count('value="x0"') == 1
