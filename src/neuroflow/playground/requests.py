"""What the playground accepts in a request, and how it answers a bad one.

===============================  ========================================================
:class:`RefusalError`            a request answered with a status and
                                 ``{"error": message}``
:func:`parse_body`               a JSON body, at most :data:`MAX_BODY` bytes nested at
                                 most :data:`MAX_DEPTH` deep (``NaN`` and ``Infinity``
                                 are not JSON)
:func:`read_body`                the body of a request, read no further than
                                 :data:`MAX_BODY` bytes
:func:`integer`, :func:`number`  one query parameter, checked against its range
:func:`clean`                    a value with NaN and infinities as ``null`` (valid JSON)
:func:`endpoint`                 an endpoint of the API: its value as JSON, a bad body
                                 or parameter as ``400`` with ``{"error": message}``
===============================  ========================================================

Starlette is imported by :func:`endpoint` only, so the module imports without the
``playground`` extra.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["RefusalError", "MAX_BODY", "MAX_DEPTH", "clean", "parse_body", "read_body",
           "integer", "number", "endpoint"]

#: Largest request body, in bytes (a drawn digit is about 4 kB).
MAX_BODY = 64 * 1024
#: Deepest nesting of arrays and objects in a request body.
MAX_DEPTH = 16

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")


class RefusalError(Exception):
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


async def read_body(request: Any) -> bytes:
    """The body of the Starlette ``request``.

    Raises
    ------
    ValueError
        ``Content-Length`` is not a number or is over :data:`MAX_BODY`, or the body
        grows over :data:`MAX_BODY` bytes (reading stops there).
    """
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


def endpoint(work: Callable[[Any, dict[str, Any]], Any]) -> Callable[..., Any]:
    """An async endpoint awaiting ``work(request, body)``: its value as JSON, a
    ValueError as 400, a refusal with its status, a Response as is."""
    from starlette.requests import ClientDisconnect
    from starlette.responses import JSONResponse, Response

    async def handle(request: Any) -> Response:
        try:
            body: dict[str, Any] = {}
            if request.method == "POST":
                body = parse_body(await read_body(request))
            result = await work(request, body)
        except RefusalError as refused:
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
