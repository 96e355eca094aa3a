"""The playground's interaction bugs of issue 24, each driven in headless Chromium.

Each test failed on the page before its fix: a refused learning rate stayed in its field
(and absurd rates were refused), the picture lagged the network after Pause, the last
``+`` of six hidden layers lay under the output map, narrow windows cut the page, a
refused race was silent, trained points lost their class colour under a saturated map,
and Reset restarted from the same weights.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from playground_browser_support import open_page, set_field, settle, wait
from selenium.webdriver.common.by import By

WIDTHS = (360, 768, 1400, 1600)

#: Every visible control whose centre is not the control itself (or inside it) after
#: scrolling it into view: covered by something else, or off the page.
UNREACHABLE = """
const hidden = (e) => e.getClientRects().length === 0 ||
  getComputedStyle(e).visibility === 'hidden';
const bad = [];
for (const e of document.querySelectorAll(arguments[0])) {
  if (hidden(e)) continue;
  e.scrollIntoView({block: 'center', inline: 'center'});
  const r = e.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  if (x < 0 || x > innerWidth || !(hit === e || e.contains(hit))) {
    bad.push(`${e.id || e.tagName}${e.dataset.k !== undefined ? '.' + e.dataset.k : ''}` +
             ` '${(e.textContent || e.value || '').trim().slice(0, 12)}' under ` +
             `${hit ? (hit.id || hit.tagName) : 'nothing'}`);
  }
}
return bad;
"""


def shown(browser, key):
    return browser.find_element(By.ID, key).get_attribute("value")


def test_a_refused_rate_resets_its_field_and_names_the_range(engine, url, browser):
    open_page(browser, url, "data=moons&layers=4&lr=0.1&bs=10&seed=0")
    set_field(browser, "lr", "0")
    error = browser.find_element(By.ID, "config-error")
    wait(browser, lambda d: error.is_displayed())
    assert "lr: expected a number > 0 and <= 1e+06" in error.text
    assert shown(browser, "lr") == "0.1" and engine.config.learning_rate == 0.1
    # the next change is judged on its own, not refused for the old lr
    set_field(browser, "bs", "20")
    wait(browser, lambda d: engine.config.batch_size == 20)
    wait(browser, lambda d: not error.is_displayed())
    # an absurd rate is allowed, and shown diverging
    set_field(browser, "lr", "1e6")
    wait(browser, lambda d: engine.config.learning_rate == 1e6)
    before = float(browser.find_element(By.ID, "loss").get_attribute("data-value"))
    browser.find_element(By.ID, "step").click()
    wait(browser, lambda d: d.find_element(By.ID, "behaviour").text == "diverges")
    assert float(browser.find_element(By.ID, "loss").get_attribute("data-value")) > before
    assert not error.is_displayed()


def test_pause_and_step_show_the_network_as_it_is(engine, url, browser):
    open_page(browser, url, "data=moons&layers=8,8&lr=0.1&bs=10&seed=0")
    play = browser.find_element(By.ID, "play")
    for _ in range(3):
        start = engine.epoch
        play.click()
        wait(browser, lambda d, start=start: engine.epoch >= start + 8)
        play.click()  # pause
        epoch = settle(engine)
        wait(browser, lambda d: d.find_element(By.ID, "play").text.endswith("Play"))
        time.sleep(0.3)
        assert int(browser.find_element(By.ID, "epoch").text) == epoch
        page_loss = float(browser.find_element(By.ID, "loss").get_attribute("data-value"))
        assert page_loss == engine.losses[-1]
    browser.find_element(By.ID, "step").click()
    wait(browser, lambda d: d.find_element(By.ID, "epoch").text == str(epoch + 1))
    time.sleep(0.3)
    assert engine.epoch == epoch + 1
    # Step while playing: pauses, then exactly one epoch from what the page showed
    play.click()
    wait(browser, lambda d: engine.epoch >= epoch + 5)
    browser.find_element(By.ID, "step").click()
    time.sleep(0.3)
    final = settle(engine)
    wait(browser, lambda d: d.find_element(By.ID, "epoch").text == str(final))


def test_six_hidden_layers_every_plus_and_minus_is_reachable(url, browser):
    browser.set_window_size(1280, 1000)
    open_page(browser, url, "layers=8,8,8,8,8,8")
    buttons = browser.find_elements(By.CSS_SELECTOR, "#panel-train .layer-buttons button")
    assert len(buttons) == 2 + 2 * 6
    assert browser.execute_script(UNREACHABLE, "#panel-train .layer-buttons button") == []
    last_minus = browser.find_element(By.CSS_SELECTOR,
                                      "#neuron-buttons button[data-k='5'][data-d='-1']")
    last_minus.click()
    wait(browser, lambda d: d.find_element(By.ID, "neuron-buttons").text.endswith("7 +"))


def test_every_control_is_reachable_from_360_to_1600_pixels(url, browser):
    folder = os.environ.get("NEUROFLOW_PLAYGROUND_SCREENSHOTS")
    try:
        for width in WIDTHS:
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 800})
            open_page(browser, url, "layers=8,8,8,8,8,8")
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{width} px: the page is {overflow} px wider than the window"
            bad = browser.execute_script(UNREACHABLE, "button, input, select")
            assert bad == [], f"{width} px: {bad}"
            if folder and width != 1600:
                browser.execute_script("window.scrollTo(0, 0)")
                browser.save_screenshot(str(Path(folder) / f"playground_width_{width}.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_a_refused_race_shows_its_error_in_its_panel(url, browser):
    open_page(browser, url, "layers=4")
    browser.find_element(By.ID, "lrs").clear()
    browser.find_element(By.ID, "lrs").send_keys("0.001,-1,1")
    browser.find_element(By.ID, "race-go").click()
    error = browser.find_element(By.CSS_SELECTOR, "#panel-race #race-error")
    wait(browser, lambda d: error.is_displayed())
    assert error.text.startswith("lrs: expected 3 to 5 learning rates")


#: For each data point with no other point within 12 px: its centre colour, the mean
#: colour of the map 7 px around it, and its label.
POINT_COLOURS = """
const c = document.getElementById('boundary'), pen = c.getContext('2d'), s = window.nf.state;
const e = s.extent, px = s.points.map(([a, b]) => [(a - e[0]) / (e[1] - e[0]) * c.width,
                                                    (e[3] - b) / (e[3] - e[2]) * c.height]);
