"""The endpoints of the Lessons panel: depth (one against three hidden layers on the
spirals) and local minima (gradient descent on a cost with two basins). Both compute on
the explorers' queue, so the Train panel's training goes on meanwhile."""

from __future__ import annotations

from typing import Any

from neuroflow.playground.config import MAX_SEED
from neuroflow.playground.lessons import (
    MAX_LESSON_EPOCHS,
    MAX_LESSON_SEEDS,
    depth_lesson,
    minima_lesson,
)
from neuroflow.playground.queues import State
from neuroflow.playground.requests import endpoint, integer

__all__ = ["lesson_routes"]


def lesson_routes(state: State) -> list[Any]:
    """The Lessons panel: ``/api/lessons/depth?epochs=&seed=`` and
    ``/api/lessons/minima?seeds=``."""
    from starlette.routing import Route

    async def depth(request: Any, body: dict[str, Any]) -> Any:
        query = request.query_params
        epochs = integer(query, "epochs", 200, 1, MAX_LESSON_EPOCHS)
        seed = integer(query, "seed", 0, 0, MAX_SEED)
        return await state.run("explore", depth_lesson, epochs, seed)

    async def minima(request: Any, body: dict[str, Any]) -> Any:
        seeds = integer(request.query_params, "seeds", 8, 1, MAX_LESSON_SEEDS)
        return await state.run("explore", minima_lesson, seeds)

    return [Route("/api/lessons/depth", endpoint(depth)),
            Route("/api/lessons/minima", endpoint(minima))]
