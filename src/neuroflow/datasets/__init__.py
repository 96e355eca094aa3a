"""Datasets: bundled MNIST and readers for users' own files (independent of the model code)."""

from neuroflow.datasets.idx import parse_idx, read_idx
from neuroflow.datasets.mnist import mnist

__all__ = ["mnist", "read_idx", "parse_idx"]
