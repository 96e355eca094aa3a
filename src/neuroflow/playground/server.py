"""The playground's web application (Starlette): :func:`create_app` puts together the page,
its files and a JSON API over one :class:`~neuroflow.playground.Engine`, with frames
streamed as Server-Sent Events, behind the :class:`~neuroflow.playground.signin.Guard`.

The application's parts, for a server on the learner's own machine:

- :mod:`~neuroflow.playground.signin`: the token, the one-time sign-in codes and the
  cookie, the ``Host`` and ``Origin`` checks, refused upgrades (:class:`Guard`);
- :mod:`~neuroflow.playground.requests`: bodies of at most :data:`MAX_BODY` bytes of JSON
  nested at most :data:`MAX_DEPTH` deep, parameters in range, ``400`` with
  ``{"error": message}`` for bad ones;
- :mod:`~neuroflow.playground.queues`: one queue per engine, at most :data:`MAX_WAITING`
  requests waiting (``429`` beyond); pause, cancel and reset go first;
- :mod:`~neuroflow.playground.streams`: Server-Sent Events; every stream ends after at
  most :data:`MAX_FRAMES` frames;
- :mod:`~neuroflow.playground.endpoints`: the endpoints, one module per group of panels.

The process around it (the port, the browser, Ctrl-C and SIGTERM) is the command's,
:mod:`neuroflow.cli.playground`. Starlette is imported by :func:`create_app` (and the
functions it calls) only, so the rest of the package works without the ``playground``
extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from neuroflow.playground.endpoints import (
    explore_routes,
    lesson_routes,
    mnist_routes,
    save_routes,
    train_routes,
)
from neuroflow.playground.engine import Engine
from neuroflow.playground.mnist import MnistEngine
from neuroflow.playground.queues import MAX_WAITING, State
from neuroflow.playground.requests import MAX_BODY, MAX_DEPTH, clean, parse_body
from neuroflow.playground.signin import CODE_SECONDS, Guard
from neuroflow.playground.streams import MAX_FRAMES

__all__ = ["create_app", "Guard", "STATIC", "MAX_FRAMES", "MAX_BODY", "MAX_DEPTH",
           "MAX_WAITING", "CODE_SECONDS", "clean", "parse_body"]

#: The page and its scripts, shipped with the package.
STATIC = Path(__file__).with_name("static")


def create_app(engine: Engine | None = None, token: str = "", *,
               hosts: Sequence[str] = ("127.0.0.1", "localhost"), port: int | None = None,
               save_dir: str | Path = ".", max_fps: float = 60.0,
               mnist: MnistEngine | None = None) -> Guard:
    """The Starlette application of the playground, wrapped in :class:`Guard`.

    Parameters
    ----------
    engine : Engine, optional
        The engine served (a default one otherwise).
    token : str
        The secret every ``/api/`` request and the page must carry (non-empty).
    hosts : sequence of str
        Host names the server answers to; with ``port``, ``host:port`` is required.
    port : int, optional
    save_dir : str or Path
        Where "save model" writes its ``.safetensors`` files.
    max_fps : float
        Most frames per second a stream sends.
    mnist : MnistEngine, optional
        The MNIST panel's engine (by default a 784-32-10 network on 5,000 images, built
        when the panel first asks).

    Returns
    -------
    Guard
        The application; :meth:`Guard.new_code` makes sign-in codes and
        :meth:`Guard.stop` ends every stream and training (before the server stops).
    """
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    if not token:
        raise ValueError("token: expected a non-empty secret")
    state = State(engine or Engine(), Path(save_dir), mnist)

    async def page(request: Any) -> Response:
        # read here, not in a worker thread: the page answers even when they are all busy
        return Response((STATIC / "index.html").read_bytes(), media_type="text/html",
                        headers={"Cache-Control": "no-store"})

    routes = [
        Route("/", page),
        *train_routes(state, max_fps),
        *explore_routes(state),
        *save_routes(state),
        *lesson_routes(state),
        *mnist_routes(state, max_fps),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    allowed = [h if port is None else f"{h}:{port}" for h in hosts]
    guard = Guard(Starlette(routes=routes), token, allowed,
                  cookie="neuroflow-playground" if port is None
                  else f"neuroflow-playground-{port}")
    guard.on_stop.append(state.stop)
    return guard
