"""Read a request body as strict JSON: content type, UTF-8, no NaN or Infinity, bounded depth.

orjson does the parsing: it takes standard JSON only, so the NaN, Infinity and
-Infinity literals Python's own parser accepts are refused, a number that
overflows a double (1e309) is refused, and nesting past 1024 levels is refused
without recursion errors. Only when orjson refuses a body does the slow path
re-read it, to name the field that holds a non-finite number.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request

from service.app.problems import BadBody, InvalidRecords, Loc, Problem, UnsupportedMediaType, one

JSON_TYPE = "application/json"
CONTENT_TYPE = ("header", "content-type")
BODY = ("body",)


def check_content_type(header: str | None) -> None:
    """Pass a JSON content type, or none at all; raise UnsupportedMediaType for anything else."""
    if header is None or header == JSON_TYPE:
        return  # clients such as Triton's send no type; the body must still be JSON
    media, _, params = header.partition(";")
    media = media.strip().lower()
    if media != JSON_TYPE and not (media.startswith("application/") and media.endswith("+json")):
        raise one(UnsupportedMediaType, f"content type {media or '(empty)'!r} is not supported; "
                  f"send {JSON_TYPE}", "unsupported_media_type", CONTENT_TYPE)
    for param in params.split(";"):
        key, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if key.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise one(UnsupportedMediaType, f"charset {charset!r} is not supported; send UTF-8",
                      "unsupported_media_type", CONTENT_TYPE)


def decode_json(body: bytes) -> Any:
    """Give the JSON value in `body`; raise BadBody (400) or InvalidRecords (422) naming the problem."""
    if not body:
        raise one(BadBody, "the body is empty; send a JSON object", "json_empty", BODY)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        reason = str(exc)
    if reason.startswith("depth limit exceeded"):
        raise one(BadBody, "JSON nests deeper than 1024 levels", "json_too_deep", BODY)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise one(BadBody, f"the body is not UTF-8: byte {exc.start} is invalid", "json_invalid", BODY) from None
    non_finite = _non_finite_numbers(text)
    if non_finite:
        raise InvalidRecords(non_finite)
    raise one(BadBody, f"invalid JSON: {reason}", "json_invalid", BODY)


async def read_json(request: Request) -> Any:
    """Give the request's JSON body; the body-size cap is enforced on the receive stream."""
    check_content_type(content_type(request))
    return decode_json(await read_body(request))


def content_type(request: Request) -> str | None:
    """Give the request's Content-Type, found in the raw headers (Starlette's Headers costs ~1 us more)."""
    headers: list[tuple[bytes, bytes]] = request.scope["headers"]
    for name, value in headers:
        if name == b"content-type":
            return value.decode("latin-1")
    return None


async def read_body(request: Request) -> bytes:
    """Give the whole body, read straight from the receive stream (Starlette's stream costs more)."""
    chunks = []
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class _NonFinite(float):
    """A number Python's parser read that JSON cannot carry: NaN, ±Infinity, or an overflow."""

    text: str

    def __new__(cls, value: float, text: str) -> _NonFinite:
        number = super().__new__(cls, value)
        number.text = text
        return number


def _parse_number(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(value, text)


def _non_finite_numbers(text: str) -> list[Problem]:
    """Give one problem per non-finite number in a body orjson refused, or [] when that is not why."""
    try:
        value = json.loads(
            text,
            parse_constant=lambda name: _NonFinite(float(name), name),
            parse_float=_parse_number,
            parse_int=_parse_number,  # an integer past a double's range is as unusable as 1e309
        )
    except (ValueError, RecursionError):
        return []
    return list(_walk(value))


def _walk(value: Any) -> Iterator[Problem]:
    """Yield a problem per non-finite number in `value`, depth first, without recursion."""
    stack: list[tuple[Loc, Any]] = [(BODY, value)]
    while stack:
        loc, item = stack.pop()
        if isinstance(item, _NonFinite):
            name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "body")
            msg = f"{item.text} is not a finite number; JSON numbers must be finite, send null for a missing value"
            yield Problem(loc, msg, "finite_number", metric_field=name)
        elif isinstance(item, dict):
            stack.extend(((*loc, key), child) for key, child in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend(((*loc, index), child) for index, child in reversed(list(enumerate(item))))
