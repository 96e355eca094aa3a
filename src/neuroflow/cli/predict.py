"""``neuroflow predict``: run a saved model on new inputs and write one CSV row per
sample."""

from __future__ import annotations

import argparse
import csv
import sys
from io import StringIO
from typing import Any

from neuroflow import files
from neuroflow.cli._args import add_csv_options, path_text
from neuroflow.cli._data import check_fits, classifies, csv_target
from neuroflow.cli._inputs import INPUT_KINDS, read_inputs
from neuroflow.cli._keys import add_verify_options, load_model
from neuroflow.cli._tabular import categorical_of, model_columns, model_width

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """Add the ``predict`` command to the subparsers ``commands``."""
    parser = commands.add_parser(
        "predict", help="run a saved model on new inputs",
        description="Run a saved model on inputs and write one CSV row per sample: the "
                    "input (row number or image file), the predicted class (classification "
                    "models) and every output. INPUT may be CSV rows of numbers (see "
                    "--header; with a header, columns are matched to the model's feature "
                    "names by name when the model has them), a .npy array of shape "
                    "(n, inputs) (integer arrays are 8-bit pixels, divided by 255), or, for "
                    "models with 784 inputs, 28x28 images (.png, .jpg, .bmp, .gif files or a "
                    "directory; transparency is composited, and --invert makes dark ink on "
                    "light paper light-on-dark like MNIST; inverted images are named on "
                    "standard error). The sources train takes work too: 'mnist' or a "
                    "directory of MNIST IDX files (their test images) and a folder of "
                    "images with one sub-folder per class.")
    parser.add_argument("model", help="a .safetensors model file")
    add_verify_options(parser)
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help=INPUT_KINDS)
    parser.add_argument("--out", default=None, type=path_text, metavar="PATH",
                        help="write the CSV to PATH instead of standard output")
    parser.add_argument("--invert", choices=["auto", "yes", "no"], default="auto",
                        help="images only: invert brightness so digits are light on dark as "
                             "in MNIST; 'auto' (default) inverts images whose mean brightness "
                             "is above one half (dark ink on light paper), the same rule as "
                             "nf.datasets.load_images")
    parser.add_argument("--target", default=None, metavar="COLUMN",
                        help="CSV inputs: a column to leave out, by header name or 0-based "
                             "index, so that the file train read (features and target) can "
                             "be given as it is (for a classifier, a header column that "
                             "is not one of the model's inputs and holds only its class "
                             "labels is left out without it, with a note on standard "
                             "error)")
    add_csv_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write ``input[,class],output_0,...`` (or the class names) for every input row."""
    sources = [args.model, *args.inputs]
    if args.out:  # before any work: a device, a folder or an input file is refused
        files.check_writable(args.out, inputs=sources, argument="--out")
    net = load_model(args.model, args)
    x, labels = read_inputs(args.inputs, model_width(net), args.invert, header=args.header,
                            delimiter=args.delimiter,
                            feature_names=model_columns(net),
                            pixels=net.preprocessing is None,
                            target=None if args.target is None else csv_target(args.target),
                            categorical=categorical_of(net), class_names=_labels(net))
    check_fits(x, net.dtype, "INPUT", "the model computes in float32; train one with "
               "--dtype float64 for such inputs")
    output = net.predict(x)
    k = output.shape[1]
    names = [str(name) for name in net.class_names] if net.class_names else None
    columns = (names if names and len(names) == k
               else [f"output_{i}" for i in range(k)])
    header = ["input"]
    classes = None
    if classifies(net):  # mse on class labels too (one output per class)
        header.append("class")
        classes = net.classes_from_output(output)
    buffer = StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header + columns)
    for row, label in enumerate(labels):
        cells = [label]
        if classes is not None:
            index = int(classes[row])
            cells.append(names[index] if names and index < len(names) else str(index))
        writer.writerow(cells + [f"{value:.6g}" for value in output[row]])
    if args.out:  # atomically: a failed write (disk full) leaves an old file intact
        files.write_atomic(args.out, buffer.getvalue().encode("utf-8"), inputs=sources,
                           argument="--out")
        print(f"wrote {len(labels)} predictions to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(buffer.getvalue())
    return 0


def _labels(net: Any) -> list[str] | None:
    """A classifier's class labels as text (its indices when it has no names), or None."""
    if not classifies(net):
        return None
    if net.class_names:
        return [str(name) for name in net.class_names]
    return [str(index) for index in range(max(2, net.out_features))]
