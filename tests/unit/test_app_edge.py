"""The edge's pure parts: content types, request ids, which routes the in-flight limit holds, the log line."""

import json
import logging
import re

import pytest

from service.app.edge import check_content_type, request_id_of
from service.app.errors import UnsupportedMediaType
from service.app.logs import JsonFormatter
from service.app.routes import ENDPOINTS

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("header", [None, "application/json", "Application/JSON; charset=UTF-8",
                                    'application/json; charset="utf8"', "application/problem+json"])
def test_json_content_types_pass(header):
    check_content_type(header)


@pytest.mark.parametrize("header, msg", [
    ("text/plain", "content type 'text/plain' is not supported; send application/json"),
    ("multipart/form-data; boundary=x", "content type 'multipart/form-data' is not supported; send application/json"),
    ("text/json+xml", "content type 'text/json+xml' is not supported; send application/json"),
    ("application/json; charset=utf-16", "charset 'utf-16' is not supported; send UTF-8"),
])
def test_other_content_types_are_415(header, msg):
    with pytest.raises(UnsupportedMediaType) as caught:
        check_content_type(header)
    [problem] = caught.value.problems
    assert (problem.loc, problem.msg, problem.type) == (("header", "content-type"), msg, "unsupported_media_type")


def test_only_the_inference_routes_are_held_to_the_in_flight_limit():
    assert {(e.method, e.path) for e in ENDPOINTS if e.inference} == {
        ("POST", "/predict"), ("POST", "/v2/models/{name}/infer"),
        ("POST", "/v2/models/{name}/versions/{version}/infer")}


def test_every_route_is_declared_once():
    routes = [(e.method, e.path) for e in ENDPOINTS]
    assert len(routes) == len(set(routes))


def test_a_sane_request_id_is_kept():
    assert request_id_of({"headers": [(b"x-request-id", b"abc-123_X.y")]}) == b"abc-123_X.y"


@pytest.mark.parametrize("headers", [[], [(b"x-request-id", b"")], [(b"x-request-id", b"a b")],
                                     [(b"x-request-id", b"x" * 129)], [(b"x-request-id", "é".encode())]])
def test_otherwise_a_fresh_one_is_made(headers):
    made = request_id_of({"headers": headers})
    assert re.fullmatch(rb"[0-9a-f]{32}", made)
    assert made != request_id_of({"headers": headers})


def test_a_log_record_is_one_json_line_with_its_fields(monkeypatch):
    monkeypatch.setattr(logging.time, "time", lambda: 1_700_000_000.1239)  # when the record is made
    monkeypatch.setattr(logging.time, "time_ns", lambda: 1_700_000_000_123_900_000)
    record = logging.LogRecord("stopline.access", logging.INFO, __file__, 1, "request %s", ("done",), None)
    record.fields = {"request_id": "r1", "status": 200}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line) == {"ts": "2023-11-14T22:13:20.123+00:00", "level": "info", "logger": "stopline.access",
                                "msg": "request done", "request_id": "r1", "status": 200}
