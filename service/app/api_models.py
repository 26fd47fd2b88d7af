"""Static response models of the service's own routes, for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from service.bundle import BundleCard


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


class ProblemOut(BaseModel):
    """One problem with a request."""

    loc: list[str | int] = Field(description="JSON path of the fault, from the body.")
    field: str = Field(description="The same path, readable: `instances[0].bill_length_mm`.")
    msg: str = Field(description="What is wrong.")
    type: str = Field(description="The kind of problem, for programs.")


class ErrorBody(BaseModel):
    """Every refusal: the problems, each naming its field (V2 routes add `error`, a one-line summary)."""

    detail: list[ProblemOut]
    error: str | None = Field(None, description="Under /v2 only: the problems as one line.")


class ModelCard(BundleCard):
    """The model card of the served bundle: its manifest, and the sha256 of that manifest."""

    bundle_sha256: str


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Give the OpenAPI `responses` entry documenting `statuses` with the error body."""
    described = {
        400: "The body is not readable JSON (empty, not UTF-8, malformed, nested too deep).",
        404: "No such model or version.",
        413: "The body is over the size limit.",
        415: "The body is not declared as JSON.",
        422: "The JSON breaks the schema; each problem names its field.",
        503: "The model is not loaded yet, or too many requests are in flight (see Retry-After).",
    }
    return {s: {"model": ErrorBody, "description": described[s]} for s in statuses}
