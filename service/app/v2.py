"""Open Inference Protocol (V2) REST, as KServe, MLServer and Triton speak it.

Tensors come as JSON, or as Triton's binary tensor data (its Python client's
default): `Inference-Header-Content-Length` bytes of JSON, then, in input order,
the bytes of each input whose parameters carry `binary_data_size`: little-endian
FP32/FP64, or BYTES as 4-byte little-endian lengths each followed by that many
bytes of UTF-8. The bytes become ordinary data (a NaN: a missing value, null),
so every check after is the one JSON requests get. Answers are always JSON,
which Triton's client reads whatever it asked for. Health routes answer with an
empty body, as the protocol asks.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np
import orjson
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from service.app.edge import check_content_type, ready_model
from service.app.errors import BadBody, InvalidRecords, OrjsonResponse, Problem
from service.app.model import ServedModel
from service.schema import NumberFeature

SERVER = {"name": "stopline", "version": "1", "extensions": []}
PLATFORM = "onnxruntime_onnx"
DTYPES = {"FP32": "<f4", "FP64": "<f8"}
BINARY_HEADER = ("header", "inference-header-content-length")


class ServerMetadata(BaseModel):
    """GET /v2: the server's name, version and protocol extensions."""

    name: str
    version: str
    extensions: list[str]


class MetadataTensor(BaseModel):
    """The name, type and shape of one input or output (-1: any number of rows)."""

    name: str
    datatype: str
    shape: list[int]
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
    shape: list[int]
    datatype: str
    parameters: dict[str, Any] | None = None
    data: list[Any]


class InferenceResponse(BaseModel):
    """The answer to an infer call: `label` (BYTES, [n]) and `probabilities` (FP32, [n, classes]), or `value`."""

    model_config = {"protected_namespaces": ()}

    model_name: str
    model_version: str
    id: str | None = None
    outputs: list[ResponseOutput]


def metadata_of(model: ServedModel) -> dict[str, Any]:
    """Give the V2 metadata: one input per feature; outputs `label` and `probabilities`, or `value`."""
    inputs = [
        {"name": f.name, "datatype": "FP64", "shape": [-1], "parameters": {"content_type": "np"}}
        if isinstance(f, NumberFeature)
        else {"name": f.name, "datatype": "BYTES", "shape": [-1], "parameters": {"content_type": "str"}}
        for f in model.card.input_schema.features
    ]
    card = {"name": model.name, "versions": [model.version], "platform": PLATFORM, "inputs": inputs}
    if not model.is_classifier:
        return {**card, "outputs": [{"name": "value", "datatype": "FP32", "shape": [-1]}]}
    return {**card, "outputs": [
        {"name": "label", "datatype": "BYTES", "shape": [-1], "parameters": {"content_type": "str"}},
        {"name": "probabilities", "datatype": "FP32", "shape": [-1, len(model.card.classes)]},
    ], "parameters": {"classes": list(model.card.classes)}}


async def server_metadata(request: Request) -> Response:
    """The server's name, version and protocol extensions."""
    return OrjsonResponse(SERVER)


async def server_live(request: Request) -> Response:
    """200 while the process runs."""
    return Response()


async def server_ready(request: Request) -> Response:
    """200 once the model is loaded and verified, else 503."""
    ready_model(request)
    return Response()


async def model_ready(request: Request) -> Response:
    """200 when the named model (at the version, when named) is loaded and verified."""
    ready_model(request).check_name(**request.path_params)
    return Response()


async def model_metadata(request: Request) -> Response:
    """The model's inputs (one per feature) and outputs (`label`, `probabilities`; a regressor's `value`)."""
    model = ready_model(request)
    model.check_name(**request.path_params)
    return OrjsonResponse(metadata_of(model))


async def infer(request: Request) -> Response:
    """Predict from one input tensor per feature; answer `label` and `probabilities` (a regressor: `value`)."""
    model = ready_model(request)
    model.check_name(**request.path_params)
    header_length = request.headers.get("inference-header-content-length")
    content_type = request.headers.get("content-type")
    if header_length is None or content_type != "application/octet-stream":
        check_content_type(content_type)
    body: bytes = await request.app.state.read_body(request)
    payload = body if header_length is None else decode_binary_request(body, header_length)
    answer, reply = await model.infer(payload)
    request.app.state.metrics.observe_predictions(answer)
    return OrjsonResponse(reply)


def decode_binary_request(body: bytes, header_length: str) -> dict[str, Any]:
    """Give the request's JSON header with each binary input's values put in its `data`."""
    length = int(header_length) if header_length.isdigit() else -1
    if not 0 <= length <= len(body):
        raise BadBody.single(f"Inference-Header-Content-Length {header_length!r} is not a length within the "
                             f"body's {len(body)} bytes", "binary_header", BINARY_HEADER)
    try:
        payload = orjson.loads(body[:length])
    except orjson.JSONDecodeError as exc:
        raise BadBody.single(f"invalid JSON in the first {length} bytes: {exc}", "json_invalid", ("body",)) from None
    raw, offset, problems = body[length:], 0, []
    tensors = payload.get("inputs") if isinstance(payload, dict) else None
    for i, tensor in enumerate(tensors if isinstance(tensors, list) else ()):
        size = (tensor.get("parameters") or {}).get("binary_data_size") if isinstance(tensor, dict) else None
        if size is None:
            continue
        where = ("body", "inputs", i)
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= len(raw) - offset:
            problems.append(Problem((*where, "parameters", "binary_data_size"), f"binary_data_size {size!r} is not "
                                    f"a length within the {len(raw) - offset} bytes left", "binary_size", "inputs"))
            break
        try:
            tensor["data"] = _values(raw[offset:offset + size], tensor.get("datatype"))
        except ValueError as exc:
            problems.append(Problem((*where, "data"), str(exc), "binary_data", "inputs"))
        offset += size
    if not problems and offset != len(raw):
        problems.append(Problem(("body",), f"{len(raw) - offset} bytes of binary data follow the last input",
                                "binary_size"))
    if problems:
        raise InvalidRecords(problems)
    return payload  # type: ignore[no-any-return]


def _values(data: bytes, datatype: object) -> list[Any]:
    if datatype in DTYPES:
        width = np.dtype(DTYPES[str(datatype)]).itemsize
        if len(data) % width:
            raise ValueError(f"{len(data)} bytes is not a whole number of {datatype} values")
        values: list[Any] = np.frombuffer(data, dtype=DTYPES[str(datatype)]).tolist()
        return [None if math.isnan(v) else v for v in values]
    if datatype == "BYTES":
        return _strings(data)
    raise ValueError(f"datatype {datatype!r} cannot be sent as binary here; send FP32, FP64 or BYTES")


def _strings(data: bytes) -> list[str]:
    strings, offset = [], 0
    while offset < len(data):
        if offset + 4 > len(data):
            raise ValueError("BYTES data ends inside a length prefix")
        (size,) = struct.unpack_from("<I", data, offset)
        start, offset = offset + 4, offset + 4 + size
        if offset > len(data):
            raise ValueError("BYTES data ends inside an element")
        try:
            strings.append(data[start:offset].decode("utf-8"))
        except UnicodeDecodeError:
            raise ValueError(f"BYTES element {len(strings)} is not UTF-8") from None
    return strings
