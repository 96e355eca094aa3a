"""``neuroflow playground``: watch a network learn in the browser, every number computed by
neuroflow itself (optional extra ``neuroflow[playground]``: Starlette and uvicorn).

=============================  ==========================================================
:class:`Engine`                a 2-D network, its data and training, one epoch at a time;
                               frames, the inspector (:func:`neuroflow.backprop.trace`),
                               the code that reproduces the weights, the landscape, the
                               learning-rate race (no HTTP)
:class:`MnistEngine`           a digit classifier trained on a subset of MNIST; the
                               forward pass of a drawn digit
:class:`Config`                the settings, read from and written to the page's URL
:func:`toy_data`               the 2-D data sets (five of two classes, two regression)
:func:`features`               the input features (x0, x1, x0², x1², x0 x1, sin x0, sin x1)
:func:`create_app`             the Starlette application: token, Host and Origin checks,
                               Server-Sent Events, JSON endpoints
=============================  ==========================================================

Starlette and uvicorn are imported only by :func:`create_app` and the command, so the
engine works (and is tested) without them. ``import neuroflow`` does not import this
package.
"""

from neuroflow.playground.config import Config, features, toy_data
from neuroflow.playground.engine import MAX_EPOCHS_PER_STEP, Engine
from neuroflow.playground.mnist import MnistEngine
from neuroflow.playground.server import create_app

__all__ = ["Config", "Engine", "MnistEngine", "create_app", "toy_data", "features",
           "MAX_EPOCHS_PER_STEP"]
