"""The Lessons panel in headless Chromium: both lessons fill in from the library's numbers
(depth: two decision maps and two loss curves; local minima: runs in both basins)."""

from __future__ import annotations

from playground_browser_support import open_page, set_field, wait
from selenium.webdriver.common.by import By

#: How many pixels of a canvas differ from white, and a digest of its pixels.
INK = """
const c = document.getElementById(arguments[0]);
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let ink = 0, digest = 0;
for (let i = 0; i < d.length; i += 4) {
  if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) ink += 1;
  digest = (digest * 31 + d[i] + 7 * d[i + 2]) % 1000003;
}
return [ink, digest];
"""


def test_both_lessons_draw_what_the_library_computed(url, browser):
    open_page(browser, url, "layers=2")
    set_field(browser, "depth-epochs", "4")
    browser.find_element(By.ID, "depth-go").click()
    browser.find_element(By.ID, "minima-go").click()
    wait(browser, lambda d: d.execute_script(
        "return document.getElementById('panel-depth').dataset.done === '1' && "
        "document.getElementById('panel-minima').dataset.done === '1'"))
    shallow, deep = (browser.execute_script(INK, f"depth-map-{k}") for k in (0, 1))
    size = 200 * 200
    assert shallow[0] > size / 2 and deep[0] > size / 2        # a map, not a blank
    assert shallow[1] != deep[1]                                # two different maps
    assert browser.execute_script(INK, "depth-curves")[0] > 200
    captions = [browser.find_element(By.ID, f"depth-caption-{k}").text for k in (0, 1)]
    assert "2-44-1, 177 parameters" in captions[0]
    assert "2-8-8-8-1, 177 parameters" in captions[1]
    assert "177 parameters each, 4 epochs" in browser.find_element(By.ID, "depth-note").text
    rows = browser.find_elements(By.CSS_SELECTOR, "#minima-table tbody tr")
    reached = [row.find_elements(By.TAG_NAME, "td")[-1].text.split()[0] for row in rows]
    assert len(rows) == 8 and set(reached) == {"global", "local"}
    assert browser.execute_script(INK, "minima-plot")[0] > 500
