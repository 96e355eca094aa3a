"""``train``'s options resolved once: :class:`TrainSettings`, and :func:`resolve_settings`,
which turns the parsed command line into it.

Resolution fills in, in this order: a preset's values (``--preset``) for the options not
given, the defaults of the others, the checks of options that cannot go together, the
``--out`` path (checked writable up front), the signing key, and for ``--resume`` the
checkpoint (an option given explicitly that differs from it is refused) with its batch
size and validation split when not given. The data-dependent default, CSV data's batch
size, is set by ``train`` once the rows are read. Nothing changes the settings after.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from neuroflow import files, presets
from neuroflow.cli._args import UsageError
from neuroflow.cli._data import data_inputs
from neuroflow.cli._keys import load_model, train_key
from neuroflow.cli._options import check_fit_options

__all__ = ["TrainSettings", "resolve_settings", "preset_values", "add_preset_option",
           "PRESET_OPTIONS", "FROM_CHECKPOINT"]

#: ``train`` options a preset fills in; given explicitly they override the preset.
PRESET_OPTIONS = ("layers", "activation", "output_activation", "loss", "optimizer",
                  "learning_rate", "epochs", "batch_size", "validation_split")
#: ``train`` options a resumed run takes from its checkpoint: given explicitly with
#: ``--resume`` they must match the checkpoint, or the command is refused naming them.
FROM_CHECKPOINT = ("layers", "activation", "output_activation", "loss", "dtype", "seed",
                   "optimizer", "learning_rate")
_CHANGES = {"layers": ("the architecture", ""), "activation": ("the architecture", ""),
            "output_activation": ("the architecture", ""), "loss": ("the loss", ""),
            "dtype": ("the floating-point type", ""),
            "seed": ("the random seed", "the checkpoint carries its generator's state"),
            "optimizer": ("the optimiser", "its state continues from the checkpoint"),
            "learning_rate": ("the optimiser", "its state continues from the checkpoint")}


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """Every option of one ``neuroflow train`` run, resolved (see the module docstring).

    ``layers`` is a tuple of sizes, input first, or a convolutional stack's text;
    ``explicit`` names the options given on the command line (preset-controlled ones,
    those a checkpoint fixes, and ``preset``); ``recipe`` is the resolved preset, read
    only (None without ``--preset``); ``signing_key`` the key that signs the saved model.
    Frozen: a later stage that needs another value derives new settings with
    :func:`dataclasses.replace`.
    """

    data: str
    target: str | None
    task: str
    missing: str
    header: bool | None
    delimiter: str
    layers: tuple[int, ...] | str
    activation: str
    output_activation: str
    loss: str
    optimizer: str
    learning_rate: float
    epochs: int
    batch_size: int
    validation_split: float
    seed: int
    dtype: str
    out: str
    resume: str | None
    limit: int | None
    test_data: str | None
    early_stopping: bool
    patience: int | None
    dropout: float
    weight_decay: float | None
    quiet: bool
    diagnostics: bool
    distributed: bool
    preset: str | None
    recipe: Mapping[str, Any] | None
    explicit: frozenset[str]
    signing_key: bytes | None

    @property
    def csv(self) -> bool:
        """True for CSV data: a ``--target``, or a ``--data`` path ending in ``.csv``."""
        return self.target is not None or self.data.lower().endswith(".csv")


def resolve_settings(args: argparse.Namespace) -> tuple[TrainSettings, Any]:
    """The settings of the ``train`` command line ``args``, and the network of
    ``--resume`` (None without it). Raises :class:`UsageError` naming the option for
    a preset that does not fit the data, options that cannot go together, an ``--out``
    that cannot be written, a bad key, and a resumed run given other settings."""
    explicit = frozenset(key for key in (*PRESET_OPTIONS, *FROM_CHECKPOINT, "preset")
                         if getattr(args, key, None) is not None)
    values, recipe = preset_values(args)
    layers = values["layers"]
    settings = TrainSettings(
        data=args.data, target=args.target, task=args.task, missing=args.missing,
        header=getattr(args, "header", None), delimiter=getattr(args, "delimiter", ","),
        layers=layers if isinstance(layers, str) else tuple(layers),
        activation=values["activation"], output_activation=values["output_activation"],
        loss=values["loss"], optimizer=values["optimizer"],
        learning_rate=values["learning_rate"], epochs=values["epochs"],
        batch_size=values["batch_size"], validation_split=values["validation_split"],
        seed=0 if args.seed is None else args.seed, dtype=args.dtype or "float32",
        out=args.out or args.resume or "model.safetensors", resume=args.resume,
        limit=args.limit, test_data=args.test_data, early_stopping=args.early_stopping,
        patience=args.patience, dropout=args.dropout, weight_decay=args.weight_decay,
        quiet=args.quiet, diagnostics=getattr(args, "diagnostics", False),
        distributed=args.distributed, preset=getattr(args, "preset", None),
        recipe=None if recipe is None else MappingProxyType(recipe),
        explicit=explicit, signing_key=None)
    check_fit_options(settings)
    files.check_writable(settings.out, inputs=data_inputs(settings.data), argument="--out")
    key = train_key(args)  # read before the data: a bad key fails at once
    resumed = None
    if settings.resume:
        resumed = load_model(settings.resume, args)
        _check_resumed(settings, resumed)
    repeated = _repeated_batches(settings, resumed.training_run) \
        if resumed is not None and "preset" not in explicit else {}
    return dataclasses.replace(settings, signing_key=key, **repeated), resumed


# ---------------------------------------------------------------------------- presets
def add_preset_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--preset`` to the ``train`` parser; the defaults of :data:`PRESET_OPTIONS`
    become None there (kept as ``preset_defaults``), so that an option given is told
    apart from one left to the preset."""
    parser.add_argument("--preset", choices=presets.names(), default=None,
                        help="a named recipe from neuroflow.presets (mnist-best: 784-512-512-10 "
                             "ReLU with dropout, AdamW with a one-cycle schedule, 15 epochs, best "
                             "epoch chosen on a 10%% validation split; nielsen: 784-30-10 "
                             "sigmoid, quadratic cost, plain SGD eta 15 (Nielsen's 3.0) on "
                             "batches of 10 for 30 epochs; mnist-cnn: conv32k3,pool2,conv64k3,"
                             "pool2,dense128 with dropout, AdamW one-cycle, 8 epochs; "
                             "fashion-cnn: the same with batch normalisation, 10 epochs, for "
                             "Fashion-MNIST, not bundled: --data DIR of its IDX files); options "
                             "given explicitly override it")
    defaults = {key: parser.get_default(key) for key in PRESET_OPTIONS}
    parser.set_defaults(preset_defaults=defaults, **{key: None for key in PRESET_OPTIONS})


