"""The CLI on people's own tables: hold-out options, early stopping and regularisation,
categorical columns from training to predict/evaluate/resume/export, the target column
left out by predict, evaluate's reports and the batch size of small data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.cli import main
from neuroflow.cli._tabular import load_table
from neuroflow.preprocessing import OneHotEncoder, Pipeline, StandardScaler


def _write(path: Path, header: str, rows: list[str]) -> None:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")


@pytest.fixture
def table(tmp_path, monkeypatch):
    """shop.csv: 60 rows of colour (text), size, weight and a text label; test.csv: 15
    rows of the same columns in another order; new.csv: the label column still there."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    n = 75
    colour = rng.choice(["blue", "green", "red"], n)
    size = rng.normal(10, 3, n)
    weight = rng.normal(500, 50, n)
    label = np.where((colour == "red") | (size > 11), "buy", "skip")
    rows = [f"{c},{s:.3f},{w:.2f},{lab}" for c, s, w, lab in zip(colour, size, weight, label)]
    _write(tmp_path / "shop.csv", "colour,size,weight,label", rows[:60])
    _write(tmp_path / "test.csv", "size,label,weight,colour",
           [f"{s:.3f},{lab},{w:.2f},{c}" for c, s, w, lab in
            zip(colour[60:], size[60:], weight[60:], label[60:])])
    return tmp_path


def _train(*extra: str) -> int:
    return main(["train", "--data", "shop.csv", "--target", "label", "--epochs", "2",
                 "--quiet", "--seed", "0", *extra])


def _error(capsys) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize("option, value, message", [
    ("--validation-split", "1", r"--validation-split: expected a number in \[0, 1\), "
                                r"received '1'"),
    ("--validation-split", "-0.1", r"expected a number in \[0, 1\)"),
    ("--validation-split", "nan", r"expected a number in \[0, 1\)"),
    ("--dropout", "1.0", r"--dropout: expected a number in \[0, 1\)"),
    ("--weight-decay", "-1", r"--weight-decay: expected a finite number >= 0"),
    ("--weight-decay", "inf", r"--weight-decay: expected a finite number >= 0"),
    ("--patience", "-2", r"--patience: expected a whole number from 0"),
])
def test_bad_values_exit_2_in_one_line(table, capsys, option, value, message):
    assert _train(option, value) == 2
    assert re.search(message, _error(capsys))


def test_option_combinations_that_cannot_apply_exit_2(table, capsys):
    assert _train("--early-stopping") == 2
    assert "--early-stopping: watches the validation loss, so it needs --validation-split" \
        in _error(capsys)
    assert _train("--patience", "3") == 2
    assert "--patience: applies to --early-stopping only" in _error(capsys)
    assert _train("--out", "m.safetensors") == 0
    capsys.readouterr()
    assert main(["train", "--resume", "m.safetensors", "--data", "shop.csv", "--target",
                 "label", "--epochs", "3", "--quiet", "--dropout", "0.5"]) == 2
    assert "--dropout: cannot change the network or optimiser of a resumed" in _error(capsys)


def test_validation_split_zero_and_a_fraction(table, capsys):
    assert _train("--validation-split", "0", "--out", "none.safetensors") == 0
    assert "val_loss" not in nf.load("none.safetensors").history.history
    assert _train("--validation-split", "0.25", "--out", "val.safetensors") == 0
    run = nf.load("val.safetensors").training_run
    # 48 training rows (a fifth of 60 held out for the test score), a quarter for validation
    assert (run["samples"], run["validation_samples"]) == (36, 12)


def test_test_data_trains_on_the_whole_file_and_reports_the_score(table, capsys):
    assert _train("--test-data", "test.csv", "--out", "m.safetensors") == 0
    out = capsys.readouterr().out
    assert "(loss " in out and "15 samples of --test-data test.csv" in out
    net = nf.load("m.safetensors")
    assert net.training_run["samples"] == 60  # no fifth held out
    # the reported accuracy is the model's on test.csv (columns in another order)
    reported = float(out.split("test accuracy: ")[1].split("%")[0])
    assert main(["evaluate", "m.safetensors", "--data", "test.csv", "--target", "label"]) == 0
    accuracy = float(capsys.readouterr().out.split("accuracy: ")[1].split()[0])
    assert reported == pytest.approx(100 * accuracy, abs=0.006)
    assert _train("--test-data", "missing.csv") == 2
    assert "--test-data: no such file or directory: 'missing.csv'" in _error(capsys)


