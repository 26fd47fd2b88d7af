"""The request model generated from an input schema: strict types, declared ranges and categories, nothing else."""

import pytest
from pydantic import ValidationError

from service.app.request_model import example_instance, instance_columns, request_model, value_adapter
from service.schema import CategoryFeature, InputSchema, NumberFeature

pytestmark = pytest.mark.unit

# Names as people write them ("Length (cm)", "Colour/Tone") and ones pydantic itself uses ("copy", "json").
SCHEMA = InputSchema(features=(
    NumberFeature(name="Length (cm)", min=1.0, max=10.0, nullable=True, description="A length."),
    NumberFeature(name="count", min=0.0, max=5.0),
    CategoryFeature(name="Colour/Tone", categories=("red", "blue")),
    CategoryFeature(name="copy", categories=("S", "L"), nullable=True),
    NumberFeature(name="json", min=0.0, max=1.0, nullable=True),
))
GOOD = {"Length (cm)": 2.5, "count": 3, "Colour/Tone": "red", "copy": None, "json": 0.5}
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
    assert errors(dict(GOOD, **{"Length (cm)": None}),
                  dict(GOOD, **{"Length (cm)": 1.0, "count": 5.0, "copy": "L"})) == []


def test_valid_records_become_columns_keyed_by_the_names_as_written():
    rows = Request.model_validate({"instances": [GOOD, dict(GOOD, **{"Length (cm)": None, "copy": "L"})]}).instances
    assert instance_columns(rows, SCHEMA) == {"Length (cm)": [2.5, None], "count": [3.0, 3.0],
                                              "Colour/Tone": ["red", "red"], "copy": [None, "L"], "json": [0.5, 0.5]}


@pytest.mark.parametrize("field, value, type_", [
    ("Length (cm)", "2.5", "float_type"),
    ("Length (cm)", True, "float_type"),
    ("Length (cm)", [2.5], "float_type"),
    ("Length (cm)", float("nan"), "finite_number"),
    ("Length (cm)", float("inf"), "finite_number"),
    ("Length (cm)", 0.999, "greater_than_equal"),
    ("Length (cm)", 10.001, "less_than_equal"),
    ("count", None, "float_type"),
    ("Colour/Tone", 1, "literal_error"),
    ("Colour/Tone", "Red", "literal_error"),
    ("Colour/Tone", None, "literal_error"),
    ("Colour/Tone", True, "literal_error"),
    ("copy", "M", "literal_error"),
    ("json", 1.5, "less_than_equal"),
])
def test_a_value_the_schema_forbids_is_refused_at_its_field(field, value, type_):
    assert errors(dict(GOOD, **{field: value})) == [(f"instances.0.{field}", type_)]


def test_every_feature_is_required_even_when_nullable():
    row = dict(GOOD)
    del row["copy"]
    assert errors(row) == [("instances.0.copy", "missing")]


def test_nothing_outside_the_schema_is_allowed():
    assert errors(dict(GOOD, weight=1.0)) == [("instances.0.weight", "extra_forbidden")]
    # The attribute behind a name is no name: only the names as written are keys.
    row = {("feature_0" if k == "Length (cm)" else k): v for k, v in GOOD.items()}
    assert errors(row) == [("instances.0.Length (cm)", "missing"), ("instances.0.feature_0", "extra_forbidden")]
    with pytest.raises(ValidationError) as caught:
        Request.model_validate({"instances": [GOOD], "model": "x"})
    assert [e["loc"] for e in caught.value.errors()] == [("model",)]


def test_instances_hold_one_to_the_maximum_rows():
    assert errors() == [("instances", "too_short")]
    assert errors(GOOD, GOOD, GOOD) == [("instances", "too_long")]


def test_the_json_schema_shows_fields_ranges_categories_and_an_allowed_example():
    schema = Request.model_json_schema()
    instance = schema["$defs"]["Instance"]
    assert instance["required"] == ["Length (cm)", "count", "Colour/Tone", "copy", "json"]
    assert list(instance["properties"]) == instance["required"]
    assert instance["properties"]["count"] == {
        "type": "number", "minimum": 0.0, "maximum": 5.0, "title": "count", "examples": [2.5],
        "description": "A number in [0, 5]; required, never null."}
    assert instance["properties"]["Colour/Tone"]["enum"] == ["red", "blue"]
    assert instance["properties"]["Colour/Tone"]["title"] == "Colour/Tone"
    assert instance["properties"]["Length (cm)"]["description"] == (
        "A length. A number in [1, 10]; null when unknown.")
    [example] = schema["examples"]
    assert example == {"instances": [{"Length (cm)": 5.5, "count": 2.5, "Colour/Tone": "red", "copy": "S",
                                      "json": 0.5}]}
    assert errors(*example["instances"]) == []


def test_the_example_instance_takes_range_midpoints_and_first_categories():
    assert example_instance(SCHEMA) == {"Length (cm)": 5.5, "count": 2.5, "Colour/Tone": "red", "copy": "S",
                                        "json": 0.5}


def test_a_value_adapter_checks_one_feature_as_the_model_does():
    adapter = value_adapter(SCHEMA.feature("Length (cm)"))
    assert adapter.validate_python(3) == 3.0
    assert adapter.validate_python(None) is None
    with pytest.raises(ValidationError, match="Input should be less than or equal to 10"):
        adapter.validate_python(11)
