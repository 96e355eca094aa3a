"""Exceptions raised by neuroflow.

Every error a user can cause is a :class:`ValueError` (or a subclass) whose message
names the argument, what was expected and what was received.
"""

from __future__ import annotations


class NeuroflowError(Exception):
    """Base class of neuroflow's own exceptions."""


class ModelFileError(NeuroflowError, ValueError):
    """A model file is truncated, corrupted, tampered with, foreign or of an unknown version."""


class DatasetError(NeuroflowError, ValueError):
    """A dataset file is malformed (bad magic number, dimensions or length)."""


class TrainingDivergedError(NeuroflowError, FloatingPointError):
    """The loss became NaN or infinite during training."""
