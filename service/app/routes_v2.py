"""Open Inference Protocol (V2) REST routes, as KServe, MLServer and Triton speak them.

Tensors come as JSON, or as Triton's binary tensor data (the default of its
client); answers are JSON. Health routes answer with an empty body, as the
protocol asks.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response
from starlette.routing import Route

from service.app.api_models import error_responses
from service.app.body import check_content_type, read_body, read_json
from service.app.deps import ModelDep, served_model
from service.app.problems import ModelNotFound, from_validation_error, one
from service.app.responses import OrjsonResponse
from service.app.served_model import ServedModel
from service.app.v2_binary import decode_binary_request
from service.app.v2_codec import columns_of, model_metadata, outputs_of
from service.app.v2_types import InferenceRequest, InferenceResponse, ModelMetadata, ServerMetadata

router = APIRouter(prefix="/v2", tags=["open inference protocol (v2)"])
SERVER = ServerMetadata(name="stopline", version="1", extensions=[])
EMPTY_OK: dict[int | str, dict[str, Any]] = {200: {"description": "True: the body is empty.", "content": None}}


def _check_model(model: ServedModel, name: str, version: str | None) -> None:
    if name != model.name:
        raise one(ModelNotFound, f"model {name!r} is not served here; this service serves {model.name!r}",
                  "model_not_found", ("path", "name"))
    if version is not None and version != model.version:
        raise one(ModelNotFound, f"model {name!r} has no version {version!r}; it serves {model.version!r}",
                  "version_not_found", ("path", "version"))


@router.get("", response_model=ServerMetadata)
async def server_metadata() -> Response:
    """The server's name, version and protocol extensions."""
    return OrjsonResponse(SERVER.model_dump())


@router.get("/health/live", responses=EMPTY_OK)
async def server_live() -> Response:
    """200 while the process runs."""
    return Response()


@router.get("/health/ready", responses={**EMPTY_OK, **error_responses(503)})
async def server_ready(model: ModelDep) -> Response:
    """200 once the model is loaded and verified, else 503."""
    return Response()


@router.get("/models/{name}/ready", responses={**EMPTY_OK, **error_responses(404, 503)})
async def model_ready(model: ModelDep, name: str) -> Response:
    """200 when the named model is loaded and verified."""
    _check_model(model, name, None)
    return Response()


@router.get("/models/{name}/versions/{version}/ready", responses={**EMPTY_OK, **error_responses(404, 503)})
async def model_version_ready(model: ModelDep, name: str, version: str) -> Response:
    """200 when the named model, at this version, is loaded and verified."""
    _check_model(model, name, version)
    return Response()


@router.get("/models/{name}", response_model=ModelMetadata, responses=error_responses(404, 503))
async def model_metadata_route(model: ModelDep, name: str) -> Response:
    """The model's inputs (one per feature) and outputs (`label`, `probabilities`; a regressor's `value`)."""
    _check_model(model, name, None)
    return OrjsonResponse(model_metadata(model).model_dump(exclude_none=True))


@router.get("/models/{name}/versions/{version}", response_model=ModelMetadata, responses=error_responses(404, 503))
async def model_version_metadata(model: ModelDep, name: str, version: str) -> Response:
    """The same metadata, for the named version."""
    _check_model(model, name, version)
    return OrjsonResponse(model_metadata(model).model_dump(exclude_none=True))


async def infer(request: Request) -> Response:
    """Predict from one input tensor per feature; answer `label` and `probabilities` (a regressor: `value`)."""
    model = served_model(request)
    _check_model(model, request.path_params["name"], request.path_params.get("version"))
    header_length = request.headers.get("inference-header-content-length")
    if header_length is None:
        payload = await read_json(request)
    else:  # Triton's binary tensor data: a JSON header, then raw tensor bytes
        content_type = request.headers.get("content-type")
        if content_type != "application/octet-stream":
            check_content_type(content_type)
        payload = decode_binary_request(await read_body(request), header_length)
    try:
        inference = InferenceRequest.model_validate(payload)
    except ValidationError as exc:
        raise from_validation_error(exc, ()) from None
    columns = columns_of(inference, model)
    answer = await model.batcher.predict(columns, len(next(iter(columns.values()))))
    request.app.state.metrics.observe_predictions(answer)
    requested = [o.name for o in inference.outputs] if inference.outputs else None
    body = {"model_name": model.name, "model_version": model.version,
            "outputs": outputs_of(answer, model, requested)}
    if inference.id is not None:
        body["id"] = inference.id
    return OrjsonResponse(body)


# Served by plain Starlette routes, documented by FastAPI: see routes_predict for why.
INFER_PATHS = ("/v2/models/{name}/infer", "/v2/models/{name}/versions/{version}/infer")
hot_routes = [Route(path, infer, methods=["POST"]) for path in INFER_PATHS]
docs = APIRouter(tags=["open inference protocol (v2)"])
for path in INFER_PATHS:
    docs.add_api_route(path, infer, methods=["POST"], response_model=InferenceResponse,
                       responses=error_responses(400, 404, 413, 415, 422, 503))
