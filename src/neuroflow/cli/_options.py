"""``train``'s options for held-out data and regularisation: ``--validation-split``,
``--test-data``, ``--early-stopping``/``--patience``, ``--dropout`` and
``--weight-decay``; how they are checked together, and what they add to the network,
the optimiser and the callbacks. Also the batch size a CSV run gets when none is given:
Keras' 32 (fewer rows: all of them), so that a small table gets several steps per epoch.
scikit-learn's ``batch_size="auto"``, ``min(200, n)``, is one step per epoch on a table of
up to 200 rows: 10 steps in a 10-epoch run, too few (it suits scikit-learn's 200 epochs)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from neuroflow import optimizers
from neuroflow.callbacks import EarlyStopping
from neuroflow.cli._args import UsageError, fraction, int_in, non_negative, path_text
from neuroflow.layers import Dense, Dropout
from neuroflow.network import Network

if TYPE_CHECKING:
    from neuroflow.cli._settings import TrainSettings

__all__ = ["add_fit_options", "check_fit_options", "build_dense", "fit_optimizer",
           "fit_callbacks", "say_stopped", "auto_batch_size", "DEFAULT_PATIENCE",
           "AUTO_BATCH_LIMIT"]

#: ``--patience`` when not given: epochs without a lower validation loss before stopping.
DEFAULT_PATIENCE = 10
#: The batch size of CSV data when none is given: ``min(32, n_samples)``, Keras' default.
AUTO_BATCH_LIMIT = 32


def add_fit_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--test-data``, ``--early-stopping``, ``--patience``, ``--dropout`` and
    ``--weight-decay`` to the ``train`` parser."""
    parser.add_argument("--test-data", default=None, type=path_text, metavar="SOURCE",
                        help="score the trained model on SOURCE at the end and report it: "
                             "a CSV file with the training file's columns (then the whole "
                             "--data file trains, no fifth is held out), an IDX folder "
                             "(its test set) or an image folder")
    parser.add_argument("--early-stopping", action="store_true",
                        help="stop when the validation loss has not improved for --patience "
                             "epochs and keep the weights of the best epoch (needs "
                             "--validation-split above 0)")
    parser.add_argument("--patience", type=int_in(0, 100_000), default=None, metavar="N",
                        help=f"with --early-stopping: epochs without a lower validation loss "
                             f"before stopping (default {DEFAULT_PATIENCE})")
    parser.add_argument("--dropout", type=fraction, default=0.0, metavar="RATE",
                        help="dropout rate in [0, 1) after each hidden layer of a --layers "
                             "network (default 0, none)")
    parser.add_argument("--weight-decay", type=non_negative, default=None, metavar="LAMBDA",
                        help="L2 weight decay of the optimiser: the gradient of "
                             "LAMBDA/2 * ||w||^2 added to the gradients (decoupled for "
                             "adamw); default 0, for adamw its own 0.01")


def check_fit_options(settings: TrainSettings) -> None:
    """Refuse combinations that cannot apply, naming the option (exit 2)."""
    if settings.early_stopping and not settings.validation_split:
        raise UsageError("--early-stopping: watches the validation loss, so it needs "
                         "--validation-split above 0 (e.g. --validation-split 0.2)")
    if settings.patience is not None and not settings.early_stopping:
        raise UsageError("--patience: applies to --early-stopping only; add --early-stopping")
    given = {"--dropout": bool(settings.dropout),
             "--weight-decay": settings.weight_decay is not None}
    for flag in (flag for flag, on in given.items() if on):
        if settings.resume:
            raise UsageError(f"{flag}: cannot change the network or optimiser of a resumed "
                             f"model (read from --resume {settings.resume}); drop {flag}")
        if settings.preset is not None:
            raise UsageError(f"{flag}: the preset {settings.preset} sets its own; drop {flag} "
                             "or --preset")
    if settings.dropout and isinstance(settings.layers, str):
        raise UsageError(f"--dropout: applies to --layers sizes such as 784,256,10, not to "
                         f"the stack {settings.layers!r}")


def build_dense(sizes: Sequence[int], *, hidden: str, output: str, loss: str | None,
                seed: int, dtype: str, dropout: float = 0.0) -> Network:
    """``Network.from_sizes``, with a :class:`~neuroflow.layers.Dropout` of rate
    ``dropout`` after each hidden layer when it is above 0."""
    if not dropout:
        return Network.from_sizes(sizes, hidden=hidden, output=output, loss=loss, seed=seed,
                                  dtype=dtype)
    layers: list[Any] = []
    pairs = list(zip(sizes[:-1], sizes[1:]))
    for index, (n_in, n_out) in enumerate(pairs):
        last = index == len(pairs) - 1
        layers.append(Dense(n_in, n_out, activation=output if last else hidden))
        if not last:
            layers.append(Dropout(dropout))
    return Network(layers, loss=loss, seed=seed, dtype=dtype)


def fit_optimizer(settings: TrainSettings) -> Any:
    """The optimiser name, or one with ``--weight-decay`` when that is given."""
    if settings.weight_decay is None:
        return settings.optimizer
    return optimizers.get({"name": settings.optimizer, "weight_decay": settings.weight_decay},
                          learning_rate=settings.learning_rate)


def fit_callbacks(settings: TrainSettings) -> list[Any]:
    """EarlyStopping on the validation loss, restoring the best weights, when asked."""
    if not settings.early_stopping:
        return []
    patience = DEFAULT_PATIENCE if settings.patience is None else settings.patience
    return [EarlyStopping(monitor="val_loss", patience=patience, restore_best=True)]


def say_stopped(callbacks: list[Any], quiet: bool) -> None:
    """One line (unless ``quiet``) when EarlyStopping ended the run: the epoch it stopped
    after and the best epoch, whose weights were kept."""
    for callback in callbacks:
        if quiet or callback.best_epoch is None:
            continue
        stopped = ("stopped after epoch " f"{callback.stopped_epoch + 1}"
                   if callback.stopped_epoch is not None else "ran every epoch")
        print(f"early stopping: {stopped}; kept the weights of epoch "
              f"{callback.best_epoch + 1} (val_loss {callback.best:.4f})")


def auto_batch_size(n_samples: int) -> int:
    """The batch size of CSV data when none is given: ``min(32, n_samples)``."""
    return max(1, min(AUTO_BATCH_LIMIT, n_samples))
