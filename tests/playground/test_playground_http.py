"""The playground's web application through Starlette's test client: the token, Host and
Origin checks, bounded streams, 400 with a message for bad parameters; and the command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # newer Starlette suggests another client package
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from neuroflow.cli import main  # noqa: E402
from neuroflow.playground import Config, Engine, create_app  # noqa: E402

TOKEN = "s3cret-token"


@pytest.fixture()
def client(tmp_path: Path) -> TestClient:
    app = create_app(Engine(Config(layers=(4, 4))), TOKEN, hosts=("testserver",),
                     save_dir=tmp_path)
    return TestClient(app, headers={"X-Neuroflow-Token": TOKEN})


def events(text: str) -> list[tuple[str, dict]]:
    found = []
    for block in text.strip().split("\n\n"):
        name, data = "message", None
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
        found.append((name, data))
    return found


def test_the_page_needs_the_token_and_the_right_host_and_origin(client):
    bare = TestClient(client.app)
    assert bare.get("/").status_code == 403
    assert bare.get("/api/state").status_code == 403
    assert bare.get("/api/state?token=wrong").status_code == 403
    assert "token" in bare.get("/api/state").json()["error"]
    assert bare.get(f"/?token={TOKEN}").status_code == 403  # never in a URL
    signed_in = bare.get(f"/?code={client.app.new_code()}")  # the cookie
    assert signed_in.status_code == 200
    page = bare.get("/")
    assert page.status_code == 200 and "neuroflow playground" in page.text
    assert bare.get("/static/app.js").status_code == 200  # the package's own files
    assert client.get("/api/state", headers={"Host": "evil.example"}).status_code == 403
    assert client.get("/static/app.js", headers={"Host": "evil.example"}).status_code == 403
    refused = client.get("/api/state", headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403 and "Origin" in refused.json()["error"]
    assert client.get("/api/state", headers={"Origin": "null"}).status_code == 403
    assert client.get("/api/state", headers={"Origin": "http://testserver"}).status_code == 200


def test_the_stream_sends_exactly_the_frames_asked_for(client):
    response = client.get("/api/stream?frames=6&epochs=2")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    found = events(response.text)
    frames = [data for name, data in found if name == "message"]
    assert len(frames) == 6 and found[-1][0] == "end"
    assert [f["epoch"] for f in frames] == [2, 4, 6, 8, 10, 12]
    assert frames[-1]["loss"] < frames[0]["loss"]
    assert max(len(json.dumps(f)) for f in frames) < 100_000
    state = client.get("/api/state").json()
    assert len(state["losses"]) == 13 and len(state["points"]) == 400


@pytest.mark.parametrize("request_line, message", [
    ("GET /api/stream?frames=0", "frames: expected an integer from 1 to 1000"),
    ("GET /api/stream?frames=100000", "frames: expected an integer from 1 to 1000"),
    ("GET /api/stream?epochs=abc", "epochs: expected an integer"),
    ("GET /api/stream?fps=-1", "fps: expected a number"),
    ("GET /api/inspect?i=400", "i: expected an integer from 0 to 399"),
    ("GET /api/inspect?i=1&lr=nan", "lr: expected a number"),
    ("GET /api/landscape?w1=0.9.0", "w1: expected a weight"),
    ("GET /api/landscape?w1=0.0.0&w2=0.0.0", "w2: expected a weight other than w1"),
    ("GET /api/landscape?mode=sideways", "mode: expected live or isolate"),
    ("GET /api/race?lrs=0.1,1", "lrs: expected 3 to 5 learning rates"),
    ("GET /api/race?lrs=1,2,3,4,5,6", "lrs: expected 3 to 5 learning rates"),
    ("GET /api/race?lrs=a,b", "lrs: expected numbers"),
    ("POST /api/step?epochs=1000", "epochs: expected an integer from 1 to 100"),
])
def test_bad_parameters_are_answered_400_with_a_message(client, request_line, message):
    method, path = request_line.split(" ")
    response = client.request(method, path)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


@pytest.mark.parametrize("path, body, message", [
    ("/api/config", {"lr": "-1"}, "lr: expected a number > 0"),
    ("/api/config", {"layers": "8,8,8,8,8,8,8"}, "layers: expected at most 6"),
    ("/api/config", {"wings": "2"}, "wings: unknown setting"),
    ("/api/config", [1, 2], "body: expected a JSON object"),
    ("/api/save", {"name": "../outside.safetensors"}, "name: expected a file name"),
    ("/api/save", {"name": "model.pkl"}, "name: expected a file name"),
    ("/api/mnist/predict", {"pixels": [0.5] * 10}, "pixels: expected a list of 784"),
    ("/api/mnist/config", {"mh": "0"}, "mh: expected a number from 1 to 128"),
])
def test_bad_bodies_are_answered_400_with_a_message(client, path, body, message):
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


def test_config_step_inspect_code_and_save(client, tmp_path):
    state = client.post("/api/config", json={"data": "circles", "layers": "3", "lr": "0.3"})
    assert state.status_code == 200 and state.json()["sizes"] == [2, 3, 1]
    frame = client.post("/api/step?epochs=3").json()
    assert frame["epoch"] == 3
    record = client.get("/api/inspect?i=5&lr=0.01").json()
    assert record["index"] == 5 and len(record["layers"]) == 2
    assert record["cost_after"] < record["cost_before"]
    code = client.get("/api/code").json()
    assert "make_circles(400" in code["python"] and "epochs=3" in code["python"]
    saved = client.post("/api/save", json={"name": "demo.safetensors"}).json()
    assert Path(saved["path"]) == (tmp_path / "demo.safetensors").resolve()
    assert (tmp_path / "demo.safetensors").is_file()
    landscape = client.get("/api/landscape?w1=0.0.0&w2=1.2.0&n=5").json()
    assert len(landscape["costs"]) == 5 and len(landscape["path"]) == 4
    assert client.post("/api/reset").json()["frame"]["epoch"] == 0
    assert client.post("/api/pause").json()["paused"] is True


def test_the_race_streams_progress_then_a_table(client):
    response = client.get("/api/race?lrs=0.05,0.5,2&epochs=4")
    found = events(response.text)
    assert [name for name, _ in found] == ["progress", "progress", "result"]
    rows = found[-1][1]["rows"]
    assert [r["learning_rate"] for r in rows] == [0.05, 0.5, 2.0]
    assert all(r["behaviour"] in ("crawls", "converges", "oscillates", "diverges") for r in rows)


def test_the_mnist_panel_trains_and_predicts(client):
    assert client.post("/api/mnist/config", json={"mh": "8", "mn": "300"}).status_code == 200
    found = events(client.get("/api/mnist/stream?frames=2").text)
    assert [d["epoch"] for n, d in found if n == "message"] == [1, 2]
    result = client.post("/api/mnist/predict", json={"pixels": [0.0] * 784}).json()
    assert len(result["probabilities"]) == 10


def test_the_command_prints_a_sign_in_link_and_stops_on_ctrl_c(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "neuroflow", "playground", "--port", "0", "--no-browser",
         "--state", "data=xor&layers=4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = process.stdout.readline()
        assert line.startswith("neuroflow playground: http://127.0.0.1:")
        url = line.split(": ", 1)[1].strip()
        assert "code=" in url and "token" not in url and "data=xor" in url
        with urllib.request.urlopen(url.split("#")[0], timeout=10) as page:
            assert page.status == 200 and "HttpOnly" in page.headers["Set-Cookie"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url.split("?")[0] + "api/state", timeout=10)
        assert refused.value.code == 403
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 130 and err.strip() == "neuroflow playground: stopped (Ctrl-C)"


def test_the_command_refuses_bad_settings_in_one_line():
    result = subprocess.run([sys.executable, "-m", "neuroflow", "playground", "--no-browser",
                             "--state", "lr=fast"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == ("neuroflow playground: error: lr: expected a number, "
                                     "received 'fast'")


def test_epochs_without_out_is_refused_in_one_line(capsys):
    assert main(["playground", "--epochs", "3"]) == 2
    assert capsys.readouterr().err.strip() == (
        "neuroflow playground: error: --epochs and --out: expected both (train and save "
        "without a server) or neither")