def test_early_stopping_stops_and_keeps_the_best_epoch(table, capsys):
    assert main(["train", "--data", "shop.csv", "--target", "label", "--epochs", "40",
                 "--validation-split", "0.25", "--early-stopping", "--patience",
                 "0", "--learning-rate", "0.5", "--optimizer", "sgd", "--batch-size", "4",
                 "--out", "m.safetensors"]) == 0
    net = nf.load("m.safetensors")
    losses = net.history.history["val_loss"]
    assert len(losses) < 40
    best = int(np.argmin(losses))
    assert (f"early stopping: stopped after epoch {len(losses)}; kept the weights of epoch "
            f"{best + 1} (val_loss {losses[best]:.4f})") in capsys.readouterr().out
    # patience 0: it stops at the first epoch that is not better than the best
    assert losses[-1] >= min(losses[:-1])
    # the best epoch's weights were restored: the validation rows (the last quarter of the
    # training rows, after a fifth drawn with the seed is held out) score its loss again
    data = load_table("shop.csv", target="label")
    train = np.random.default_rng(0).permutation(60)[12:]
    validation = train[-12:]
    score = net.evaluate(data.x[validation], data.y[validation])["loss"]
    assert score == pytest.approx(min(losses), rel=1e-4)
    assert score < losses[-1]


def test_dropout_and_weight_decay_reach_the_network_and_optimiser(table):
    assert _train("--dropout", "0.3", "--weight-decay", "0.01", "--layers", "5,8,6,2",
                  "--out", "m.safetensors") == 0
    net = nf.load("m.safetensors")
    assert [type(layer).__name__ for layer in net.layers] == \
        ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert [layer.rate for layer in net.layers if type(layer).__name__ == "Dropout"] == \
        [0.3, 0.3]
    assert net.optimizer.weight_decay == 0.01
    # without --weight-decay the optimiser keeps its own default; 0 turns AdamW's off
    assert _train("--out", "plain.safetensors") == 0
    assert nf.load("plain.safetensors").optimizer.weight_decay == 0.0
    assert _train("--optimizer", "adamw", "--out", "adamw.safetensors") == 0
    assert nf.load("adamw.safetensors").optimizer.weight_decay == 0.01
    assert _train("--optimizer", "adamw", "--weight-decay", "0", "--out", "off.safetensors") == 0
    assert nf.load("off.safetensors").optimizer.weight_decay == 0.0


