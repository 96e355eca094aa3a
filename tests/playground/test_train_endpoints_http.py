"""The Train panel's endpoints added for issue 24, through Starlette's test client."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
from starlette.testclient import TestClient  # noqa: E402

from neuroflow.playground import Config, Engine, create_app  # noqa: E402

TOKEN = "train-endpoints-token"


@pytest.fixture()
def client(tmp_path):
    engine = Engine(Config(layers=(3,)))
    app = create_app(engine, TOKEN, hosts=("testserver",), save_dir=tmp_path)
    return engine, TestClient(app, headers={"X-Neuroflow-Token": TOKEN})


def test_pause_answers_with_the_frame_of_the_network_as_paused(client):
    engine, http = client
    http.post("/api/step?epochs=3")
    paused = http.post("/api/pause").json()
    assert paused["epoch"] == engine.epoch == 3
    assert paused["frame"]["epoch"] == 3 and paused["frame"]["loss"] == engine.losses[-1]


def test_a_weight_set_by_hand(client):
    engine, http = client
    frame = http.post("/api/weight", json={"weight": "0.1.2", "value": -2.25}).json()
    assert engine.network.layers[0].params["W"][1, 2] == -2.25
    assert frame["weights"][0][1][2] == -2.25
    refused = http.post("/api/weight", json={"weight": "0.9.0", "value": 1})
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("weight: expected layer.i.j of the 2-3-1")
    assert http.post("/api/weight", json={"weight": "x", "value": 1}).status_code == 400
    assert http.post("/api/weight", json={"weight": "0.0.0", "value": "nan"}).status_code == 400


def test_new_settings_travel_through_the_config_endpoint(client):
    engine, http = client
    state = http.post("/api/config", json={"problem": "regression", "data": "multigauss",
                                           "ratio": "70", "features": "x0,x1,x0x1",
                                           "reg": "l2", "rr": "0.001", "lr": "1e6"}).json()
    assert engine.config.problem == "regression" and engine.network.sizes == [3, 8, 8, 1]
    assert state["config"]["features"] == "x0,x1,x0x1" and len(state["test_points"]) == 120
    refused = http.post("/api/config", json={"lr": "2e6"})
    assert refused.status_code == 400 and "<= 1e+06" in refused.json()["error"]
