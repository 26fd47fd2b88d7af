"""The one place errors become HTTP answers: every refusal is JSON naming the field and the problem.

Every error body is `{"detail": [{"loc", "field", "msg", "type"}, ...]}`; under
/v2 it also carries `"error"`, the one-line summary the Open Inference
Protocol specifies. No client input reaches the 500 handler by design; if
something does, the answer is still JSON and the cause is logged.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from service.app.problems import ClientError, InvalidRecords, Problem
from service.app.responses import OrjsonResponse

log = logging.getLogger("stopline.service")
MAX_PROBLEMS_SHOWN = 100
HTTP_TYPES = {404: "not_found", 405: "method_not_allowed"}
# Statuses that mean "the request was malformed", counted as validation failures.
VALIDATION_STATUSES = frozenset({400, 413, 415, 422})
CLIENT_GONE = 499  # nginx's "client closed request": never sent, only logged and counted


def error_body(exc: ClientError, path: str) -> dict[str, object]:
    """Give the JSON body answering `exc` for a request to `path`."""
    problems = [p.as_json() for p in exc.problems[:MAX_PROBLEMS_SHOWN]]
    hidden = len(exc.problems) - MAX_PROBLEMS_SHOWN
    if hidden > 0:
        problems.append({"loc": [], "field": "", "msg": f"{hidden} more problem(s) not shown", "type": "truncated"})
    body: dict[str, object] = {"detail": problems}
    if path.startswith("/v2"):
        body["error"] = str(exc)
    return body


def error_response(exc: ClientError, path: str) -> Response:
    """Give the HTTP answer to `exc` for a request to `path`."""
    return OrjsonResponse(error_body(exc, path), status_code=exc.status, headers=exc.headers)


def client_error_response(request: Request, exc: ClientError) -> Response:
    """Give the answer to a client error raised while handling `request`, counting a malformed request."""
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None and exc.status in VALIDATION_STATUSES:
        metrics.count_validation_failures(p.metric_field for p in exc.problems)
    return error_response(exc, request.scope["path"])


async def _client_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ClientError)
    return client_error_response(request, exc)


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # The routes read their bodies themselves; FastAPI validates only path and query parameters.
    problems = [Problem(tuple(e["loc"]), str(e["msg"]), str(e["type"])) for e in exc.errors()]
    return await _client_error(request, InvalidRecords(problems))


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    problem = Problem((), str(exc.detail), HTTP_TYPES.get(exc.status_code, "http_error"))
    error = ClientError([problem], headers=dict(exc.headers or {}), status=exc.status_code)
    return error_response(error, request.url.path)


async def _client_gone(request: Request, exc: Exception) -> Response:
    # Nobody is left to read an answer; the status is for the access log and metrics.
    return Response(status_code=CLIENT_GONE)


def unexpected_error_response(request: Request, exc: BaseException) -> Response:
    """Log an error no handler expected, with its traceback; give the JSON 500 that answers it."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    problem = Problem((), "internal error; the service logged the cause", "internal")
    return error_response(ClientError([problem], status=500), request.url.path)


async def _unexpected(request: Request, exc: Exception) -> Response:
    return unexpected_error_response(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the app can raise to its JSON answer."""
    app.add_exception_handler(ClientError, _client_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(HTTPException, _http_exception)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected)
