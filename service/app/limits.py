"""Limits at the edge, as pure ASGI middleware: request body size and prediction requests in flight.

The body cap holds whether or not the client sends Content-Length: a declared
length over the cap is refused without handing a byte to the app, and a chunked
body is counted as it arrives and refused the moment it passes the cap, so no
more than the cap is ever handed to the app. Before the 413 goes out, the rest
of the refused body is read and discarded, up to `linger_bytes` and `linger_s`
(as nginx's lingering close does): a client that writes its whole body before
it reads, as Python's http.client does, would otherwise meet a connection reset
instead of the answer. Past `max_in_flight` prediction
requests, more are answered 503 with Retry-After; other routes (health,
metrics) are never limited, so /health/live keeps answering under load.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.app.errors import error_response
from service.app.metrics import AppMetrics
from service.app.problems import BodyTooLarge, Problem, Unavailable
from service.settings import ServiceSettings


def is_inference(method: str, path: str) -> bool:
    """Tell whether a request runs the model: POST /predict or a V2 infer call."""
    return method == "POST" and (path == "/predict" or (path.startswith("/v2/models/") and path.endswith("/infer")))


class BodyLimit:
    """Refuses bodies over the cap with 413, handing the app no more than the cap."""

    def __init__(self, app: ASGIApp, settings: ServiceSettings, metrics: AppMetrics) -> None:
        self.app = app
        self.max_bytes = settings.max_body_bytes
        self.linger_bytes = settings.linger_bytes
        self.linger_s = settings.linger_s
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _framing(scope)
        if declared is not None and declared > self.max_bytes:
            error = self._too_large(f"declares {declared} bytes")
            await self._drain(receive)
            self.metrics.count_validation_failures(p.metric_field for p in error.problems)
            await error_response(error, scope["path"])(scope, receive, send)
            return
        if declared is not None and not chunked:
            # The HTTP parser hands on exactly the declared length, which is within the cap.
            await self.app(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if message.get("more_body", False):
                        await self._drain(receive)
                    raise self._too_large(f"passed {self.max_bytes} bytes before it ended")
            return message

        await self.app(scope, counting_receive, send)

    async def _drain(self, receive: Receive) -> None:
        """Read and discard the rest of a refused body, up to `linger_bytes` and `linger_s`."""
        drained = 0
        try:
            async with asyncio.timeout(self.linger_s):
                while drained <= self.linger_bytes:
                    message = await receive()
                    if message["type"] != "http.request":
                        return
                    drained += len(message.get("body", b""))
                    if not message.get("more_body", False):
                        return
        except TimeoutError:
            pass  # past the time cap: the answer goes out and the connection closes on what is left

    def _too_large(self, how: str) -> BodyTooLarge:
        msg = f"the body {how}; the limit is {self.max_bytes} bytes"
        # Close the connection: whatever the client still sends is not worth reading.
        return BodyTooLarge([Problem(("body",), msg, "body_too_large")], headers={"connection": "close"})


class InFlightLimit:
    """Answers 503 with Retry-After when `max_in_flight` inference requests are already running."""

    def __init__(self, app: ASGIApp, max_in_flight: int, retry_after_s: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.retry_after_s = retry_after_s
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_inference(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            msg = f"the service is at its limit of {self.max_in_flight} requests in flight; retry later"
            error = Unavailable([Problem((), msg, "overloaded")], headers={"retry-after": str(self.retry_after_s)})
            await error_response(error, scope["path"])(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """Give the declared Content-Length (None when absent) and whether a Transfer-Encoding is sent."""
    declared, chunked = None, False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                pass  # the HTTP server refuses a malformed length before we see it
        elif name == b"transfer-encoding":
            chunked = True
    return declared, chunked
