"""POST /predict, GET /metadata, the health probes and GET /metrics: the service's own HTTP API.

Each handler only translates: the request's body goes to the served model
(service.app.model), its answer comes back as JSON.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from service.app.edge import read_json, ready_model
from service.app.errors import OrjsonResponse
from service.bundle import BundleCard

LIVE = b'{"status":"live"}'


class ClassPrediction(BaseModel):
    """A classifier's answer for one record."""

    label: str = Field(description="The predicted class.")
    probabilities: dict[str, float] = Field(description="The probability of every class; they sum to 1.")


class ValuePrediction(BaseModel):
    """A regressor's answer for one record."""

    value: float = Field(description="The predicted value.")


class PredictResponse(BaseModel):
    """The answer to POST /predict: one prediction per record, in order (a class, or a value)."""

    predictions: list[ClassPrediction] | list[ValuePrediction]
    model_version: str = Field(description="The version of the model that answered.")


class ModelCard(BundleCard):
    """The model card of the served bundle: its manifest, and the sha256 of that manifest."""

    bundle_sha256: str


class Health(BaseModel):
    """A probe's answer."""

    status: str
    model: str | None = None
    version: str | None = None


async def predict(request: Request) -> Response:
    """Predict the class, or the value, of each record in `instances`: the request schema is the model's own."""
    model = ready_model(request)
    answer, predictions = await model.predict_records(await read_json(request))
    request.app.state.metrics.observe_predictions(answer)
    return OrjsonResponse({"predictions": predictions, "model_version": model.version})


async def metadata(request: Request) -> Response:
    """The model card: name, version, metrics, input schema, data and bundle hashes, git sha."""
    return Response(ready_model(request).card_json, media_type="application/json")


async def live(request: Request) -> Response:
    """200 while the process runs, whatever the model's state."""
    return Response(LIVE, media_type="application/json")


async def ready(request: Request) -> Response:
    """200 once the model is loaded and verified, else 503."""
    model = ready_model(request)
    return OrjsonResponse({"status": "ready", "model": model.name, "version": model.version})


async def metrics(request: Request) -> Response:
    """Every metric in Prometheus text format."""
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
