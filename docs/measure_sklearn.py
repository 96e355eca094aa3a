"""Accuracy and R^2 of neuroflow.sklearn's estimators against scikit-learn's, default
settings, 10 seeds, same machine, same run (the table of docs/sklearn.md)::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python docs/measure_sklearn.py [SEEDS]

Each seed draws a stratified 75/25 split (plain for regression) and seeds both
estimators; inputs are standardised on the training part (and the regression targets,
through ``TransformedTargetRegressor``). Prints one Markdown table row per data set:
mean (min) test score of each tool, the mean difference, and the seconds spent fitting.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
from sklearn import datasets, neural_network
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from neuroflow import sklearn as nf_sklearn

SEEDS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
CLASSIFICATION = {"iris": datasets.load_iris, "wine": datasets.load_wine,
                  "breast_cancer": datasets.load_breast_cancer, "digits": datasets.load_digits}
REGRESSION = {"diabetes": lambda: datasets.load_diabetes(return_X_y=True),
              "friedman1": lambda: datasets.make_friedman1(1000, noise=1.0, random_state=0)}


def model(module, kind: str, seed: int):
    if kind == "classifier":
        return make_pipeline(StandardScaler(), module.MLPClassifier(random_state=seed))
    return TransformedTargetRegressor(
        make_pipeline(StandardScaler(), module.MLPRegressor(random_state=seed)),
        transformer=StandardScaler())


def measure(name: str, x: np.ndarray, y: np.ndarray, kind: str) -> str:
    scores: dict[str, list[float]] = {"neuroflow": [], "scikit-learn": []}
    seconds = dict.fromkeys(scores, 0.0)
    for seed in range(SEEDS):
        split = train_test_split(x, y, test_size=0.25, random_state=seed,
                                 stratify=y if kind == "classifier" else None)
        x_train, x_test, y_train, y_test = split
        for tool, module in (("neuroflow", nf_sklearn), ("scikit-learn", neural_network)):
            estimator = model(module, kind, seed)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                estimator.fit(x_train, y_train)
            seconds[tool] += time.perf_counter() - start
            scores[tool].append(float(estimator.score(x_test, y_test)))
    ours, theirs = (np.array(scores[t]) for t in scores)
    return (f"| {name} | {ours.mean():.4f} ({ours.min():.3f}) | {theirs.mean():.4f} "
            f"({theirs.min():.3f}) | {ours.mean() - theirs.mean():+.4f} | "
            f"{seconds['neuroflow']:.1f} s | {seconds['scikit-learn']:.1f} s |")


if __name__ == "__main__":
    print(f"| data set | neuroflow mean (min) | scikit-learn mean (min) | difference | "
          f"neuroflow fit | scikit-learn fit |  ({SEEDS} seeds)")
    print("|---|---|---|---|---|---|")
    for name, load in CLASSIFICATION.items():
        x, y = load(return_X_y=True)
        print(measure(name, x, y, "classifier"), flush=True)
    for name, load in REGRESSION.items():
        x, y = load()
        print(measure(name, x, y, "regressor"), flush=True)
