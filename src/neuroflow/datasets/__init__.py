"""Datasets: bundled MNIST and readers for users' own files (independent of the model code)."""

from neuroflow.datasets.csv import TabularData, load_csv, match_columns
from neuroflow.datasets.idx import parse_idx, read_idx
from neuroflow.datasets.images import load_images, mnist_polarity, read_image
from neuroflow.datasets.mnist import mnist
from neuroflow.datasets.npy import read_npy
from neuroflow.datasets.toy import (
    make_circles,
    make_gaussian,
    make_gaussians,
    make_moons,
    make_plane,
    make_regression,
    make_spiral,
    make_xor,
)

__all__ = ["mnist", "read_idx", "parse_idx", "make_moons", "make_circles", "make_xor",
           "make_spiral", "make_regression", "make_gaussian", "make_plane", "make_gaussians",
           "load_csv", "load_images", "TabularData", "match_columns", "read_image",
           "mnist_polarity", "read_npy"]
