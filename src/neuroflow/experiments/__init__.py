"""Experiments a learner runs to see *why* a network learns: the cost along one weight and
over two, the same network trained with several learning rates or optimisers, and a cost
with two basins that gradient descent from different starts ends in (:mod:`~.basins`).

Each returns plain numbers (NumPy arrays and small dataclasses), so that the figures
(:mod:`neuroflow.plotting`), the ``neuroflow sweep`` command and the playground draw one
and the same data. :func:`behaviour.classify` names what a cost path did.
"""

from __future__ import annotations

from neuroflow.experiments.basins import BasinRun, Basins, basins, two_basin_problem
from neuroflow.experiments.behaviour import BEHAVIOURS, classify
from neuroflow.experiments.cost_curve import CostCurve, DescentPath, cost_curve
from neuroflow.experiments.landscape import (
    CostSurface,
    TrainingPath,
    cost_surface,
    training_path,
)
from neuroflow.experiments.sweep import SweepRow, sweep, to_csv, to_markdown, to_table
from neuroflow.experiments.weights import informative_weight, rank_weights

__all__ = ["BEHAVIOURS", "classify", "CostCurve", "DescentPath", "cost_curve",
           "informative_weight", "rank_weights", "CostSurface", "TrainingPath",
           "cost_surface", "training_path", "SweepRow", "sweep", "to_csv", "to_markdown",
           "to_table", "BasinRun", "Basins", "basins", "two_basin_problem"]
