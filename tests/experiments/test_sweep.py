"""``neuroflow.experiments.sweep`` and ``neuroflow sweep``: one network, several learning
rates and optimisers, from the same initial weights, as a results table."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.cli import main
from neuroflow.experiments import SweepRow, sweep, to_csv, to_markdown, to_table


@pytest.fixture(scope="module")
def moons():
    x, y = nf.datasets.make_moons(n_samples=120, seed=0)
    return x, y


def _net(seed: int = 0) -> nf.Network:
    return nf.Network.from_sizes([2, 8, 2], hidden="tanh", output="softmax", seed=seed,
                                 dtype="float64")


@pytest.fixture(scope="module")
def rows(moons):
    x, y = moons
    return sweep(_net(), x, y, learning_rates=[0.003, 0.3, 30.0], optimizers=["sgd"],
                 epochs=8, batch_size=16, seed=0)


def test_rows_start_from_the_same_weights_and_leave_the_network_alone(moons, rows):
    x, y = moons
    net = _net()
    before = [p.copy() for p in net.parameters()]
    start = net.evaluate(x, y)["loss"]
    assert [row.learning_rate for row in rows] == [0.003, 0.3, 30.0]
    assert all(row.optimizer == "sgd" and len(row.losses) == 9 for row in rows)
    assert len({row.losses[0] for row in rows}) == 1          # one starting cost
    assert rows[0].losses[0] == start
    assert len({row.losses[1] for row in rows}) == 3          # then the rates differ
    sweep(net, x, y, learning_rates=[1.0], epochs=1)
    assert all(np.array_equal(p, q) for p, q in zip(before, net.parameters()))


def test_the_same_rate_twice_gives_the_same_row(moons):
    """Same weights and same mini-batches: only the rate tells rows apart."""
    x, y = moons
    first, second = sweep(_net(), x, y, learning_rates=[0.5, 0.5], epochs=3, seed=4)
    assert first == second
    other = sweep(_net(), x, y, learning_rates=[0.5], epochs=3, seed=5)[0]
    assert other.losses[0] == first.losses[0] and other.losses != first.losses


def test_behaviour_follows_the_losses(rows):
    small, _, large = rows
    steps = np.diff(small.losses)
    assert small.behaviour == "crawls"
    assert np.all(steps < 0)                                  # still falling at the end
    assert large.behaviour in ("diverges", "oscillates")
    assert np.any(np.diff(large.losses) > 0)                  # its cost really rose
    assert max(large.losses) > large.losses[0]
    assert all(row.accuracy is not None and 0 <= row.accuracy <= 1 for row in rows)
    assert all(row.final_loss == row.losses[-1] for row in rows)


def test_a_diverging_run_is_a_row_not_an_error():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)) * 10
    y = x @ [1.0, -2.0, 0.5]
    net = nf.Network.from_sizes([3, 1], output="linear", seed=0)  # float32: overflows
    low, high = sweep(net, x, y, learning_rates=[1e-4, 1e3], epochs=5, batch_size=8)
    assert high.behaviour == "diverges" and high.final_loss == math.inf
    assert high.accuracy is None and low.accuracy is None     # a regression: no accuracy
    assert math.isfinite(low.final_loss) and low.behaviour != "diverges"


def test_validation_data_is_where_accuracy_is_measured(moons):
    x, y = moons
    x_val, y_val = nf.datasets.make_moons(n_samples=60, seed=1)
    row = sweep(_net(), x, y, learning_rates=[0.3], epochs=2, validation_data=(x_val, y_val))[0]
    expected = _net()
    expected.rng = np.random.default_rng(0)
    expected.fit(x, y, epochs=2, batch_size=32, optimizer="sgd", learning_rate=0.3, verbose=0)
    assert row.accuracy == expected.evaluate(x_val, y_val)["accuracy"]


@pytest.mark.parametrize(("options", "message"), [
    ({"learning_rates": []}, "learning_rates: expected 1 to 8 positive numbers"),
    ({"learning_rates": [0.1] * 9}, "learning_rates: expected 1 to 8"),
    ({"learning_rates": [0.1, -1.0]}, "learning_rates: expected positive finite numbers, "
                                      "received -1.0"),
    ({"learning_rates": [float("nan")]}, "learning_rates: expected positive finite"),
    ({"learning_rates": 0.1}, "learning_rates: expected 1 to 8"),
    ({"optimizers": ["sgd"] * 5}, "optimizers: expected 1 to 4"),
    ({"optimizers": ["sgd", "lion"]}, "optimizers: expected names among .* received 'lion'"),
    ({"epochs": 0}, "epochs"),
    ({"seed": -1}, "seed: expected a non-negative integer"),
])
def test_bad_arguments_name_themselves(moons, options, message):
    x, y = moons
    with pytest.raises(ValueError, match=message):
        sweep(_net(), x, y, **{"learning_rates": [0.1], **options})


def test_csv_and_markdown_read_back_to_the_same_numbers(rows):
    diverged = SweepRow("adam", 10.0, (0.7, 3.0, math.inf), math.inf, None, "diverges")
    table = [*rows, diverged]
    records = list(csv.DictReader(io.StringIO(to_csv(table))))
    assert len(records) == 4
    for row, record in zip(table, records):
        assert record["optimizer"] == row.optimizer and record["behaviour"] == row.behaviour
        assert float(record["learning_rate"]) == row.learning_rate
        assert float(record["final_loss"]) == row.final_loss
        assert (record["accuracy"] == "") if row.accuracy is None else \
            float(record["accuracy"]) == row.accuracy
        losses = [float(record[f"loss_{t}"]) for t in range(9) if record[f"loss_{t}"]]
        assert tuple(losses) == row.losses
    lines = to_markdown(table).strip().splitlines()
    assert lines[0] == "| η | optimizer | final loss | accuracy | behaviour |"
    for row, line in zip(table, lines[2:]):
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rate, optimizer, final, accuracy, behaviour = cells
        assert float(rate) == row.learning_rate and optimizer == row.optimizer
        assert float(final) == pytest.approx(row.final_loss, rel=1e-5)
        assert behaviour == row.behaviour
        assert accuracy == "" if row.accuracy is None else \
            float(accuracy) == pytest.approx(row.accuracy, rel=1e-5)
    text = to_table(table).splitlines()
    assert text[0].split() == ["eta", "optimizer", "final", "loss", "accuracy", "behaviour"]
    column = text[0].index("behaviour")                       # left-aligned last column
    assert [line[column:] for line in text[1:]] == [row.behaviour for row in table]
    assert text[-1].split()[-2:] == ["-", "diverges"]


# ---------------------------------------------------------------------------- the CLI
def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_an_aligned_table_and_writes_csv(capsys, tmp_path):
    out_path = tmp_path / "results.csv"
    code, out, err = _run(capsys, "sweep", "--learning-rates", "0.01,1,30", "--optimizers",
                          "sgd,adam", "--data", "moons", "--epochs", "4", "--train-size", "80",
                          "--out", out_path)
    assert code == 0, err
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith(" eta") or
                  line.startswith("eta"))
    table = lines[header:header + 7]
    assert [line.split()[1] for line in table[1:]] == ["sgd"] * 3 + ["adam"] * 3
    assert len({line.index(line.split()[1]) for line in table[1:]}) == 1   # aligned column
    records = list(csv.DictReader(out_path.open()))
    assert [float(r["learning_rate"]) for r in records] == [0.01, 1.0, 30.0] * 2
    assert len({r["loss_0"] for r in records}) == 1                       # same start
    assert f"wrote 6 rows to {out_path}" in out


def test_cli_writes_markdown(capsys, tmp_path):
    out_path = tmp_path / "results.md"
    code, _, err = _run(capsys, "sweep", "--learning-rates", "0.1", "--epochs", "2",
                        "--train-size", "40", "--out", out_path)
    assert code == 0, err
    assert out_path.read_text().startswith("| η | optimizer | final loss | accuracy |")


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--learning-rates", "0.1,0"], "--learning-rates: expected 1 to 8 comma-separated "
                                    "positive numbers like 0.01,0.1,1, received '0'"),
    (["--learning-rates", "0.1,-3"], "--learning-rates"),
    (["--learning-rates", "nan"], "--learning-rates"),
    (["--learning-rates", "inf"], "--learning-rates"),
    (["--learning-rates", "1,2,3,4,5,6,7,8,9"], "--learning-rates: expected 1 to 8"),
    (["--learning-rates", "fast"], "--learning-rates"),
    (["--learning-rates", "0.1", "--optimizers", "sgd,adam,rmsprop,sgd,adam"],
     "--optimizers: expected 1 to 4 optimisers"),
    (["--learning-rates", "0.1", "--optimizers", "lion"], "--optimizers"),
    (["--learning-rates", "0.1", "--out", "results.txt"],
     "--out: expected a file ending in .csv or .md"),
    (["--learning-rates", "0.1", "--layers", "3,4,2"], "--layers: the first size must be"),
    (["--learning-rates", "0.1", "--data", "nowhere"], "--data"),
    (["--learning-rates", "0.1", "--data", "pets.csv"],
     "--data: no such file or directory: 'pets.csv'"),
    (["--optimizers", "sgd"], "--learning-rates"),
])
def test_cli_errors_exit_2_in_one_line(capsys, tmp_path, monkeypatch, argv, fragment):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "sweep", *argv)
    assert code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert fragment in err, err
    assert not list(tmp_path.iterdir())                      # nothing written


def test_cli_checks_out_before_any_work(capsys, tmp_path, monkeypatch):
    from neuroflow.cli import sweep as cli_sweep

    monkeypatch.setattr(cli_sweep, "sweep", lambda *a, **k: pytest.fail("trained"))
    code, _, err = _run(capsys, "sweep", "--learning-rates", "0.1", "--out", tmp_path)
    assert code == 2 and "--out" in err
    code, _, err = _run(capsys, "sweep", "--learning-rates", "0.1",
                        "--out", tmp_path / "missing" / "r.csv")
    assert code == 2 and "--out" in err
