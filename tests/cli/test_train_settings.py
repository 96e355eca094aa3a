"""``train``'s options resolved once into :class:`TrainSettings` (no data is read)."""

from __future__ import annotations

import dataclasses

import pytest

import neuroflow as nf
from neuroflow import cli
from neuroflow.cli._args import UsageError
from neuroflow.cli._settings import TrainSettings, resolve_settings


def settings_of(*options: str) -> tuple[TrainSettings, object]:
    return resolve_settings(cli.build_parser().parse_args(["train", *options]))


def test_defaults_are_resolved(tmp_path):
    out = str(tmp_path / "model.safetensors")
    settings, resumed = settings_of("--out", out)
    assert resumed is None
    assert (settings.layers, settings.activation, settings.output_activation) == (
        (784, 256, 128, 10), "relu", "softmax")
    assert (settings.loss, settings.optimizer, settings.learning_rate) == (
        "cross_entropy", "adam", 1e-3)
    assert (settings.epochs, settings.batch_size, settings.validation_split) == (10, 128, 0.0)
    assert (settings.seed, settings.dtype, settings.out) == (0, "float32", out)
    assert settings.preset is None and settings.recipe is None
    assert settings.explicit == frozenset() and not settings.csv


def test_seed_and_dtype_given_are_explicit_and_csv_data_is_told(tmp_path):
    data = tmp_path / "table.CSV"
    data.write_text("a,y\n1,0\n2,1\n")
    settings, _ = settings_of("--data", str(data), "--seed", "3", "--dtype", "float64",
                              "--out", str(tmp_path / "m.safetensors"))
    assert settings.csv and (settings.seed, settings.dtype) == (3, "float64")
    assert settings.explicit == {"seed", "dtype"}


def test_a_preset_fills_the_options_not_given(tmp_path):
    settings, _ = settings_of("--preset", "nielsen", "--out", str(tmp_path / "m.safetensors"))
    assert settings.layers == (784, 30, 10)
    assert (settings.activation, settings.loss, settings.optimizer) == (
        "sigmoid", "mse", "sgd")
    assert (settings.epochs, settings.batch_size) == (30, 10)
    assert settings.recipe is not None and settings.recipe["epochs"] == 30
    assert settings.explicit == {"preset"}


def test_an_option_given_beats_the_preset(tmp_path):
    settings, _ = settings_of("--preset", "nielsen", "--epochs", "2", "--batch-size", "7",
                              "--layers", "784,20,10", "--out", str(tmp_path / "m.safetensors"))
    assert (settings.epochs, settings.batch_size, settings.layers) == (2, 7, (784, 20, 10))
    assert settings.recipe is not None and settings.recipe["epochs"] == 2
    assert settings.optimizer == "sgd"  # not given: still the preset's


def test_a_resume_takes_batches_and_split_from_the_checkpoint(tmp_path):
    net = nf.Network.from_sizes([3, 4, 2], seed=5)
    # what fit records of a run of batches of 4 with 5 of 20 samples held out
    net.training_run = {"batch_size": 4, "shuffle": True, "samples": 15,
                        "validation_samples": 5, "data_fingerprint": "0" * 64}
    saved = str(tmp_path / "run.safetensors")
    net.save(saved)
    settings, resumed = settings_of("--resume", saved, "--epochs", "3")
    assert resumed is not None and resumed.in_features == 3
    assert (settings.resume, settings.out, settings.epochs) == (saved, saved, 3)
    assert settings.batch_size == 4
    assert int(20 * settings.validation_split) == 5  # the same five samples held out again
    given, _ = settings_of("--resume", saved, "--batch-size", "8")
    assert given.batch_size == 8
    with pytest.raises(UsageError, match="--seed: cannot change the random seed"):
        settings_of("--resume", saved, "--seed", "6")


def test_settings_are_frozen(tmp_path):
    settings, _ = settings_of("--out", str(tmp_path / "m.safetensors"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.batch_size = 1  # type: ignore[misc]
    assert dataclasses.replace(settings, batch_size=1).batch_size == 1
    assert settings.batch_size == 128


def test_the_recipe_is_read_only_and_the_command_line_is_left_as_parsed(tmp_path):
    args = cli.build_parser().parse_args(["train", "--preset", "nielsen",
                                          "--out", str(tmp_path / "m.safetensors")])
    parsed = dict(vars(args))
    settings, _ = resolve_settings(args)
    assert vars(args) == parsed
    assert settings.recipe is not None
    with pytest.raises(TypeError):
        settings.recipe["epochs"] = 1  # type: ignore[index]
