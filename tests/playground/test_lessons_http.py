"""The Lessons panel's endpoints through Starlette's test client: depth (one against three
hidden layers on the spirals, the same budget) and local minima (two basins)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # newer Starlette suggests another client package
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from neuroflow.experiments import basins, two_basin_problem  # noqa: E402
from neuroflow.playground import Config, Engine, create_app  # noqa: E402
from neuroflow.playground.frames import BOUNDARY_SIZE, dequantise  # noqa: E402

TOKEN = "lesson-token"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    app = create_app(Engine(Config(layers=(2,))), TOKEN, hosts=("testserver",),
                     save_dir=tmp_path_factory.mktemp("save"))
    return TestClient(app, headers={"X-Neuroflow-Token": TOKEN})


def test_depth_trains_one_and_three_hidden_layers_with_the_same_budget(client):
    answer = client.get("/api/lessons/depth?epochs=3&seed=2")
    assert answer.status_code == 200, answer.text
    lesson = answer.json()
    shallow, deep = lesson["runs"]
    assert [len(shallow["sizes"]) - 2, len(deep["sizes"]) - 2] == [1, 3]
    # the budget: the same parameters and epochs for both, counted from the networks
    assert shallow["parameters"] == deep["parameters"] == lesson["budget"]["parameters"]
    assert sum(a * b + b for a, b in zip(deep["sizes"], deep["sizes"][1:])) == \
        deep["parameters"]
    assert lesson["budget"]["epochs"] == 3
    for run in (shallow, deep):
        assert len(run["losses"]) == len(run["accuracies"]) == 4   # before, after each
        assert run["losses"][-1] < run["losses"][0]
        assert dequantise(run["boundary"]).shape == (BOUNDARY_SIZE, BOUNDARY_SIZE)
    assert shallow["boundary"]["data"] != deep["boundary"]["data"]
    assert len(lesson["points"]) == len(lesson["labels"]) == 400
    # the same seed reproduces the same runs
    assert client.get("/api/lessons/depth?epochs=3&seed=2").json()["runs"] == lesson["runs"]


@pytest.mark.parametrize("query, message", [("epochs=0", "epochs: expected an integer"),
                                            ("epochs=5000", "from 1 to 1000"),
                                            ("seed=-1", "seed: expected")])
def test_depth_refuses_bad_parameters(client, query, message):
    answer = client.get(f"/api/lessons/depth?{query}")
    assert answer.status_code == 400 and message in answer.json()["error"]


def test_local_minima_seeds_land_in_both_basins(client):
    answer = client.get("/api/lessons/minima?seeds=8")
    assert answer.status_code == 200, answer.text
    lesson = answer.json()
    minima, ridge = lesson["minima"], lesson["ridges"]
    assert len(minima) == 2 and len(ridge) == 1
    assert minima[0]["w"] < ridge[0] < minima[1]["w"]
    assert [m["best"] for m in minima].count(True) == 1
    assert {run["basin"] for run in lesson["runs"]} == {0, 1}
    worse = min(m["cost"] for m in minima if not m["best"]) - \
        min(m["cost"] for m in minima)
    assert worse > 0.1                                   # the local minimum is worse
    for run in lesson["runs"]:
        # each run ends near the minimum of the basin it started in: descent never
        # crosses the ridge
        assert (run["start"] > ridge[0]) == (run["end"] > ridge[0]) == (run["basin"] == 1)
        assert run["cost"] <= np.interp(run["start"], lesson["weights"], lesson["costs"])
    assert client.get("/api/lessons/minima?seeds=99").status_code == 400


def test_the_two_basins_are_minima_of_the_cost_itself():
    network, x, y = two_basin_problem()
    found = basins(network, x, y, seeds=[2], steps=400)
    layer = network.layers[0]

    def cost(w):
        return float(np.mean((y - np.tanh(w * x + layer.params["b"])) ** 2))

    for w in found.minima:                       # lower than both neighbours, by hand
        assert cost(w) < cost(w - 0.05) and cost(w) < cost(w + 0.05)
    top = float(found.ridges[0])
    assert cost(top) > cost(top - 0.05) and cost(top) > cost(top + 0.05)
    end = found.runs[0].positions[-1]
    assert abs(end - found.minima[0]) < 0.02          # the local minimum, not the best
