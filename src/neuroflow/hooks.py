"""The callback protocol: :class:`Callback`, :class:`CallbackList` and :class:`History`.

``fit`` calls, in order: ``on_train_begin``, then for each epoch ``on_epoch_begin``,
``on_batch_begin``/``on_batch_end`` per batch, ``on_epoch_end(epoch, logs)``, and
finally ``on_train_end``. ``logs`` at epoch end holds ``loss`` (and ``accuracy`` for
classification), ``val_loss``/``val_accuracy`` with validation data, ``learning_rate``
and ``time`` (seconds). A callback ends training by setting
``self.network.stop_training = True``.

These three sit low in the layering so that the model (``Network.history``) and the model
file (:mod:`neuroflow.io`) can use :class:`History` without the callbacks of
:mod:`neuroflow.callbacks`, which themselves use the model file.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neuroflow.network import Network

__all__ = ["Callback", "CallbackList", "History", "Logs"]

Logs = dict[str, Any]


class Callback:
    """Base class; every hook does nothing unless overridden."""

    def __init__(self) -> None:
        self.network: Network | None = None
        #: Facts about the run: ``epochs``, ``steps`` (batches per epoch), ``samples``,
        #: ``batch_size``, ``verbose``, ``initial_epoch``.
        self.params: dict[str, Any] = {}

    def set_network(self, network: Network) -> None:
        self.network = network

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """After the last epoch (also when training stops early or is interrupted)."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Before epoch ``epoch`` (counted from 0)."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """After epoch ``epoch``, with its ``logs``."""

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Before batch ``batch`` of the current epoch."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """After batch ``batch``; ``logs`` holds its ``loss`` and ``size``."""

    def get_state(self) -> dict[str, Any] | None:
        """What this callback has learnt during training, saved in checkpoints so that a
        resumed run continues exactly; ``None`` (the default) for a stateless callback.

        A stateful callback returns a dict whose values are JSON values (numbers,
        strings, lists, dicts, ``None``) or NumPy arrays (keys of arrays: letters,
        digits, ``_`` and ``.``), and restores it in :meth:`set_state`. ``fit`` calls
        ``set_state`` after ``on_train_begin`` when it resumes from a checkpoint.
        """
        return None

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned (a stateful callback overrides both)."""
        if state:
            raise ValueError(f"{type(self).__name__}.set_state: this callback keeps no state, "
                             f"received keys {sorted(state)}")


class CallbackList(Callback):
    """Forwards each hook to a list of callbacks, in order."""

    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        super().__init__()
        self.callbacks = list(callbacks)
        for index, callback in enumerate(self.callbacks):
            if not isinstance(callback, Callback):
                raise ValueError(f"callbacks[{index}]: expected a Callback, received "
                                 f"{type(callback).__name__}")

    def set_network(self, network: Network) -> None:
        for callback in self.callbacks:
            callback.set_network(network)

    def set_params(self, params: dict[str, Any]) -> None:
        for callback in self.callbacks:
            callback.set_params(params)

    def on_train_begin(self, logs=None):
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs=None):
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs)

    def on_batch_end(self, batch, logs=None):
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs)


class History(Callback):
    """Records every epoch's logs: ``history["loss"]`` is the list of epoch losses.

    Attributes
    ----------
    history : dict of str to list
        One list per logged quantity (``loss``, ``accuracy``, ``val_loss``,
        ``val_accuracy``, ``learning_rate``, ``time``, ...).
    epoch : list of int
        The epoch numbers recorded (complete epochs only).
    partial : dict or None
        When the last ``fit`` stopped in the middle of an epoch (a callback's
        ``stop_training`` after a batch, or Ctrl-C): that epoch's number (``epoch``),
        the ``samples`` and ``batches`` it had seen and the ``loss`` (and ``accuracy``)
        over those samples. The unfinished epoch is not in :attr:`history`, is not counted
        in ``epochs_trained``, and a resumed run repeats it from its checkpoint.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []
        self.partial: dict[str, float] | None = None

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        self.partial = None
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (used when saving training state)."""
        data: dict[str, Any] = {"epoch": list(self.epoch),
                                "history": {k: list(v) for k, v in self.history.items()}}
        if self.partial is not None:
            data["partial"] = dict(self.partial)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        history = cls()
        history.epoch = [int(e) for e in data.get("epoch", [])]
        history.history = {str(k): list(v) for k, v in data.get("history", {}).items()}
        partial = data.get("partial")
        history.partial = None if partial is None else dict(partial)
        return history

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"
