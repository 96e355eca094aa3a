r"""The trace of a network whose first layer is a convolution: one receptive field.

A filter of a :class:`~neuroflow.layers.Conv2D` layer is one neuron applied at every
position of the image. :func:`trace_convolution` (what :func:`neuroflow.trace` returns
for such a network) records one gradient-descent step, and
:meth:`ConvolutionTrace.receptive_field` picks one filter ``f`` at one output position
``(i, j)`` of one sample and writes out what it computes:

.. math::
    z_{fij} = \sum_{c} \sum_{u < k_h} \sum_{v < k_w} x_{c,\, is+u,\, js+v}\; K_{fcuv} + b_f,
    \qquad a_{fij} = f(z_{fij})

(``x`` padded first for ``"same"``), the input patch and the kernel side by side, so the
sum can be done by hand; then the backward pass of that filter's kernel,

.. math::
    \partial C/\partial K_{fcuv} = \sum_{\text{samples}} \sum_{ij} \delta_{fij}\,
        x_{c,\, is+u,\, js+v}, \qquad \delta = \partial C/\partial z,

of which the position shown contributes :math:`\delta_{fij}` times its patch. The forward
and backward passes are the network's own, run in float64 on a copy (the network and its
caches are untouched, and a float32 model's numbers are exact to every printed digit);
the sum :math:`\sum x K + b` is recomputed here from the patch and the kernel, and
printed beside the layer's own :math:`z`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from neuroflow.backprop import Trace
from neuroflow.layers import Conv2D, Dense
from neuroflow.network import Network

__all__ = ["ConvolutionTrace", "ReceptiveField", "trace_convolution"]


def _empty() -> np.ndarray:
    return np.zeros(0)


@dataclass
class ReceptiveField:
    """Filter ``filter`` at output position ``(row, column)`` of sample ``sample``.

    Shapes: ``C`` input channels, a ``kh x kw`` kernel. Numbers are float64.

    Attributes
    ----------
    filter, row, column, sample : int
        Where: the filter, the output position, the sample (row of the batch).
    chosen : str
        Why this position (the largest activation, or given).
    top, left : int
        The input row and column of the patch's first pixel (negative: zero padding).
    patch, kernel : ndarray (C, kh, kw)
        The input window ``x`` and the filter's kernel ``K``.
    bias : float
        ``b_f`` (0 without bias).
    weighted_sum : float
        :math:`\\sum x K` over the patch, in float64.
    z, a, delta : float
        The layer's own ``z``, ``a = f(z)`` and ``delta = dC/dz`` at this position.
    kernel_gradient, kernel_change : ndarray (C, kh, kw)
        ``dC/dK`` of the filter over every sample and position, and its change in the step.
    bias_gradient, bias_change : float or None
        ``dC/db_f`` and its change (``None`` without bias).
    """

    filter: int
    row: int
    column: int
    sample: int
    chosen: str
    top: int
    left: int
    patch: np.ndarray
    kernel: np.ndarray
    bias: float
    weighted_sum: float
    z: float
    a: float
    delta: float
    kernel_gradient: np.ndarray
    kernel_change: np.ndarray
    bias_gradient: float | None
    bias_change: float | None

    @property
    def contribution(self) -> np.ndarray:
        """This position's part of ``dC/dK``: ``delta`` times the patch ``(C, kh, kw)``."""
        return self.delta * self.patch


