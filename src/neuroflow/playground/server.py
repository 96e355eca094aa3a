"""The playground's web application (Starlette): the page, its files and a JSON API over
one :class:`~neuroflow.playground.Engine`, with frames streamed as Server-Sent Events.

Safety, for a server on the learner's own machine:

- every request must name an allowed ``Host`` (``127.0.0.1:PORT`` or ``localhost:PORT``)
  and, when it carries an ``Origin``, come from that host: a web page elsewhere cannot
  reach the server, not even through DNS rebinding;
- the page and every ``/api/`` call need the random token of the printed URL (the
  ``token`` query parameter or the ``X-Neuroflow-Token`` header); only the static files
  of the package are served without it;
- bad parameters are answered ``400`` with ``{"error": message}``; every stream ends
  after a bounded number of frames.

Starlette is imported by :func:`create_app` only, so the rest of the package works
without the ``playground`` extra.
"""

from __future__ import annotations

import hmac
import json
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from neuroflow.playground.config import Config
from neuroflow.playground.engine import MAX_EPOCHS_PER_STEP, Engine
from neuroflow.playground.explore import landscape, parse_weight, race
from neuroflow.playground.mnist import MnistEngine

__all__ = ["create_app", "Guard", "STATIC", "MAX_FRAMES", "clean"]

#: The page and its scripts, shipped with the package.
STATIC = Path(__file__).with_name("static")
#: Most frames one stream sends before it ends (the page opens the next one).
MAX_FRAMES = 1000


