"""Inference: what a trained network computes for new inputs, batch by batch, and its
scores against targets. :class:`~neuroflow.network.Network` inherits these methods; they
use only its layers, loss, ``prepare_inputs``/``prepare_targets`` and back-end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from neuroflow import backend as _backend
from neuroflow._validation import check_sample_weight, positive_int
from neuroflow.metrics import accuracy

__all__ = ["Inference", "PREDICT_BATCH_SIZE"]

#: Samples per chunk when predicting, to bound memory on large inputs.
PREDICT_BATCH_SIZE = 8192


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
        """Network outputs for inputs ``x (n, in_features)``; shape ``(n, out_features)``."""
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

    def evaluate(self, x: Any, y: Any, batch_size: int | None = None,
                 sample_weight: Any = None) -> dict[str, float]:
        """Loss (and accuracy for classification losses) on ``(x, y)``."""
        return self.score(*self.prepare_examples(x, y, sample_weight), batch_size)

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
