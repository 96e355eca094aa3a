"""The Train panel's endpoints: the state, settings, one step, play (a stream of frames),
pause, cancel, reset, and a weight set by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from neuroflow.playground.config import Config
from neuroflow.playground.engine import MAX_EPOCHS_PER_STEP
from neuroflow.playground.queues import State
from neuroflow.playground.requests import endpoint, integer, number
from neuroflow.playground.streams import MAX_FRAMES, event_response, frame_stream

__all__ = ["train_routes"]


def train_routes(state: State, max_fps: float) -> list[Any]:
    """The Train panel: the state, settings, one step, play (a stream), pause, reset."""
    from starlette.routing import Route

    def locked(call: Callable[[], Any]) -> Callable[..., Any]:
        async def work(request: Any, body: dict[str, Any]) -> Any:
            return await state.run("toy", call)
        return work

    async def configure(request: Any, body: dict[str, Any]) -> Any:
        config = Config.parse({str(k): str(v) for k, v in body.items()})
        state.new_generation()

        def work() -> dict[str, Any]:
            state.engine.configure(config)
            return state.engine.state()
        return await state.run("toy", work)

    async def step(request: Any, body: dict[str, Any]) -> Any:
        epochs = integer(request.query_params, "epochs", 1, 1, MAX_EPOCHS_PER_STEP)
        generation = state.generations["toy"]

        def work() -> dict[str, Any]:
            state.train("toy", generation, epochs)
            return state.engine.frame()
        return await state.run("toy", work)

    async def reset(request: Any, body: dict[str, Any]) -> Any:
        state.new_generation()
        state.interrupt("toy")  # the weights are thrown away: no need to end the epoch

        def work() -> dict[str, Any]:
            state.engine.reset()
            return state.engine.state()
        return await state.run("toy", work, control=True)

    async def pause(request: Any, body: dict[str, Any]) -> Any:
        state.new_generation()
        # queued after any epoch in flight: the network as the pause left it, to draw
        frame = await state.run("toy", state.engine.frame, control=True)
        return {"paused": True, "epoch": frame["epoch"], "frame": frame}

    async def cancel(request: Any, body: dict[str, Any]) -> Any:
        for channel in ("toy", "mnist", "explore"):
            state.new_generation(channel)
        return {"cancelled": True, "epoch": state.engine.epoch}

    async def stream(request: Any, body: dict[str, Any]) -> Any:
        query = request.query_params
        frames = integer(query, "frames", 100, 1, MAX_FRAMES)
        epochs = integer(query, "epochs", 1, 1, MAX_EPOCHS_PER_STEP)
        fps = number(query, "fps", max_fps, 0, max_fps)

        def work(generation: int) -> dict[str, Any] | None:
            if state.cancelled("toy", generation):
                return None
            state.train("toy", generation, epochs)
            return state.engine.frame()
        return event_response(frame_stream(state, "toy", frames, fps, work))

    async def set_weight(request: Any, body: dict[str, Any]) -> Any:
        """One weight set by hand: ``{"weight": "layer.i.j", "value": number}``."""
        try:
            layer, i, j = (int(p) for p in str(body.get("weight", "")).split("."))
            value = float(body.get("value"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError("weight: expected {\"weight\": \"layer.i.j\", \"value\": "
                             "number}") from None
        return await state.run("toy", lambda: state.engine.set_weight(layer, i, j, value))

    return [
        Route("/api/state", endpoint(locked(lambda: state.engine.state()))),
        Route("/api/config", endpoint(configure), methods=["POST"]),
        Route("/api/step", endpoint(step), methods=["POST"]),
        Route("/api/reset", endpoint(reset), methods=["POST"]),
        Route("/api/pause", endpoint(pause), methods=["POST"]),
        Route("/api/cancel", endpoint(cancel), methods=["POST"]),
        Route("/api/stream", endpoint(stream)),
        Route("/api/weight", endpoint(set_weight), methods=["POST"]),
    ]
