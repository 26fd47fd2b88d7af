"""POST /predict and GET /metadata: the service's own JSON API.

/predict is the hot path, so it is served by a plain Starlette route: FastAPI's
per-route machinery (dependency solving, exit stacks, telemetry context)
costs about 45 us a request here, more than the model itself, and
service.app.hot calls it before the router too (see docs/service.md, Speed).
FastAPI still documents it: `docs` declares the same endpoint for the OpenAPI
document, and never serves a request.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response
from starlette.routing import Route

from service.app.api_models import ModelCard, PredictResponse, error_responses
from service.app.body import read_json
from service.app.deps import ModelDep, served_model
from service.app.problems import from_validation_error
from service.app.request_model import instance_columns
from service.app.responses import OrjsonResponse
from service.app.served_model import ServedModel
from service.features import Columns


def records_to_columns(payload: Any, model: ServedModel) -> tuple[Columns, int]:
    """Give the validated columns and row count of a /predict body; raise InvalidRecords naming each problem."""
    accepted = model.checks.records(payload)
    if accepted is not None:
        return accepted
    try:
        instances = model.request_model.model_validate(payload).instances  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise from_validation_error(exc, model.schema.names) from None
    # The quick checks may decline a body the request model accepts: it is served all the same.
    return instance_columns(instances, model.schema), len(instances)


async def predict(request: Request) -> Response:
    """Predict the class, or the value, of each record in `instances`: the request schema is the model's own."""
    model = served_model(request)
    columns, rows = records_to_columns(await read_json(request), model)
    answer = await model.batcher.predict(columns, rows)
    request.app.state.metrics.observe_predictions(answer)
    classes = model.classes
    if answer.indices is None:
        predictions = [{"value": value} for value in answer.outputs.tolist()]
    else:
        predictions = [
            {"label": classes[index], "probabilities": dict(zip(classes, row))}
            for index, row in zip(answer.indices.tolist(), answer.outputs.tolist())
        ]
    return OrjsonResponse({"predictions": predictions, "model_version": model.version})


hot_routes = [Route("/predict", predict, methods=["POST"])]
docs = APIRouter(tags=["predict"])
docs.add_api_route(
    "/predict", predict, methods=["POST"], response_model=PredictResponse, response_class=OrjsonResponse,
    responses=error_responses(400, 413, 415, 422, 503),
)
router = APIRouter(tags=["predict"])


@router.get("/metadata", response_model=ModelCard, responses=error_responses(503))
async def metadata(model: ModelDep) -> Response:
    """The model card: name, version, metrics, input schema, data and bundle hashes, git sha."""
    return Response(model.metadata_json, media_type="application/json")
