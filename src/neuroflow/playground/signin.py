"""Who may talk to the playground: :class:`Guard`, the ASGI middleware around it.

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
- every response says ``Referrer-Policy: no-referrer`` and ``X-Content-Type-Options:
  nosniff``, and the page and the API ``Cache-Control: no-store``.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs

from neuroflow.playground.requests import RefusalError

__all__ = ["Guard", "CODE_SECONDS"]

#: Seconds a sign-in code stays good (it is good once).
CODE_SECONDS = 60.0
#: Headers added to every response (the static files get the first two only).
_SECURITY_HEADERS = [(b"referrer-policy", b"no-referrer"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"cache-control", b"no-store")]

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


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        found.setdefault(name, value)
    return found


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
        except RefusalError as refusal:
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
        except RefusalError as refused:
            return str(refused)
        return None

    def check(self, scope: dict[str, Any], headers: dict[str, str]) -> None:
        """Raise :class:`RefusalError` for a request the playground does not answer."""
        if headers.get("host", "").lower() not in self.hosts:
            raise RefusalError(403, "Host not allowed: the playground answers its own address "
                               "only")
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in self.origins:
            raise RefusalError(403, "Origin not allowed: requests from other sites are refused")
        if "upgrade" in headers:
            raise RefusalError(400, f"Upgrade: not supported, received "
                               f"{headers['upgrade'][:40]!r} (the playground has no "
                               f"WebSocket or other upgraded endpoint)")
        path = scope.get("path", "")
        if path.startswith("/static/"):
            return
        if path == "/" and "code" in self._query(scope):
            return  # checked by _sign_in
        if not self.signed_in(headers):
            raise RefusalError(403, "missing or wrong token: open the sign-in link the command "
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
            raise RefusalError(403, "this sign-in link has been used or is older than "
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
