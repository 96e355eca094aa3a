"""Experiments a learner runs to see *why* a network learns: the cost along one weight and
over two, and the same network trained with several learning rates or optimisers.

Each returns plain numbers (NumPy arrays and small dataclasses), so that the figures
(:mod:`neuroflow.plotting`), the ``neuroflow sweep`` command and the playground draw one
and the same data. :func:`behaviour.classify` names what a cost path did.
"""

from __future__ import annotations

from neuroflow.experiments.behaviour import BEHAVIOURS, classify

__all__ = ["BEHAVIOURS", "classify"]
