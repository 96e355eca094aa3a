"""CLI on users' own data: train --data file.csv --target, predict with original labels,
and export --onnx."""

import re
from pathlib import Path

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.cli import main


@pytest.fixture
def moons_csv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, y = nf.datasets.make_moons(200, noise=0.1, seed=0)
    x = x * [30.0, 0.5] + [500.0, -2.0]  # far from standardised, so scaling matters
    names = np.array(["cat", "dog"])[y]
    lines = ["width,height,animal"] + [f"{a:.5f},{b:.5f},{n}" for (a, b), n in zip(x, names)]
    (tmp_path / "pets.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "new.csv").write_text(
        "width,height\n" + "\n".join(f"{a:.5f},{b:.5f}" for a, b in x[:6]) + "\n")
    return x, names


def test_csv_train_save_load_predict_prints_string_labels(moons_csv, capsys):
    x, names = moons_csv
    code = main(["train", "--data", "pets.csv", "--target", "animal", "--epochs", "60",
                 "--batch-size", "16", "--learning-rate", "0.01", "--quiet",
                 "--out", "pets.safetensors"])
    out = capsys.readouterr().out
    assert code == 0
    accuracy = float(out.split("test accuracy: ")[1].split("%")[0])
    assert accuracy > 90
    net = nf.load("pets.safetensors")
    assert net.class_names == ["cat", "dog"]
    assert type(net.preprocessing).__name__ == "StandardScaler"
    np.testing.assert_allclose(net.preprocessing.mean, x[np.random.default_rng(0).permutation(
        200)[40:]].mean(axis=0), rtol=1e-6)
    assert main(["predict", "pets.safetensors", "new.csv"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0] == "input,class,cat,dog"
    predicted = [row.split(",")[1] for row in rows[1:]]
    assert predicted == names[:6].tolist()


def test_csv_evaluate_maps_labels_to_the_models_classes(moons_csv, capsys):
    x, names = moons_csv
    assert main(["train", "--data", "pets.csv", "--target", "animal", "--epochs", "60",
                 "--batch-size", "16", "--learning-rate", "0.01", "--quiet",
                 "--out", "pets.safetensors"]) == 0
    capsys.readouterr()
    # a test file whose rows hold one class only, target column first: the label must
    # be looked up in the model's class names, not re-numbered from this file
    dogs = [(a, b) for (a, b), name in zip(x, names) if name == "dog"]
    lines = ["animal,width,height"] + [f"dog,{a:.5f},{b:.5f}" for a, b in dogs]
    Path("dogs.csv").write_text("\n".join(lines))
    assert main(["evaluate", "pets.safetensors", "--data", "dogs.csv", "--target", "0"]) == 0
    out = capsys.readouterr().out
    net = nf.load("pets.safetensors")
    expected = net.evaluate(np.array(dogs), np.ones(len(dogs), dtype=np.int64))
    assert f"samples: {len(dogs)}" in out
    assert f"accuracy: {expected['accuracy']:.4f}" in out
    assert expected["accuracy"] > 0.9  # "dog" is class 1, and the model knows dogs
    Path("birds.csv").write_text("animal,width,height\nbird,1,2\n")
    assert main(["evaluate", "pets.safetensors", "--data", "birds.csv",
                 "--target", "animal"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("--data: labels the model does not know: bird (the model's classes: "
                        "cat, dog)")


def test_csv_regression_and_export(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    x, y = nf.datasets.make_regression(150, n_features=2, seed=3)
    lines = ["a,b,price"] + [f"{p:.6f},{q:.6f},{t:.6f}" for (p, q), t in zip(x, y[:, 0])]
    (tmp_path / "prices.csv").write_text("\n".join(lines) + "\n")
    assert main(["train", "--data", "prices.csv", "--epochs", "40", "--batch-size", "16",
                 "--learning-rate", "0.01", "--quiet", "--out", "p.safetensors"]) == 0
    out = capsys.readouterr().out
    assert float(out.split("test mse: ")[1].split()[0]) < 0.2 * float(np.var(y))
    # the rest needs the optional onnx extras; the CSV training above runs without them
    pytest.importorskip("onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    assert main(["export", "p.safetensors", "--onnx", "p.onnx"]) == 0
    assert "wrote p.onnx" in capsys.readouterr().out
    net = nf.load("p.safetensors")
    assert net.loss.name == "mse" and net.class_names is None
    session = onnxruntime.InferenceSession("p.onnx", providers=["CPUExecutionProvider"])
    onnx_out = session.run(None, {"input": x.astype(np.float32)})[0]
    assert np.abs(onnx_out - net.predict(x)).max() <= 1e-5


@pytest.mark.parametrize(("argv", "message"), [
    (["train", "--data", "mnist", "--target", "label"], "--target: needs --data PATH.csv"),
    (["train", "--data", "absent.csv"], "--data: no such file"),
    (["train", "--data", "one.csv", "--target", "kind"], "holds one class only"),
    (["train", "--data", "one.csv", "--target", "size"], "target: expected one of the "
                                                         "columns"),
    (["train", "--data", "two.csv", "--target", "kind", "--layers", "1,5,2"],
     "--layers: expected 2 inputs"),
    (["train", "--data", "one.csv", "--distributed"],
     "--distributed: trains MNIST-style data only"),
    (["train", "--data", "bad.csv"], r"row 3, column 1 \('a'\): expected a number"),
    (["export", "absent.safetensors", "--onnx", "m.onnx"], "absent.safetensors"),
    (["evaluate", "m.safetensors", "--data", "absent.csv"], "--data: no such file"),
    (["evaluate", "m.safetensors", "--target", "kind"], "--target: needs --data PATH.csv"),
    (["evaluate", "m.safetensors", "--data", "two.csv", "--target", "kind"],
     "--data: the model takes 3 inputs, the data has 2 feature columns"),
    (["evaluate", "m.safetensors", "--data", "digits.csv"],
     r"labels the model does not know: 7 \(the model's classes: 0, 1\)"),
])
def test_cli_data_errors(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "one.csv").write_text("a,b,kind\n1,2,x\n3,4,x\n")
    (tmp_path / "two.csv").write_text("a,b,kind\n1,2,x\n3,4,y\n")
    (tmp_path / "bad.csv").write_text("a,b,kind\n1,2,x\noops,4,y\n")
    (tmp_path / "digits.csv").write_text("a,b,c,digit\n1,2,3,1\n3,4,5,7\n")
    nf.Network.from_sizes([3, 4, 2], seed=0).save(str(tmp_path / "m.safetensors"))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert re.search(message, err), err
