"""Exceptions raised by neuroflow.

Every error a user can cause is a :class:`ValueError` (or a subclass) whose message
names the argument, what was expected and what was received.
"""

from __future__ import annotations


class NeuroflowError(Exception):
    """Base class of neuroflow's own exceptions."""


class ModelFileError(NeuroflowError, ValueError):
    """A model file is truncated, corrupted, tampered with, foreign or of an unknown version."""


class ModelFileWarning(UserWarning):
    """A model file loaded, but with a weaker integrity check than the current format's
    (a format 1 file: its hash covers the tensors, not the metadata)."""


class DatasetError(NeuroflowError, ValueError):
    """A dataset file is malformed (bad magic number, dimensions or length)."""


class OutputError(NeuroflowError, ValueError):
    """An output path is refused before anything is written: it is not a regular file (a
    directory, device, FIFO or socket), it is one of the inputs, its folder is missing or
    not writable, or it is not a path at all (see :mod:`neuroflow.files`)."""


class TrainingDivergedError(NeuroflowError, FloatingPointError):
    """The loss became NaN or infinite during training."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training was stopped by Ctrl-C (SIGINT) after the current batch.

    A :class:`KeyboardInterrupt`, so a script still stops unless it catches it.

    Attributes
    ----------
    epochs_trained : int
        Complete epochs; a checkpoint written at the end of the last one is intact.
    history : History or None
        The epochs recorded so far.
    """

    def __init__(self, message: str, epochs_trained: int = 0, history: object = None) -> None:
        super().__init__(message)
        self.epochs_trained = epochs_trained
        self.history = history
