"""What the playground's browser tests share: a served engine, headless Chromium, waiting.

Debian's Chromium driven by selenium, skipped on a
developer's machine without /usr/bin/chromium and /usr/bin/chromedriver, a failure under CI.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    if os.environ.get("CI"):
        pytest.fail("CI: /usr/bin/chromium and /usr/bin/chromedriver are required (apt-get "
                    "install chromium chromium-driver)", pytrace=False)
    pytest.skip("Chromium and chromedriver are not installed", allow_module_level=True)
if os.environ.get("CI"):
    import selenium  # noqa: F401  (a failure in CI, not a skip)
    import uvicorn
else:
    pytest.importorskip("selenium")
    uvicorn = pytest.importorskip("uvicorn")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from neuroflow.playground import Engine, MnistEngine, create_app  # noqa: E402

TOKEN = "browser-test-token"
_visits = itertools.count()


def serve(engine: Engine, save_dir: Path, mnist: MnistEngine | None = None) -> Iterator[str]:
    """Serve ``engine`` (and ``mnist``, the digit panel's engine, when given) on a free
    local port; yield the page's sign-in URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    app = create_app(engine, TOKEN, port=port, save_dir=save_dir, mnist=mnist)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/?code={app.new_code()}"  # signs in: sets the cookie
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()


def chromium(profile: Path) -> Any:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--window-size=1280,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(30)
    return driver


def wait(driver: Any, condition: Any, timeout: float = 20.0) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: condition(d))


def open_page(driver: Any, url: str, state: str = "") -> None:
    """Load the page afresh (a new query each time: a hash change alone does not reload)
    with ``state`` as its hash, and wait until it has drawn its first frame."""
    driver.get(f"{url}&visit={next(_visits)}#{state}")
    wait(driver, lambda d: d.execute_script("return document.body.dataset.ready === '1'"))


def set_field(driver: Any, key: str, value: str) -> None:
    """Type ``value`` into control ``key`` as a user would: the page sees a change."""
    driver.execute_script(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];"
        "e.dispatchEvent(new Event('change'));", key, value)


def settle(engine: Engine, pause: float = 0.4) -> int:
    """Wait until the engine's epoch stops moving; return it."""
    epoch = -1
    while engine.epoch != epoch:
        epoch = engine.epoch
        time.sleep(pause)
    return epoch
