"""Triton's binary tensor data: a JSON header, then raw little-endian tensors, decoded into JSON data."""

import json
import struct

import numpy as np
import pytest

from service.app.errors import BadBody, InvalidRecords
from service.app.v2 import decode_binary_request

pytestmark = pytest.mark.unit


def strings(*values):
    return b"".join(struct.pack("<I", len(v.encode())) + v.encode() for v in values)


def binary_body(*tensors, extra=b""):
    """Give (body, header length) for tensors of (name, datatype, raw bytes or JSON data)."""
    inputs, raw = [], b""
    for name, datatype, data in tensors:
        if isinstance(data, bytes):
            inputs.append({"name": name, "shape": [1], "datatype": datatype,
                           "parameters": {"binary_data_size": len(data)}})
            raw += data
        else:
            inputs.append({"name": name, "shape": [len(data)], "datatype": datatype, "data": data})
    header = json.dumps({"inputs": inputs}).encode()
    return header + raw + extra, str(len(header))


def test_binary_inputs_become_json_data_and_nan_becomes_null():
    body, length = binary_body(
        ("a", "FP64", np.array([1.5, np.nan], dtype="<f8").tobytes()),
        ("b", "FP32", np.array([0.25], dtype="<f4").tobytes()),
        ("c", "BYTES", strings("C/300", "ünï")),
        ("d", "BYTES", ["as", "json"]),
    )
    payload = decode_binary_request(body, length)
    assert [t.get("data") for t in payload["inputs"]] == [[1.5, None], [0.25], ["C/300", "ünï"], ["as", "json"]]


@pytest.mark.parametrize("length", ["x", "-1", "100000"])
def test_a_header_length_outside_the_body_is_400(length):
    body, _ = binary_body(("a", "FP64", b"\0" * 8))
    with pytest.raises(BadBody) as caught:
        decode_binary_request(body, length)
    assert caught.value.problems[0].loc == ("header", "inference-header-content-length")


@pytest.mark.parametrize("tensor, extra, msg", [
    (("a", "FP64", b"\0" * 12), b"", "12 bytes is not a whole number of FP64 values"),
    (("a", "INT64", b"\0" * 8), b"", "datatype 'INT64' cannot be sent as binary here; send FP32, FP64 or BYTES"),
    (("a", "BYTES", struct.pack("<I", 9) + b"abc"), b"", "BYTES data ends inside an element"),
    (("a", "BYTES", b"\1\0"), b"", "BYTES data ends inside a length prefix"),
    (("a", "BYTES", struct.pack("<I", 1) + b"\xff"), b"", "BYTES element 0 is not UTF-8"),
    (("a", "FP64", b"\0" * 8), b"\0", "1 bytes of binary data follow the last input"),
])
def test_malformed_binary_data_is_422(tensor, extra, msg):
    body, length = binary_body(tensor, extra=extra)
    with pytest.raises(InvalidRecords) as caught:
        decode_binary_request(body, length)
    assert [p.msg for p in caught.value.problems] == [msg]


def test_a_size_past_the_end_is_422():
    header = json.dumps({"inputs": [{"name": "a", "shape": [1], "datatype": "FP64",
                                     "parameters": {"binary_data_size": 16}}]}).encode()
    with pytest.raises(InvalidRecords) as caught:
        decode_binary_request(header + b"\0" * 8, str(len(header)))
    [problem] = caught.value.problems
    assert (problem.field, problem.msg) == ("inputs[0].parameters.binary_data_size",
                                            "binary_data_size 16 is not a length within the 8 bytes left")
