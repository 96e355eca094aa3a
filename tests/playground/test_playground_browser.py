"""The playground in a real browser: Debian's Chromium driven by selenium.

Skipped on a developer's machine without /usr/bin/chromium and /usr/bin/chromedriver;
with the environment variable CI set (``.ci/run`` installs both), a missing browser is a
failure, never a skip. Screenshots of each panel go to a temporary folder, or to
``$NEUROFLOW_PLAYGROUND_SCREENSHOTS`` when set (how docs/figures/playground_*.png are
made). The page-ready time, the frame rate and the frame sizes measured in the browser
are printed (run with ``-s``), not asserted on time.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

# Chromium, selenium and uvicorn are checked (skip, or a failure under CI) on this import
from playground_browser_support import serve, wait
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import neuroflow as nf
from neuroflow.playground import Config, Engine, MnistEngine

LOSS_THRESHOLD = 0.25
PANELS = ["train", "inspect", "landscape", "race", "code", "diagnostics", "mnist"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The engine and a sign-in link, as the command opens: the first load sets the cookie
    (and later loads of the used link, with the cookie, go on to the page)."""
    engine = Engine(Config())
    mnist = MnistEngine(hidden=16, subset=2000, learning_rate=0.2)
    for url in serve(engine, tmp_path_factory.mktemp("models"), mnist=mnist):
        yield engine, url


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("NEUROFLOW_PLAYGROUND_SCREENSHOTS")
    return Path(folder) if folder else tmp_path_factory.mktemp("screenshots")


def boundary_pixels(driver) -> str:
    return driver.execute_script("return document.getElementById('boundary').toDataURL()")


