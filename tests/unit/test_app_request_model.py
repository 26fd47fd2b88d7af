"""The request model generated from an input schema: strict types, declared ranges and categories, nothing else."""

import pytest
from pydantic import ValidationError

from service.app.request_model import example_instance, request_model, value_adapter
from service.schema import CategoryFeature, InputSchema, NumberFeature

pytestmark = pytest.mark.unit

SCHEMA = InputSchema(features=(
    NumberFeature(name="length", min=1.0, max=10.0, nullable=True, description="A length."),
    NumberFeature(name="count", min=0.0, max=5.0),
    CategoryFeature(name="colour", categories=("red", "blue")),
    CategoryFeature(name="size", categories=("S", "L"), nullable=True),
))
GOOD = {"length": 2.5, "count": 3, "colour": "red", "size": None}
Request = request_model(SCHEMA, max_rows=2)


def errors(*rows):
    """Give (field path, type) for each problem with a request of `rows`."""
    try:
        Request.model_validate({"instances": list(rows)})
    except ValidationError as exc:
        return [(".".join(str(p) for p in e["loc"]), e["type"]) for e in exc.errors()]
    return []


def test_a_record_the_schema_allows_is_valid():
    assert errors(GOOD) == []
    assert errors(dict(GOOD, length=None), dict(GOOD, length=1.0, count=5.0, size="L")) == []


@pytest.mark.parametrize("field, value, type_", [
    ("length", "2.5", "float_type"),
    ("length", True, "float_type"),
    ("length", [2.5], "float_type"),
    ("length", float("nan"), "finite_number"),
    ("length", float("inf"), "finite_number"),
    ("length", 0.999, "greater_than_equal"),
    ("length", 10.001, "less_than_equal"),
    ("count", None, "float_type"),
    ("colour", 1, "literal_error"),
    ("colour", "Red", "literal_error"),
    ("colour", None, "literal_error"),
    ("colour", True, "literal_error"),
    ("size", "M", "literal_error"),
])
def test_a_value_the_schema_forbids_is_refused_at_its_field(field, value, type_):
    assert errors(dict(GOOD, **{field: value})) == [(f"instances.0.{field}", type_)]


def test_every_feature_is_required_even_when_nullable():
    row = dict(GOOD)
    del row["size"]
    assert errors(row) == [("instances.0.size", "missing")]


def test_nothing_outside_the_schema_is_allowed():
    assert errors(dict(GOOD, weight=1.0)) == [("instances.0.weight", "extra_forbidden")]
    with pytest.raises(ValidationError) as caught:
        Request.model_validate({"instances": [GOOD], "model": "x"})
    assert [e["loc"] for e in caught.value.errors()] == [("model",)]


def test_instances_hold_one_to_the_maximum_rows():
    assert errors() == [("instances", "too_short")]
    assert errors(GOOD, GOOD, GOOD) == [("instances", "too_long")]


def test_the_json_schema_shows_fields_ranges_categories_and_an_allowed_example():
    schema = Request.model_json_schema()
    instance = schema["$defs"]["Instance"]
    assert instance["required"] == ["length", "count", "colour", "size"]
    assert instance["properties"]["count"] == {
        "type": "number", "minimum": 0.0, "maximum": 5.0, "title": "Count", "examples": [2.5],
        "description": "A number in [0, 5]; required, never null."}
    assert instance["properties"]["colour"]["enum"] == ["red", "blue"]
    assert instance["properties"]["length"]["description"] == "A length. A number in [1, 10]; null when unknown."
    [example] = schema["examples"]
    assert example == {"instances": [{"length": 5.5, "count": 2.5, "colour": "red", "size": "S"}]}
    assert errors(*example["instances"]) == []


def test_the_example_instance_takes_range_midpoints_and_first_categories():
    assert example_instance(SCHEMA) == {"length": 5.5, "count": 2.5, "colour": "red", "size": "S"}


def test_a_value_adapter_checks_one_feature_as_the_model_does():
    adapter = value_adapter(SCHEMA.feature("length"))
    assert adapter.validate_python(3) == 3.0
    assert adapter.validate_python(None) is None
    with pytest.raises(ValidationError, match="Input should be less than or equal to 10"):
        adapter.validate_python(11)
