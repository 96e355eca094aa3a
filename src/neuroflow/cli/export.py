"""``neuroflow export``: a saved model's inference pass as an ONNX file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from neuroflow import files
from neuroflow.cli._args import UsageError, path_text
from neuroflow.cli._keys import add_verify_options, load_model
from neuroflow.cli._tabular import categorical_of, encoder_of

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """Add the ``export`` command to the subparsers ``commands``."""
    parser = commands.add_parser(
        "export", help="export a saved model to ONNX",
        description="Write a saved model's inference pass as an ONNX model (opset 17, IR "
                    "version 8; Gemm and activation nodes, the stored standardisation "
                    "included) for onnxruntime and other runtimes. Needs neuroflow[onnx].")
    parser.add_argument("model", help="a .safetensors model file")
    add_verify_options(parser)
    parser.add_argument("--onnx", required=True, type=path_text, metavar="PATH",
                        help="the .onnx file to write (not the MODEL file)")
    parser.add_argument("--no-preprocessing", action="store_true",
                        help="leave the stored input standardisation out of the graph")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Check ``--onnx``, load the model, export it and say what was written."""
    if Path(args.onnx).suffix.lower() != ".onnx":
        raise UsageError(f"--onnx: expected a file name ending in .onnx, received "
                         f"{args.onnx!r}")
    files.check_writable(args.onnx, inputs=[args.model], argument="--onnx")
    net = load_model(args.model, args)
    if encoder_of(net) is not None and not args.no_preprocessing:
        raise UsageError(f"--onnx: the model one-hot encodes the text columns "
                         f"{', '.join(sorted(categorical_of(net)))}, which an ONNX graph of "
                         "numbers cannot take; give --no-preprocessing to export the network "
                         "alone (its inputs: the encoded, standardised columns)")
    try:
        # a face that needs the optional onnx extra (neuroflow[onnx]): imported on use
        from neuroflow.onnx import export

        model = export(net, args.onnx, include_preprocessing=not args.no_preprocessing)
    except ImportError as error:
        raise UsageError(f"--onnx: {error}") from None
    print(f"wrote {args.onnx}: {len(model.graph.node)} ONNX nodes, opset 17, inputs "
          f"(batch, {net.in_features}), outputs (batch, {net.out_features})")
    return 0