def test_play_lowers_the_loss_and_moves_the_boundary(server, browser):
    engine, url = server
    browser.get(url + "#data=moons&layers=8,8&act=tanh&opt=sgd&lr=0.1&bs=10&seed=0")
    wait(browser, lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    ready = browser.execute_script("return window.nf.readyMs")
    before = boundary_pixels(browser)
    first_loss = float(browser.find_element(By.ID, "loss").get_attribute("data-value"))
    browser.find_element(By.ID, "play").click()
    wait(browser, lambda d: float(d.find_element(By.ID, "loss").get_attribute("data-value"))
         < LOSS_THRESHOLD)
    time.sleep(0.5)
    early = browser.execute_script("return window.nf.stats")
    time.sleep(1.5)  # the steady frame rate, once the page has settled
    stats = browser.execute_script("return window.nf.stats")
    browser.find_element(By.ID, "play").click()  # pause
    assert first_loss > LOSS_THRESHOLD
    assert boundary_pixels(browser) != before
    overall = (stats["frames"] - 1) / max(1e-9, (stats["last"] - stats["first"]) / 1000)
    steady = (stats["frames"] - early["frames"]) / max(1e-9, (stats["last"] - early["last"])
                                                       / 1000)
    print(f"\nbrowser: page ready in {ready:.0f} ms; {steady:.1f} frames/s steady "
          f"({overall:.1f} over all {stats['frames']} frames); largest frame "
          f"{stats['maxBytes']} bytes, mean {stats['bytes'] / stats['frames']:.0f}")
    assert stats["maxBytes"] < 100_000
    assert "#data=moons" in browser.current_url and "lr=0.1" in browser.current_url


def test_clicking_a_point_shows_deltas_equal_to_trace_in_the_tables_and_diagram(server,
                                                                                browser):
    engine, _ = server
    epoch = -1
    while engine.epoch != epoch:  # paused: let the frame in flight land
        epoch = engine.epoch
        time.sleep(0.4)
    index = 7
    canvas = browser.find_element(By.ID, "boundary")
    px, py = browser.execute_script(
        "const c = document.getElementById('boundary'); const s = window.nf.state;"
        "const p = s.points[arguments[0]]; const e = s.extent;"
        "return [(p[0] - e[0]) / (e[1] - e[0]) * c.clientWidth,"
        "        (e[3] - p[1]) / (e[3] - e[2]) * c.clientHeight];", index)
    size = canvas.size
    ActionChains(browser).move_to_element_with_offset(
        canvas, int(round(px - size["width"] / 2)), int(round(py - size["height"] / 2))
    ).click().perform()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "td.delta"))
    chosen = browser.execute_script("return window.nf.selected")
    assert engine.epoch == epoch
    reference = nf.trace(engine.network, engine.x[chosen:chosen + 1],
                         engine.y[chosen:chosen + 1], engine.config.learning_rate)
    cells = browser.find_elements(By.CSS_SELECTOR, "td.delta")
    shown = {(int(c.get_attribute("data-layer")), int(c.get_attribute("data-neuron"))):
             float(c.get_attribute("data-value")) for c in cells}
    assert len(shown) == 8 + 8 + 1
    for (layer, neuron), value in shown.items():
        assert abs(value - reference.layers[layer].delta[0, neuron]) <= 1e-12
    before = float(browser.find_element(By.ID, "cost-before").text)
    assert before == pytest.approx(reference.cost, rel=1e-4)
    # the same trace on the diagram: click neuron h1.3, then a connection of layer 2
    network = browser.find_element(By.ID, "network")
    wait(browser, lambda d: d.execute_script("return Boolean(window.nf.record)"))
    shown_on_diagram = {}
    for item in ([1, 3], [1, 2, 4]):
        kind = len(item)
        x, y = browser.execute_script("return window.nf.where(arguments[0], 0.3)", item)
        size = network.size
        ActionChains(browser).move_to_element_with_offset(
            network, int(round(x - size["width"] / 2)), int(round(y - size["height"] / 2))
        ).click().perform()
        # crossing connections: the one under the pointer is pinned, whichever it is
        callout = wait(browser, lambda d, n=kind: d.execute_script(
            "const c = window.nf.callout;"
            "return c && c.item.length === arguments[0] ? c : null;", n))
        shown_on_diagram[kind] = callout
        left, top, width, height = callout["box"]
        dark = browser.execute_script(
            "const b = arguments[0]; return Array.from(document.getElementById('network')"
            ".getContext('2d').getImageData(b[0], b[1], b[2], b[3]).data)"
            ".filter((v, k) => k % 4 === 0 && v < 80).length", callout["box"])
        assert left >= 0 and top >= 0 and left + width <= 560 and top + height <= 420
        assert dark > 100                                       # its text is drawn there
    browser.find_element(By.ID, "weight-cancel").click()        # the edge click's editor
    assert shown_on_diagram[2]["item"] == [1, 3]
    neuron = shown_on_diagram[2]["values"]
    layer, i, j = shown_on_diagram[3]["item"]
    edge = shown_on_diagram[3]["values"]
    assert layer == 1
    first, second = reference.layers[0], reference.layers[1]
    for key, value in (("z", first.z[0, 3]), ("a", first.a[0, 3]),
                       ("delta", first.delta[0, 3])):
        assert abs(neuron[key] - value) <= 1e-12, key
    for key, value in (("a", first.a[0, i]), ("delta", second.delta[0, j]),
                       ("gradient", second.weight_gradient[i, j]),
                       ("change", second.weight_change[i, j])):
        assert abs(edge[key] - value) <= 1e-12, key
    assert edge["gradient"] == pytest.approx(edge["a"] * edge["delta"], rel=1e-12)


def test_landscape_race_and_code_panels_fill_in(server, browser):
    browser.find_element(By.ID, "landscape-go").click()
    wait(browser, lambda d: "Path:" in d.find_element(By.ID, "landscape-note").text)
    browser.find_element(By.ID, "race-epochs").clear()
    browser.find_element(By.ID, "race-epochs").send_keys("20")
    browser.find_element(By.ID, "race-go").click()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#race-table tbody tr")) == 4)
    labels = [cell.text for cell in browser.find_elements(
        By.CSS_SELECTOR, "#race-table tbody td:last-child")]
    assert set(labels) <= {"crawls", "converges", "oscillates", "diverges"}
    assert browser.find_element(By.ID, "race-csv").is_enabled()
    assert "nf.Network.from_sizes([2, 8, 8, 1]" in browser.find_element(By.ID, "python").text