def test_categorical_columns_round_trip(table, capsys):
    assert _train("--out", "m.safetensors", "--layers", "5,8,2") == 0  # 3 colours + 2
    net = nf.load("m.safetensors")
    assert isinstance(net.preprocessing, Pipeline)
    encoder, scaler = net.preprocessing.steps
    assert isinstance(encoder, OneHotEncoder) and isinstance(scaler, StandardScaler)
    assert encoder.columns[0] == {"name": "colour", "categories": ["blue", "green", "red"]}
    assert net.feature_names == ["colour=blue", "colour=green", "colour=red", "size", "weight"]
    assert net.class_names == ["buy", "skip"]
    meta = json.loads(_metadata(Path("m.safetensors"))["preprocessing"])
    assert meta["type"] == "Pipeline" and meta["steps"][0]["columns"][0]["name"] == "colour"
    capsys.readouterr()
    # predict: columns matched by name, the label column left out with a note
    assert main(["predict", "m.safetensors", "test.csv"]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip() == ("neuroflow predict: note: test.csv: ignoring the column "
                                    "'label', which holds the model's class labels and is "
                                    "not one of its inputs (the target)")
    rows = captured.out.strip().splitlines()
    assert rows[0] == "input,class,buy,skip" and len(rows) == 16
    # the same encoding as a hand-made one: colour one-hot, then standardised
    test = Path("test.csv").read_text().splitlines()[1:]
    raw = np.array([[c == "blue", c == "green", c == "red", float(s), float(w)]
                    for s, _, w, c in (line.split(",") for line in test)], dtype=float)
    expected = net.copy(dtype="float64")
    expected.preprocessing = scaler
    np.testing.assert_allclose([float(row.split(",")[2]) for row in rows[1:]],
                               expected.predict(raw)[:, 0], rtol=1e-4, atol=1e-6)
    # evaluate and resume read the same columns
    assert main(["evaluate", "m.safetensors", "--data", "test.csv", "--target", "label"]) == 0
    assert "samples: 15" in capsys.readouterr().out
    assert main(["train", "--resume", "m.safetensors", "--data", "shop.csv", "--target",
                 "label", "--epochs", "3", "--quiet"]) == 0
    assert nf.load("m.safetensors").training_run is not None
    capsys.readouterr()
    # an unknown category: one line naming the column and the value
    _write(Path("odd.csv"), "weight,size,colour", ["480,9.5,purple"])
    assert main(["predict", "m.safetensors", "odd.csv"]) == 2
    err = _error(capsys)
    assert "column 'colour'" in err and "'purple'" in err and "not seen in training" in err
    # ONNX cannot take text: a clear error before the optional extra is needed
    assert main(["export", "m.safetensors", "--onnx", "m.onnx"]) == 2
    assert "--onnx: the model one-hot encodes the text columns colour" in _error(capsys)


def test_a_column_of_numbers_with_a_stray_word_is_an_error_not_a_category(table, capsys):
    lines = Path("shop.csv").read_text().splitlines()
    cells = lines[5].split(",")
    cells[1] = "ten"
    lines[5] = ",".join(cells)
    Path("typo.csv").write_text("\n".join(lines) + "\n")
    assert main(["train", "--data", "typo.csv", "--target", "label", "--quiet"]) == 2
    assert "row 6, column 2 ('size'): expected a number (most of the column's cells are " \
           "numbers), received 'ten'" in _error(capsys)


def test_evaluate_report_and_regression_scores(table, capsys):
    assert _train("--out", "m.safetensors") == 0
    capsys.readouterr()
    assert main(["evaluate", "m.safetensors", "--data", "test.csv", "--target", "label",
                 "--report"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[3].split() == ["class", "precision", "recall", "f1", "support"]
    assert [line.split()[0] for line in lines[4:6]] == ["buy", "skip"]
    assert lines[6].startswith("macro average")
    assert sum(int(line.split()[-1]) for line in lines[4:6]) == 15
    # regression: R^2, MAE and RMSE, computed on the model's own predictions
    assert main(["train", "--data", "shop.csv", "--target", "weight", "--epochs", "2",
                 "--quiet", "--out", "r.safetensors"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "r.safetensors", "--data", "test.csv", "--target",
                 "weight"]) == 0
    scores = dict(line.split(": ") for line in capsys.readouterr().out.splitlines())
    assert set(scores) == {"samples", "loss", "r2", "mae", "rmse"}
    assert float(scores["rmse"]) ** 2 == pytest.approx(float(scores["loss"]), rel=2e-3)
    assert float(scores["mae"]) <= float(scores["rmse"])


def test_csv_batch_size_defaults_to_32_or_every_row(table, tmp_path):
    assert _train("--out", "m.safetensors") == 0
    assert nf.load("m.safetensors").training_run["batch_size"] == 32  # 48 training rows
    assert _train("--limit", "20", "--out", "s.safetensors") == 0
    assert nf.load("s.safetensors").training_run["batch_size"] == 20
    assert _train("--batch-size", "7", "--out", "b.safetensors") == 0
    assert nf.load("b.safetensors").training_run["batch_size"] == 7


def _metadata(path: Path) -> dict[str, str]:
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + length])["__metadata__"]


def test_test_data_errors_name_the_option_column_and_value(table, capsys):
    _write(Path("odd.csv"), "colour,size,weight,label", ["purple,9.5,480,buy"])
    assert _train("--test-data", "odd.csv") == 2
    assert "column 'colour': unknown class labels ['purple']" in _error(capsys)
    _write(Path("narrow.csv"), "colour,size,label", ["red,9.5,buy"])
    assert _train("--test-data", "narrow.csv") == 2
    assert "missing 'weight'" in _error(capsys)
