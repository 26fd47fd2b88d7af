"""Per-request observation, as pure ASGI middleware: request id, JSON access log line, request metrics.

The request id is the client's X-Request-ID when it is sane (1-128 visible
ASCII characters), else a new one; either way it is echoed back. The access
log carries method, path, route, status, duration and id, never a body or a
query string.
"""

from __future__ import annotations

import logging
import os
import re
import time

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.app.logs import ACCESS_LOGGER
from service.app.metrics import UNMATCHED, AppMetrics

REQUEST_ID_HEADER = b"x-request-id"
SANE_REQUEST_ID = re.compile(rb"[!-~]{1,128}")
access_log = logging.getLogger(ACCESS_LOGGER)


def request_id_of(scope: Scope) -> bytes:
    """Give the client's request id when it is sane, else a fresh random one."""
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and SANE_REQUEST_ID.fullmatch(value):
            return bytes(value)
    return os.urandom(16).hex().encode()


def route_of(scope: Scope) -> str:
    """Give the route template that matched, else the one the path would match, else `(unmatched)`."""
    route = scope.get("route")
    if route is not None:
        return str(route.path)
    app = scope.get("app")  # answered before routing (413, 503): find the template ourselves
    for candidate in getattr(app, "routes", ()):
        match, _ = candidate.matches(scope)
        if match != Match.NONE:
            return str(candidate.path)
    return UNMATCHED


class Observe:
    """Tags each HTTP request with an id, then logs and counts it once it is answered."""

    def __init__(self, app: ASGIApp, metrics: AppMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)
        status = 500  # what the client gets if the app fails before answering

        async def tagged_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id)]
            await send(message)

        try:
            await self.app(scope, receive, tagged_send)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope)
            self.metrics.observe_request(route, scope["method"], status, seconds)
            if access_log.isEnabledFor(logging.INFO):
                _log_access({
                    "request_id": request_id.decode(),
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "client": (scope.get("client") or ("", 0))[0],
                })


class AccessRecord(logging.LogRecord):
    """The record of one access line: every attribute a LogRecord has, most of them fixed.

    LogRecord's own __init__ derives a file name and module from the caller's path,
    checks its arguments and looks up thread and process names, none of which an
    access line has or shows: ~3 us a line, and access lines come with every request.
    """

    def __init__(self, fields: dict[str, object]) -> None:  # no super().__init__(): that is the point
        created = time.time()
        self.__dict__.update(_ACCESS_CONSTANTS)
        self.created = created
        self.msecs = int((created - int(created)) * 1000) + 0.0
        self.relativeCreated = (created - _LOGGING_STARTED) * 1000
        self.process = os.getpid() if logging.logProcesses else None
        self.fields = fields


_ACCESS_CONSTANTS = {
    "name": ACCESS_LOGGER, "msg": "request", "args": (), "levelname": "INFO", "levelno": logging.INFO,
    "pathname": "", "filename": "", "module": "", "exc_info": None, "exc_text": None, "stack_info": None,
    "lineno": 0, "funcName": None, "thread": None, "threadName": None, "processName": None, "taskName": None,
}
_LOGGING_STARTED: float = getattr(logging, "_startTime", time.time())  # what relativeCreated counts from


def _log_access(fields: dict[str, object]) -> None:
    # What access_log.info() does, less its walk up the stack for the caller's file and line
    # and LogRecord's own bookkeeping (see AccessRecord).
    access_log.handle(AccessRecord(fields))