const rgb = (x, y) =>
  Array.from(pen.getImageData(Math.round(x), Math.round(y), 1, 1).data.slice(0, 3));
const out = [];
px.forEach(([x, y], i) => {
  if (px.some(([u, v], j) => j !== i && Math.hypot(u - x, v - y) < 12)) return;
  if (x < 8 || y < 8 || x > c.width - 8 || y > c.height - 8) return;
  const ring = [[7, 0], [-7, 0], [0, 7], [0, -7]].map(([dx, dy]) => rgb(x + dx, y + dy));
  const around = [0, 1, 2].map((k) => ring.reduce((t, p) => t + p[k], 0) / 4);
  out.push([rgb(x, y), around, s.labels[i]]);
});
return out;
"""


def test_trained_points_keep_their_class_colour(engine, url, browser):
    open_page(browser, url, "data=moons&layers=8,8&lr=0.3&bs=10&seed=0")
    browser.find_element(By.ID, "play").click()
    wait(browser, lambda d: float(d.find_element(By.ID, "loss").get_attribute("data-value"))
         < 0.05, timeout=60)
    browser.find_element(By.ID, "play").click()
    settle(engine)
    time.sleep(0.3)
    points = browser.execute_script(POINT_COLOURS)
    assert len(points) >= 8
    blue, orange = np.array([8, 119, 189]), np.array([245, 147, 34])
    contrast = [float(np.abs(np.subtract(centre, around)).sum()) for centre, around, _ in points]
    # each point stands out from the map under it ...
    assert np.median(contrast) > 120
    # ... in its own class colour
    for centre, _, label in points:
        own, other = (blue, orange) if label == 1 else (orange, blue)
        assert np.abs(centre - own).sum() < np.abs(centre - other).sum()


def test_reset_draws_fresh_weights_with_a_new_seed(engine, url, browser):
    open_page(browser, url, "data=moons&layers=4&seed=0")
    assert "seed=0" in browser.current_url
    before = engine.network.layers[0].params["W"].copy()
    browser.find_element(By.ID, "reset").click()
    wait(browser, lambda d: "seed=0&" not in d.current_url and
         not d.current_url.endswith("seed=0"))
    seed = int(browser.find_element(By.ID, "seed").get_attribute("value"))
    assert f"seed={seed}" in browser.current_url and engine.config.seed == seed
    assert not np.array_equal(engine.network.layers[0].params["W"], before)
    assert int(browser.find_element(By.ID, "epoch").text) == 0
