"""The endpoint table: every route the service serves, declared once.

Routing (the Starlette routes FastAPI's router matches), the in-flight limit
(`inference`), the metrics' route labels and the access log (the template the
router records) and the OpenAPI document (service.app.openapi) all read it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from service.app import predict, v2
from service.app.edge import Endpoint as Handler
from service.app.edge import InFlight
from service.app.model import ServedModel

MODEL_PATH = "/v2/models/{name}"
VERSION_PATH = "/v2/models/{name}/versions/{version}"


@dataclass(frozen=True)
class Endpoint:
    """One route: what it serves, and what the OpenAPI document says of it."""

    method: str
    path: str
    handler: Handler
    tag: str
    # What a 200 carries: a pydantic model, "empty", or "metrics" (Prometheus text).
    answer: Any
    errors: tuple[int, ...] = ()
    # The request body's type and an example, from the served model (inference routes only).
    body: Callable[[ServedModel], tuple[Any, Any]] | None = None

    @property
    def inference(self) -> bool:
        """Tell whether the route runs the model: it is held to the in-flight limit."""
        return self.body is not None


def _records(model: ServedModel) -> tuple[Any, Any]:
    return model.checks.records_type, {"instances": [model.example_record]}


def _tensors(model: ServedModel) -> tuple[Any, Any]:
    return model.checks.tensors_type, {"inputs": [
        {"name": name, "shape": [1], "datatype": "BYTES" if isinstance(value, str) else "FP64", "data": [value]}
        for name, value in model.example_record.items()
    ]}


BODY_ERRORS = (400, 413, 415, 422, 503)
ENDPOINTS: Sequence[Endpoint] = (
    # The busiest first: the router tries them in order.
    Endpoint("POST", "/predict", predict.predict, "predict", predict.PredictResponse, BODY_ERRORS, _records),
    Endpoint("POST", MODEL_PATH + "/infer", v2.infer, "v2", v2.InferenceResponse, (404, *BODY_ERRORS), _tensors),
    Endpoint("POST", VERSION_PATH + "/infer", v2.infer, "v2", v2.InferenceResponse, (404, *BODY_ERRORS), _tensors),
    Endpoint("GET", "/health/live", predict.live, "health", predict.Health),
    Endpoint("GET", "/health/ready", predict.ready, "health", predict.Health, (503,)),
    Endpoint("GET", "/health", predict.ready, "health", predict.Health, (503,)),
    Endpoint("GET", "/metadata", predict.metadata, "predict", predict.ModelCard, (503,)),
    Endpoint("GET", "/metrics", predict.metrics, "operations", "metrics"),
    Endpoint("GET", "/v2", v2.server_metadata, "v2", v2.ServerMetadata),
    Endpoint("GET", "/v2/health/live", v2.server_live, "v2", "empty"),
    Endpoint("GET", "/v2/health/ready", v2.server_ready, "v2", "empty", (503,)),
    Endpoint("GET", MODEL_PATH, v2.model_metadata, "v2", v2.ModelMetadata, (404, 503)),
    Endpoint("GET", MODEL_PATH + "/ready", v2.model_ready, "v2", "empty", (404, 503)),
    Endpoint("GET", VERSION_PATH, v2.model_metadata, "v2", v2.ModelMetadata, (404, 503)),
    Endpoint("GET", VERSION_PATH + "/ready", v2.model_ready, "v2", "empty", (404, 503)),
)


class TableRoute(Route):
    """A Starlette route that records itself in the scope when it matches, even partly (a 405), as
    Starlette's own router and FastAPI's APIRoute do: the edge labels the request by its template."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE:
            child["route"] = self
        return match, child


class Serve:
    """An endpoint as the ASGI app its route calls: Starlette's request_response less the layer that
    looks for exception handlers to call, which finds none here (the edge answers every error)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handler(Request(scope, receive, send))
        await response(scope, receive, send)


def routes(endpoints: Sequence[Endpoint], in_flight: InFlight) -> list[Route]:
    """Give the Starlette routes serving `endpoints`, inference held to the in-flight limit."""
    return [TableRoute(e.path, Serve(in_flight.guard(e.handler) if e.inference else e.handler), methods=[e.method],
                       name=f"{e.method} {e.path}") for e in endpoints]
