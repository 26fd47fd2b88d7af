"""Triton's binary tensor data extension, for inputs: a JSON header, then the tensors' raw bytes.

The body is `Inference-Header-Content-Length` bytes of JSON, then, in input
order, the bytes of each input whose parameters carry `binary_data_size`:
little-endian FP32/FP64, or BYTES as 4-byte little-endian lengths each
followed by that many bytes of UTF-8. The bytes become ordinary JSON data, so
every check after this is the one JSON requests get. A NaN means a missing
value (null), as it does in the training data. Answers are always JSON, which
Triton's client reads whatever it asked for.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

from service.app.body import decode_json
from service.app.problems import BadBody, InvalidRecords, Problem, one

DTYPES = {"FP32": "<f4", "FP64": "<f8"}
HEADER = ("header", "inference-header-content-length")


def decode_binary_request(body: bytes, header_length: str) -> Any:
    """Give the request's JSON with each binary input's values put in its `data`."""
    try:
        length = int(header_length)
    except ValueError:
        length = -1
    if not 0 <= length <= len(body):
        raise one(BadBody, f"Inference-Header-Content-Length {header_length!r} is not a length within the body's "
                  f"{len(body)} bytes", "binary_header", HEADER)
    payload = decode_json(body[:length])
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
    return payload


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
