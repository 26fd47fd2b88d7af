"""Request ids, which requests the in-flight limit counts, and the JSON log line."""

import json
import logging
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.app.limits import is_inference
from service.app.logs import JsonFormatter, timestamp
from service.app.observe import request_id_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("method, path, counted", [
    ("POST", "/predict", True),
    ("POST", "/v2/models/pumps/infer", True),
    ("POST", "/v2/models/pump-hours/versions/3/infer", True),
    ("GET", "/predict", False),
    ("GET", "/health/live", False),
    ("POST", "/v2/models/pumps", False),
    ("GET", "/metrics", False),
])
def test_only_inference_requests_count_towards_the_limit(method, path, counted):
    assert is_inference(method, path) is counted


def test_a_sane_request_id_is_kept():
    assert request_id_of({"headers": [(b"x-request-id", b"abc-123_X.y")]}) == b"abc-123_X.y"


@pytest.mark.parametrize("headers", [[], [(b"x-request-id", b"")], [(b"x-request-id", b"a b")],
                                     [(b"x-request-id", b"x" * 129)], [(b"x-request-id", "é".encode())]])
def test_otherwise_a_fresh_one_is_made(headers):
    made = request_id_of({"headers": headers})
    assert len(made) == 32 and int(made, 16) >= 0
    assert made != request_id_of({"headers": headers})


def test_a_log_record_is_one_json_line_with_its_fields():
    record = logging.LogRecord("stopline.access", logging.INFO, __file__, 1, "request %s", ("done",), None)
    record.created = 0.0
    record.fields = {"request_id": "r1", "status": 200}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line) == {"ts": "1970-01-01T00:00:00.000+00:00", "level": "info", "logger": "stopline.access",
                                "msg": "request done", "request_id": "r1", "status": 200}


@given(st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_the_log_timestamp_is_what_datetime_writes(created):
    expected = datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds")
    assert timestamp(created) == expected


@pytest.mark.parametrize("created", [0.0, 0.0009994, 0.9999995, 59.9995, 1_700_000_000.123456])
def test_the_log_timestamp_at_the_edges_of_a_millisecond(created):
    expected = datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds")
    assert timestamp(created) == expected
