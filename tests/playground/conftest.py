"""Fixtures of the playground's browser tests: one served engine per test module and one
headless Chromium per test process (each module serves on its own port, so its pages and
cookies are its own; starting Chromium once saves a second or more per module). The
browser support is imported when a fixture is first used, so the playground's other tests
run where Chromium is missing."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def engine():
    from neuroflow.playground import Config, Engine

    return Engine(Config())


@pytest.fixture(scope="module")
def url(engine, tmp_path_factory):
    from playground_browser_support import serve

    yield from serve(engine, tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    from playground_browser_support import chromium

    driver = chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()
