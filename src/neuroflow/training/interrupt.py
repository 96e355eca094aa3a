"""Ctrl-C during ``fit``: finish the current batch, fire ``on_train_end``, then raise
:class:`~neuroflow.errors.TrainingInterrupted` (:func:`interruptible`)."""

from __future__ import annotations

import functools
import signal
import threading
from typing import TYPE_CHECKING, Any

from neuroflow.errors import TrainingInterrupted

if TYPE_CHECKING:
    from neuroflow.hooks import History
    from neuroflow.network import Network

__all__ = ["interruptible"]


class _InterruptGuard:
    """Ctrl-C state of one running ``fit``."""

    def __init__(self) -> None:
        self.requested = False
        self.previous: Any = signal.default_int_handler


_GUARDS: dict[int, _InterruptGuard] = {}


def interruptible(function: Any) -> Any:
    """Wrap ``fit`` so that Ctrl-C ends training after the current batch.

    While ``fit`` runs in the main thread, SIGINT only sets a flag and
    ``network.stop_training``; the loop finishes the batch, skips the epoch's end,
    fires ``on_train_end``, and the wrapper raises :class:`TrainingInterrupted`. The
    previous handler is back in place as soon as the first Ctrl-C arrives (a second one
    interrupts at once) and whenever ``fit`` returns or raises.
    """

    @functools.wraps(function)
    def wrapper(network: Network, *args: Any, **kwargs: Any) -> History:
        if threading.current_thread() is not threading.main_thread() or id(network) in _GUARDS:
            return function(network, *args, **kwargs)
        guard = _InterruptGuard()

        def handler(signum: int, frame: Any) -> None:
            guard.requested = True
            network.stop_training = True
            signal.signal(signal.SIGINT, guard.previous)

        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            # ignored by the parent (e.g. a background job): it stays ignored
            return function(network, *args, **kwargs)
        try:
            previous = signal.signal(signal.SIGINT, handler)
        except ValueError:  # not the main interpreter
            return function(network, *args, **kwargs)
        guard.previous = previous if previous is not None else signal.default_int_handler
        _GUARDS[id(network)] = guard
        try:
            history = function(network, *args, **kwargs)
        finally:
            _GUARDS.pop(id(network), None)
            if signal.getsignal(signal.SIGINT) is handler:
                signal.signal(signal.SIGINT, guard.previous)
        if guard.requested:
            done = network.epochs_trained
            raise TrainingInterrupted(
                f"training interrupted after {done} complete epoch{'s' * (done != 1)}; a "
                "checkpoint written at the end of the last one is intact",
                epochs_trained=done, history=history)
        return history

    return wrapper
