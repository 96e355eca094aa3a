"""The playground's Server-Sent Events: one event's text (:func:`event_text`), the
streaming response (:func:`event_response`), and the frames of a panel's training
(:func:`frame_stream`), which end after at most :data:`MAX_FRAMES` frames.

Starlette and anyio are imported by the functions that use them only, so the module
imports without the ``playground`` extra.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from neuroflow.playground.queues import State
from neuroflow.playground.requests import RefusalError, clean

__all__ = ["MAX_FRAMES", "event_text", "event_response", "frame_stream"]

#: Most frames one stream sends before it ends (the page opens the next one).
MAX_FRAMES = 1000


def event_text(data: Any, name: str | None = None) -> str:
    """``data`` as one Server-Sent Event (JSON, NaN as ``null``), named ``name``."""
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(clean(data), separators=(',', ':'))}\n\n"


def event_response(events: AsyncIterator[str]) -> Any:
    """A ``text/event-stream`` response sending ``events``."""
    from starlette.responses import StreamingResponse

    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store"})


async def frame_stream(state: State, channel: str, frames: int, fps: float,
                       work: Callable[[int], dict[str, Any] | None]) -> AsyncIterator[str]:
    """Up to ``frames`` frames of ``work`` (run on ``channel``'s queue), at most ``fps``
    a second, as Server-Sent Events; ends with an ``end`` event."""
    import anyio

    generation = state.new_generation(channel)
    for _ in range(frames):
        started = time.perf_counter()
        if state.cancelled(channel, generation):
            break
        try:
            frame = await state.run(channel, work, generation)
        except RefusalError:  # the queue is full: skip this frame
            frame = None
        except (ValueError, ArithmeticError) as error:  # e.g. settings changed meanwhile
            frame = {"error": str(error).splitlines()[0] if str(error) else "stopped"}
        if frame is None:
            if state.cancelled(channel, generation):
                break
        else:
            yield event_text(frame)
            if frame.get("error"):
                break
        await anyio.sleep(max(0.0, 1.0 / fps - (time.perf_counter() - started)))
    yield event_text({}, "end")
