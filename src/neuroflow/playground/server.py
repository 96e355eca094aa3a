"""The playground's web application (Starlette): the page, its files and a JSON API over
one :class:`~neuroflow.playground.Engine`, with frames streamed as Server-Sent Events.

Safety, for a server on the learner's own machine:

- every request must name an allowed ``Host`` (``127.0.0.1:PORT`` or ``localhost:PORT``)
  and, when it carries an ``Origin``, come from that host: a web page elsewhere cannot
  reach the server, not even through DNS rebinding;
- the page and every ``/api/`` call need the server's random token, sent as the
  ``X-Neuroflow-Token`` header or as an HttpOnly, ``SameSite=Strict`` cookie. The token
  never travels in a URL: the browser is opened with a **sign-in code**
  (``/?code=...``, :meth:`Guard.new_code`), good once and for :data:`CODE_SECONDS`
  seconds, which the first load exchanges for the cookie before replacing the address
  by ``/`` (so the code stays out of the history, and ``Referrer-Policy: no-referrer``
  keeps it out of any ``Referer``); only the static files of the package are served
  without the token;
- WebSocket handshakes and other ``Upgrade`` requests are refused with a plain 4xx
  (the playground has no WebSocket endpoint);
- a request body is at most :data:`MAX_BODY` bytes of JSON nested at most
  :data:`MAX_DEPTH` deep; bad bodies and bad parameters are answered ``400`` with
  ``{"error": message}``;
- the work on each engine runs one request at a time, in arrival order, with at most
  :data:`MAX_WAITING` requests waiting (``429`` beyond); the control requests
  (``pause``, ``cancel``, ``reset``) end the streams and queued training of their panel
  at once (training checks between epochs, and ``reset`` and :meth:`Guard.stop` end
  the running epoch after its batch), so they never wait behind a queue;
- every stream ends after a bounded number of frames.

Starlette is imported by :func:`create_app` only, so the rest of the package works
without the ``playground`` extra.
"""

from __future__ import annotations

import asyncio
import collections
import hmac
import json
import math
import os
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import numpy as np

from neuroflow.playground.config import Config
from neuroflow.playground.engine import MAX_EPOCHS_PER_STEP, Engine
from neuroflow.playground.explore import landscape, parse_weight, race
from neuroflow.playground.mnist import MnistEngine

__all__ = ["create_app", "Guard", "STATIC", "MAX_FRAMES", "MAX_BODY", "MAX_DEPTH",
           "MAX_WAITING", "CODE_SECONDS", "clean", "parse_body"]

#: The page and its scripts, shipped with the package.
STATIC = Path(__file__).with_name("static")
#: Most frames one stream sends before it ends (the page opens the next one).
MAX_FRAMES = 1000
#: Largest request body, in bytes (a drawn digit is about 4 kB).
MAX_BODY = 64 * 1024
#: Deepest nesting of arrays and objects in a request body.
MAX_DEPTH = 16
#: Most requests waiting for one engine (the toy network's, MNIST's, or the explorers');
#: one more is answered 429.
MAX_WAITING = 8
#: Seconds a sign-in code stays good (it is good once).
CODE_SECONDS = 60.0
#: The setting keys of the MNIST panel (:meth:`MnistEngine.parse`).
MNIST_KEYS = ("mh", "mlr", "mbs", "mn", "mseed", "mact", "mopt")

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")


