"""The service's edge: the one ASGI layer around the router, and what routes use to read a request.

`Edge` gives every HTTP request an id, sends every exception it raises through
`errors.answer` (the one mapping from exceptions to answers), then logs one
access line and counts it under its route template, which the router records.
It replaces FastAPI's default middleware (server errors, exception handlers,
telemetry, exit stack, body limit): each is a layer every request pays for, and
the service needs none of them once this one maps every error.

`read_body` enforces the body cap whether or not the client sends Content-Length,
and drains a refused body before answering (as nginx's lingering close does):
a client that writes its whole body before reading, as Python's http.client
does, would otherwise meet a reset instead of the 413. `InFlight` answers 503
with Retry-After once `max_in_flight` inference requests are running.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.app.errors import (
    VALIDATION_STATUSES, BodyTooLarge, Unavailable, UnsupportedMediaType, answer, as_client_error,
)
from service.app.logs import ACCESS_LOGGER
from service.app.metrics import UNMATCHED, AppMetrics
from service.app.model import ServedModel
from service.settings import ServiceSettings

REQUEST_ID_HEADER = b"x-request-id"
SANE_REQUEST_ID = re.compile(rb"[!-~]{1,128}")
JSON_TYPE = "application/json"
CONTENT_TYPE = ("header", "content-type")
access_log = logging.getLogger(ACCESS_LOGGER)
Endpoint = Callable[[Request], Awaitable[Response]]


def request_id_of(scope: Scope) -> bytes:
    """Give the client's request id when it is sane (1-128 visible ASCII characters), else a fresh one."""
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and SANE_REQUEST_ID.fullmatch(value):
            return bytes(value)
    return os.urandom(16).hex().encode()


class Edge:
    """Tags each HTTP request with an id, answers whatever it raises, then logs and counts it."""

    def __init__(self, app: ASGIApp, metrics: AppMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)
        status = 0

        async def tagged_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id)]
            await send(message)

        try:
            await self.app(scope, receive, tagged_send)
        except Exception as exc:
            if status:  # the answer had begun: nothing more can be sent, so only the log says why
                answer(exc, scope)
                return
            error = as_client_error(exc)
            if error is not None and error.status in VALIDATION_STATUSES:
                self.metrics.count_validation_failures(p.metric_field for p in error.problems)
            await answer(exc, scope)(scope, receive, tagged_send)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            template = route.path if route is not None else UNMATCHED
            self.metrics.observe_request(template, scope["method"], status or 500, seconds)
            if access_log.isEnabledFor(logging.INFO):
                fields = {
                    "request_id": request_id.decode(), "method": scope["method"], "path": scope["path"],
                    "route": template, "status": status or 500, "duration_ms": round(seconds * 1000, 3),
                    "client": (scope.get("client") or ("", 0))[0],
                }
                # makeRecord and handle, as Logger.info does, less its walk up the stack for the
                # caller's file and line, which the access line never shows.
                access_log.handle(access_log.makeRecord(ACCESS_LOGGER, logging.INFO, "", 0, "request", (), None,
                                                        extra={"fields": fields}))


def check_content_type(header: str | None) -> None:
    """Pass a JSON content type, or none at all; raise UnsupportedMediaType for anything else."""
    if header is None or header == JSON_TYPE:
        return  # clients such as Triton's send no type; the body must still be JSON
    media, _, params = header.partition(";")
    media = media.strip().lower()
    if media != JSON_TYPE and not (media.startswith("application/") and media.endswith("+json")):
        raise UnsupportedMediaType.single(f"content type {media or '(empty)'!r} is not supported; send {JSON_TYPE}",
                                          "unsupported_media_type", CONTENT_TYPE)
    for param in params.split(";"):
        key, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if key.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaType.single(f"charset {charset!r} is not supported; send UTF-8",
                                              "unsupported_media_type", CONTENT_TYPE)


class BodyReader:
    """Reads request bodies up to `max_bytes`; a refused body is drained (bounded) before the 413."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.max_bytes = settings.max_body_bytes
        self.linger_bytes = settings.linger_bytes
        self.linger_s = settings.linger_s

    async def __call__(self, request: Request) -> bytes:
        """Give the whole body; raise BodyTooLarge past the cap, ClientDisconnect when the client left."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(request, f"declares {declared} bytes")
        chunks, size = [], 0
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(request, f"passed {self.max_bytes} bytes before it ended",
                                   more=message.get("more_body", False))
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _refuse(self, request: Request, how: str, more: bool = True) -> None:
        if more:
            try:
                async with asyncio.timeout(self.linger_s):
                    await self._drain(request)
            except TimeoutError:
                pass  # past the time cap: close; the client may see a reset
        msg = f"the body {how}; the limit is {self.max_bytes} bytes"
        # Close the connection: the rest of the body, if any is left, is not worth reading.
        raise BodyTooLarge.single(msg, "body_too_large", ("body",), headers={"connection": "close"})

    async def _drain(self, request: Request) -> None:
        """Read and discard the rest of the body, up to `linger_bytes`."""
        drained = 0
        while drained <= self.linger_bytes:
            message = await request.receive()
            if message["type"] != "http.request":
                return
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                return


class InFlight:
    """Counts inference requests running; past `max_in_flight`, more are answered 503 with Retry-After."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.max_in_flight = settings.max_in_flight
        self.retry_after = str(settings.retry_after_s)
        self.running = 0

    def guard(self, endpoint: Endpoint) -> Endpoint:
        """Give `endpoint` held to the limit."""

        async def guarded(request: Request) -> Response:
            if self.running >= self.max_in_flight:
                raise Unavailable.single(
                    f"the service is at its limit of {self.max_in_flight} requests in flight; retry later",
                    "overloaded", headers={"retry-after": self.retry_after})
            self.running += 1
            try:
                return await endpoint(request)
            finally:
                self.running -= 1

        guarded.__doc__ = endpoint.__doc__
        return guarded


def ready_model(request: Request) -> ServedModel:
    """Give the loaded, verified model; raise Unavailable (503) while there is none."""
    model: ServedModel | None = request.app.state.model
    if model is None:
        raise Unavailable.single("the model is not loaded yet", "not_ready")
    return model


async def read_json(request: Request) -> bytes:
    """Give the request's body, declared as JSON (or undeclared), within the body cap."""
    check_content_type(request.headers.get("content-type"))
    body: bytes = await request.app.state.read_body(request)
    return body
