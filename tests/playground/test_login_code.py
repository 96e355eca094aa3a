"""The playground's sign-in: a one-time code in the URL the browser opens, exchanged for an
HttpOnly SameSite=Strict cookie; the token itself never travels in a URL (review round 3,
D3), and near-miss tokens are refused (issue 21)."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from neuroflow.playground import (  # noqa: E402
    Config,
    Engine,
    create_app,
    signin,  # noqa: E402
)
from neuroflow.playground import server as server_module  # noqa: E402

TOKEN = "Zq8w-3kP_aa41LmN0xYv7Rt2"
COOKIE = "neuroflow-playground-8765"


@pytest.fixture()
def app(tmp_path):
    return create_app(Engine(Config(layers=(2,), points=40)), TOKEN, hosts=("testserver",),
                      port=None, save_dir=tmp_path)


def fresh(app) -> TestClient:
    return TestClient(app, base_url="http://testserver")


def test_a_code_signs_in_once_with_an_httponly_strict_cookie(app):
    browser = fresh(app)
    code = app.new_code()
    assert TOKEN not in code and len(code) >= 20
    signed = browser.get(f"/?code={code}&view=2")
    assert signed.status_code == 200
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"neuroflow-playground={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert signed.headers["referrer-policy"] == "no-referrer"
    assert signed.headers["cache-control"] == "no-store"
    # the page it returns drops the code from the address, keeps the rest
    assert 'query.delete("code")' in signed.text and "location.replace" in signed.text
    assert browser.get("/").status_code == 200  # the cookie, from now on
    assert browser.get("/api/state").status_code == 200
    assert browser.get("/").headers["referrer-policy"] == "no-referrer"
    # the code is spent: another browser (no cookie) cannot use it
    other = fresh(app)
    refused = other.get(f"/?code={code}")
    assert refused.status_code == 403 and "used or is older" in refused.json()["error"]
    assert other.get("/api/state").status_code == 403


def test_a_code_dies_after_60_seconds(app, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(signin.time, "monotonic", lambda: now[0])
    code = app.new_code()
    now[0] += server_module.CODE_SECONDS + 0.001
    assert fresh(app).get(f"/?code={code}").status_code == 403
    young = app.new_code()
    now[0] += server_module.CODE_SECONDS - 1
    assert fresh(app).get(f"/?code={young}").status_code == 200


def test_the_token_is_refused_in_a_url(app):
    browser = fresh(app)
    assert browser.get(f"/?token={TOKEN}").status_code == 403
    assert browser.get(f"/api/state?token={TOKEN}").status_code == 403
    assert browser.get(f"/?code={TOKEN}").status_code == 403  # not a code either


@pytest.mark.parametrize("given", [
    TOKEN[:4] + "x" * (len(TOKEN) - 4),        # the first 4 characters right
    TOKEN[:-1] + ("A" if TOKEN[-1] != "A" else "B"),  # all but the last
    TOKEN[:-1],                                # a prefix
    TOKEN + "x",                               # a longer one
    TOKEN.upper(),
    "",
])
def test_a_near_miss_token_is_refused_in_the_header_and_the_cookie(app, given):
    client = fresh(app)
    assert client.get("/api/state", headers={"X-Neuroflow-Token": given}).status_code == 403
    client.cookies.set("neuroflow-playground", given)
    assert client.get("/api/state").status_code == 403
    assert client.get("/").status_code == 403
    client.cookies.set("neuroflow-playground", TOKEN)
    assert client.get("/api/state").status_code == 200


def test_a_wrong_header_is_not_rescued_by_the_cookie(app):
    client = fresh(app)
    client.cookies.set("neuroflow-playground", TOKEN)
    assert client.get("/api/state", headers={"X-Neuroflow-Token": "wrong"}).status_code == 403


def test_each_port_has_its_own_cookie(tmp_path):
    app = create_app(Engine(Config(layers=(2,), points=40)), TOKEN, port=8765,
                     save_dir=tmp_path)
    client = TestClient(app, base_url="http://127.0.0.1:8765")
    signed = client.get(f"/?code={app.new_code()}")
    assert signed.headers["set-cookie"].startswith(f"{COOKIE}={TOKEN};")
    other = TestClient(app, base_url="http://127.0.0.1:8765")
    other.cookies.set("neuroflow-playground-8766", TOKEN)  # another playground's cookie
    assert other.get("/api/state").status_code == 403


def test_api_answers_carry_no_referrer_and_no_store(app):
    client = TestClient(app, headers={"X-Neuroflow-Token": TOKEN})
    for path in ("/api/state", "/api/code"):
        response = client.get(path)
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
    refused = TestClient(app).get("/api/state")
    assert refused.headers["referrer-policy"] == "no-referrer"
