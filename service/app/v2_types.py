"""The Open Inference Protocol (V2) REST messages, as strict pydantic models.

The envelope is checked here; tensor contents are checked a column at a
time by `service.app.v2_codec`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Shape = list[Annotated[int, Field(ge=-1)]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RequestInput(_Strict):
    """One named input tensor: here, one feature's column."""

    name: str
    shape: list[Annotated[int, Field(ge=0)]]
    datatype: str
    parameters: dict[str, Any] | None = None
    data: list[Any]


class RequestOutput(_Strict):
    """An output the client asks for by name."""

    name: str
    parameters: dict[str, Any] | None = None


class InferenceRequest(_Strict):
    """POST /v2/models/{name}/infer: one input per feature, all with the same number of rows."""

    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[RequestInput] = Field(min_length=1)
    outputs: list[RequestOutput] | None = None


class MetadataTensor(BaseModel):
    """The name, type and shape of one input or output (-1: any number of rows)."""

    name: str
    datatype: str
    shape: Shape
    parameters: dict[str, Any] | None = None


class ModelMetadata(BaseModel):
    """GET /v2/models/{name}: what the model takes and gives."""

    name: str
    versions: list[str]
    platform: str
    inputs: list[MetadataTensor]
    outputs: list[MetadataTensor]
    parameters: dict[str, Any] | None = None


class ResponseOutput(BaseModel):
    """One output tensor, its data flattened in row-major order."""

    name: str
    shape: Shape
    datatype: str
    parameters: dict[str, Any] | None = None
    data: list[Any]


class InferenceResponse(BaseModel):
    """The answer to an infer call: `label` (BYTES, [n]) and `probabilities` (FP32, [n, classes])."""

    model_config = ConfigDict(protected_namespaces=())

    model_name: str
    model_version: str
    id: str | None = None
    outputs: list[ResponseOutput]


class ServerMetadata(BaseModel):
    """GET /v2: the server's name, version and protocol extensions."""

    name: str
    version: str
    extensions: list[str]