@dataclass
class ConvolutionTrace(Trace):
    """A :class:`~neuroflow.backprop.Trace` of a network whose first layer is ``Conv2D``.

    ``layers`` is empty (it holds Dense layers' records); the first layer's numbers are
    below. Shapes: ``n`` samples, ``F`` filters of ``C x kh x kw``, output ``oh x ow``.

    Attributes
    ----------
    description : str
        The first layer, in words.
    layer_names : list of str
        The type of every layer, input first.
    network_output : ndarray (n, k)
        The network's output.
    images : ndarray (n, C, H, W)
        The input images.
    pads : ((top, bottom), (left, right))
        Zero padding added before the windows are taken.
    stride : (int, int)
    activation : str
    z, a, delta : ndarray (n, F, oh, ow)
        Pre-activation, activation and ``dC/dz`` of the first layer.
    kernel, kernel_gradient, kernel_change : ndarray (F, C, kh, kw)
    bias, bias_gradient, bias_change : ndarray (F,) or None
    parameter_gradients : dict of str to ndarray
        ``dC/dparam`` of every layer, keyed ``layers.{i}.{param}``.
    output_activation : str
        The activation of the output layer.
    """

    description: str = ""
    layer_names: list[str] = field(default_factory=list)
    network_output: np.ndarray = field(default_factory=_empty)
    images: np.ndarray = field(default_factory=_empty)
    pads: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0))
    stride: tuple[int, int] = (1, 1)
    activation: str = ""
    z: np.ndarray = field(default_factory=_empty)
    a: np.ndarray = field(default_factory=_empty)
    delta: np.ndarray = field(default_factory=_empty)
    kernel: np.ndarray = field(default_factory=_empty)
    kernel_gradient: np.ndarray = field(default_factory=_empty)
    kernel_change: np.ndarray = field(default_factory=_empty)
    bias: np.ndarray | None = None
    bias_gradient: np.ndarray | None = None
    bias_change: np.ndarray | None = None
    parameter_gradients: dict[str, np.ndarray] = field(default_factory=dict)
    output_activation: str = ""

    @property
    def output(self) -> np.ndarray:
        return self.network_output

    @property
    def probabilities(self) -> np.ndarray | None:
        """The class probabilities ``(n, k)`` of a softmax output or a single sigmoid with
        a classification cost; ``None`` otherwise."""
        last, out = self.layer_names[-1:], self.network_output
        activation = self.output_activation
        if activation == "softmax" and last == ["Dense"]:
            return out
        if activation == "sigmoid" and out.shape[1] == 1 and \
                self.loss in ("binary_cross_entropy", "cross_entropy"):
            return np.hstack([1 - out, out])
        return None

    def gradients(self) -> dict[str, np.ndarray]:
        return dict(self.parameter_gradients)

    def receptive_field(self, filter: int = 0, position: Sequence[int] | None = None,
                        sample: int = 0) -> ReceptiveField:
        """Filter ``filter`` at output ``position = (row, column)`` of sample ``sample``
        (row of the batch); ``position=None``: where that filter's activation ``a`` is
        largest (the first such position, row by row)."""
        count, filters, oh, ow = self.z.shape
        _check_index(sample, count, "sample")
        _check_index(filter, filters, "filter")
        if position is None:
            row, column = (int(v) for v in np.unravel_index(
                int(np.argmax(self.a[sample, filter])), (oh, ow)))
            chosen = f"the position with the largest activation a of filter {filter}"
        else:
            if len(position) != 2:
                raise ValueError(f"position: expected (row, column), received {position!r}")
            row, column = _check_index(position[0], oh, "position row"), \
                _check_index(position[1], ow, "position column")
            chosen = "given"
        (top, _), (left, _) = self.pads
        _, kh, kw = self.kernel.shape[1:]
        first_row, first_column = row * self.stride[0] - top, column * self.stride[1] - left
        images = self.images[sample].astype(np.float64)
        padded = np.pad(images, ((0, 0), self.pads[0], self.pads[1]))
        patch = padded[:, first_row + top:first_row + top + kh,
                       first_column + left:first_column + left + kw]
        kernel = self.kernel[filter].astype(np.float64)
        bias = 0.0 if self.bias is None else float(self.bias[filter])
        return ReceptiveField(
            filter=int(filter), row=row, column=column, sample=int(sample), chosen=chosen,
            top=first_row, left=first_column, patch=patch, kernel=kernel, bias=bias,
            weighted_sum=float(np.sum(patch * kernel)),
            z=float(self.z[sample, filter, row, column]),
            a=float(self.a[sample, filter, row, column]),
            delta=float(self.delta[sample, filter, row, column]),
            kernel_gradient=self.kernel_gradient[filter].astype(np.float64),
            kernel_change=self.kernel_change[filter].astype(np.float64),
            bias_gradient=None if self.bias_gradient is None
            else float(self.bias_gradient[filter]),
            bias_change=None if self.bias_change is None else float(self.bias_change[filter]))

    #: Writes the trace as text, installed by :mod:`neuroflow.explain_conv`
    #: (:func:`~neuroflow.explain_conv.format_convolution_trace`), as ``Trace.renderer``.
    text_renderer: ClassVar[Callable[..., str] | None] = None

    def format(self, precision: int = 4, max_rows: int = 8, max_columns: int = 8,
               unicode: bool = True, **options: Any) -> str:
        """The receptive field as text
        (:func:`~neuroflow.explain_conv.format_convolution_trace`); ``options``:
        ``filter``, ``position``, ``sample``, ``class_names``, ``sample_indices``,
        ``rate_source``, ``step_rule``. ``max_rows`` and ``max_columns`` are not used."""
        render = ConvolutionTrace.text_renderer
        if render is None:  # only when neuroflow.explain_conv was never imported
            raise RuntimeError("ConvolutionTrace.format: no renderer; import neuroflow.explain")
        return render(self, precision=precision, unicode=unicode, **options)


