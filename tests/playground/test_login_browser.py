"""The sign-in as the command does it, in Chromium: the browser opens the private
forwarding page (a file), goes on to the one-time link, and lands on the page signed in by
an HttpOnly SameSite=Strict cookie, with the code gone from the address (review round 3,
D3)."""

from __future__ import annotations

import stat
import urllib.error
import urllib.request

import pytest
from playground_browser_support import chromium, serve, wait

from neuroflow.cli.playground import forwarding_page
from neuroflow.playground import Config, Engine


def test_the_browser_signs_in_through_the_forwarding_page(tmp_path):
    pages = serve(Engine(Config(layers=(2,), points=40)), tmp_path)
    link = next(pages)
    page = forwarding_page(link + "#data=xor&layers=4")
    driver = chromium(tmp_path / "profile")
    try:
        assert stat.S_IMODE(page.stat().st_mode) == 0o600
        driver.get(page.as_uri())
        wait(driver, lambda d: d.execute_script(
            "return location.protocol === 'http:' && !!window.nf && !!window.nf.state && "
            "window.nf.state.config.data === 'xor'"))
        assert "code=" not in driver.current_url and "#data=xor" in driver.current_url
        cookie, = driver.get_cookies()
        assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
        assert driver.execute_script("return document.cookie") == ""  # not for scripts
        # the spent link no longer signs in another client (no cookie of its own)
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with pytest.raises(urllib.error.HTTPError) as refused:
            direct.open(link, timeout=10)
        assert refused.value.code == 403 and "used or is older" in refused.value.read().decode()
    finally:
        driver.quit()
        page.unlink()
        next(pages, None)
