"""The OpenAPI document, written from the endpoint table and the served model's own request types.

The request bodies are the very types that validate requests (service.app.checks),
so a request the document allows is one the service accepts; every path parameter
is declared (a model's name and version, the only values served), and every answer
a route gives is listed, with its body, content type and headers. Until the model is
loaded, the inference routes show no body: the document completes, and is cached,
once it is. tests/component/test_app_openapi_fuzz.py holds the service to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field, TypeAdapter

from service.app.edge import SANE_REQUEST_ID
from service.app.model import ServedModel
from service.app.routes import Endpoint

REF = "#/components/schemas/{model}"
JSON = "application/json"
DESCRIBED = {
    200: "The answer.",
    400: "The body is not readable JSON (empty, not UTF-8, malformed, nested too deep).",
    404: "No such model or version.",
    413: "The body is over the size limit.",
    415: "The body is not declared as JSON.",
    422: "The JSON breaks the schema; each problem names its field.",
    503: "The model is not loaded yet, or too many requests are in flight (see Retry-After).",
}
# The edge puts X-Request-ID on every answer; an overloaded service's 503 carries Retry-After.
HEADERS = {
    "X-Request-ID": {"required": True, "schema": {"type": "string", "pattern": f"^{SANE_REQUEST_ID.pattern.decode()}$"},
                     "description": "The request's id, as in the access log: the client's X-Request-ID when it is "
                                    "1 to 128 visible ASCII characters, else a fresh one."},
    "Retry-After": {"schema": {"type": "integer", "minimum": 1},
                    "description": "Seconds to wait before retrying, when too many requests are in flight."},
}


class ProblemOut(BaseModel):
    """One problem with a request."""

    loc: list[str | int] = Field(description="JSON path of the fault, from the part of the request it is in.")
    field: str = Field(description="The same path, readable: `instances[0].bill_length_mm`.")
    msg: str = Field(description="What is wrong.")
    type: str = Field(description="The kind of problem, for programs.")


class ErrorBody(BaseModel):
    """Every refusal: the problems, each naming its field (V2 routes add `error`, a one-line summary)."""

    detail: list[ProblemOut]
    error: str | None = Field(None, description="Under /v2 only: the problems as one line.")


def document(title: str, version: str, description: str, endpoints: Sequence[Endpoint],
             model: ServedModel | None) -> dict[str, Any]:
    """Give the OpenAPI 3.1 document of `endpoints`, with request bodies and parameters from `model`."""
    schemas: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, model, schemas)
    return {"openapi": "3.1.0", "info": {"title": title, "version": version, "description": description},
            "paths": paths, "components": {"schemas": dict(sorted(schemas.items())), "headers": HEADERS}}


def _operation(endpoint: Endpoint, model: ServedModel | None, schemas: dict[str, Any]) -> dict[str, Any]:
    doc = (endpoint.handler.__doc__ or "").strip()
    slug = re.sub(r"\W+", "_", endpoint.path).strip("_")
    operation: dict[str, Any] = {
        "tags": [endpoint.tag],
        "summary": doc.splitlines()[0] if doc else endpoint.path,
        "operationId": f"{endpoint.method}_{slug}".lower(),
        "responses": {"200": _answer(endpoint.answer, schemas)},
    }
    parameters = [_parameter(name, model) for name in re.findall(r"{(\w+)}", endpoint.path)]
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None and model is not None:
        body, example = endpoint.body(model)
        operation["requestBody"] = {"required": True, "content": {
            JSON: {"schema": _ref(body, schemas), "example": example}}}
    for status in endpoint.errors:
        operation["responses"][str(status)] = {"description": DESCRIBED[status],
                                               "content": {JSON: {"schema": _ref(ErrorBody, schemas)}}}
    for status, response in operation["responses"].items():
        names = ("X-Request-ID", "Retry-After") if status == "503" else ("X-Request-ID",)
        response["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in names}
    return operation


def _parameter(name: str, model: ServedModel | None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if model is not None:  # the only value served; any other is 404
        schema["enum"] = [model.name if name == "name" else model.version]
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": "The model's name." if name == "name" else "The model's version."}


def _answer(answer: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    if answer == "empty":
        return {"description": "True: the body is empty."}
    if answer == "metrics":
        return {"description": "Every metric.", "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}
    return {"description": DESCRIBED[200], "content": {JSON: {"schema": _ref(answer, schemas)}}}


def _ref(kind: Any, schemas: dict[str, Any]) -> dict[str, str]:
    """Give a reference to `kind`'s schema, put with the schemas it uses in `schemas`."""
    schema = TypeAdapter(kind).json_schema(ref_template=REF)
    schemas.update(schema.pop("$defs", {}))
    name = schema.get("title", getattr(kind, "__name__", "Body"))
    schemas[name] = schema
    return {"$ref": REF.format(model=name)}
