"""Inference: what a trained network computes for new inputs, batch by batch, and its
scores against targets. :class:`~neuroflow.network.Network` inherits these methods; they
use only its layers, loss, ``prepare_inputs``/``prepare_targets`` and back-end."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from neuroflow import backend as _backend
from neuroflow._validation import check_sample_weight, positive_int
from neuroflow.metrics import accuracy

__all__ = ["Inference", "PREDICT_BATCH_SIZE", "is_stream"]

#: Samples per chunk when predicting, to bound memory on large inputs.
PREDICT_BATCH_SIZE = 8192


def is_stream(x: Any) -> bool:
    """Whether ``x`` is a stream of batches (an iterable or a sequence with
    ``__len__``/``__getitem__``, not an array): what ``fit`` and ``evaluate`` take it for
    when they are given no ``y``."""
    return not isinstance(x, np.ndarray) and (isinstance(x, Iterable) or (
        hasattr(x, "__getitem__") and hasattr(x, "__len__")))


class Inference:
    """The inference methods of :class:`~neuroflow.network.Network` (a mixin)."""

    # provided by Network
    layers: list[Any]
    loss: Any
    dtype: np.dtype
    backend: str
    class_names: list[Any] | None
    prepare_inputs: Callable[..., np.ndarray]
    prepare_targets: Callable[..., np.ndarray]

    @property
    def _xp(self) -> Any:
        """The array namespace of ``backend`` (NumPy itself by default)."""
        return _backend.get_backend(self.backend)

    def predict(self, x: Any, batch_size: int | None = None) -> np.ndarray:
        """Network outputs for inputs ``x (n, in_features)``; shape ``(n, out_features)``.

        ``x`` may also be an iterator or generator of input batches (or of ``(x, y)``
        batches, whose targets are ignored): the outputs of all, one array."""
        if isinstance(x, Iterator):
            outputs = [self.predict(batch[0] if isinstance(batch, tuple) else batch,
                                    batch_size) for batch in x]
            if not outputs:
                raise ValueError("x: expected at least one batch, received an empty iterator")
            return np.concatenate(outputs)
        return self._predict_prepared(self.prepare_inputs(x), batch_size)

    def _predict_prepared(self, x: np.ndarray, batch_size: int | None) -> np.ndarray:
        size = PREDICT_BATCH_SIZE if batch_size is None else positive_int(batch_size,
                                                                          "batch_size")
        if x.shape[0] <= size:
            return self._infer(x)
        return np.concatenate([self._infer(x[i:i + size]) for i in range(0, x.shape[0], size)])

    def _infer(self, x: np.ndarray) -> np.ndarray:
        """Inference-mode forward pass through :meth:`Layer.infer` (no caches kept);
        NumPy in, NumPy out, whatever the back-end."""
        if self.backend != "numpy":
            x = _backend.to_backend(x, self._xp)
            for layer in self.layers:
                x = layer.infer(x)
            return _backend.to_numpy(x)
        for layer in self.layers:
            x = layer.infer(x)
        return x

    def layer_outputs(self, x: Any) -> list[np.ndarray]:
        """Every layer's output for inputs ``x (n, in_features)`` in the inference pass
        (:meth:`Layer.infer`; preprocessing applied, no caches kept): one NumPy array
        ``(n, width)`` per layer, the last one :meth:`predict`'s output."""
        signal = self.prepare_inputs(x)
        if self.backend != "numpy":
            signal = _backend.to_backend(signal, self._xp)
        outputs = []
        for layer in self.layers:
            signal = layer.infer(signal)
            outputs.append(signal if self.backend == "numpy" else _backend.to_numpy(signal))
        return outputs

    def predict_classes(self, x: Any, batch_size: int | None = None) -> np.ndarray:
        """Class labels ``(n,)``: argmax of each row, or ``output > 0.5`` for one output."""
        return self.classes_from_output(self.predict(x, batch_size))

    def predict_labels(self, x: Any, batch_size: int | None = None) -> np.ndarray:
        """Predicted labels ``(n,)``: :meth:`predict_classes` turned into the
        :attr:`~neuroflow.Network.class_names` (those ``fit`` learnt from labels by name,
        sorted, or a CSV's); the class numbers themselves when there are none."""
        classes = self.predict_classes(x, batch_size)
        return classes if self.class_names is None else np.asarray(self.class_names)[classes]

    @staticmethod
    def classes_from_output(output: np.ndarray) -> np.ndarray:
        """Labels from outputs: row-wise argmax, or per-sample threshold 0.5 for one unit."""
        if output.shape[1] == 1:
            return (output[:, 0] > 0.5).astype(np.int64)
        return output.argmax(axis=1)

    def evaluate(self, x: Any, y: Any = None, batch_size: int | None = None,
                 sample_weight: Any = None, steps: int | None = None) -> dict[str, float]:
        """Loss (and accuracy for classification losses) on ``(x, y)``, or on a stream of
        ``(x, y)`` or ``(x, y, sample_weight)`` batches given as ``x`` alone: all of them,
        or the first ``steps`` (as :meth:`fit` takes one); the scores are those of the
        batches put together."""
        if y is None and is_stream(x):
            return self._evaluate_stream(x, steps, batch_size)
        if y is None:
            raise ValueError("y: expected targets, one per row of x (or x a stream of (x, y) "
                             "batches), received None")
        return self.score(*self.prepare_examples(x, y, sample_weight), batch_size)

    def _evaluate_stream(self, stream: Any, steps: int | None,
                         batch_size: int | None) -> dict[str, float]:
        limit = None if steps is None else positive_int(steps, "steps")
        batches = stream if isinstance(stream, Iterable) else (
            stream[i] for i in range(len(stream)))
        totals: dict[str, float] = {}
        seen = 0
        for number, batch in enumerate(batches):
            if limit is not None and number >= limit:
                break
            if not (isinstance(batch, (tuple, list)) and len(batch) in (2, 3)):
                raise ValueError(f"x: expected batches (x, y) or (x, y, sample_weight), "
                                 f"received a {type(batch).__name__}")
            x, target, weights = self.prepare_examples(*batch)
            for key, value in self.score(x, target, weights, batch_size).items():
                totals[key] = totals.get(key, 0.0) + value * x.shape[0]
            seen += x.shape[0]
        if not seen:
            raise ValueError("x: expected at least one sample, received an empty stream")
        return {key: value / seen for key, value in totals.items()}

    def prepare_examples(self, x: Any, y: Any, sample_weight: Any = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Validated and prepared ``(inputs, targets, per-sample weights or None)``, one
        target and weight per row of ``x`` (what ``evaluate`` and ``fit`` score)."""
        x = self.prepare_inputs(x)
        target = self.prepare_targets(y)
        if target.shape[0] != x.shape[0]:
            raise ValueError(f"y: expected {x.shape[0]} targets (one per row of x), received "
                             f"{target.shape[0]}")
        weights = None
        if sample_weight is not None:
            weights = check_sample_weight(sample_weight, x.shape[0], self.dtype)
        return x, target, weights

    def score(self, x: np.ndarray, target: np.ndarray, sample_weight: np.ndarray | None = None,
              batch_size: int | None = None) -> dict[str, float]:
        """:meth:`evaluate` on inputs and targets already validated and prepared."""
        output = self._predict_prepared(x, batch_size)
        scores = {"loss": self.loss.value(output, target, sample_weight)}
        if self.loss.is_classification:
            scores["accuracy"] = accuracy(output, target, loss=self.loss)
        return scores
