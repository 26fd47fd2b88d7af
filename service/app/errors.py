"""What a request got wrong, and the one place where any error becomes an HTTP answer.

Every refusal is `{"detail": [{"loc", "field", "msg", "type"}, ...]}`; under /v2
it also carries `"error"`, the one-line summary the Open Inference Protocol
specifies. The service's edge (service.app.edge) sends every exception a request
raises through `answer`: a client error gets its JSON refusal, the router's 404
and 405 theirs, anything else a logged JSON 500. No client input may get a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

log = logging.getLogger("stopline.service")
Loc = tuple[str | int, ...]
# Where a location starts: the part of the request it points into.
ROOTS = ("body", "path", "query", "header")
MAX_PROBLEMS_SHOWN = 100
CLIENT_GONE = 499  # nginx's "client closed request": never sent, only logged and counted
# Statuses that mean "the request was malformed", counted as validation failures.
VALIDATION_STATUSES = frozenset({400, 413, 415, 422})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: where (`("body", "instances", 0, "sex")`; empty for the
    request as a whole), what, and its kind."""

    loc: Loc
    msg: str
    type: str
    # The label counted in the validation-failure metric; the metrics bound it to declared names.
    metric_field: str = "body"

    @property
    def field(self) -> str:
        """Give the location as a readable path: `instances[0].bill_length_mm`, `body`, or ``."""
        parts = self.loc[1:] if len(self.loc) > 1 and self.loc[0] in ROOTS else self.loc
        text = ""
        for part in parts:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text

    def as_json(self) -> dict[str, object]:
        """Give the problem as the error body shows it."""
        return {"loc": list(self.loc), "field": self.field, "msg": self.msg, "type": self.type}


class ClientError(Exception):
    """A request the service refuses; the class's `status` is its HTTP answer, `problems` say why."""

    status = 400

    def __init__(self, problems: Sequence[Problem], headers: dict[str, str] | None = None) -> None:
        self.problems = tuple(problems)
        self.headers = headers or {}
        super().__init__("; ".join(f"{p.field}: {p.msg}" for p in self.problems))

    @classmethod
    def single(cls, msg: str, type_: str, loc: Loc = (), headers: dict[str, str] | None = None) -> ClientError:
        """Give an error of this class with one problem."""
        return cls([Problem(loc, msg, type_)], headers)


class BadBody(ClientError):
    """The body is not JSON the service can read: empty, not UTF-8, malformed or nested too deep."""

    status = 400


class NotFound(ClientError):
    """No such route, or the URL names a model or version this service does not serve."""

    status = 404


class MethodNotAllowed(ClientError):
    """The route exists, but not for this method."""

    status = 405


class BodyTooLarge(ClientError):
    """The body is over the configured limit."""

    status = 413


class UnsupportedMediaType(ClientError):
    """The body is declared as something other than JSON."""

    status = 415


class InvalidRecords(ClientError):
    """The JSON is readable but breaks the request's schema."""

    status = 422


class Unavailable(ClientError):
    """The service cannot answer now: not ready, or overloaded."""

    status = 503


class OrjsonResponse(JSONResponse):
    """A JSON response rendered by orjson: numpy arrays written directly, a float32 as the
    shortest text that reads back as the same float32 (FastAPI's ORJSONResponse is deprecated)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


def error_response(status: int, problems: Sequence[Problem], path: str,
                   headers: dict[str, str] | None = None) -> Response:
    """Give the JSON answer listing `problems` (the first 100, then a count) for a request to `path`."""
    shown = [p.as_json() for p in problems[:MAX_PROBLEMS_SHOWN]]
    hidden = len(problems) - MAX_PROBLEMS_SHOWN
    if hidden > 0:
        shown.append({"loc": [], "field": "", "msg": f"{hidden} more problem(s) not shown", "type": "truncated"})
    body: dict[str, object] = {"detail": shown}
    if path.startswith("/v2"):
        body["error"] = "; ".join(f"{p.field}: {p.msg}" for p in problems)
    return OrjsonResponse(body, status_code=status, headers=headers)


def as_client_error(exc: BaseException) -> ClientError | None:
    """Give the client error `exc` stands for (the router's 404 and 405 included), or None."""
    if isinstance(exc, ClientError):
        return exc
    if isinstance(exc, HTTPException) and exc.status_code == 404:
        return NotFound.single(str(exc.detail), "not_found")
    if isinstance(exc, HTTPException) and exc.status_code == 405:
        return MethodNotAllowed.single(str(exc.detail), "method_not_allowed", headers=dict(exc.headers or {}))
    return None


def answer(exc: BaseException, scope: Scope) -> Response:
    """Give the HTTP answer to an exception raised while handling the request in `scope`."""
    error = as_client_error(exc)
    if error is not None:
        return error_response(error.status, error.problems, scope["path"], error.headers)
    if isinstance(exc, ClientDisconnect):
        return Response(status_code=CLIENT_GONE)  # nobody reads it; the access log and metrics do
    log.error("unhandled error on %s %s", scope["method"], scope["path"], exc_info=exc)
    problem = Problem((), "internal error; the service logged the cause", "internal")
    return error_response(500, [problem], scope["path"])
