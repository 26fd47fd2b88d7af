"""Reading a body as strict JSON: content type, UTF-8, no non-finite numbers, bounded depth."""

import pytest

from service.app.body import check_content_type, decode_json
from service.app.problems import BadBody, InvalidRecords, UnsupportedMediaType

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


def test_json_is_parsed():
    assert decode_json(b'{"instances": [{"a": 1.5, "b": null, "c": "x"}]}') == {
        "instances": [{"a": 1.5, "b": None, "c": "x"}]}


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e309", "-1e309", "1" + "0" * 309])
def test_a_non_finite_number_is_422_at_its_field(literal):
    with pytest.raises(InvalidRecords) as caught:
        decode_json(b'{"instances": [{"a": 1, "b": %s}, {"b": 2}]}' % literal.encode())
    [problem] = caught.value.problems
    assert problem.loc == ("body", "instances", 0, "b")
    assert problem.msg == (f"{literal} is not a finite number; JSON numbers must be finite, "
                           "send null for a missing value")
    assert (problem.type, problem.metric_field) == ("finite_number", "b")


def test_every_non_finite_number_is_named():
    with pytest.raises(InvalidRecords) as caught:
        decode_json(b'[NaN, {"x": [Infinity]}]')
    assert [p.loc for p in caught.value.problems] == [("body", 0), ("body", 1, "x", 0)]


@pytest.mark.parametrize("body, msg, type_", [
    (b"", "the body is empty; send a JSON object", "json_empty"),
    (b"{", "invalid JSON: unexpected end of data: line 1 column 2 (char 1)", "json_invalid"),
    (b"{'a': 1}", "invalid JSON: unexpected character, expected a string key: line 1 column 2 (char 1)",
     "json_invalid"),
    (b'"\xff"', "the body is not UTF-8: byte 1 is invalid", "json_invalid"),
    (b'"\\ud800"', "invalid JSON: no low surrogate in string: line 1 column 2 (char 1)", "json_invalid"),
    (b"[" * 100_000, "JSON nests deeper than 1024 levels", "json_too_deep"),
    (b"[NaN" + b", [" * 2000, "invalid JSON: unexpected character, expected a JSON value: line 1 column 2 (char 1)",
     "json_invalid"),
])
def test_a_body_that_is_not_json_is_400(body, msg, type_):
    with pytest.raises(BadBody) as caught:
        decode_json(body)
    [problem] = caught.value.problems
    assert (problem.loc, problem.msg, problem.type) == (("body",), msg, type_)
