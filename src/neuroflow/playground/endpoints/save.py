"""The Save model endpoint: the Train panel's network as a ``.safetensors`` file in the
save folder, under a plain file name, never over another file unless asked."""

from __future__ import annotations

import os
from typing import Any

from neuroflow.playground.queues import State
from neuroflow.playground.requests import RefusalError, endpoint

__all__ = ["save_routes"]


def save_routes(state: State) -> list[Any]:
    """Save model: a ``.safetensors`` file in the save folder, never over another."""
    from starlette.routing import Route

    async def save(request: Any, body: dict[str, Any]) -> Any:
        given = body.get("name")
        overwrite = body.get("overwrite", False)
        if not isinstance(overwrite, bool):
            raise ValueError(f"overwrite: expected true or false, received {overwrite!r}")
        name = _save_name(given if given is not None else "playground.safetensors")
        path = state.save_dir / name
        if given is None and not overwrite:  # the default name: the next free one
            stem, number = name[:-len(".safetensors")], 2
            while os.path.lexists(path):
                path, number = state.save_dir / f"{stem}-{number}.safetensors", number + 1
        elif os.path.lexists(path) and not overwrite:
            raise RefusalError(409, f"name: {name!r} exists in the save folder; send "
                               f"\"overwrite\": true to replace it, or another name")

        def work() -> dict[str, Any]:
            state.engine.save(path)
            return {"path": str(path.resolve()), "code": state.engine.code(str(path))}
        return await state.run("toy", work)

    return [Route("/api/save", endpoint(save), methods=["POST"])]


def _save_name(name: Any) -> str:
    text = str(name)
    if not isinstance(name, str) or not text.endswith(".safetensors") or "/" in text or \
            "\\" in text or text.startswith(".") or len(text) > 100:
        raise ValueError(f"name: expected a file name ending in .safetensors (no folder), "
                         f"received {text[:120]!r}")
    if not text.isprintable():
        raise ValueError(f"name: expected a file name without control characters, "
                         f"received {text!r}")
    return text
