"""The MNIST panel's endpoints: its settings, its training stream, and the forward pass of
a drawn digit."""

from __future__ import annotations

import math
from typing import Any

from neuroflow.playground.mnist import MnistEngine
from neuroflow.playground.queues import State
from neuroflow.playground.requests import endpoint, integer
from neuroflow.playground.streams import MAX_FRAMES, event_response, frame_stream

__all__ = ["mnist_routes", "MNIST_KEYS"]

#: The setting keys of the MNIST panel (:meth:`MnistEngine.parse`).
MNIST_KEYS = ("mh", "mconv", "mlr", "mbs", "mn", "mseed", "mact", "mopt")


def mnist_routes(state: State, max_fps: float) -> list[Any]:
    """The MNIST panel: settings, training stream, the forward pass of a drawing."""
    from starlette.routing import Route

    async def mnist_configure(request: Any, body: dict[str, Any]) -> Any:
        unknown = sorted(set(map(str, body)) - set(MNIST_KEYS))
        if unknown:
            raise ValueError(f"{unknown[0][:40]}: unknown setting; expected one of "
                             f"{', '.join(MNIST_KEYS)}")
        engine = MnistEngine.parse({str(k): str(v) for k, v in body.items()})
        state.new_generation("mnist")
        state.interrupt("mnist")  # the old network is replaced

        def work() -> dict[str, Any]:
            state.mnist = engine
            return engine.frame()
        return await state.run("mnist", work)

    async def mnist_state(request: Any, body: dict[str, Any]) -> Any:
        return await state.run("mnist", lambda: state.mnist_engine().frame())

    async def mnist_stream(request: Any, body: dict[str, Any]) -> Any:
        query = request.query_params
        frames = integer(query, "frames", 20, 1, MAX_FRAMES)
        epochs = integer(query, "epochs", 1, 1, 20)

        def work(generation: int) -> dict[str, Any] | None:
            if state.cancelled("mnist", generation):
                return None
            state.train("mnist", generation, epochs)
            return state.mnist_engine().frame()
        return event_response(frame_stream(state, "mnist", frames, max_fps, work))

    async def mnist_predict(request: Any, body: dict[str, Any]) -> Any:
        pixels = body.get("pixels")
        if not isinstance(pixels, list) or len(pixels) != 784 or \
                not all(isinstance(p, (int, float)) and not isinstance(p, bool)
                        and math.isfinite(p) for p in pixels):
            raise ValueError("pixels: expected a list of 784 finite numbers (28 x 28, ink 1 "
                             "on 0)")
        return await state.run("mnist", lambda: state.mnist_engine().predict(pixels))

    return [
        Route("/api/mnist/state", endpoint(mnist_state)),
        Route("/api/mnist/config", endpoint(mnist_configure), methods=["POST"]),
        Route("/api/mnist/stream", endpoint(mnist_stream)),
        Route("/api/mnist/predict", endpoint(mnist_predict), methods=["POST"]),
    ]
