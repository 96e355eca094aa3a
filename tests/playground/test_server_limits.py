"""The playground's answers to hostile requests (review round 3: D8 upgrades, D9 bodies,
D13 saves, D19 small inconsistencies): a 4xx with a message naming what is wrong, never a
500 or a traceback."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from neuroflow.playground import Config, Engine, MnistEngine, create_app  # noqa: E402
from neuroflow.playground.server import MAX_BODY, MAX_DEPTH, MAX_WAITING, parse_body  # noqa: E402

TOKEN = "limits-token"


@pytest.fixture(scope="module")
def mnist():
    return MnistEngine(hidden=4, subset=200)


@pytest.fixture()
def client(tmp_path, mnist):
    app = create_app(Engine(Config(layers=(3,), points=40)), TOKEN, hosts=("testserver",),
                     save_dir=tmp_path, mnist=mnist)
    return TestClient(app, headers={"X-Neuroflow-Token": TOKEN}, raise_server_exceptions=True)


def post_raw(client, path: str, raw: bytes | str, **headers: str):
    return client.post(path, content=raw, headers={"Content-Type": "application/json",
                                                   **headers})


# ---------------------------------------------------------------------- D9: bodies
@pytest.mark.parametrize("raw, message", [
    ("[" * 30_000 + "]" * 30_000, f"body: expected JSON nested at most {MAX_DEPTH} deep"),
    ('{"a":' * 10_000 + "1" + "}" * 10_000, "body: expected JSON nested at most"),
    ("[" * 60_000, "body: expected JSON nested at most"),
    ("[" * 100_000 + "]" * 100_000, f"body: expected at most {MAX_BODY} bytes"),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "body: expected JSON nested at most"),
    ('{"lr": NaN}', "body: NaN is not a JSON number"),
    ('{"lr": -Infinity}', "body: -Infinity is not a JSON number"),
    ('{"lr": 1', "body: expected JSON"),
    (b"\xff\xfe\x00", "body: expected JSON"),
    ("x" * (MAX_BODY + 1), f"body: expected at most {MAX_BODY} bytes"),
    ('"just a string"', "body: expected a JSON object"),
])
def test_bad_bodies_are_400_with_the_reason(client, raw, message):
    for path in ("/api/config", "/api/mnist/predict", "/api/save"):
        response = post_raw(client, path, raw)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"].startswith(message)


def test_brackets_inside_strings_do_not_count_as_depth():
    body = {"name": "[" * 1000 + "{" * 1000 + '\\"['}
    assert parse_body(json.dumps(body).encode()) == body
    nested: dict = {"k": 1}
    for _ in range(MAX_DEPTH - 1):
        nested = {"k": nested}
    assert parse_body(json.dumps(nested).encode()) == nested


def test_a_lying_content_length_is_refused(client):
    response = post_raw(client, "/api/config", "{}", **{"Content-Length": str(10**9)})
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"body: expected at most {MAX_BODY} bytes")


# ---------------------------------------------------------------------- D8: upgrades
def test_a_websocket_handshake_is_refused_without_a_traceback(client):
    from starlette.testclient import WebSocketDenialResponse

    with pytest.raises(WebSocketDenialResponse) as denied, client.websocket_connect("/"):
        pass
    assert denied.value.status_code == 404
    bare = TestClient(client.app)
    with pytest.raises(WebSocketDenialResponse), \
            bare.websocket_connect("/api/state", headers={"Host": "evil.example"}):
        pass


@pytest.mark.parametrize("upgrade", ["websocket", "h2c", "TLS/1.0", ""])
def test_an_upgrade_over_http_is_400(client, upgrade):
    response = client.get("/api/state", headers={"Upgrade": upgrade, "Connection": "Upgrade"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("Upgrade: not supported")


# ---------------------------------------------------------------------- D13: saves
def test_save_never_overwrites_without_the_flag(client, tmp_path):
    first = client.post("/api/save", json={"name": "model.safetensors"})
    assert first.status_code == 200
    before = (tmp_path / "model.safetensors").read_bytes()
    client.post("/api/step?epochs=2")
    again = client.post("/api/save", json={"name": "model.safetensors"})
    assert again.status_code == 409
    assert again.json()["error"].startswith("name: 'model.safetensors' exists")
    assert (tmp_path / "model.safetensors").read_bytes() == before
    replaced = client.post("/api/save", json={"name": "model.safetensors", "overwrite": True})
    assert replaced.status_code == 200
    assert (tmp_path / "model.safetensors").read_bytes() != before
    wrong = client.post("/api/save", json={"name": "m.safetensors", "overwrite": "yes"})
    assert wrong.status_code == 400 and wrong.json()["error"].startswith("overwrite:")


def test_save_refuses_a_planted_link(client, tmp_path):
    (tmp_path / "link.safetensors").symlink_to(tmp_path / "elsewhere")
    assert client.post("/api/save", json={"name": "link.safetensors"}).status_code == 409
    assert not (tmp_path / "elsewhere").exists()


def test_save_without_a_name_takes_the_next_free_one(client, tmp_path):
    paths = [Path(client.post("/api/save", json={}).json()["path"]).name for _ in range(3)]
    assert paths == ["playground.safetensors", "playground-2.safetensors",
                     "playground-3.safetensors"]


@pytest.mark.parametrize("name", ["a\nb.safetensors", "a\u0000.safetensors",
                                  "a\tb.safetensors", "a\x7f.safetensors",
                                  "a\u2028b.safetensors", "a\x1b[2J.safetensors"])
def test_save_refuses_control_characters_naming_the_key(client, tmp_path, name):
    response = client.post("/api/save", json={"name": name})
    assert response.status_code == 400
    assert response.json()["error"].startswith("name: expected a file name without control")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", [7, ["a.safetensors"], True, {"a": 1}])
def test_save_refuses_a_name_that_is_not_text(client, name):
    response = client.post("/api/save", json={"name": name})
    assert response.status_code == 400 and response.json()["error"].startswith("name:")


# ---------------------------------------------------------------------- D19
def test_mnist_settings_refuse_unknown_keys_like_the_toy_settings(client):
    response = client.post("/api/mnist/config", json={"zzz": "1"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("zzz: unknown setting; expected one of mh")


@pytest.mark.parametrize("pixels", ["NaN", "Infinity", "1e400"])
def test_a_drawing_of_non_numbers_is_refused(client, pixels):
    raw = '{"pixels": [' + ",".join([pixels] + ["0"] * 783) + "]}"
    response = post_raw(client, "/api/mnist/predict", raw)
    assert response.status_code == 400


@pytest.mark.parametrize("query, key", [("epochs=\u0661", "epochs"), ("epochs=1_0", "epochs"),
                                        ("epochs=%EF%BC%91", "epochs"), ("epochs=+", "epochs")])
def test_integers_are_ascii_digits(client, query, key):
    response = client.post(f"/api/step?{query}")
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{key}: expected an integer")


def test_stream_fps_must_be_an_ascii_number(client):
    response = client.get("/api/stream?fps=\u0661")
    assert response.status_code == 400 and response.json()["error"].startswith("fps:")


def test_cancel_ends_every_panel_at_once(client):
    assert client.post("/api/cancel").json()["cancelled"] is True


# ---------------------------------------------------------------------- D10: queues
def test_pause_jumps_a_full_queue_and_ends_the_queued_training(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    # 200 one-point batches an epoch: a step of 100 epochs is seconds, the queue minutes
    engine = Engine(Config(points=200, batch_size=1, layers=(8, 8)))
    engine.step(1)  # the first epoch compiles the kernels
    app = create_app(engine, TOKEN, hosts=("testserver",), save_dir=tmp_path)
    with TestClient(app, headers={"X-Neuroflow-Token": TOKEN}) as client, \
            ThreadPoolExecutor(16) as pool:
        steps = [pool.submit(client.post, "/api/step?epochs=100") for _ in range(12)]
        time.sleep(1.0)  # one step trains, the rest wait
        started = time.perf_counter()
        paused = client.post("/api/pause")
        pause_seconds = time.perf_counter() - started
        answers = [step.result(timeout=60) for step in steps]
        all_done = time.perf_counter() - started
    assert paused.status_code == 200 and paused.json()["paused"] is True
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(429) == 12 - 1 - MAX_WAITING  # one runs, MAX_WAITING wait
    assert "busy" in next(a for a in answers if a.status_code == 429).json()["error"]
    assert statuses.count(200) == 1 + MAX_WAITING
    # the pause waited for the epoch in flight only (not for the queue), and the queued
    # steps then ended at once
    assert engine.epoch < 50
    assert pause_seconds < 1.0 and all_done < 5


@pytest.mark.parametrize("body, key", [({"layers": "\u0668,\u0668"}, "layers"),
                                       ({"points": "1_000"}, "points"),
                                       ({"points": "\u0661\u0660\u0660"}, "points"),
                                       ({"lr": "0_1"}, "lr"), ({"seed": "\uff11"}, "seed")])
def test_settings_are_ascii_digits(client, body, key):
    response = client.post("/api/config", json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{key}: expected")