def _check_index(value: Any, size: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not 0 <= value < size:
        raise ValueError(f"{name}: expected a whole number from 0 to {size - 1}, received "
                         f"{value!r}")
    return int(value)


def trace_convolution(network: Network, x: Any, y: Any, learning_rate: float = 0.1
                      ) -> ConvolutionTrace:
    """One gradient-descent step of ``network`` (first layer ``Conv2D``) on ``(x, y)``,
    computed in float64 on a copy; see :func:`neuroflow.trace` for the arguments.

    The layers run as they predict (dropout off, batch normalisation with its running
    statistics), and the gradients are those of that function, as the Dense trace's.
    """
    conv = network.layers[0]
    assert isinstance(conv, Conv2D)
    inputs = network.prepare_inputs(x, "x").astype(np.float64)
    target = network.prepare_targets(y, "y")
    target = target.astype(np.float64) if target.dtype.kind == "f" else target
    if target.ndim == 1 and network.out_features == 1:
        target = target.reshape(-1, 1)
    if target.shape[0] != inputs.shape[0]:
        raise ValueError(f"y: expected {inputs.shape[0]} targets (one per row of x), received "
                         f"{target.shape[0]}")
    work = network.copy("float64")
    first = work.layers[0]
    assert isinstance(first, Conv2D)
    output = work.forward(inputs)
    grad_out = _gradient_into_first_layer(work, output, target)
    n, (filters, oh, ow) = inputs.shape[0], first.output_shape

    def as_maps(rows: np.ndarray) -> np.ndarray:  # (n * oh * ow, F) -> (n, F, oh, ow)
        return rows.reshape(n, oh, ow, filters).transpose(0, 3, 1, 2)

    z_rows, a_rows = first.cache["z"], first.cache["a"]
    g_rows = grad_out.reshape(n, filters, oh, ow).transpose(0, 2, 3, 1).reshape(-1, filters)
    delta = as_maps(first.activation.backward(g_rows, z_rows, a_rows))
    first.backward(grad_out, need_input_grad=False)
    eta = work.dtype.type(learning_rate)
    gradients = {name: grad.copy() for name, _, grad in work.named_parameters()}
    dense = target if target.ndim == 2 else np.eye(output.shape[1], dtype=output.dtype)[target]
    last = work.layers[-1]
    kernel_gradient, bias_gradient = gradients["layers.0.W"], gradients.get("layers.0.b")
    return ConvolutionTrace(
        layers=[], loss=work.loss.name, cost=float(work.loss.value(output, target)),
        target=dense.astype(output.dtype), output_error=output - dense,
        learning_rate=float(learning_rate), sizes=network.sizes,
        cost_before_step=_cost_after(work, gradients, inputs, target, 0.0),
        cost_after_step=_cost_after(work, gradients, inputs, target, float(learning_rate)),
        description=(f"Conv2D, {filters} filters of {first.image[0]}x{first.kernel_size[0]}"
                     f"x{first.kernel_size[1]} (channels x rows x columns), stride "
                     f"{first.stride[0]}x{first.stride[1]}, padding {first.padding!r}, "
                     f"activation {first.activation.name}; input "
                     f"{'x'.join(map(str, first.image))}, output {filters}x{oh}x{ow}"
                     if first.image is not None else "Conv2D"),
        layer_names=[type(layer).__name__ for layer in work.layers],
        network_output=output, images=first.as_images(inputs).copy(), pads=first.pads,
        stride=first.stride, activation=first.activation.name, z=as_maps(z_rows).copy(),
        a=as_maps(a_rows).copy(), delta=delta.copy(), kernel=first.params["W"].copy(),
        kernel_gradient=kernel_gradient, kernel_change=-eta * kernel_gradient,
        bias=first.params["b"].copy() if first.use_bias else None,
        bias_gradient=bias_gradient,
        bias_change=None if bias_gradient is None else -eta * bias_gradient,
        parameter_gradients=gradients,
        output_activation=getattr(getattr(last, "activation", None), "name", ""))


def _gradient_into_first_layer(work: Network, output: np.ndarray,
                               target: np.ndarray) -> np.ndarray:
    """``dC/da`` of the first layer: the network's backward pass down to it (every layer
    above fills its gradients), fused at a Dense output layer as ``Network.backward``."""
    layers, last = work.layers, work.layers[-1]
    grad: Any  # each layer returns its input gradient (asked for: never None)
    fused = work.loss.fused_delta(last.activation, output, target) \
        if isinstance(last, Dense) and len(layers) > 1 else None
    if fused is not None and isinstance(last, Dense):
        grad = last.backward_pre_activation(fused, need_input_grad=True)
        upper = layers[1:-1]
    else:
        grad, upper = work.loss.gradient(output, target), layers[1:]
    for layer in reversed(upper):
        grad = layer.backward(grad)
    return grad


def _cost_after(work: Network, gradients: dict[str, np.ndarray], inputs: np.ndarray,
                target: np.ndarray, step: float) -> float:
    """The mean cost after ``param - step dC/dparam`` in every layer, on a float64 copy."""
    after = work.copy("float64")
    for name, param, _ in after.named_parameters():
        param -= step * gradients[name].astype(np.float64)
    dense = target.astype(np.float64) if target.dtype.kind == "f" else target
    return float(after.loss.value(after.forward(inputs.astype(np.float64)), dense))


# neuroflow.trace hands a network whose first layer is Conv2D to this module (see
# neuroflow.backprop.Trace.convolution_tracer)
Trace.convolution_tracer = trace_convolution