class _RefusalError(Exception):
    """A request answered with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


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


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"body: {name} is not a JSON number")


def parse_body(raw: bytes) -> dict[str, Any]:
    """A request body as a JSON object (``{}`` when empty).

    Raises
    ------
    ValueError
        Larger than :data:`MAX_BODY` bytes, nested deeper than :data:`MAX_DEPTH`, not
        JSON (``NaN`` and ``Infinity`` are not JSON), or not an object.
    """
    if len(raw) > MAX_BODY:
        raise ValueError(f"body: expected at most {MAX_BODY} bytes, received {len(raw)}")
    if not raw.strip():
        return {}
    # the depth, counted before parsing (a deep body would exhaust the parser's
    # recursion): brackets outside strings
    brackets = np.frombuffer(_STRING.sub(b"", raw), dtype=np.uint8)
    steps = np.isin(brackets, (91, 123)).astype(np.int32) - np.isin(brackets, (93, 125))
    depth = int(np.cumsum(steps).max()) if steps.size else 0
    if depth > MAX_DEPTH:
        raise ValueError(f"body: expected JSON nested at most {MAX_DEPTH} deep, received "
                         f"{depth} levels")
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(f"body: expected JSON nested at most {MAX_DEPTH} deep") from None
    except ValueError as error:
        if str(error).startswith("body: "):
            raise
        raise ValueError("body: expected JSON") from None
    if not isinstance(value, dict):
        raise ValueError("body: expected a JSON object")
    return value


def integer(query: Mapping[str, str], key: str, default: int, lo: int, hi: int) -> int:
    """``query[key]`` as an integer in ``[lo, hi]`` (``default`` when missing); only the
    ASCII digits are digits."""
    text = query.get(key)
    if text in (None, ""):
        return default
    text = str(text)
    if len(text) > 20 or not _ASCII_INTEGER.fullmatch(text):
        raise ValueError(f"{key}: expected an integer, received {text[:40]!r}")
    value = int(text)
    if not lo <= value <= hi:
        raise ValueError(f"{key}: expected an integer from {lo} to {hi}, received {text!r}")
    return value


def number(query: Mapping[str, str], key: str, default: float, lo: float, hi: float) -> float:
    """``query[key]`` as a finite number in ``(lo, hi]`` (``default`` when missing)."""
    text = query.get(key)
    if text in (None, ""):
        return default
    text = str(text)
    try:
        value = float(text) if text.isascii() else math.nan
    except ValueError:
        raise ValueError(f"{key}: expected a number, received {text[:40]!r}") from None
    if not (math.isfinite(value) and lo < value <= hi):
        raise ValueError(f"{key}: expected a number > {lo:g} and <= {hi:g}, received "
                         f"{text[:40]!r}")
    return value


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        found.setdefault(name, value)
    return found


_EXCHANGE_PAGE = b"""<!doctype html>
<meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>neuroflow playground</title>
<script>
const query = new URLSearchParams(location.search);
query.delete("code");
location.replace("/" + (query.size ? "?" + query : "") + location.hash);
</script>
<noscript><meta http-equiv="refresh" content="0; url=/"></noscript>
<p>Signed in: opening the playground...</p>
"""


class Guard:
    """ASGI middleware: refuse (403) a wrong ``Host``, a foreign ``Origin``, and the page
    or an ``/api/`` call without the token (header or cookie); refuse (400) upgrades;
    exchange sign-in codes for the cookie.

    Parameters
    ----------
    app : ASGI application
    token : str
    hosts : sequence of str
        Allowed ``Host`` header values, e.g. ``["127.0.0.1:8765", "localhost:8765"]``.
    cookie : str
        The cookie's name (one per port: browsers share cookies across the ports of a
        host).
    """

    def __init__(self, app: Any, token: str, hosts: Sequence[str],
                 cookie: str = "neuroflow-playground") -> None:
        self.app, self.token, self.hosts = app, token, {h.lower() for h in hosts}
        self.origins = {f"http://{h}" for h in self.hosts}
        self.cookie = cookie
        self.codes: dict[str, float] = {}
        self._codes_lock = threading.Lock()
        self.on_stop: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ sign-in codes
    def new_code(self) -> str:
        """A fresh sign-in code: ``/?code=CODE`` sets the cookie, once, within
        :data:`CODE_SECONDS` seconds."""
        code = secrets.token_urlsafe(16)
        with self._codes_lock:
            now = time.monotonic()
            self.codes = {c: t for c, t in self.codes.items() if t > now}
            self.codes[code] = now + CODE_SECONDS
        return code

    def take_code(self, given: str) -> bool:
        """Whether ``given`` is a live code; it dies here either way."""
        with self._codes_lock:
            now = time.monotonic()
            match = None
            for code, expires in self.codes.items():
                if hmac.compare_digest(given.encode("utf-8", "replace"), code.encode()):
                    match = code if expires > now else None
            if match is not None:
                del self.codes[match]
            return match is not None

    def stop(self) -> None:
        """End every stream and training of the application (the server is stopping)."""
        for call in self.on_stop:
            call()

    # ------------------------------------------------------------------ ASGI
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await self._refuse_websocket(scope, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        try:
            self.check(scope, headers)
            if scope.get("path") == "/" and "code" in self._query(scope):
                await self._sign_in(scope, headers, send)
                return
        except _RefusalError as refusal:
            await _answer(send, refusal.status, {"error": str(refusal)})
            return
        await self.app(scope, receive, _secured(send, scope.get("path", "")))

    @staticmethod
    def _query(scope: dict[str, Any]) -> dict[str, list[str]]:
        return parse_qs(scope.get("query_string", b"").decode("latin-1"))

    def refusal(self, scope: dict[str, Any], headers: dict[str, str]) -> str | None:
        """Why the request is refused, or ``None``."""
        try:
            self.check(scope, headers)
        except _RefusalError as refused:
            return str(refused)
        return None

    def check(self, scope: dict[str, Any], headers: dict[str, str]) -> None:
        """Raise :class:`_RefusalError` for a request the playground does not answer."""
        if headers.get("host", "").lower() not in self.hosts:
            raise _RefusalError(403, "Host not allowed: the playground answers its own address "
                                "only")
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in self.origins:
            raise _RefusalError(403, "Origin not allowed: requests from other sites are refused")
        if "upgrade" in headers:
            raise _RefusalError(400, f"Upgrade: not supported, received "
                                f"{headers['upgrade'][:40]!r} (the playground has no "
                                f"WebSocket or other upgraded endpoint)")
        path = scope.get("path", "")
        if path.startswith("/static/"):
            return
        if path == "/" and "code" in self._query(scope):
            return  # checked by _sign_in
        if not self.signed_in(headers):
            raise _RefusalError(403, "missing or wrong token: open the sign-in link the command "
                                "printed (press Enter where it runs for a new one)")

    def signed_in(self, headers: dict[str, str]) -> bool:
        """Whether the request carries the token (the header, else the cookie)."""
        given = headers.get("x-neuroflow-token") or \
            _cookies(headers.get("cookie", "")).get(self.cookie, "")
        return hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode())

    async def _sign_in(self, scope: dict[str, Any], headers: dict[str, str],
                       send: Any) -> None:
        code = (self._query(scope).get("code") or [""])[0]
        if not self.take_code(code) and not self.signed_in(headers):
            raise _RefusalError(403, "this sign-in link has been used or is older than "
                                f"{CODE_SECONDS:g} s: press Enter where the playground runs "
                                "for a new one")
        # a page, not a redirect: the navigation it starts is same-site, so the
        # SameSite=Strict cookie goes with it (a redirect of the browser's first,
        # cross-site navigation would not carry it)
        cookie = f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(_EXCHANGE_PAGE)).encode()),
                                (b"set-cookie", cookie.encode()), *_SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": _EXCHANGE_PAGE})

    async def _refuse_websocket(self, scope: dict[str, Any], send: Any) -> None:
        if "websocket.http.response" in scope.get("extensions", {}):
            body = json.dumps({"error": "the playground has no WebSocket endpoint"}).encode()
            await send({"type": "websocket.http.response.start", "status": 404,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008})


_SECURITY_HEADERS = [(b"referrer-policy", b"no-referrer"),
                     (b"x-content-type-options", b"nosniff"),
                     (b"cache-control", b"no-store")]


def _secured(send: Any, path: str) -> Any:
    """``send`` adding ``Referrer-Policy: no-referrer`` and ``nosniff`` to every response,
    and ``Cache-Control: no-store`` to the page and the API."""
    extra = _SECURITY_HEADERS if not path.startswith("/static/") else _SECURITY_HEADERS[:2]

    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            message = {**message, "headers": [*message.get("headers", []),
                                              *(h for h in extra if h[0] not in names)]}
        await send(message)
    return wrapped


async def _answer(send: Any, status: int, data: Any) -> None:
    body = json.dumps(data).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *_SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


class _Queue:
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
                raise _RefusalError(429, f"busy: {MAX_WAITING} requests are waiting for "
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


class _State:
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
        self._queues: dict[str, _Queue] = {}

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
        ``channel`` (:class:`_Queue`); a ``control`` request goes before every waiting
        one."""
        queue = self._queues.get(channel)
        if queue is None:
            queue = self._queues[channel] = _Queue(2 if channel == "explore" else 1)
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


