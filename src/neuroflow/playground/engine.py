"""The playground's engine: the network, its data and its training, without any HTTP.

Every number the page shows is computed here by neuroflow itself: training is
:meth:`Network.fit <neuroflow.network.Network.fit>`, one epoch at a time; the maps are
the network's own inference pass (:meth:`Network.layer_outputs`); the
inspector is :func:`neuroflow.backprop.trace`; the findings are
:class:`neuroflow.callbacks.Diagnostics`; the code shown replays the same ``fit`` calls
and gives the same weights bit for bit.

Examples
--------
>>> from neuroflow.playground import Config, Engine
>>> engine = Engine(Config(data="moons", layers=(8, 8)))
>>> engine.step(3)
>>> frame = engine.frame()          # maps, weights, loss and accuracy, as JSON-ready data
>>> record = engine.inspect(0)      # z, a, delta, dC/dW of data point 0
"""

from __future__ import annotations

import copy
import os
from typing import Any

import numpy as np

from neuroflow import optimizers
from neuroflow.backprop import trace
from neuroflow.callbacks import Diagnostics
from neuroflow.errors import TrainingDivergedError
from neuroflow.experiments.behaviour import classify
from neuroflow.playground.build import build_network, fit_line, network_inputs, training_data
from neuroflow.playground.config import MAX_SEED, Config
from neuroflow.playground.frames import BOUNDARY_SIZE, NEURON_SIZE, grid, quantise

__all__ = ["Engine", "MAX_EPOCHS_PER_STEP"]

#: Most epochs one call of :meth:`Engine.step` trains.
MAX_EPOCHS_PER_STEP = 100


class _LiveDiagnostics(Diagnostics):
    """:class:`Diagnostics` over many one-epoch ``fit`` calls: the epoch losses it judges
    plateaus and divergence by carry over from one call to the next."""

    def on_train_begin(self, logs: Any = None) -> None:
        kept = self.get_state()
        super().on_train_begin(logs)
        self.set_state(kept)


def _floats(array: Any) -> Any:
    """A NumPy array as nested lists of Python floats (exact for float64)."""
    return np.asarray(array, dtype=np.float64).tolist()


