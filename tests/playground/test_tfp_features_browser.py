"""TensorFlow Playground's features in the neuroflow playground, driven in headless
Chromium: every number comes from the engine (the library), the page only draws it."""

from __future__ import annotations

import numpy as np
import pytest
from playground_browser_support import open_page, set_field, settle, wait
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys


def pixels(browser, canvas="boundary"):
    return browser.execute_script(f"return document.getElementById('{canvas}').toDataURL()")


def step(browser, engine, times=1):
    for _ in range(times):
        epoch = engine.epoch
        browser.find_element(By.ID, "step").click()
        wait(browser, lambda d, e=epoch: d.find_element(By.ID, "epoch").text == str(e + 1))


def test_a_train_test_ratio_shows_the_test_loss_and_the_test_data(engine, url, browser):
    open_page(browser, url, "data=gauss&noise=0.3&ratio=60&layers=4&seed=0")
    assert engine.config.data == "gauss" and len(engine.x_test) == 160
    step(browser, engine, 2)
    shown = float(browser.find_element(By.ID, "test-loss").get_attribute("data-value"))
    assert shown == engine.test_losses[-1]
    before = pixels(browser)
    browser.find_element(By.ID, "show-test").click()
    wait(browser, lambda d: pixels(d) != before)
    browser.find_element(By.ID, "show-test").click()
    wait(browser, lambda d: pixels(d) == before)


def test_feature_crosses_become_inputs_of_the_network(engine, url, browser):
    open_page(browser, url, "data=circles&layers=3&seed=0")
    for name in ("x0^2", "x1^2"):
        browser.find_element(By.CSS_SELECTOR, f"#features input[value='{name}']").click()
        wait(browser, lambda d, n=name: n in engine.config.features)
    assert engine.network.sizes == [4, 3, 1]
    wait(browser, lambda d: d.execute_script("return window.nf.state.sizes") == [4, 3, 1])
    assert browser.execute_script("return new URLSearchParams(location.hash.slice(1))"
                                  ".get('features')") == "x0,x1,x0^2,x1^2"
    browser.find_element(By.CSS_SELECTOR, "#features input[value='x0']").click()
    wait(browser, lambda d: engine.config.features == ("x1", "x0^2", "x1^2"))


@pytest.mark.parametrize("kind, key", [("l1", "l1"), ("l2", "weight_decay")])
def test_l1_and_l2_regularisation_with_a_rate(engine, url, browser, kind, key):
    open_page(browser, url, "data=moons&layers=4&seed=0")
    set_field(browser, "reg", kind)
    wait(browser, lambda d: engine.config.regularization == kind)
    set_field(browser, "rr", "0.01")
    wait(browser, lambda d: engine.config.regularization_rate == 0.01)
    step(browser, engine)
    assert getattr(engine.network.optimizer, key) == 0.01
    wait(browser, lambda d: f"{key}=0.01" in d.find_element(By.ID, "python").text)


def test_regression_on_the_plane_and_the_multi_gaussian(engine, url, browser):
    open_page(browser, url, "layers=4&seed=0")
    set_field(browser, "problem", "regression")
    wait(browser, lambda d: engine.config.problem == "regression")
    assert engine.config.data == "plane"
    assert browser.find_element(By.ID, "data").get_attribute("value") == "plane"
    first = engine.losses[0]
    step(browser, engine, 3)
    assert engine.losses[-1] < first
    assert browser.find_element(By.ID, "accuracy").text == "–"
    set_field(browser, "data", "multigauss")
    wait(browser, lambda d: engine.config.data == "multigauss")
    set_field(browser, "problem", "classification")
    wait(browser, lambda d: engine.config.problem == "classification")
    assert engine.config.data == "moons"


#: Colours of the output map on a grid, away from the data points.
MAP_COLOURS = """
const c = document.getElementById('boundary'), pen = c.getContext('2d'), s = window.nf.state;
const e = s.extent, px = s.points.map(([a, b]) => [(a - e[0]) / (e[1] - e[0]) * c.width,
                                                    (e[3] - b) / (e[3] - e[2]) * c.height]);
const seen = new Set();
for (let x = 6; x < c.width; x += 9) for (let y = 6; y < c.height; y += 9) {
  if (px.some(([u, v]) => Math.hypot(u - x, v - y) < 7)) continue;
  seen.add(Array.from(pen.getImageData(x, y, 1, 1).data.slice(0, 3)).join(','));
}
return [...seen];
"""


def test_discretize_output_shows_two_colours(engine, url, browser):
    open_page(browser, url, "data=moons&layers=4&seed=0")
    step(browser, engine, 2)
    assert len(browser.execute_script(MAP_COLOURS)) > 10
    browser.find_element(By.ID, "discretize").click()
    wait(browser, lambda d: len(d.execute_script(MAP_COLOURS)) <= 2)


def move_to(browser, item):
    canvas = browser.find_element(By.ID, "network")
    x, y = browser.execute_script("return window.nf.where(arguments[0])", item)
    size = canvas.size
    ActionChains(browser).move_to_element_with_offset(
        canvas, int(round(x - size["width"] / 2)), int(round(y - size["height"] / 2))).perform()


def test_hovering_a_weight_reads_it_and_clicking_edits_it(engine, url, browser):
    open_page(browser, url, "data=moons&layers=4,3&seed=0")
    settle(engine)
    move_to(browser, [1, 2, 1])
    tip = browser.find_element(By.ID, "weight-tip")
    wait(browser, lambda d: tip.is_displayed())
    assert tip.text.startswith("layer 2: h1.2 → h2.1")
    assert float(tip.get_attribute("data-value")) == engine.network.layers[1].params["W"][2, 1]
    before = pixels(browser)
    ActionChains(browser).click().perform()
    field = browser.find_element(By.ID, "weight-value")
    wait(browser, lambda d: field.is_displayed())
    field.clear()
    field.send_keys("-3.5", Keys.ENTER)
    wait(browser, lambda d: engine.network.layers[1].params["W"][2, 1] == -3.5)
    wait(browser, lambda d: pixels(d) != before)  # the map changed at once
    wait(browser, lambda d: "params['W'][2, 1] = -3.5" in d.find_element(By.ID, "python").text)


def test_hovering_a_neuron_enlarges_its_map(engine, url, browser):
    open_page(browser, url, "data=moons&layers=4,3&seed=0")
    before = pixels(browser)
    move_to(browser, [1, 0])
    caption = browser.find_element(By.ID, "output-caption")
    wait(browser, lambda d: "h1.0" in caption.text)
    assert pixels(browser) != before
    move_to(browser, [0, 1])  # an input: its own map
    wait(browser, lambda d: "Showing x1" in caption.text)
    ActionChains(browser).move_to_element(browser.find_element(By.ID, "epoch")).perform()
    wait(browser, lambda d: caption.text == "")
    assert np.isfinite(engine.losses[-1])