def clean(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by ``None`` (valid JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def _event(data: Any, name: str | None = None) -> str:
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(clean(data), separators=(',', ':'))}\n\n"


def integer(query: Mapping[str, str], key: str, default: int, lo: int, hi: int) -> int:
    """``query[key]`` as an integer in ``[lo, hi]`` (``default`` when missing)."""
    text = query.get(key)
    if text in (None, ""):
        return default
    try:
        value = int(str(text))
    except ValueError:
        raise ValueError(f"{key}: expected an integer, received {text!r}") from None
    if not lo <= value <= hi:
        raise ValueError(f"{key}: expected an integer from {lo} to {hi}, received {text!r}")
    return value


def number(query: Mapping[str, str], key: str, default: float, lo: float, hi: float) -> float:
    """``query[key]`` as a finite number in ``(lo, hi]`` (``default`` when missing)."""
    text = query.get(key)
    if text in (None, ""):
        return default
    try:
        value = float(str(text))
    except ValueError:
        raise ValueError(f"{key}: expected a number, received {text!r}") from None
    if not (math.isfinite(value) and lo < value <= hi):
        raise ValueError(f"{key}: expected a number > {lo:g} and <= {hi:g}, received {text!r}")
    return value


class Guard:
    """ASGI middleware: refuse (403) a wrong ``Host``, a foreign ``Origin``, and the page
    or an ``/api/`` call without the token.

    Parameters
    ----------
    app : ASGI application
    token : str
    hosts : sequence of str
        Allowed ``Host`` header values, e.g. ``["127.0.0.1:8765", "localhost:8765"]``.
    """

    def __init__(self, app: Any, token: str, hosts: Sequence[str]) -> None:
        self.app, self.token, self.hosts = app, token, {h.lower() for h in hosts}
        self.origins = {f"http://{h}" for h in self.hosts}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        reason = self.refusal(scope, headers)
        if reason is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": reason}).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def refusal(self, scope: dict[str, Any], headers: dict[str, str]) -> str | None:
        """Why the request is refused, or ``None``."""
        if headers.get("host", "").lower() not in self.hosts:
            return "Host not allowed: the playground answers its own address only"
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in self.origins:
            return "Origin not allowed: requests from other sites are refused"
        path = scope.get("path", "")
        if path.startswith("/static/"):
            return None
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = headers.get("x-neuroflow-token") or (query.get("token") or [""])[0]
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return "missing or wrong token: open the URL the command printed"
        return None


class _State:
    """The engines, a lock for each, and the stream generation of each (a new stream or
    a pause ends the streams of that engine started before it)."""

    def __init__(self, engine: Engine, save_dir: Path) -> None:
        self.engine = engine
        self.mnist: MnistEngine | None = None
        self.locks = {"toy": threading.Lock(), "mnist": threading.Lock()}
        self.lock = self.locks["toy"]
        self.generations = {"toy": 0, "mnist": 0}
        self.save_dir = save_dir

    def new_generation(self, channel: str = "toy") -> int:
        with self.locks[channel]:
            self.generations[channel] += 1
            return self.generations[channel]

    def mnist_engine(self) -> MnistEngine:
        """The MNIST engine, built (MNIST read) on first use."""
        with self.locks["mnist"]:
            if self.mnist is None:
                self.mnist = MnistEngine()
            return self.mnist


def _stream(state: _State, channel: str, frames: int, fps: float,
            work: Callable[[], dict[str, Any]]) -> Iterator[str]:
    generation = state.new_generation(channel)
    for _ in range(frames):
        started = time.perf_counter()
        if state.generations[channel] != generation:
            break
        with state.locks[channel]:
            frame = work()
        yield _event(frame)
        if frame.get("error"):
            break
        time.sleep(max(0.0, 1.0 / fps - (time.perf_counter() - started)))
    yield _event({}, "end")


def create_app(engine: Engine | None = None, token: str = "", *,
               hosts: Sequence[str] = ("127.0.0.1", "localhost"), port: int | None = None,
               save_dir: str | Path = ".", max_fps: float = 60.0,
               mnist: MnistEngine | None = None) -> Any:
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
    """
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    if not token:
        raise ValueError("token: expected a non-empty secret")
    state = _State(engine or Engine(), Path(save_dir))
    state.mnist = mnist

    def endpoint(work: Callable[[Request, dict[str, Any]], Any]) -> Callable[..., Any]:
        """An async endpoint running ``work(request, body)`` in a thread: its value as
        JSON, a ValueError as 400, a Response as is."""
        async def handle(request: Request) -> Response:
            body: dict[str, Any] = {}
            if request.method == "POST":
                raw = await request.body()
                try:
                    body = json.loads(raw) if raw.strip() else {}
                except ValueError:
                    return JSONResponse({"error": "body: expected JSON"}, status_code=400)
                if not isinstance(body, dict):
                    return JSONResponse({"error": "body: expected a JSON object"},
                                        status_code=400)
            try:
                result = await run_in_threadpool(work, request, body)
            except ValueError as error:
                return JSONResponse({"error": str(error).splitlines()[0]}, status_code=400)
            if isinstance(result, Response):
                return result
            return JSONResponse(clean(result))
        return handle

    def locked(call: Callable[[], Any]) -> Any:
        with state.lock:
            return call()

    def configure(request: Request, body: dict[str, Any]) -> Any:
        config = Config.parse({str(k): str(v) for k, v in body.items()})
        state.new_generation()
        def work() -> dict[str, Any]:
            state.engine.configure(config)
            return state.engine.state()
        return locked(work)

    def step(request: Request, body: dict[str, Any]) -> Any:
        epochs = integer(request.query_params, "epochs", 1, 1, MAX_EPOCHS_PER_STEP)
        def work() -> dict[str, Any]:
            state.engine.step(epochs)
            return state.engine.frame()
        return locked(work)

    def reset(request: Request, body: dict[str, Any]) -> Any:
        state.new_generation()
        def work() -> dict[str, Any]:
            state.engine.reset()
            return state.engine.state()
        return locked(work)

    def pause(request: Request, body: dict[str, Any]) -> Any:
        state.new_generation()
        return {"paused": True, "epoch": state.engine.epoch}

    def stream(request: Request, body: dict[str, Any]) -> Any:
        q = request.query_params
        frames = integer(q, "frames", 100, 1, MAX_FRAMES)
        epochs = integer(q, "epochs", 1, 1, MAX_EPOCHS_PER_STEP)
        fps = number(q, "fps", max_fps, 0, max_fps)

        def work() -> dict[str, Any]:
            state.engine.step(epochs)
            return state.engine.frame()
        return StreamingResponse(_stream(state, "toy", frames, fps, work),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    def inspect(request: Request, body: dict[str, Any]) -> Any:
        q = request.query_params
        index = integer(q, "i", 0, 0, len(state.engine.x) - 1)
        rate = number(q, "lr", state.engine.config.learning_rate, 0, 1e6)
        return locked(lambda: state.engine.inspect(index, rate))

    def cost_landscape(request: Request, body: dict[str, Any]) -> Any:
        q = request.query_params
        sizes = state.engine.config.sizes
        first = parse_weight(q.get("w1", "0.0.0"), sizes, "w1")
        second = parse_weight(q.get("w2", "0.1.0"), sizes, "w2")
        span = number(q, "span", 2.0, 0, 100)
        n = integer(q, "n", 31, 3, 81)
        mode = q.get("mode", "live")
        # computed on a snapshot, so that training goes on meanwhile
        return landscape(locked(state.engine.snapshot), first, second, span, n, mode)

    def learning_rate_race(request: Request, body: dict[str, Any]) -> Any:
        q = request.query_params
        text = q.get("lrs", "0.01,0.1,1,5")
        try:
            rates = [float(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"lrs: expected numbers separated by commas, received "
                             f"{text!r}") from None
        if not 3 <= len(rates) <= 5 or any(not (math.isfinite(r) and 0 < r <= 100)
                                           for r in rates):
            raise ValueError(f"lrs: expected 3 to 5 learning rates in (0, 100], received "
                             f"{text!r}")
        epochs = integer(q, "epochs", 40, 2, 500)
        config = state.engine.config
        events = (_event(e, e.get("event")) for e in race(config, rates, epochs))
        return StreamingResponse(events, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    def code(request: Request, body: dict[str, Any]) -> Any:
        sample = integer(request.query_params, "sample", 0, 0, len(state.engine.x) - 1)
        return locked(lambda: state.engine.code(sample=sample))

    def save(request: Request, body: dict[str, Any]) -> Any:
        name = str(body.get("name") or "playground.safetensors")
        if not name.endswith(".safetensors") or "/" in name or "\\" in name or \
                name.startswith(".") or len(name) > 100:
            raise ValueError(f"name: expected a file name ending in .safetensors (no "
                             f"folder), received {name!r}")
        path = state.save_dir / name
        locked(lambda: state.engine.save(path))
        return {"path": str(path.resolve()), "code": state.engine.code(str(path))}

    def mnist_configure(request: Request, body: dict[str, Any]) -> Any:
        engine = MnistEngine.parse({str(k): str(v) for k, v in body.items()})
        state.new_generation("mnist")
        with state.locks["mnist"]:
            state.mnist = engine
            return engine.frame()

    def mnist_state(request: Request, body: dict[str, Any]) -> Any:
        engine = state.mnist_engine()
        with state.locks["mnist"]:
            return engine.frame()

    def mnist_stream(request: Request, body: dict[str, Any]) -> Any:
        q = request.query_params
        frames = integer(q, "frames", 20, 1, MAX_FRAMES)
        epochs = integer(q, "epochs", 1, 1, 20)
        engine = state.mnist_engine()

        def work() -> dict[str, Any]:
            engine.step(epochs)
            return engine.frame()
        return StreamingResponse(_stream(state, "mnist", frames, max_fps, work),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    def mnist_predict(request: Request, body: dict[str, Any]) -> Any:
        pixels = body.get("pixels")
        if not isinstance(pixels, list) or len(pixels) != 784 or \
                not all(isinstance(p, (int, float)) and not isinstance(p, bool)
                        for p in pixels):
            raise ValueError("pixels: expected a list of 784 numbers (28 x 28, ink 1 on 0)")
        engine = state.mnist_engine()
        with state.locks["mnist"]:
            return engine.predict(pixels)

    def page(request: Request, body: dict[str, Any]) -> Any:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    routes = [
        Route("/", endpoint(page)),
        Route("/api/state", endpoint(lambda r, b: locked(state.engine.state))),
        Route("/api/config", endpoint(configure), methods=["POST"]),
        Route("/api/step", endpoint(step), methods=["POST"]),
        Route("/api/reset", endpoint(reset), methods=["POST"]),
        Route("/api/pause", endpoint(pause), methods=["POST"]),
        Route("/api/stream", endpoint(stream)),
        Route("/api/inspect", endpoint(inspect)),
        Route("/api/landscape", endpoint(cost_landscape)),
        Route("/api/race", endpoint(learning_rate_race)),
        Route("/api/code", endpoint(code)),
        Route("/api/save", endpoint(save), methods=["POST"]),
        Route("/api/mnist/state", endpoint(mnist_state)),
        Route("/api/mnist/config", endpoint(mnist_configure), methods=["POST"]),
        Route("/api/mnist/stream", endpoint(mnist_stream)),
        Route("/api/mnist/predict", endpoint(mnist_predict), methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    allowed = [h if port is None else f"{h}:{port}" for h in hosts]
    return Guard(app, token, allowed)
