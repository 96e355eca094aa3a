"""The mnist-best preset: its pieces, and `neuroflow train --preset` with overrides."""

import numpy as np
import pytest
from idx_files import write_idx

import neuroflow as nf
from neuroflow import cli, presets
from neuroflow.cli import train as cli_train


@pytest.fixture
def small_mnist(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.random((200, 784), dtype=np.float32)
    y = np.arange(200) % 10
    x[np.arange(200), y * 70] += 3.0                # a learnable signal per class
    monkeypatch.setattr(cli_train, "load_data", lambda spec: (x[:150], y[:150], x[150:], y[150:]))
    return x, y


def test_preset_builds_dropout_network_and_scheduled_adamw():
    preset = presets.resolve("mnist-best")
    net = presets.build_network(preset, seed=0)
    assert net.sizes[0] == 784 and net.sizes[-1] == 10
    assert [type(layer).__name__ for layer in net.layers] == \
        ["Dropout", "Dense", "Dropout", "Dense", "Dropout", "Dense"]
    options = presets.fit_options(preset, 60000)
    optimizer = options["optimizer"]
    assert isinstance(optimizer, nf.optimizers.AdamW)
    assert isinstance(optimizer.learning_rate, nf.schedules.OneCycle)
    assert optimizer.learning_rate.total_steps == preset["epochs"] * 422
    assert options["validation_split"] == 0.1
    assert isinstance(options["callbacks"][0], nf.callbacks.EarlyStopping)
    assert options["callbacks"][0].restore_best


def test_resolve_overrides_and_errors():
    preset = presets.resolve("mnist-best", epochs=3, layers=None)
    assert preset["epochs"] == 3 and preset["layers"] == presets.PRESETS["mnist-best"]["layers"]
    assert presets.PRESETS["mnist-best"]["epochs"] != 3          # the registry is not mutated
    with pytest.raises(ValueError, match="preset: expected one of fashion-cnn, mnist-best"):
        presets.resolve("imagenet")
    with pytest.raises(ValueError, match="momentum: not a setting of preset 'mnist-best'"):
        presets.resolve("mnist-best", momentum=0.9)
    with pytest.raises(ValueError, match="schedule: expected 'one_cycle', 'cosine' or None"):
        presets.fit_options(presets.resolve("mnist-best", schedule="linear"), 100)


def test_cli_train_preset_with_explicit_overrides(small_mnist, tmp_path, capsys):
    out = tmp_path / "model.safetensors"
    status = cli.main(["train", "--preset", "mnist-best", "--layers", "784,32,10",
                       "--epochs", "2", "--quiet", "--out", str(out)])
    assert status == 0
    assert "test accuracy" in capsys.readouterr().out
    net = nf.load(str(out))
    assert net.sizes == [784, 784, 32, 32, 10]          # input dropout, dense, dropout, dense
    assert type(net.layers[0]).__name__ == "Dropout"


def test_cli_train_without_preset_keeps_its_defaults(small_mnist, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default --out is checked, writable for any user
    out = tmp_path / "plain.safetensors"
    assert cli.main(["train", "--layers", "784,16,10", "--epochs", "1", "--quiet",
                     "--out", str(out)]) == 0
    assert [type(layer).__name__ for layer in nf.load(str(out)).layers] == ["Dense", "Dense"]
    from neuroflow.cli._settings import resolve_settings

    settings, _ = resolve_settings(cli.build_parser().parse_args(["train"]))
    assert (settings.epochs, settings.batch_size, settings.optimizer) == (10, 128, "adam")
    assert tuple(settings.layers) == (784, 256, 128, 10) and settings.recipe is None


def test_cli_preset_refuses_csv_data(tmp_path, capsys):
    """A preset describes an MNIST network; --resume with it is allowed (its callbacks
    get their state back, see test_cli_train_paths), CSV data is not."""
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n1,2,0\n3,4,1\n")
    assert cli.main(["train", "--preset", "mnist-best", "--data", str(data)]) == 2
    assert "--preset: expected MNIST-style data" in capsys.readouterr().err


def test_readme_python_matches_the_preset(monkeypatch):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("--preset mnist-best`", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    captured = {}
    fake = np.zeros((60000, 1)), np.zeros(60000), np.zeros((10, 1)), np.zeros(10)
    monkeypatch.setattr(nf.datasets, "mnist", lambda: fake)
    monkeypatch.setattr(nf.Network, "fit", lambda self, x, y, **options: captured.update(
        options, network=self))
    monkeypatch.setattr(nf.Network, "evaluate", lambda self, x, y: {})
    exec(compile(code, "README.md", "exec"), {"print": lambda *args: None})
    preset = presets.resolve("mnist-best")
    expected = presets.fit_options(preset, 60000)
    assert captured["network"].get_config() == presets.build_network(preset).get_config()
    assert captured["optimizer"].get_config() == expected["optimizer"].get_config()
    for key in ("epochs", "batch_size", "validation_split"):
        assert captured[key] == expected[key], key
    readme_best, preset_best = captured["callbacks"][0], expected["callbacks"][0]
    assert (readme_best.monitor, readme_best.patience, readme_best.restore_best) == \
        (preset_best.monitor, preset_best.patience, preset_best.restore_best)


def test_fashion_cnn_without_data_says_it_is_not_bundled(capsys):
    assert cli.main(["train", "--preset", "fashion-cnn"]) == 2
    err = capsys.readouterr().err
    assert "Fashion-MNIST, which is not bundled" in err
    assert "--data DIR" in err and "zalandoresearch/fashion-mnist" in err
    assert "Traceback" not in err
    assert presets.data_problem(presets.resolve("mnist-cnn"), "mnist") is None


def test_fashion_cnn_trains_on_an_idx_folder(tmp_path, capsys):
    """Mechanics on a tiny synthetic IDX folder (the Fashion-MNIST layout): 1 epoch on 20
    images in batches of 10 (the one-cycle schedule needs 2 steps); the model is the
    preset's network with the AdamW optimiser."""
    rng = np.random.default_rng(0)
    data = tmp_path / "fashion"
    data.mkdir()
    for split, n in (("train", 40), ("t10k", 10)):
        write_idx(data / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(data / f"{split}-labels-idx1-ubyte", np.arange(n) % 10)
    out = tmp_path / "fashion.safetensors"
    status = cli.main(["train", "--preset", "fashion-cnn", "--data", str(data),
                       "--epochs", "1", "--limit", "20", "--batch-size", "10", "--quiet",
                       "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    assert "test accuracy" in capsys.readouterr().out
    net = nf.load(str(out))
    expected = presets.build_network(presets.resolve("fashion-cnn"))
    assert net.get_config()["layers"] == expected.get_config()["layers"]
    assert [type(layer).__name__ for layer in net.layers][:6] == \
        ["Conv2D", "BatchNorm", "MaxPool2D", "Conv2D", "BatchNorm", "MaxPool2D"]
    assert net.optimizer is not None and net.optimizer.get_config()["name"] == "adamw"
    assert net.history is not None and len(net.history.epoch) == 1