def test_drawing_a_one_gives_a_prediction(server, browser):
    canvas = browser.find_element(By.ID, "mnist-train")
    canvas.click()  # five epochs on the MNIST subset
    wait(browser, lambda d: d.find_element(By.ID, "mnist-epoch").text == "5", timeout=40)
    draw = browser.find_element(By.ID, "draw")
    ActionChains(browser).move_to_element_with_offset(draw, 0, -90).click_and_hold() \
        .move_by_offset(0, 60).move_by_offset(0, 60).move_by_offset(-2, 60).release().perform()
    wait(browser, lambda d: d.find_element(By.ID, "prediction").text.strip().isdigit())
    bars = browser.find_elements(By.CSS_SELECTOR, "#probabilities .prob")
    assert len(bars) == 10
    print(f"\nbrowser: a drawn 1 is read as {browser.find_element(By.ID, 'prediction').text}")


def test_the_mnist_panel_switches_to_a_convolution_and_shows_its_feature_maps(server,
                                                                              browser):
    """The network menu rebuilds the panel's classifier as conv 3x3 (8 filters) - pool -
    32 - 10: the weights become the eight filters, and a drawn digit shows the eight
    feature maps after the convolution (26 x 26) and after the pooling (13 x 13)."""
    browser.get(server[1])
    wait(browser, lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    menu = browser.find_element(By.ID, "mnist-model")
    browser.execute_script("arguments[0].scrollIntoView()", menu)
    Select(menu).select_by_value("8")
    wait(browser, lambda d: "3 × 3 filter" in d.find_element(By.ID, "mnist-weights-what").text)
    draw = browser.find_element(By.ID, "draw")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", draw)
    ActionChains(browser).move_to_element_with_offset(draw, 0, -90).click_and_hold() \
        .move_by_offset(0, 60).move_by_offset(0, 60).release().perform()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#forward .maps canvas")) == 16)
    rows = browser.find_elements(By.CSS_SELECTOR, "#forward .maps")
    assert [len(row.find_elements(By.TAG_NAME, "canvas")) for row in rows] == [8, 8]
    sizes = {(c.get_attribute("width"), c.get_attribute("height"))
             for c in rows[0].find_elements(By.TAG_NAME, "canvas")}
    assert sizes == {("26", "26")}
    text = browser.find_element(By.ID, "forward").text
    assert "convolution: 8 feature maps, 26 × 26" in text
    assert "max-pooling: 8 feature maps, 13 × 13" in text
    assert browser.find_element(By.ID, "prediction").text.strip().isdigit()
    assert browser.execute_script("return document.getElementById('mnist-weights').height") == 45


def screenshot(browser, shots: Path, name: str) -> None:
    element = browser.find_element(By.ID, f"panel-{name}")
    browser.execute_script("arguments[0].scrollIntoView()", element)
    path = shots / f"playground_{name}.png"
    element.screenshot(str(path))
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("L"), dtype=np.float64)
    assert pixels.shape[0] > 40 and pixels.std() > 5  # not blank


def test_a_screenshot_of_each_panel(server, browser, shots):
    shots.mkdir(parents=True, exist_ok=True)
    for name in PANELS:
        if name != "diagnostics":
            screenshot(browser, shots, name)
    # a link with the state in its URL rebuilds that demo: ReLUs with a far too large
    # learning rate, whose dead units Diagnostics reports live
    engine, url = server
    browser.get(url + "&view=2#data=moons&layers=8,8&act=relu&opt=sgd&lr=3&bs=10&seed=0")
    wait(browser, lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    assert engine.config.activation == "relu" and engine.config.learning_rate == 3.0
    for _ in range(4):
        browser.find_element(By.ID, "step").click()
    wait(browser, lambda d: "never fire" in d.find_element(By.ID, "findings").text)
    screenshot(browser, shots, "diagnostics")
