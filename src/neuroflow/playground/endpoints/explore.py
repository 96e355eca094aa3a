"""The endpoints of the Inspect, Landscape, Race and Code panels, which read the Train
panel's network (the landscape and the race compute on the explorers' own queue)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

from neuroflow.playground.explore import landscape, parse_weight, race
from neuroflow.playground.queues import State
from neuroflow.playground.requests import RefusalError, endpoint, integer, number
from neuroflow.playground.streams import event_response, event_text

__all__ = ["explore_routes"]


def explore_routes(state: State) -> list[Any]:
    """The Inspect, Landscape, Race and Code panels."""
    from starlette.routing import Route

    async def inspect(request: Any, body: dict[str, Any]) -> Any:
        query = request.query_params

        def work() -> dict[str, Any]:
            index = integer(query, "i", 0, 0, len(state.engine.x) - 1)
            rate = number(query, "lr", state.engine.config.learning_rate, 0, 1e6)
            return state.engine.inspect(index, rate)
        return await state.run("toy", work)

    async def cost_landscape(request: Any, body: dict[str, Any]) -> Any:
        query = request.query_params
        sizes = state.engine.config.sizes
        first = parse_weight(query.get("w1", "0.0.0"), sizes, "w1")
        second = parse_weight(query.get("w2", "0.1.0"), sizes, "w2")
        span = number(query, "span", 2.0, 0, 100)
        resolution = integer(query, "n", 31, 3, 81)
        mode = query.get("mode", "live")
        # computed on a snapshot, so that training goes on meanwhile
        snapshot = await state.run("toy", state.engine.snapshot)
        return await state.run("explore", landscape, snapshot, first, second, span,
                               resolution, mode)

    async def learning_rate_race(request: Any, body: dict[str, Any]) -> Any:
        query = request.query_params
        text = query.get("lrs", "0.01,0.1,1,5")
        try:
            rates = [float(v) for v in text.split(",")[:6] if v.strip()]
        except ValueError:
            raise ValueError(f"lrs: expected numbers separated by commas, received "
                             f"{text[:60]!r}") from None
        if not 3 <= len(rates) <= 5 or any(not (math.isfinite(r) and 0 < r <= 1e6)
                                           for r in rates):
            raise ValueError(f"lrs: expected 3 to 5 learning rates in (0, 1e6], received "
                             f"{text[:60]!r}")
        epochs = integer(query, "epochs", 40, 2, 500)
        events = race(state.engine.config, rates, epochs)
        generation = state.generations["explore"]

        async def played() -> AsyncIterator[str]:
            import anyio

            while not state.cancelled("explore", generation):
                try:
                    event = await state.run("explore", next, events, None)
                except RefusalError:  # busy: wait for a token
                    await anyio.sleep(0.1)
                    continue
                if event is None:
                    break
                yield event_text(event, event.get("event"))
        return event_response(played())

    async def code(request: Any, body: dict[str, Any]) -> Any:
        def work() -> dict[str, str]:
            sample = integer(request.query_params, "sample", 0, 0, len(state.engine.x) - 1)
            return state.engine.code(sample=sample)
        return await state.run("toy", work)

    return [
        Route("/api/inspect", endpoint(inspect)),
        Route("/api/landscape", endpoint(cost_landscape)),
        Route("/api/race", endpoint(learning_rate_race)),
        Route("/api/code", endpoint(code)),
    ]