def preset_values(args: argparse.Namespace
                  ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The values of :data:`PRESET_OPTIONS` (explicit value, else the preset's, else the
    default) and the resolved preset (None without ``--preset``); ``args`` is left as
    it is."""
    explicit = {key: getattr(args, key) for key in PRESET_OPTIONS
                if getattr(args, key, None) is not None}
    defaults = getattr(args, "preset_defaults", {})
    values = {key: explicit.get(key, defaults.get(key)) for key in PRESET_OPTIONS}
    name = getattr(args, "preset", None)
    if name is None:
        return values, None
    if args.target is not None or args.data.lower().endswith(".csv"):
        raise UsageError("--preset: expected MNIST-style data, received a CSV --data or "
                         "--target")
    recipe = presets.resolve(name, **explicit)
    problem = presets.data_problem(recipe, args.data)
    if problem is not None:  # a preset for a data set that is not bundled
        raise UsageError(problem)
    values.update({key: recipe[key] for key in PRESET_OPTIONS if key in recipe})
    return values, recipe


# ---------------------------------------------------------------------------- resume
def _checkpoint_settings(net: Any) -> dict[str, Any]:
    """The values of :data:`FROM_CHECKPOINT` a loaded checkpoint holds."""
    dense = [layer for layer in net.layers if type(layer).__name__ == "Dense"]
    optimizer = net.optimizer
    rate = getattr(optimizer, "learning_rate", None)
    return {"layers": [net.in_features] + [layer.out_features for layer in dense],
            "activation": sorted({layer.activation.name for layer in dense[:-1]}),
            "output_activation": dense[-1].activation.name if dense else None,
            "loss": net.loss.name, "dtype": np.dtype(net.dtype).name, "seed": net.seed,
            "optimizer": getattr(optimizer, "name", None),
            "learning_rate": None if callable(rate) or rate is None else float(rate)}


def _check_resumed(settings: TrainSettings, net: Any) -> None:
    """Refuse an option given explicitly that differs from the checkpoint ``net``."""
    saved = _checkpoint_settings(net)
    for key in FROM_CHECKPOINT:
        if key not in settings.explicit:
            continue
        given, kept = getattr(settings, key), saved[key]
        if key == "activation":
            same = kept in ([], [given])
        elif key == "learning_rate":
            same = kept is not None and float(given) == kept
        else:
            same = (list(given) if key == "layers" else given) == kept
        if same:
            continue
        flag = "--" + key.replace("_", "-")
        what, why = _CHANGES[key]
        raise UsageError(f"{flag}: cannot change {what} of a resumed model (it is read from "
                         f"--resume {settings.resume}: {_setting_text(key, kept)}, received "
                         f"{_setting_text(key, given)}{'; ' + why if why else ''}); "
                         f"drop {flag}")


def _repeated_batches(settings: TrainSettings, run: dict[str, Any] | None
                      ) -> dict[str, Any]:
    """A resumed run's ``--batch-size`` and ``--validation-split``, when not given, are the
    checkpoint's (a run of ``--preset nielsen`` resumes without repeating the preset):
    the split that holds out exactly its validation samples again."""
    if not run:
        return {}
    repeated: dict[str, Any] = {}
    if "batch_size" not in settings.explicit and "batch_size" in run:
        repeated["batch_size"] = int(run["batch_size"])
    held_out, kept = run.get("validation_samples"), run.get("samples")
    if "validation_split" not in settings.explicit and held_out is not None and kept:
        # split_validation holds out floor(n * fraction) samples: (V + 1/2) / n gives V
        repeated["validation_split"] = (held_out + 0.5) / (held_out + kept) if held_out \
            else 0.0
    return repeated


def _setting_text(key: str, value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value)) or "none"
    return "a schedule" if value is None and key == "learning_rate" else str(value)
