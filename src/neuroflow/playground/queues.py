"""The order in which the playground's engines work: one :class:`WorkQueue` per engine, and
the :class:`State` that holds the engines, their queues and their stream generations.

- the work on each engine (the toy network's, MNIST's, or the explorers') runs one request
  at a time, in arrival order, in a worker thread, with at most :data:`MAX_WAITING`
  requests waiting (``429`` beyond), holding no thread while they wait;
- the control requests (``pause``, ``cancel``, ``reset``) go before every waiting request
  and end the streams and queued training of their panel at once (training checks between
  epochs, and ``reset`` and :meth:`State.stop` end the running epoch after its batch).

anyio (Starlette's dependency) is imported by :meth:`WorkQueue.run` only, so the module
imports without the ``playground`` extra.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from neuroflow.playground.engine import Engine
from neuroflow.playground.mnist import MnistEngine
from neuroflow.playground.requests import RefusalError

__all__ = ["MAX_WAITING", "WorkQueue", "State"]

#: Most requests waiting for one engine (the toy network's, MNIST's, or the explorers');
#: one more is answered 429.
MAX_WAITING = 8


class WorkQueue:
    """The requests for one engine: ``capacity`` run at a time, in worker threads, the
    others wait in arrival order without holding a thread; at most :data:`MAX_WAITING`
    wait (429 beyond), and a control request (pause, reset) goes before them all (twice
    as many may wait)."""

    def __init__(self, capacity: int) -> None:
        self.capacity, self.running = capacity, 0
        self.waiting: collections.deque[asyncio.Future[None]] = collections.deque()

    async def run(self, work: Callable[..., Any], *args: Any, control: bool = False) -> Any:
        import anyio

        if self.running >= self.capacity or self.waiting:
            if len(self.waiting) >= MAX_WAITING * (2 if control else 1):
                raise RefusalError(429, f"busy: {MAX_WAITING} requests are waiting for "
                                        f"this panel; try again in a moment")
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if control:
                self.waiting.appendleft(turn)
            else:
                self.waiting.append(turn)
            try:
                await turn  # the slot is handed over: self.running counts us already
            except BaseException:
                if turn.done() and not turn.cancelled():
                    self._release()  # handed over, then cancelled: pass it on
                elif turn in self.waiting:
                    self.waiting.remove(turn)
                raise
        else:
            self.running += 1
        try:
            return await anyio.to_thread.run_sync(work, *args)
        finally:
            self._release()

    def _release(self) -> None:
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.running -= 1


class State:
    """The engines, the queue of each, and the stream generation of each (a new stream,
    a pause, a cancel or a reset ends that engine's streams and queued training started
    before it)."""

    def __init__(self, engine: Engine, save_dir: Path, mnist: MnistEngine | None) -> None:
        self.engine = engine
        self.mnist = mnist
        self.save_dir = save_dir
        self.generations = {"toy": 0, "mnist": 0, "explore": 0}
        self._counter = threading.Lock()
        self.stopping = threading.Event()
        self._queues: dict[str, WorkQueue] = {}

    def new_generation(self, channel: str = "toy") -> int:
        """End the streams and queued training of ``channel``; the new generation."""
        with self._counter:  # never an engine's lock: this never waits for training
            self.generations[channel] += 1
            return self.generations[channel]

    def cancelled(self, channel: str, generation: int) -> bool:
        return self.stopping.is_set() or self.generations[channel] != generation

    def interrupt(self, channel: str) -> None:
        """End the running epoch of ``channel``'s engine after its current batch (its
        weights are thrown away: a reset, a new MNIST network, the server stopping)."""
        engine = {"toy": self.engine, "mnist": self.mnist}.get(channel)
        if engine is not None:
            engine.network.stop_training = True

    def stop(self) -> None:
        self.stopping.set()
        for channel in list(self.generations):
            self.new_generation(channel)
            self.interrupt(channel)

    async def run(self, channel: str, work: Callable[..., Any], *args: Any,
                  control: bool = False) -> Any:
        """``work(*args)`` in a worker thread, after the requests queued before it on
        ``channel`` (:class:`WorkQueue`); a ``control`` request goes before every waiting
        one."""
        queue = self._queues.get(channel)
        if queue is None:
            queue = self._queues[channel] = WorkQueue(2 if channel == "explore" else 1)
        return await queue.run(work, *args, control=control)

    def mnist_engine(self) -> MnistEngine:
        """The MNIST engine, built (MNIST read) on first use; call on the mnist queue."""
        if self.mnist is None:
            self.mnist = MnistEngine()
        return self.mnist

    def train(self, channel: str, generation: int, epochs: int) -> None:
        """Train ``channel``'s engine ``epochs`` epochs, one at a time, stopping early when
        the generation has moved on."""
        engine: Engine | MnistEngine = self.engine if channel == "toy" else self.mnist_engine()
        for _ in range(epochs):
            if self.cancelled(channel, generation):
                return
            engine.step(1)
