"""Problems and their HTTP answers: one mapping, every body naming the field and the problem."""

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from service.app.errors import MAX_PROBLEMS_SHOWN, error_body, error_response
from service.app.problems import (
    BadBody, BodyTooLarge, ClientError, InvalidRecords, ModelNotFound, Problem, Unavailable, UnsupportedMediaType,
    from_validation_error, one,
)

pytestmark = pytest.mark.unit


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
    (BadBody, 400), (InvalidRecords, 422), (BodyTooLarge, 413), (UnsupportedMediaType, 415),
    (ModelNotFound, 404), (Unavailable, 503),
])
def test_each_kind_of_refusal_has_its_status(cls, status):
    assert one(cls, "m", "t").status == status
    assert error_response(one(cls, "m", "t"), "/predict").status_code == status


def test_the_error_body_lists_each_problem():
    error = InvalidRecords([Problem(("body", "instances", 0, "Site"), "Input should be 'North Yard' or 'south-yard'",
                                    "literal_error", "Site")])
    assert error_body(error, "/predict") == {"detail": [{
        "loc": ["body", "instances", 0, "Site"], "field": "instances[0].Site",
        "msg": "Input should be 'North Yard' or 'south-yard'", "type": "literal_error"}]}


def test_under_v2_the_body_also_carries_the_protocols_error_line():
    error = InvalidRecords([Problem(("body", "inputs"), "input 'Inlet-Pressure' is missing", "missing"),
                            Problem(("body", "outputs", 0, "name"), "'x' is not an output", "unknown_output")])
    body = error_body(error, "/v2/models/pumps/infer")
    assert body["error"] == "inputs: input 'Inlet-Pressure' is missing; outputs[0].name: 'x' is not an output"
    assert len(body["detail"]) == 2


def test_a_flood_of_problems_is_cut_to_a_readable_list():
    error = InvalidRecords([Problem(("body", "instances", i), "m", "t") for i in range(MAX_PROBLEMS_SHOWN + 5)])
    detail = error_body(error, "/predict")["detail"]
    assert len(detail) == MAX_PROBLEMS_SHOWN + 1
    assert detail[-1] == {"loc": [], "field": "", "msg": "5 more problem(s) not shown", "type": "truncated"}


def test_headers_ride_along_with_the_answer():
    error = Unavailable([Problem((), "busy", "overloaded")], headers={"retry-after": "1"})
    assert error_response(error, "/predict").headers["retry-after"] == "1"
    assert ClientError([Problem((), "x", "y")], status=405).status == 405


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    sex: str
    mass: float


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    instances: list[Row]


def test_pydantic_errors_become_problems_labelled_by_declared_names():
    with pytest.raises(ValidationError) as caught:
        Body.model_validate({"instances": [{"sex": 1, "mass": 2.0, "invented": 3}], "extra": 1})
    error = from_validation_error(caught.value, ["sex", "mass"])
    assert isinstance(error, InvalidRecords)
    assert [(p.loc, p.type, p.metric_field) for p in error.problems] == [
        (("body", "instances", 0, "sex"), "string_type", "sex"),
        (("body", "instances", 0, "invented"), "extra_forbidden", "instances"),
        (("body", "extra"), "extra_forbidden", "body"),
    ]
    assert error.problems[0].msg == "Input should be a valid string"