class Engine:
    """One network on one 2-D data set, trained one epoch at a time for the page.

    Parameters
    ----------
    config : Config, optional
        The settings (defaults: two moons, 2-8-8-1, tanh, plain SGD at 0.1, batch 10).

    Attributes
    ----------
    config : Config
    network : Network
        A float64 ``2 - layers - 1`` network with a sigmoid output (binary
        cross-entropy).
    x, y : ndarray
        The data: float32 points ``(n, 2)`` and 0/1 labels ``(n,)``.
    losses, accuracies : list of float
        The cost and accuracy on the whole data after each epoch (index 0: before
        training).
    segments : list of dict
        The ``fit`` calls that reproduce the weights: ``epochs``, ``batch_size``,
        ``learning_rate`` and ``optimizer`` (``None`` when the optimiser of the previous
        segment continues with its state).
    error : str or None
        Why training stopped (a diverged run), until the next :meth:`configure`.
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.configure(self.config, rebuild=True)

    # ------------------------------------------------------------------ settings
    def configure(self, config: Config, rebuild: bool = False) -> bool:
        """Apply new settings; return whether the network was rebuilt.

        A change of only the optimiser, learning rate or batch size continues training
        (a new :attr:`segments` entry); any other change, or ``rebuild``, starts again
        from fresh weights.
        """
        old = self.config
        if not rebuild and old.same_network(config) and self.error is None:
            self.config = config
            if config.optimizer != old.optimizer or config.penalties != old.penalties:
                self._new_optimizer = True
            return False
        self.x, self.y, self.x_test, self.y_test = training_data(config)
        self.inputs, self.test_inputs = (network_inputs(config, self.x),
                                         network_inputs(config, self.x_test))
        self.network = build_network(config)
        everything = np.concatenate([self.x, self.x_test])
        low, high = everything.min(axis=0), everything.max(axis=0)
        centre, half = (low + high) / 2, float((high - low).max()) / 2 * 1.1 + 0.1
        self.extent = (float(centre[0] - half), float(centre[0] + half),
                       float(centre[1] - half), float(centre[1] + half))
        self._boundary_inputs = network_inputs(config, grid(self.extent, BOUNDARY_SIZE))
        self._neuron_inputs = network_inputs(config, grid(self.extent, NEURON_SIZE))
        self.segments: list[dict[str, Any]] = []
        self._new_optimizer = True
        self.diagnostics = _LiveDiagnostics(every=5, verbose=False)
        self.findings: list[dict[str, Any]] = []
        self.error: str | None = None
        self.losses: list[float] = []
        self.accuracies: list[float | None] = []
        self.test_losses: list[float] = []
        self.path: list[np.ndarray] = []
        # published once the network and its data are built: whoever sees the new settings
        # (the server's other requests) sees the network made from them
        self.config = config
        self._record()
        return True

    def reset(self, seed: int | None = None) -> None:
        """Fresh weights: the same settings with a new seed (``seed``, or one drawn from
        fresh entropy), so that each reset starts from another random network."""
        if seed is None:
            seed = int(np.random.default_rng().integers(0, MAX_SEED + 1))
        self.configure(self.config.with_changes(seed=seed), rebuild=True)

    def snapshot(self) -> Engine:
        """A copy to compute on while this engine goes on training: its own copy of the
        network and of the curves, the same data and settings."""
        twin = copy.copy(self)
        twin.network = self.network.copy()
        twin.path, twin.losses = list(self.path), list(self.losses)
        twin.test_losses = list(self.test_losses)
        twin.accuracies = list(self.accuracies)
        twin.segments = [dict(segment) for segment in self.segments]
        return twin

    @property
    def epoch(self) -> int:
        """Epochs trained."""
        return int(self.network.epochs_trained)

    # ------------------------------------------------------------------ training
    def step(self, epochs: int = 1) -> None:
        """Train ``epochs`` more epochs (one ``fit`` call each); stops at divergence,
        which sets :attr:`error`."""
        if isinstance(epochs, bool) or not isinstance(epochs, int) \
                or not 1 <= epochs <= MAX_EPOCHS_PER_STEP:
            raise ValueError(f"epochs: expected an integer from 1 to {MAX_EPOCHS_PER_STEP}, "
                             f"received {epochs!r}")
        config = self.config
        for _ in range(epochs):
            if self.error is not None:
                return
            options: dict[str, Any] = {"learning_rate": config.learning_rate}
            if self._new_optimizer:
                options["optimizer"] = config.optimizer
            fit_options = dict(options)
            if self._new_optimizer and config.penalties:
                # the library's regularisers: the optimiser's l1 or weight_decay (L2)
                fit_options = {"optimizer": optimizers.get(
                    {"name": config.optimizer, "learning_rate": config.learning_rate,
                     **config.penalties})}
                options["penalties"] = config.penalties
            try:
                # a diverging run is reported once, by fit's divergence guard
                with np.errstate(over="ignore", invalid="ignore"):
                    self.network.fit(self.inputs, self.y, epochs=1,
                                     batch_size=config.batch_size, verbose=0,
                                     callbacks=[self.diagnostics], **fit_options)
            except TrainingDivergedError as error:
                self.error = f"training diverged: {error}"
                return
            self._extend_segments(options, config.batch_size)
            self._new_optimizer = False
            latest = (self.network.history.history.get("diagnostics") or [[]])[-1] \
                if self.network.history is not None else []
            self.findings = list(latest)
            self._record()

    def _extend_segments(self, options: dict[str, Any], batch_size: int) -> None:
        last = self.segments[-1] if self.segments else None
        segment = {"optimizer": options.get("optimizer"), "batch_size": batch_size,
                   "learning_rate": options["learning_rate"],
                   "penalties": options.get("penalties", {})}
        if last is not None and "edit" not in last and segment["optimizer"] is None and \
                last["batch_size"] == batch_size and last["learning_rate"] == \
                segment["learning_rate"]:
            last["epochs"] += 1
        else:
            self.segments.append({"epochs": 1, **segment})

    def set_weight(self, layer: int, i: int, j: int, value: float) -> dict[str, Any]:
        """Set ``W[i, j]`` of ``network.layers[layer]`` by hand (the page's click on a
        connection); the cost of this epoch is measured again and the code shown replays
        the edit. Returns the new :meth:`frame`."""
        sizes = self.config.sizes
        if not (0 <= layer < len(sizes) - 1 and 0 <= i < sizes[layer] and
                0 <= j < sizes[layer + 1]):
            raise ValueError(f"weight: expected layer.i.j of the {'-'.join(map(str, sizes))} "
                             f"network, received {layer}.{i}.{j}")
        if not (np.isfinite(value) and abs(value) <= 1000):
            raise ValueError(f"value: expected a number from -1000 to 1000, received {value!r}")
        self.network.layers[layer].params["W"][i, j] = value
        self.segments.append({"edit": [layer, i, j, float(value)]})
        for curve in (self.losses, self.accuracies, self.test_losses, self.path):
            if curve:
                curve.pop()
        self._record()
        return self.frame()

    def _record(self) -> None:
        scores = self.network.evaluate(self.inputs, self.y)
        self.losses.append(float(scores["loss"]))
        accuracy = scores.get("accuracy")
        self.accuracies.append(None if accuracy is None else float(accuracy))
        if len(self.x_test):
            self.test_losses.append(float(self.network.evaluate(self.test_inputs,
                                                                self.y_test)["loss"]))
        self.path.append(np.concatenate([p.ravel() for p in self.network.parameters()]))

    # ------------------------------------------------------------------ pictures
    @np.errstate(over="ignore", invalid="ignore")  # the maps of a diverged network
    def frame(self) -> dict[str, Any]:
        """Everything the Train panel draws, JSON-ready.

        Returns
        -------
        dict
            ``epoch``, ``loss``, ``accuracy``; ``boundary`` (the output over the plane,
            64 x 64, quantised on [0, 1]); ``neurons`` (per hidden layer, each neuron's
            activation over the plane, 32 x 32); ``weights`` and ``biases`` per layer;
            ``findings`` (the last epoch's diagnostics); ``error``; ``behaviour``, what
            the cost did so far named by :func:`neuroflow.experiments.behaviour.classify`
            (``None`` before the first epoch).
        """
        net = self.network
        output = net.layer_outputs(self._boundary_inputs)[-1][:, 0]
        hidden = net.layer_outputs(self._neuron_inputs)[:-1]
        side = NEURON_SIZE
        low, high = (0.0, 1.0) if self.config.problem == "classification" else (-1.0, 1.0)
        return {
            "epoch": self.epoch, "loss": self.losses[-1], "accuracy": self.accuracies[-1],
            "test_loss": self.test_losses[-1] if self.test_losses else None,
            "centre": (low + high) / 2,
            "boundary": quantise(output.reshape(BOUNDARY_SIZE, BOUNDARY_SIZE), low, high),
            "neurons": [[quantise(a[:, j].reshape(side, side)) for j in range(a.shape[1])]
                        for a in hidden],
            "weights": [_floats(layer.params["W"]) for layer in net.layers],
            "biases": [_floats(layer.params["b"]) for layer in net.layers],
            "findings": self.findings, "error": self.error,
            "behaviour": classify(self.losses) if len(self.losses) > 1 else None,
        }

    def state(self) -> dict[str, Any]:
        """The settings, the data, the curves so far and the current :meth:`frame`."""
        side = NEURON_SIZE
        maps = [quantise(self._neuron_inputs[:, k].reshape(side, side))
                for k in range(self._neuron_inputs.shape[1])]
        return {"config": self.config.query(), "sizes": self.config.sizes,
                "features": list(self.config.features), "problem": self.config.problem,
                "extent": list(self.extent), "points": _floats(self.x),
                "labels": self.y.tolist(), "test_points": _floats(self.x_test),
                "test_labels": self.y_test.tolist(), "losses": self.losses,
                "accuracies": self.accuracies, "test_losses": self.test_losses,
                "input_maps": maps, "frame": self.frame()}

    # ------------------------------------------------------------------ one step, in detail
    def inspect(self, index: int, learning_rate: float | None = None) -> dict[str, Any]:
        """Backpropagation on data point ``index``: :func:`neuroflow.backprop.trace`.

        Returns
        -------
        dict
            ``index``, ``x``, ``input`` (what the network reads for that point: ``x`` or
            its features), ``label``, ``learning_rate``; ``layers``, one dict per
            layer with every neuron's ``z``, ``a`` and ``delta`` and every connection's
            ``W``, ``dW`` (dC/dW) and ``change`` (-eta dC/dW), and the same for the
            biases (``b``, ``db``, ``bias_change``); ``cost_before`` and ``cost_after``,
            the cost of this point before and after applying that one step.
        """
        if isinstance(index, bool) or not isinstance(index, int) \
                or not 0 <= index < len(self.x):
            raise ValueError(f"i: expected a point index from 0 to {len(self.x) - 1}, "
                             f"received {index!r}")
        rate = self.config.learning_rate if learning_rate is None else learning_rate
        x, y = self.inputs[index:index + 1], self.y[index:index + 1]
        record = trace(self.network, x, y, rate)
        after = self.network.copy()
        for layer, traced in zip(after.layers, record.layers):
            layer.params["W"] += traced.weight_change
            if traced.bias_change is not None:
                layer.params["b"] += traced.bias_change
        cost_after = trace(after, x, y, rate).cost
        return {
            "index": index, "epoch": self.epoch, "x": _floats(self.x[index]),
            "input": _floats(x[0]),
            "label": y[0].item(), "features": list(self.config.features),
            "learning_rate": float(rate), "cost_before": record.cost, "cost_after": cost_after,
            "output": _floats(record.output[0]),
            "layers": [{"activation": t.activation, "z": _floats(t.z[0]), "a": _floats(t.a[0]),
                        "delta": _floats(t.delta[0]),
                        "W": _floats(self.network.layers[t.index].params["W"]),
                        "dW": _floats(t.weight_gradient), "change": _floats(t.weight_change),
                        "b": _floats(self.network.layers[t.index].params["b"]),
                        "db": _floats(t.bias_gradient), "bias_change": _floats(t.bias_change),
                        "rule": t.delta_rule}
                       for t in record.layers],
        }

    # ------------------------------------------------------------------ code and files
    def code(self, model_path: str = "playground.safetensors",
             sample: int = 0) -> dict[str, str]:
        """The Python that reproduces the current weights bit for bit, and the commands:
        after one stretch of training with unchanged settings, the ``neuroflow playground
        --state ... --epochs N --out ...`` command that writes the same weights; then those
        that read the saved model (``neuroflow explain`` of data point ``sample`` when the
        CLI's ``--data moons|circles`` is this data set). Returns ``{"python", "cli"}``."""
        c = self.config
        lines = ["import neuroflow as nf"]
        plain = c.ratio == 100 and c.features == ("x0", "x1")
        if c.data in ("moons", "circles") and plain:
            lines += ["", f"x, y = nf.datasets.make_{c.data}({c.points}, noise={c.noise!r}, "
                          f"seed={c.seed})"]
        else:
            names = "toy_data" if c.features == ("x0", "x1") else "features, toy_data"
            lines += [f"from neuroflow.playground import {names}", "",
                      f"x, y = toy_data({c.data!r}, {c.points}, noise={c.noise!r}, "
                      f"seed={c.seed})"]
            if len(self.x_test):
                lines.append(f"x, y = x[:{len(self.x)}], y[:{len(self.x)}]   # the training "
                             f"share, {c.ratio}%")
            if c.features != ("x0", "x1"):
                lines.append(f"x = features({c.features!r}, x)   # the input features")
        output = "output='sigmoid'" if c.problem == "classification" else \
            "output='linear', loss='mse'"
        lines.append(f"net = nf.Network.from_sizes({c.sizes}, hidden={c.activation!r}, "
                     f"{output}, seed={c.seed}, dtype='float64')")
        for segment in self.segments:
            if "edit" in segment:
                layer, i, j, value = segment["edit"]
                lines.append(f"net.layers[{layer}].params['W'][{i}, {j}] = {value!r}"
                             f"   # set by hand")
            else:
                lines.append(fit_line(segment))
        lines.append(f"net.save({model_path!r})")
        commands = [f"python reproduce.py   # the Python above, saved as reproduce.py: writes "
                    f"{model_path}"]
        if len(self.segments) == 1 and "edit" not in self.segments[0]:
            # one stretch of training: one command, the same weights
            s = self.segments[0]
            state = c.with_changes(optimizer=s["optimizer"], learning_rate=s["learning_rate"],
                                   batch_size=s["batch_size"]).query()
            pairs = "&".join(f"{key}={value}" for key, value in state.items())
            commands = ["# the same weights, bit for bit, without a browser:",
                        f"neuroflow playground --state '{pairs}' --epochs {s['epochs']} "
                        f"--out {model_path}"]
        commands += [f"neuroflow summary {model_path}",
                     f"neuroflow plot architecture {model_path} --out architecture.png"]
        if c.data in ("moons", "circles") and plain and c.points == 400 and c.seed == 0 and \
                c.noise == (0.1 if c.data == "moons" else 0.05):
            # the CLI's --data moons|circles is this very data set: same points, same trace
            commands.append(f"neuroflow explain {model_path} --data {c.data} --sample {sample} "
                            f"--learning-rate {c.learning_rate!r}")
        return {"python": "\n".join(lines) + "\n", "cli": "\n".join(commands) + "\n"}

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the network as ``.safetensors`` (:meth:`Network.save`); return the path."""
        self.network.save(str(path))
        return str(path)



