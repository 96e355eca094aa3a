"""``neuroflow evaluate``: the loss (and accuracy) of a saved model on MNIST-style test
data, every image of an image folder or every row of a CSV file: the sources ``train``
takes, read by :func:`neuroflow.cli._sources.labelled_data`."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from neuroflow import metrics
from neuroflow.cli._args import add_csv_options
from neuroflow.cli._data import classifies
from neuroflow.cli._keys import add_verify_options, load_model
from neuroflow.cli._sources import labelled_data

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """Add the ``evaluate`` command to the subparsers ``commands``."""
    parser = commands.add_parser("evaluate", help="loss and accuracy of a saved model",
                                 description="Evaluate a saved model on the test set of "
                                             "MNIST or an IDX folder, on every image of an "
                                             "image folder or on every row of a CSV file: "
                                             "prints the loss, and the accuracy for "
                                             "classification models (with --report, "
                                             "precision, recall and F1 per class), or R^2, "
                                             "MAE and RMSE for regression models.")
    parser.add_argument("model", help="a .safetensors model file")
    add_verify_options(parser)
    parser.add_argument("--data", default="mnist", metavar="SOURCE",
                        help="'mnist' (bundled, default), a directory of MNIST IDX files, a "
                             "folder of images with one sub-folder per class (named as the "
                             "model's classes) or a CSV file of raw feature columns and a "
                             "target column")
    parser.add_argument("--target", default=None, metavar="COLUMN",
                        help="CSV data: the target column, by header name or 0-based index "
                             "(default the last column); labels as in training")
    parser.add_argument("--report", action="store_true",
                        help="classification models: also print precision, recall, F1 and "
                             "support of every class, and their macro average")
    add_csv_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the sample count, every score of ``net.evaluate`` and, for a regression
    model, R^2, MAE and RMSE; ``--report``: a classifier's per-class scores."""
    net = load_model(args.model, args)
    x_test, y_test = labelled_data(args.data, net, target=args.target, header=args.header,
                                   delimiter=args.delimiter)  # checks the width first
    print(f"samples: {x_test.shape[0]}")
    for key, value in net.evaluate(x_test, y_test).items():
        print(f"{key}: {value:.4f}")
    if not classifies(net):
        output = net.predict(x_test)
        target = np.asarray(y_test, dtype=np.float64).reshape(output.shape)
        print(f"r2: {metrics.r2_score(target, output):.4f}")
        print(f"mae: {metrics.mean_absolute_error(target, output):.4g}")
        print(f"rmse: {metrics.root_mean_squared_error(target, output):.4g}")
    elif args.report:
        _report(net, x_test, y_test)
    return 0


def _report(net: Any, x: Any, y: Any) -> None:
    """Precision, recall, F1 and support per class (named as the model names them), then
    their unweighted (macro) average."""
    k = max(2, net.out_features)
    scores = metrics.precision_recall_f1(metrics.labels_from_targets(np.asarray(y)),
                                         net.predict_classes(x), n_classes=k)
    names = [str(name) for name in net.class_names] if net.class_names else \
        [str(i) for i in range(k)]
    width = max(12, *(len(name) for name in names))
    print(f"{'class':<{width}}  precision  recall  f1      support")
    for i, name in enumerate(names):
        print(f"{name:<{width}}  {scores['precision'][i]:9.4f}  {scores['recall'][i]:6.4f}  "
              f"{scores['f1'][i]:6.4f}  {int(scores['support'][i])}")
    print(f"{'macro average':<{width}}  {scores['precision'].mean():9.4f}  "
          f"{scores['recall'].mean():6.4f}  {scores['f1'].mean():6.4f}  "
          f"{int(scores['support'].sum())}")
