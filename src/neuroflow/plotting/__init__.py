"""Pictures of a network and of its learning (optional extra ``neuroflow[plot]``).

Every function builds and returns a :class:`matplotlib.figure.Figure` without touching
pyplot's global state: nothing is shown, nothing needs a display (figures render with
the Agg canvas), and a notebook displays the returned figure. Save one with
:func:`save` (or ``figure.savefig``). matplotlib is imported only when a function is
called.

=============================  ==========================================================
:func:`architecture`           neurons as columns, connections coloured by weight
:func:`cost_vs_weight`         the cost as a function of one weight, with gradient-descent
                               paths labelled by what they did (crawls, converges,
                               oscillates, diverges)
:func:`cost_landscape`         the cost over two weights, with the path of training
                               (its numbers: :func:`landscape_data`)
:func:`activations`            each activation function and its derivative
:func:`neurons`                each neuron's output over a 2-D input plane, or the
                               first layer's weights as images
:func:`animate`                an animated GIF of a boundary, the neurons, descent steps
                               or a landscape path
:func:`learning_curves`        loss, metrics and learning rate per epoch
:func:`confusion_matrix`       true against predicted classes
:func:`first_layer_weights`    each first-layer neuron's weights as an image
:func:`misclassified`          a gallery of wrongly classified images
:func:`decision_boundary`      the classes a 2-D network predicts over the plane
:func:`decision_boundary_over_time`  the same, while the network trains
:func:`conv_filters`           every kernel of the first convolution as a small image
:func:`feature_maps`           each convolution's and pooling layer's maps for one image
=============================  ==========================================================

Modules: ``network`` (architecture, first-layer weights), ``learning`` (cost against a
weight, learning curves), ``evaluation`` (confusion matrix, misclassified samples),
``boundary`` (decision boundaries), ``convolution`` (kernels and feature maps),
``activations``, ``landscape``, ``neurons``,
``animation`` (GIFs), ``style`` (the ``paper`` and ``slides`` styles: every function of
the teaching figures takes ``style=``, and ``with figure_style("slides"):`` applies a
style's fonts and lines to any figure) and ``_common`` (matplotlib loading, saving,
checks).
"""

from neuroflow.plotting._common import FORMATS, require_matplotlib, save
from neuroflow.plotting.activations import activations
from neuroflow.plotting.animation import ANIMATIONS, animate
from neuroflow.plotting.boundary import decision_boundary, decision_boundary_over_time
from neuroflow.plotting.convolution import CONV_NEEDED, conv_filters, feature_maps
from neuroflow.plotting.evaluation import confusion_matrix, misclassified
from neuroflow.plotting.landscape import cost_landscape, landscape_data
from neuroflow.plotting.learning import cost_vs_weight, learning_curves
from neuroflow.plotting.network import architecture, first_layer_weights
from neuroflow.plotting.neurons import neurons
from neuroflow.plotting.style import STYLES, caption, describe_network, figure_style

__all__ = [
    "architecture", "cost_vs_weight", "learning_curves", "confusion_matrix",
    "first_layer_weights", "misclassified", "decision_boundary",
    "decision_boundary_over_time", "save", "FORMATS", "require_matplotlib", "activations",
    "cost_landscape", "landscape_data", "neurons", "animate", "ANIMATIONS", "figure_style",
    "STYLES", "caption", "describe_network", "conv_filters", "feature_maps", "CONV_NEEDED",
]
