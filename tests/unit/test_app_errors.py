"""Problems and their HTTP answers: one mapping, every body naming the field and the problem."""

import logging

import orjson
import pytest
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from service.app.errors import (
    CLIENT_GONE, MAX_PROBLEMS_SHOWN, BadBody, BodyTooLarge, InvalidRecords, MethodNotAllowed, NotFound, Problem,
    Unavailable, UnsupportedMediaType, answer, error_response,
)

pytestmark = pytest.mark.unit
SCOPE = {"method": "POST", "path": "/predict"}


def body_of(response):
    return orjson.loads(response.body)


@pytest.mark.parametrize("loc, field", [
    (("body", "instances", 0, "Flow Rate (l/min)"), "instances[0].Flow Rate (l/min)"),
    (("body", "instances", 3, "Pump Model"), "instances[3].Pump Model"),
    (("body", "inputs", 2, "data", 7), "inputs[2].data[7]"),
    (("body", "instances"), "instances"),
    (("body",), "body"),
    (("path", "name"), "name"),
    (("header", "content-type"), "content-type"),
    ((), ""),
])
def test_a_location_reads_as_a_field_path(loc, field):
    assert Problem(loc, "m", "t").field == field


@pytest.mark.parametrize("cls, status", [
    (BadBody, 400), (NotFound, 404), (MethodNotAllowed, 405), (BodyTooLarge, 413), (UnsupportedMediaType, 415),
    (InvalidRecords, 422), (Unavailable, 503),
])
def test_each_kind_of_refusal_is_answered_with_its_status(cls, status):
    assert answer(cls.single("m", "t"), SCOPE).status_code == status


def test_the_error_body_lists_each_problem():
    problem = Problem(("body", "instances", 0, "Site"), "Input should be 'North Yard' or 'south-yard'",
                      "literal_error", "Site")
    assert body_of(error_response(422, [problem], "/predict")) == {"detail": [{
        "loc": ["body", "instances", 0, "Site"], "field": "instances[0].Site",
        "msg": "Input should be 'North Yard' or 'south-yard'", "type": "literal_error"}]}


def test_under_v2_the_body_also_carries_the_protocols_error_line():
    problems = [Problem(("body", "inputs"), "input 'Inlet-Pressure' is missing", "missing"),
                Problem(("body", "outputs", 0, "name"), "'x' is not an output", "literal_error")]
    body = body_of(error_response(422, problems, "/v2/models/pumps/infer"))
    assert body["error"] == "inputs: input 'Inlet-Pressure' is missing; outputs[0].name: 'x' is not an output"
    assert len(body["detail"]) == 2


def test_a_flood_of_problems_is_cut_to_a_readable_list():
    problems = [Problem(("body", "instances", i), "m", "t") for i in range(MAX_PROBLEMS_SHOWN + 5)]
    detail = body_of(error_response(422, problems, "/predict"))["detail"]
    assert len(detail) == MAX_PROBLEMS_SHOWN + 1
    assert detail[-1] == {"loc": [], "field": "", "msg": "5 more problem(s) not shown", "type": "truncated"}


def test_headers_ride_along_with_the_answer():
    error = Unavailable.single("busy", "overloaded", headers={"retry-after": "1"})
    assert answer(error, SCOPE).headers["retry-after"] == "1"


def test_the_routers_404_and_405_are_json_refusals():
    assert body_of(answer(HTTPException(404), SCOPE))["detail"][0]["type"] == "not_found"
    refused = answer(HTTPException(405, headers={"Allow": "POST"}), SCOPE)
    assert (refused.status_code, refused.headers["allow"]) == (405, "POST")


def test_a_client_that_left_is_counted_as_499():
    assert answer(ClientDisconnect(), SCOPE).status_code == CLIENT_GONE


def test_anything_else_is_a_json_500_logged_once(caplog):
    with caplog.at_level(logging.ERROR, logger="stopline.service"):
        response = answer(RuntimeError("boom"), SCOPE)
    assert response.status_code == 500
    assert body_of(response)["detail"][0]["type"] == "internal"
    [record] = caplog.records
    assert record.getMessage() == "unhandled error on POST /predict" and str(record.exc_info[1]) == "boom"