async def _stream(state: _State, channel: str, frames: int, fps: float,
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
        except _RefusalError:  # the queue is full: skip this frame
            frame = None
        except (ValueError, ArithmeticError) as error:  # e.g. settings changed meanwhile
            frame = {"error": str(error).splitlines()[0] if str(error) else "stopped"}
        if frame is None:
            if state.cancelled(channel, generation):
                break
        else:
            yield _event(frame)
            if frame.get("error"):
                break
        await anyio.sleep(max(0.0, 1.0 / fps - (time.perf_counter() - started)))
    yield _event({}, "end")


def _endpoint(work: Callable[[Any, dict[str, Any]], Any]) -> Callable[..., Any]:
    """An async endpoint awaiting ``work(request, body)``: its value as JSON, a
    ValueError as 400, a refusal with its status, a Response as is."""
    from starlette.requests import ClientDisconnect
    from starlette.responses import JSONResponse, Response

    async def handle(request: Any) -> Response:
        try:
            body: dict[str, Any] = {}
            if request.method == "POST":
                body = parse_body(await _read_body(request))
            result = await work(request, body)
        except _RefusalError as refused:
            return JSONResponse({"error": str(refused)}, status_code=refused.status)
        except (ValueError, RecursionError) as error:
            message = (str(error).splitlines() or ["bad request"])[0]
            return JSONResponse({"error": message}, status_code=400)
        except ClientDisconnect:
            return Response(status_code=400)
        if isinstance(result, Response):
            return result
        return JSONResponse(clean(result))
    return handle


async def _read_body(request: Any) -> bytes:
    length = request.headers.get("content-length", "")
    if length.strip() and (not length.strip().isdigit() or int(length) > MAX_BODY):
        raise ValueError(f"body: expected at most {MAX_BODY} bytes, received "
                         f"Content-Length {length[:40]!r}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ValueError(f"body: expected at most {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _sse(events: AsyncIterator[str]) -> Any:
    from starlette.responses import StreamingResponse

    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------------- panels
def _train_routes(state: _State, max_fps: float) -> list[Any]:
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
        q = request.query_params
        frames = integer(q, "frames", 100, 1, MAX_FRAMES)
        epochs = integer(q, "epochs", 1, 1, MAX_EPOCHS_PER_STEP)
        fps = number(q, "fps", max_fps, 0, max_fps)

        def work(generation: int) -> dict[str, Any] | None:
            if state.cancelled("toy", generation):
                return None
            state.train("toy", generation, epochs)
            return state.engine.frame()
        return _sse(_stream(state, "toy", frames, fps, work))

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
        Route("/api/state", _endpoint(locked(lambda: state.engine.state()))),
        Route("/api/config", _endpoint(configure), methods=["POST"]),
        Route("/api/step", _endpoint(step), methods=["POST"]),
        Route("/api/reset", _endpoint(reset), methods=["POST"]),
        Route("/api/pause", _endpoint(pause), methods=["POST"]),
        Route("/api/cancel", _endpoint(cancel), methods=["POST"]),
        Route("/api/stream", _endpoint(stream)),
        Route("/api/weight", _endpoint(set_weight), methods=["POST"]),
    ]


def _explore_routes(state: _State) -> list[Any]:
    """The Inspect, Landscape, Race and Code panels."""
    from starlette.routing import Route

    async def inspect(request: Any, body: dict[str, Any]) -> Any:
        q = request.query_params

        def work() -> dict[str, Any]:
            index = integer(q, "i", 0, 0, len(state.engine.x) - 1)
            rate = number(q, "lr", state.engine.config.learning_rate, 0, 1e6)
            return state.engine.inspect(index, rate)
        return await state.run("toy", work)

    async def cost_landscape(request: Any, body: dict[str, Any]) -> Any:
        q = request.query_params
        sizes = state.engine.config.sizes
        first = parse_weight(q.get("w1", "0.0.0"), sizes, "w1")
        second = parse_weight(q.get("w2", "0.1.0"), sizes, "w2")
        span = number(q, "span", 2.0, 0, 100)
        n = integer(q, "n", 31, 3, 81)
        mode = q.get("mode", "live")
        # computed on a snapshot, so that training goes on meanwhile
        snapshot = await state.run("toy", state.engine.snapshot)
        return await state.run("explore", landscape, snapshot, first, second, span, n, mode)

    async def learning_rate_race(request: Any, body: dict[str, Any]) -> Any:
        q = request.query_params
        text = q.get("lrs", "0.01,0.1,1,5")
        try:
            rates = [float(v) for v in text.split(",")[:6] if v.strip()]
        except ValueError:
            raise ValueError(f"lrs: expected numbers separated by commas, received "
                             f"{text[:60]!r}") from None
        if not 3 <= len(rates) <= 5 or any(not (math.isfinite(r) and 0 < r <= 1e6)
                                           for r in rates):
            raise ValueError(f"lrs: expected 3 to 5 learning rates in (0, 1e6], received "
                             f"{text[:60]!r}")
        epochs = integer(q, "epochs", 40, 2, 500)
        events = race(state.engine.config, rates, epochs)
        generation = state.generations["explore"]

        async def played() -> AsyncIterator[str]:
            import anyio

            while not state.cancelled("explore", generation):
                try:
                    event = await state.run("explore", next, events, None)
                except _RefusalError:  # busy: wait for a token
                    await anyio.sleep(0.1)
                    continue
                if event is None:
                    break
                yield _event(event, event.get("event"))
        return _sse(played())

    async def code(request: Any, body: dict[str, Any]) -> Any:
        def work() -> dict[str, str]:
            sample = integer(request.query_params, "sample", 0, 0, len(state.engine.x) - 1)
            return state.engine.code(sample=sample)
        return await state.run("toy", work)

    return [
        Route("/api/inspect", _endpoint(inspect)),
        Route("/api/landscape", _endpoint(cost_landscape)),
        Route("/api/race", _endpoint(learning_rate_race)),
        Route("/api/code", _endpoint(code)),
    ]


def _save_routes(state: _State) -> list[Any]:
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
            raise _RefusalError(409, f"name: {name!r} exists in the save folder; send "
                                f"\"overwrite\": true to replace it, or another name")

        def work() -> dict[str, Any]:
            state.engine.save(path)
            return {"path": str(path.resolve()), "code": state.engine.code(str(path))}
        return await state.run("toy", work)

    return [Route("/api/save", _endpoint(save), methods=["POST"])]


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


def _mnist_routes(state: _State, max_fps: float) -> list[Any]:
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
        q = request.query_params
        frames = integer(q, "frames", 20, 1, MAX_FRAMES)
        epochs = integer(q, "epochs", 1, 1, 20)

        def work(generation: int) -> dict[str, Any] | None:
            if state.cancelled("mnist", generation):
                return None
            state.train("mnist", generation, epochs)
            return state.mnist_engine().frame()
        return _sse(_stream(state, "mnist", frames, max_fps, work))

    async def mnist_predict(request: Any, body: dict[str, Any]) -> Any:
        pixels = body.get("pixels")
        if not isinstance(pixels, list) or len(pixels) != 784 or \
                not all(isinstance(p, (int, float)) and not isinstance(p, bool)
                        and math.isfinite(p) for p in pixels):
            raise ValueError("pixels: expected a list of 784 finite numbers (28 x 28, ink 1 "
                             "on 0)")
        return await state.run("mnist", lambda: state.mnist_engine().predict(pixels))

    return [
        Route("/api/mnist/state", _endpoint(mnist_state)),
        Route("/api/mnist/config", _endpoint(mnist_configure), methods=["POST"]),
        Route("/api/mnist/stream", _endpoint(mnist_stream)),
        Route("/api/mnist/predict", _endpoint(mnist_predict), methods=["POST"]),
    ]


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
    state = _State(engine or Engine(), Path(save_dir), mnist)

    async def page(request: Any) -> Response:
        # read here, not in a worker thread: the page answers even when they are all busy
        return Response((STATIC / "index.html").read_bytes(), media_type="text/html",
                        headers={"Cache-Control": "no-store"})

    routes = [
        Route("/", page),
        *_train_routes(state, max_fps),
        *_explore_routes(state),
        *_save_routes(state),
        *_mnist_routes(state, max_fps),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    allowed = [h if port is None else f"{h}:{port}" for h in hosts]
    guard = Guard(Starlette(routes=routes), token, allowed,
                  cookie="neuroflow-playground" if port is None
                  else f"neuroflow-playground-{port}")
    guard.on_stop.append(state.stop)
    return guard

