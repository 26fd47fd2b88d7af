"""The OpenAPI document, with request bodies taken from the served model's schema.

The routes read their bodies themselves (strictly, with a size cap), so
FastAPI cannot see the body models; this module puts them in: POST /predict
gets the model generated from the bundle's input schema, with an example the
schema allows, so /docs shows the real fields and "Try it out" just works.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from starlette.routing import BaseRoute
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from service.app.served_model import ServedModel
from service.app.v2_types import InferenceRequest
from service.schema import NumberFeature

REF = "#/components/schemas/{model}"


def v2_example(model: ServedModel) -> dict[str, Any]:
    """Give an infer request the schema allows: the /predict example as one tensor per feature."""
    row = model.example_request()["instances"][0]
    return {"inputs": [
        {"name": f.name, "shape": [1], "datatype": "FP64" if isinstance(f, NumberFeature) else "BYTES",
         "data": [row[f.name]]}
        for f in model.schema.features
    ]}


def _set_body(document: dict[str, Any], path: str, body: type[BaseModel], example: dict[str, Any]) -> None:
    schema = body.model_json_schema(ref_template=REF)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.update(schema.pop("$defs", {}))
    components[body.__name__] = schema
    document["paths"][path]["post"]["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=body.__name__)}, "example": example}},
    }


def openapi_builder(app: FastAPI, documented: Sequence[BaseRoute]) -> Callable[[], dict[str, Any]]:
    """Give the app's `openapi` function: the document, completed once the model is loaded.

    `documented` declares the routes the app serves outside FastAPI (the hot inference routes).
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=[*documented, *app.routes]
        )
        model: ServedModel | None = app.state.model
        if model is None:
            return document  # not cached: the bodies appear once the model is loaded
        _set_body(document, "/predict", model.request_model, model.example_request())
        for path in ("/v2/models/{name}/infer", "/v2/models/{name}/versions/{version}/infer"):
            _set_body(document, path, InferenceRequest, v2_example(model))
        app.openapi_schema = document
        return document

    return openapi
