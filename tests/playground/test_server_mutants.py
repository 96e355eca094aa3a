"""The playground's request checks, called directly (no server, no browser): the body's
size, depth and JSON, the query parameters' ranges, the endpoint wrapper's answers, and the
guard's host, origin, upgrade, token, cookie and sign-in-code rules with its headers."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import pytest

pytest.importorskip("starlette")

from neuroflow.playground import requests, signin  # noqa: E402
from neuroflow.playground.requests import (  # noqa: E402
    MAX_BODY,
    MAX_DEPTH,
    RefusalError,
    clean,
    endpoint,
    integer,
    number,
    parse_body,
    read_body,
)
from neuroflow.playground.signin import CODE_SECONDS, Guard  # noqa: E402

TOKEN = "Zq8w-3kP_aa41LmN0xYv7Rt2"
HOSTS = ["127.0.0.1:8765", "LOCALHOST:8765"]
COOKIE = "neuroflow-playground-8765"


# ---------------------------------------------------------------------------- bodies
def test_a_body_of_exactly_max_body_bytes_is_read_and_one_more_is_refused():
    raw = b'{"a": 1}'.ljust(MAX_BODY)
    assert parse_body(raw) == {"a": 1}
    with pytest.raises(ValueError) as refused:
        parse_body(raw + b" ")
    assert str(refused.value) == f"body: expected at most {MAX_BODY} bytes, received {MAX_BODY + 1}"


def test_an_empty_body_is_an_empty_object():
    assert parse_body(b"") == {} and parse_body(b" \n\t") == {}


def test_depth_counts_open_brackets_outside_strings():
    deepest = b"[" * (MAX_DEPTH - 1) + b"{}" + b"]" * (MAX_DEPTH - 1)
    assert parse_body(b'{"a": ' + deepest[1:-1] + b"}") == {
        "a": json.loads(deepest[1:-1])}
    too_deep = b'{"a": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}"
    with pytest.raises(ValueError) as refused:
        parse_body(too_deep)
    assert str(refused.value) == (f"body: expected JSON nested at most {MAX_DEPTH} deep, "
                                  f"received {MAX_DEPTH + 1} levels")
    # closed brackets end their level: many shallow siblings are shallow
    siblings = b'{"a": [' + b", ".join([b'[{"b": []}]'] * 40) + b"]}"
    assert len(parse_body(siblings)["a"]) == 40
    # brackets in strings, with escaped quotes, are text
    text = '"[{' * 30 + '\\"' + "[" * 30
    assert parse_body(json.dumps({"a": text}).encode()) == {"a": text}
    assert parse_body(b'{"a": "\\"[[[[[[[[[[[[[[[[[[[[[[[["}') == {"a": '"' + "[" * 24}


@pytest.mark.parametrize("raw, message", [
    (b'{"a": NaN}', "body: NaN is not a JSON number"),
    (b'{"a": -Infinity}', "body: -Infinity is not a JSON number"),
    (b'{"a": Infinity}', "body: Infinity is not a JSON number"),
    (b'{"a": }', "body: expected JSON"),
    (b"\xff\xfe{", "body: expected JSON"),
    (b"[1, 2]", "body: expected a JSON object"),
    (b'"[[["', "body: expected a JSON object"),
    (b"7", "body: expected a JSON object"),
])
def test_bad_bodies_are_named(raw, message):
    with pytest.raises(ValueError) as refused:
        parse_body(raw)
    assert str(refused.value) == message


class _Request:
    """What read_body and endpoint use of a Starlette request."""

    def __init__(self, chunks: list[bytes], length: str | None = None,
                 method: str = "POST") -> None:
        self.headers = {} if length is None else {"content-length": length}
        self.chunks, self.pulled, self.method = chunks, 0, method

    async def stream(self):
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk


def _read(request: _Request) -> bytes:
    return asyncio.run(read_body(request))


def test_read_body_joins_the_chunks_up_to_max_body():
    assert _read(_Request([b'{"a"', b": 1}"], length="8")) == b'{"a": 1}'
    assert _read(_Request([b"x" * (MAX_BODY - 1), b"y"])) == b"x" * (MAX_BODY - 1) + b"y"
    assert _read(_Request([b"{}"], length=f" {MAX_BODY} ")) == b"{}"
    assert _read(_Request([b"{}"], length=" ")) == b"{}"


def test_read_body_stops_at_the_first_byte_past_max_body():
    request = _Request([b"x" * MAX_BODY, b"y", b"z" * 10])
    with pytest.raises(ValueError) as refused:
        _read(request)
    assert str(refused.value) == f"body: expected at most {MAX_BODY} bytes"
    assert request.pulled == 2


@pytest.mark.parametrize("length", [str(MAX_BODY + 1), "12a", "-1", "1e3", "9" * 60])
def test_a_content_length_over_max_body_or_not_a_number_is_refused(length):
    request = _Request([b"{}"], length=length)
    with pytest.raises(ValueError) as refused:
        _read(request)
    assert str(refused.value) == (f"body: expected at most {MAX_BODY} bytes, received "
                                  f"Content-Length {length[:40]!r}")
    assert request.pulled == 0


# ---------------------------------------------------------------------------- parameters
def test_integer_parameters():
    assert integer({}, "n", 7, 1, 10) == 7 and integer({"n": ""}, "n", 7, 1, 10) == 7
    assert integer({"n": "1"}, "n", 7, 1, 10) == 1 and integer({"n": "+10"}, "n", 7, 1, 10) == 10
    assert integer({"n": "-3"}, "n", 0, -5, 5) == -3
    assert integer({"n": "0" * 19 + "5"}, "n", 0, 0, 9) == 5  # 20 characters
    for text in ("0", "11"):
        with pytest.raises(ValueError) as refused:
            integer({"n": text}, "n", 7, 1, 10)
        assert str(refused.value) == f"n: expected an integer from 1 to 10, received {text!r}"
    for text in ("0" * 20 + "5", "\u0663", " 5", "5.0", "x" * 50):
        with pytest.raises(ValueError) as refused:
            integer({"n": text}, "n", 7, 1, 10)
        assert str(refused.value) == f"n: expected an integer, received {text[:40]!r}"


def test_number_parameters():
    assert number({}, "fps", 30.0, 0.0, 60.0) == 30.0
    assert number({"fps": ""}, "fps", 30.0, 0.0, 60.0) == 30.0
    assert number({"fps": "60"}, "fps", 30.0, 0.0, 60.0) == 60.0
    assert number({"fps": "0.5"}, "fps", 30.0, 0.0, 60.0) == 0.5
    for text in ("0", "60.001", "nan", "inf", "1e400", "\uff11", "-1"):
        with pytest.raises(ValueError) as refused:
            number({"fps": text}, "fps", 30.0, 0.0, 60.0)
        assert str(refused.value) == f"fps: expected a number > 0 and <= 60, received {text!r}"
    for text in ("abc", "x" * 50):
        with pytest.raises(ValueError) as refused:
            number({"fps": text}, "fps", 30.0, 0.0, 60.0)
        assert str(refused.value) == f"fps: expected a number, received {text[:40]!r}"
    text = "1" + "0" * 50  # out of range, quoted on its first 40 characters
    with pytest.raises(ValueError) as refused:
        number({"fps": text}, "fps", 30.0, 0.0, 60.0)
    assert str(refused.value) == f"fps: expected a number > 0 and <= 60, received {text[:40]!r}"


def test_clean_replaces_nan_and_infinities_at_any_depth():
    value = {"a": [1.5, math.nan, (math.inf, -math.inf)], "b": {"c": 2, "d": "x", "e": None,
                                                                "f": True}}
    assert clean(value) == {"a": [1.5, None, [None, None]],
                            "b": {"c": 2, "d": "x", "e": None, "f": True}}
    assert clean(math.nan) is None and clean(0.25) == 0.25


def test_a_refusal_carries_its_status():
    refusal = RefusalError(429, "busy")
    assert refusal.status == 429 and str(refusal) == "busy"


# ---------------------------------------------------------------------------- endpoint
def _respond(work, request: _Request) -> tuple[int, bytes]:
    response = asyncio.run(endpoint(work)(request))
    return response.status_code, response.body


def test_endpoint_answers():
    from starlette.requests import ClientDisconnect
    from starlette.responses import Response

    async def echo(request, body):
        return {"body": body, "nan": math.nan}
    assert _respond(echo, _Request([b'{"a": 1}'])) == (
        200, b'{"body":{"a":1},"nan":null}')
    unread = _Request([b"not json"], method="GET")
    assert _respond(echo, unread) == (200, b'{"body":{},"nan":null}') and unread.pulled == 0
    assert _respond(echo, _Request([b"[1]"])) == (400, b'{"error":"body: expected a JSON object"}')

    def raising(error):
        async def work(request, body):
            raise error
        return work
    assert _respond(raising(RefusalError(429, "queue full")), _Request([])) == (
        429, b'{"error":"queue full"}')
    assert _respond(raising(ValueError("first line\nsecond")), _Request([])) == (
        400, b'{"error":"first line"}')
    assert _respond(raising(ValueError("")), _Request([])) == (400, b'{"error":"bad request"}')
    assert _respond(raising(RecursionError("too deep")), _Request([])) == (
        400, b'{"error":"too deep"}')
    assert _respond(raising(ClientDisconnect()), _Request([])) == (400, b"")

    async def own(request, body):
        return Response(b"as is", status_code=202)
    assert _respond(own, _Request([])) == (202, b"as is")
    given = _Request([b"{}"])

    async def who(request, body):
        return {"same": request is given}
    assert _respond(who, given) == (200, b'{"same":true}')


def test_a_parser_out_of_recursion_is_named_as_too_deep(monkeypatch):
    def exhausted(raw, **options):
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr(requests.json, "loads", exhausted)
    with pytest.raises(ValueError) as refused:
        parse_body(b'{"a": 1}')
    assert str(refused.value) == f"body: expected JSON nested at most {MAX_DEPTH} deep"


# ---------------------------------------------------------------------------- the guard
def test_cookies_keep_the_first_of_a_name_and_the_whole_value():
    assert signin._cookies(" a=1; b=x=y ;a=2;c") == {"a": "1", "b": "x=y", "c": ""}


class _App:
    """The application behind the guard: records what reaches it."""

    def __init__(self, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.scopes: list[dict[str, Any]] = []
        self.channels: list[tuple[Any, Any]] = []
        self.headers = headers

    async def __call__(self, scope, receive, send):
        self.scopes.append(scope)
        self.channels.append((receive, send))
        if scope["type"] == "http":
            start = {"type": "http.response.start", "status": 200}
            if self.headers is not None:  # ASGI: "headers" may be left out
                start["headers"] = self.headers
            await send(start)
            await send({"type": "http.response.body", "body": b"ok"})


def _guard(app: _App | None = None) -> Guard:
    return Guard(app or _App(), TOKEN, HOSTS, cookie=COOKIE)


def _call(guard: Guard, path: str = "/api/state", query: bytes = b"", kind: str = "http",
          extensions: dict | None = None, **headers: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)
    scope = {"type": kind, "path": path, "query_string": query, "extensions": extensions or {},
             "headers": [(k.replace("_", "-").encode("latin-1"), v.encode("latin-1"))
                         for k, v in headers.items()]}
    asyncio.run(guard(scope, receive, send))
    return sent


def _status(sent: list[dict[str, Any]]) -> int:
    assert [message["type"] for message in sent] == ["http.response.start",
                                                     "http.response.body"]
    return sent[0]["status"]


def _error(sent: list[dict[str, Any]]) -> str:
    return json.loads(sent[1]["body"])["error"]


SIGNED = {"host": "127.0.0.1:8765", "X_Neuroflow_Token": TOKEN}


def test_the_token_in_the_header_or_the_cookie_lets_a_request_through():
    app = _App()
    guard = _guard(app)
    assert _status(_call(guard, **SIGNED)) == 200
    assert _status(_call(guard, host="localhost:8765", cookie=f"x=1; {COOKIE}={TOKEN}")) == 200
    # an empty header falls back to the cookie
    assert _status(_call(guard, host="localhost:8765", X_Neuroflow_Token="",
                         cookie=f"{COOKIE}={TOKEN}")) == 200
    assert len(app.scopes) == 3


@pytest.mark.parametrize("headers", [
    {"host": "127.0.0.1:8765"},
    {"host": "127.0.0.1:8765", "X_Neuroflow_Token": TOKEN[:-1]},
    {"host": "127.0.0.1:8765", "X_Neuroflow_Token": TOKEN + "x"},
    {"host": "127.0.0.1:8765", "X_Neuroflow_Token": TOKEN.upper()},
    {"host": "127.0.0.1:8765", "X_Neuroflow_Token": "\u00e9" + TOKEN[1:]},
    {"host": "127.0.0.1:8765", "cookie": f"neuroflow-playground={TOKEN}"},
    {"host": "127.0.0.1:8765", "cookie": f"{COOKIE}=; {COOKIE}={TOKEN}"},
])
def test_a_missing_or_wrong_token_is_403(headers):
    app = _App()
    sent = _call(_guard(app), **headers)
    assert _status(sent) == 403 and not app.scopes
    assert _error(sent) == ("missing or wrong token: open the sign-in link the command "
                            "printed (press Enter where it runs for a new one)")


def test_host_and_origin_must_be_the_servers_own():
    guard = _guard()
    for host in ("127.0.0.1", "evil.example:8765", "127.0.0.1:8766", ""):
        sent = _call(guard, host=host, X_Neuroflow_Token=TOKEN)
        assert _status(sent) == 403
        assert _error(sent) == "Host not allowed: the playground answers its own address only"
    assert _status(_call(guard, **{**SIGNED, "host": "LocalHost:8765"})) == 200
    for origin in ("http://evil.example", "https://127.0.0.1:8765", "null"):
        sent = _call(guard, origin=origin, **SIGNED)
        assert _status(sent) == 403
        assert _error(sent) == "Origin not allowed: requests from other sites are refused"
    assert _status(_call(guard, origin="HTTP://localhost:8765", **SIGNED)) == 200
    assert guard.refusal({"path": "/"}, {"host": "127.0.0.1:8765",
                                        "x-neuroflow-token": TOKEN}) is None
    assert guard.refusal({"path": "/"}, {"host": "x"}) == (
        "Host not allowed: the playground answers its own address only")


def test_an_upgrade_is_400_and_a_websocket_is_refused():
    upgrade = "websocket" * 10
    sent = _call(_guard(), upgrade=upgrade, **SIGNED)
    assert _status(sent) == 400
    assert _error(sent) == (f"Upgrade: not supported, received {upgrade[:40]!r} (the "
                            "playground has no WebSocket or other upgraded endpoint)")
    app = _App()
    sent = _call(_guard(app), kind="websocket", **SIGNED)
    assert sent == [{"type": "websocket.close", "code": 1008}] and not app.scopes
    sent = _call(_guard(app), kind="websocket", extensions={"websocket.http.response": {}})
    body = json.dumps({"error": "the playground has no WebSocket endpoint"}).encode()
    assert sent == [{"type": "websocket.http.response.start", "status": 404,
                     "headers": [(b"content-type", b"application/json"),
                                 (b"content-length", str(len(body)).encode())]},
                    {"type": "websocket.http.response.body", "body": body}]
    assert not app.scopes
    sent = []  # a server that gives no extensions at all

    async def send(message):
        sent.append(message)
    asyncio.run(_guard(app)({"type": "websocket", "path": "/", "headers": []}, None, send))
    assert sent == [{"type": "websocket.close", "code": 1008}] and not app.scopes
    sent = []

    async def receive():
        return {"type": "lifespan.startup"}
    asyncio.run(_guard(app)({"type": "lifespan"}, receive, send))  # passed on as it is
    assert [scope["type"] for scope in app.scopes] == ["lifespan"]
    assert app.channels == [(receive, send)]


def test_refusals_and_answers_carry_the_security_headers():
    sent = _call(_guard(), host="127.0.0.1:8765")
    body = sent[1]["body"]
    assert sent[0]["headers"] == [(b"content-type", b"application/json"),
                                  (b"content-length", str(len(body)).encode()),
                                  *signin._SECURITY_HEADERS]
    # the application's own headers are kept, the missing ones added (a name only once)
    app = _App(headers=[(b"Cache-Control", b"max-age=5")])
    sent = _call(_guard(app), **SIGNED)
    assert sent[0]["headers"] == [(b"Cache-Control", b"max-age=5"),
                                  (b"referrer-policy", b"no-referrer"),
                                  (b"x-content-type-options", b"nosniff")]
    assert sent[1] == {"type": "http.response.body", "body": b"ok"}
    # the static files: public, and without no-store
    sent = _call(_guard(_App()), path="/static/app.js", host="127.0.0.1:8765")
    assert _status(sent) == 200 and sent[0]["headers"] == signin._SECURITY_HEADERS[:2]
    sent = _call(_guard(_App()), path="/static", host="127.0.0.1:8765")
    assert _status(sent) == 403
    # the page and the API: all three, also when the application sends no headers
    for path in ("/", "/api/state"):
        sent = _call(_guard(_App()), path=path, **SIGNED)
        assert _status(sent) == 200 and sent[0]["headers"] == signin._SECURITY_HEADERS
    # a scope without headers names no allowed host
    sent = []

    async def send(message):
        sent.append(message)
    asyncio.run(_guard()({"type": "http", "path": "/"}, None, send))
    assert _status(sent) == 403


def _sign_in(guard: Guard, code: str, **headers: str) -> list[dict[str, Any]]:
    return _call(guard, path="/", query=f"code={code}&view=2".encode(),
                 **{"host": "127.0.0.1:8765", **headers})


def test_a_code_signs_in_once_with_the_cookie():
    app = _App()
    guard = _guard(app)
    code = guard.new_code()
    sent = _sign_in(guard, code)
    assert sent[0]["status"] == 200 and sent[1] == {"type": "http.response.body",
                                                     "body": signin._EXCHANGE_PAGE}
    assert sent[0]["headers"] == [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(signin._EXCHANGE_PAGE)).encode()),
        (b"set-cookie", f"{COOKIE}={TOKEN}; Path=/; HttpOnly; SameSite=Strict".encode()),
        *signin._SECURITY_HEADERS]
    refused = _sign_in(guard, code)  # spent
    assert _status(refused) == 403
    assert _error(refused) == (f"this sign-in link has been used or is older than "
                               f"{CODE_SECONDS:g} s: press Enter where the playground runs "
                               "for a new one")
    # a spent code with the cookie: signed in already, the page is served again
    assert _status(_sign_in(guard, code, cookie=f"{COOKIE}={TOKEN}")) == 200
    assert _status(_sign_in(guard, "\u00e9" + code[1:])) == 403
    # text that is not UTF-8 (a lone surrogate) is a wrong code or token, not an error
    assert guard.take_code("\ud800") is False
    live = guard.new_code()  # compared with every live code, without an error
    assert guard.take_code("\ud800") is False and guard.take_code(live) is True
    assert guard.signed_in({"x-neuroflow-token": "\ud800" + TOKEN[1:]}) is False
    assert not app.scopes  # the exchange page is the guard's own
    # the code goes with "/" only
    assert _status(_call(guard, path="/api/state", query=f"code={guard.new_code()}".encode(),
                         host="127.0.0.1:8765")) == 403


def test_codes_live_code_seconds_and_die_when_used(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(signin.time, "monotonic", lambda: now[0])
    guard = _guard()
    first, second = guard.new_code(), guard.new_code()
    assert first != second and len(first) == 22  # 16 random bytes, URL-safe base64
    assert guard.take_code("wrong") is False and guard.take_code("") is False
    assert guard.take_code(second) is True and guard.take_code(second) is False
    now[0] += CODE_SECONDS - 0.001
    assert guard.take_code(first) is True
    third = guard.new_code()
    now[0] += CODE_SECONDS
    assert guard.take_code(third) is False  # at exactly CODE_SECONDS: too old
    fourth = guard.new_code()  # dead codes are dropped when a new one is made
    assert list(guard.codes) == [fourth]


def test_stop_calls_every_stop_hook():
    guard = _guard()
    calls: list[int] = []
    guard.on_stop.extend([lambda: calls.append(1), lambda: calls.append(2)])
    guard.stop()
    assert calls == [1, 2]


def test_a_scope_without_a_path_host_or_cookie_has_no_default_that_passes():
    guard = _guard()
    signed = {"host": "127.0.0.1:8765", "x-neuroflow-token": TOKEN}
    assert guard.refusal({}, signed) is None  # no path: the API's rules
    sent = []

    async def send(message):
        sent.append(message)
    headers = [(b"host", b"127.0.0.1:8765"), (b"x-neuroflow-token", TOKEN.encode())]
    asyncio.run(guard({"type": "http", "headers": headers}, None, send))
    assert _status(sent) == 200 and sent[0]["headers"] == signin._SECURITY_HEADERS
    # whatever the allowed name or the token, a missing header or cookie is not it
    odd = Guard(_App(), "XXXX", ["XXXX"], cookie=COOKIE)
    assert odd.refusal({"path": "/"}, {"x-neuroflow-token": "XXXX"}) == (
        "Host not allowed: the playground answers its own address only")
    assert odd.signed_in({}) is False and odd.signed_in({"cookie": "a=1"}) is False
    assert odd.signed_in({"cookie": f"{COOKIE}=XXXX"}) is True


def test_guard_hosts_and_origins_are_lowercase():
    guard = _guard()
    assert guard.hosts == {"127.0.0.1:8765", "localhost:8765"}
    assert guard.origins == {"http://127.0.0.1:8765", "http://localhost:8765"}
    assert Guard(_App(), TOKEN, HOSTS).cookie == "neuroflow-playground"


# ---------------------------------------------------------------------------- create_app
def test_create_app_needs_a_token_and_names_its_hosts_and_cookie(tmp_path):
    from neuroflow.playground import Config, Engine, create_app

    engine = Engine(Config(layers=(2,), points=40))
    with pytest.raises(ValueError, match=r"^token: expected a non-empty secret$"):
        create_app(engine, "", save_dir=tmp_path)
    app = create_app(engine, TOKEN, port=8765, save_dir=tmp_path)
    assert app.hosts == {"127.0.0.1:8765", "localhost:8765"} and app.cookie == COOKIE
    app = create_app(engine, TOKEN, hosts=("Testserver",), save_dir=tmp_path)
    assert app.hosts == {"testserver"} and app.cookie == "neuroflow-playground"
    assert app.token == TOKEN and len(app.on_stop) == 1
    assert requests.MAX_BODY == 64 * 1024 and requests.MAX_DEPTH == 16


def test_create_app_serves_the_page_the_files_and_the_given_engine(tmp_path):
    import warnings

    from neuroflow.playground import Config, Engine, create_app
    from neuroflow.playground.server import STATIC

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    engine = Engine(Config(layers=(2,), points=40))
    app = create_app(engine, TOKEN, hosts=("testserver",), save_dir=tmp_path)
    client = TestClient(app, headers={"X-Neuroflow-Token": TOKEN})
    page = client.get("/")
    assert page.status_code == 200 and page.content == (STATIC / "index.html").read_bytes()
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    script = client.get("/static/app.js")
    assert script.status_code == 200 and script.content == (STATIC / "app.js").read_bytes()
    assert client.get("/api/state").json() == json.loads(json.dumps(clean(engine.state())))
    assert app.on_stop and all(callable(call) for call in app.on_stop)
    app.stop()


def test_create_app_hands_its_arguments_to_the_state_and_every_route_group(tmp_path):
    import warnings
    from pathlib import Path

    from neuroflow.playground import Config, Engine, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    engine = Engine(Config(layers=(2,), points=40))
    with pytest.raises(ValueError, match=r"^token: expected a non-empty secret$"):
        create_app(engine)  # no default token
    state = create_app(engine, TOKEN).on_stop[0].__self__  # State.stop, bound
    assert state.engine is engine and state.save_dir == Path(".") and state.mnist is None

    class Mnist:  # the MNIST panel's engine, without MNIST
        def __init__(self):
            self.network = type("Network", (), {"stop_training": False})()

        def frame(self):
            return {"epoch": 7}

        def step(self, epochs):
            pass

    mnist = Mnist()
    state = create_app(engine, TOKEN, save_dir=tmp_path, mnist=mnist).on_stop[0].__self__
    assert state.save_dir == tmp_path and state.mnist is mnist
    app = create_app(engine, TOKEN, hosts=("testserver",), save_dir=tmp_path, mnist=mnist)
    client = TestClient(app, headers={"X-Neuroflow-Token": TOKEN})
    too_fast = client.get("/api/stream?fps=61")  # the default max_fps is 60
    assert too_fast.status_code == 400
    assert too_fast.json() == {"error": "fps: expected a number > 0 and <= 60, received '61'"}
    assert set(client.get("/").headers) == {  # the page's headers, each named once
        "content-length", "content-type", "cache-control", "referrer-policy",
        "x-content-type-options"}
    assert set(client.get("/api/code").json())  # explore: the engine's code
    saved = client.post("/api/save", json={"name": "net.safetensors"})
    assert saved.status_code == 200 and (tmp_path / "net.safetensors").is_file()
    assert client.get("/api/lessons/minima?seeds=1").status_code == 200
    assert client.get("/api/mnist/state").json() == {"epoch": 7}
    streamed = client.get("/api/mnist/stream?frames=2")  # paced by max_fps
    assert streamed.status_code == 200
    assert streamed.text == 'data: {"epoch":7}\n\n' * 2 + "event: end\ndata: {}\n\n"
    app.stop()
    assert mnist.network.stop_training is True  # the stop hook ends its training
