"""The playground's JSON API, one module per group of panels; each gives the Starlette
routes of its panels over a :class:`~neuroflow.playground.queues.State`.

=============================  ==========================================================
:func:`train_routes`           Train: the state, settings, one step, play (a stream),
                               pause, cancel, reset, a weight set by hand
:func:`explore_routes`         Inspect, Landscape, Race (a stream) and Code
:func:`save_routes`            Save model: a ``.safetensors`` file in the save folder
:func:`lesson_routes`          Lessons: depth (one against three hidden layers) and
                               local minima (two basins)
:func:`mnist_routes`           MNIST: settings, training stream, the forward pass of a
                               drawing
=============================  ==========================================================

Starlette is imported by these functions only, so the package imports without the
``playground`` extra.
"""

from neuroflow.playground.endpoints.explore import explore_routes
from neuroflow.playground.endpoints.lessons import lesson_routes
from neuroflow.playground.endpoints.mnist import mnist_routes
from neuroflow.playground.endpoints.save import save_routes
from neuroflow.playground.endpoints.train import train_routes

__all__ = ["train_routes", "explore_routes", "save_routes", "mnist_routes", "lesson_routes"]
