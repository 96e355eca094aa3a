"""``neuroflow playground`` as a process (review round 3): no token or sign-in code in any
process's arguments (D3), Ctrl-C and SIGTERM stop it within 2 s in one line even during a
long step and an open stream (D6), and a restart on the same port works at once (D7)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

HEAVY = "points=2000&bs=1&layers=8,8,8,8,8,8"


def start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "neuroflow", "playground", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})


def sign_in(link: str) -> tuple[int, str]:
    """The port and the token (from the cookie) that the sign-in ``link`` gives."""
    port = int(re.search(r":(\d+)/", link).group(1))
    path = link.split(f":{port}", 1)[1].split("#")[0]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    assert response.status == 200
    cookie = response.getheader("Set-Cookie")
    connection.close()
    return port, cookie.split(";")[0].split("=", 1)[1]


def call(port: int, token: str, method: str, path: str, timeout: float = 120) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, headers={"X-Neuroflow-Token": token})
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):  # the server stopped meanwhile
        return 0
    finally:
        connection.close()


def test_no_token_or_code_in_any_process_arguments(tmp_path):
    seen = tmp_path / "browser-args.txt"
    browser = tmp_path / "fakebrowser.sh"
    # the fake browser stays up (its arguments visible to ps) without holding the server's
    # output pipes, so stopping the server does not wait for it
    browser.write_text(f'#!/bin/sh\nexec >/dev/null 2>&1 </dev/null\necho "$@" > {seen}\n'
                       'sleep 20\n')
    browser.chmod(0o755)
    process = start(tmp_path, "--state", "data=xor&layers=4", env={"BROWSER": str(browser)})
    try:
        line = process.stdout.readline()
        assert line.startswith("neuroflow playground: http://127.0.0.1:")
        assert "code=" not in line and "opened in your browser" in line
        for _ in range(200):
            if seen.exists() and seen.read_text().strip():
                break
            time.sleep(0.05)
        opened = seen.read_text().strip()
        assert opened.startswith("file://") and opened.endswith(".html")
        page = Path(opened[len("file://"):])
        assert stat.S_IMODE(page.stat().st_mode) == 0o600  # the link is readable by us only
        link = re.search(r'"(http://127\.0\.0\.1:\d+/\?code=[^"]+)"', page.read_text()).group(1)
        code = re.search(r"code=([^#&]+)", link).group(1)
        port, token = sign_in(link)
        assert "data=xor" in link and token and code
        arguments = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True,
                                   check=True).stdout
        assert str(port) not in arguments or "code=" not in arguments
        assert token not in arguments and code not in arguments
        assert call(port, token, "GET", "/api/state") == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert token not in out + err and code not in out + err
    assert not page.exists()  # removed when the server stops


def run_until_signal(tmp_path: Path, signum: int) -> tuple[float, int, str]:
    process = start(tmp_path, "--no-browser", "--state", HEAVY)
    try:
        port, token = sign_in(process.stdout.readline().split(": ", 1)[1].strip())
        threads = [threading.Thread(target=call, args=(port, token, method, path), daemon=True)
                   for method, path in (("GET", "/api/stream?epochs=100&frames=5"),
                                        ("POST", "/api/step?epochs=100"),
                                        ("GET", "/api/mnist/stream?epochs=20&frames=5"))]
        for thread in threads:
            thread.start()
        time.sleep(3)  # the steps are running
        assert process.poll() is None
        started = time.perf_counter()
        process.send_signal(signum)
        _, err = process.communicate(timeout=30)
        return time.perf_counter() - started, process.returncode, err
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.parametrize("signum, code, why", [(signal.SIGINT, 130, "Ctrl-C"),
                                               (signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_stops_it_within_2_s_in_one_line_even_mid_step(tmp_path, signum, code, why):
    seconds, returncode, err = run_until_signal(tmp_path, signum)
    assert returncode == code
    assert err == f"neuroflow playground: stopped ({why})\n"
    assert seconds < 2.0


def test_a_restart_on_the_same_port_works_at_once(tmp_path):
    process = start(tmp_path, "--no-browser")
    port, token = sign_in(process.stdout.readline().split(": ", 1)[1].strip())
    # a kept-alive connection that the server closes leaves its port in TIME_WAIT
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/api/state", headers={"X-Neuroflow-Token": token})
    connection.getresponse().read()
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=20)
    connection.close()
    again = subprocess.Popen(
        [sys.executable, "-m", "neuroflow", "playground", "--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert again.stdout.readline().startswith(f"neuroflow playground: http://127.0.0.1:{port}/")
    finally:
        again.send_signal(signal.SIGINT)
        again.communicate(timeout=20)


def test_a_port_in_use_is_one_line_suggesting_port_0(tmp_path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        result = subprocess.run([sys.executable, "-m", "neuroflow", "playground", "--port",
                                 str(port), "--no-browser"], capture_output=True, text=True,
                                timeout=60, cwd=tmp_path)
    finally:
        holder.close()
    assert result.returncode == 2
    assert result.stderr == (f"neuroflow playground: error: --port: port {port} on 127.0.0.1 "
                             f"is in use by another program (or another playground); choose "
                             f"another --port, or --port 0 for any free port\n")
