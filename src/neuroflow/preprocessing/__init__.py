"""Input preprocessing fitted on training data and stored with the model.

A preprocessor is any object with ``transform(x)``, ``get_config()`` (a JSON-ready dict
whose ``"type"`` names its class) and ``state()`` (a dict of arrays). A network applies
its ``network.preprocessing`` in :meth:`~neuroflow.Network.prepare_inputs`, so ``fit``,
``predict`` and ``evaluate`` see the same transform; :mod:`neuroflow.io` saves the config
in the metadata and the arrays as tensors ``preprocessing.{key}``, and
:func:`from_config` rebuilds the object when the model is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroflow.preprocessing._categories import OneHotEncoder, has_categorical_columns
from neuroflow.preprocessing._labels import encode_labels, is_label_array, learn_classes
from neuroflow.preprocessing._scaling import StandardScaler

__all__ = ["StandardScaler", "OneHotEncoder", "Pipeline", "from_config", "PREPROCESSORS",
           "is_label_array", "learn_classes", "encode_labels", "has_categorical_columns"]


class Pipeline:
    """Fitted preprocessors applied in turn, ``transform(x) = s_k(...s_1(x))``, shape
    ``(n, steps[-1].n_features)``: e.g. :class:`OneHotEncoder` then
    :class:`StandardScaler`. Saved as the steps' configs, their arrays as ``{index}.{key}``."""

    type_name = "Pipeline"

    def __init__(self, steps: Sequence[Any] = ()) -> None:
        self.steps = list(steps)

    @property
    def n_features(self) -> int | None:
        """Output columns of the last step (``None`` without steps)."""
        return self.steps[-1].n_features if self.steps else None

    def transform(self, x: Any) -> np.ndarray:
        """Every step's ``transform`` in turn."""
        for step in self.steps:
            x = step.transform(x)
        return np.asarray(x)

    def get_config(self) -> dict[str, Any]:
        """``{"type": "Pipeline", "steps": [each step's config], "n_features": k}``."""
        return {"type": self.type_name, "steps": [step.get_config() for step in self.steps],
                "n_features": self.n_features}

    def state(self) -> dict[str, np.ndarray]:
        """Every step's arrays, as ``{index}.{key}``."""
        return {f"{index}.{key}": value for index, step in enumerate(self.steps)
                for key, value in step.state().items()}

    def load_state(self, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        """Rebuild the steps with :func:`from_config` (no nested pipelines)."""
        steps = config.get("steps")
        if not (isinstance(steps, list) and steps and all(
                isinstance(step, dict) and step.get("type") != self.type_name for step in steps)):
            raise ValueError("Pipeline config: expected steps as a non-empty list of "
                             "preprocessor configs (no nested Pipeline)")
        self.steps = [from_config(step, {key.split(".", 1)[1]: value
                                         for key, value in tensors.items()
                                         if key.split(".", 1)[0] == str(index)})
                      for index, step in enumerate(steps)]


PREPROCESSORS: dict[str, Any] = {"StandardScaler": StandardScaler,
                                 "OneHotEncoder": OneHotEncoder, "Pipeline": Pipeline}


def from_config(config: dict[str, Any], tensors: dict[str, np.ndarray]) -> Any:
    """Rebuild a preprocessor from ``get_config()`` output and its ``state()`` arrays.

    Parameters
    ----------
    config : dict
        As returned by ``get_config()``; ``config["type"]`` selects the class.
    tensors : dict of str to ndarray
        As returned by ``state()`` (keys without the ``preprocessing.`` prefix).

    Raises
    ------
    ValueError
        For an unknown type, or arrays of the wrong shape or with invalid values.
    """
    if not isinstance(config, dict):
        raise ValueError(f"preprocessing config: expected a dict, received "
                         f"{type(config).__name__}")
    name = config.get("type")
    if not isinstance(name, str) or name not in PREPROCESSORS:
        raise ValueError(f"preprocessing type: expected one of {', '.join(sorted(PREPROCESSORS))}"
                         f", received: {name!r}")
    preprocessor = PREPROCESSORS[name]()
    preprocessor.load_state(config, tensors)
    return preprocessor
