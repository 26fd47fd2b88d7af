"""The request validators generated from an input schema: strict types, declared ranges and categories,
nothing else, for records (/predict) and tensors (V2)."""

import json
import math

import pytest

from service.app.checks import RequestChecks, example_record
from service.app.errors import BadBody, InvalidRecords
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
CHECKS = RequestChecks(SCHEMA, max_rows=2, outputs=("label", "probabilities"))


def errors(*rows, text=None):
    """Give (field path, type) for each problem with a /predict body of `rows` (or of raw `text`)."""
    try:
        CHECKS.records(text.encode() if text is not None else json.dumps({"instances": list(rows)}).encode())
    except InvalidRecords as exc:
        return [(p.field, p.type) for p in exc.problems]
    return []


def test_a_record_the_schema_allows_is_valid():
    assert errors(GOOD) == []
    assert errors(dict(GOOD, **{"Length (cm)": None}),
                  dict(GOOD, **{"Length (cm)": 1.0, "count": 5.0, "copy": "L"})) == []


def test_valid_records_become_columns_keyed_by_the_names_as_written():
    body = json.dumps({"instances": [GOOD, dict(GOOD, **{"Length (cm)": None, "copy": "L"})]}).encode()
    assert CHECKS.records(body) == ({"Length (cm)": [2.5, None], "count": [3.0, 3.0], "Colour/Tone": ["red", "red"],
                                     "copy": [None, "L"], "json": [0.5, 0.5]}, 2)


@pytest.mark.parametrize("field, value, type_", [
    ("Length (cm)", '"2.5"', "float_type"),
    ("Length (cm)", "true", "float_type"),
    ("Length (cm)", "[2.5]", "float_type"),
    ("Length (cm)", "NaN", "finite_number"),
    ("Length (cm)", "-Infinity", "finite_number"),
    ("Length (cm)", "1e309", "finite_number"),
    ("Length (cm)", "0.999", "greater_than_equal"),
    ("Length (cm)", "10.001", "less_than_equal"),
    ("count", "null", "float_type"),
    ("Colour/Tone", "1", "literal_error"),
    ("Colour/Tone", '"Red"', "literal_error"),
    ("Colour/Tone", "null", "literal_error"),
    ("Colour/Tone", "true", "literal_error"),
    ("copy", '"M"', "literal_error"),
    ("json", "1.5", "less_than_equal"),
])
def test_a_value_the_schema_forbids_is_refused_at_its_field(field, value, type_):
    fields = ", ".join(f"{json.dumps(k)}: {value if k == field else json.dumps(v)}" for k, v in GOOD.items())
    assert errors(text='{"instances": [{' + fields + "}]}") == [(f"instances[0].{field}", type_)]


def test_a_problem_is_counted_against_its_feature():
    with pytest.raises(InvalidRecords) as caught:
        CHECKS.records(json.dumps({"instances": [dict(GOOD, count=9)], "extra": 1}).encode())
    assert [(p.loc, p.metric_field) for p in caught.value.problems] == [
        (("body", "instances", 0, "count"), "count"), (("body", "extra"), "body")]


def test_every_feature_is_required_even_when_nullable_and_nothing_else_is_allowed():
    row = dict(GOOD, weight=1.0)
    del row["copy"]
    assert errors(row) == [("instances[0].copy", "missing"), ("instances[0].weight", "extra_forbidden")]


def test_instances_hold_one_to_the_maximum_rows():
    assert errors() == [("instances", "too_short")]
    assert errors(GOOD, GOOD, GOOD) == [("instances", "too_long")]


@pytest.mark.parametrize("text", ["", "{", "{'a': 1}", '"\\ud800"', "[" * 10_000])
def test_a_body_that_is_not_json_is_a_bad_body(text):
    with pytest.raises(BadBody) as caught:
        CHECKS.records(text.encode())
    assert [(p.loc, p.type) for p in caught.value.problems] == [(("body",), "json_invalid")]


def test_the_record_schema_shows_fields_ranges_categories():
    from pydantic import TypeAdapter

    schema = TypeAdapter(CHECKS.records_type).json_schema()
    record = schema["$defs"]["Record"]
    assert record["required"] == ["Length (cm)", "count", "Colour/Tone", "copy", "json"]
    assert record["additionalProperties"] is False
    assert record["properties"]["count"] == {
        "type": "number", "minimum": 0.0, "maximum": 5.0, "title": "count", "examples": [2.5],
        "description": "A number in [0, 5]; required, never null."}
    assert record["properties"]["Colour/Tone"]["enum"] == ["red", "blue"]
    assert record["properties"]["Length (cm)"]["description"] == "A length. A number in [1, 10]; null when unknown."
    assert schema["properties"]["instances"]["maxItems"] == 2


def test_the_example_record_takes_range_midpoints_and_first_categories():
    example = example_record(SCHEMA)
    assert example == {"Length (cm)": 5.5, "count": 2.5, "Colour/Tone": "red", "copy": "S", "json": 0.5}
    assert errors(example) == []


def tensors(rows, nested=False):
    """Give a V2 body of one tensor per feature for `rows`."""
    inputs = []
    for feature in SCHEMA.features:
        data = [row[feature.name] for row in rows]
        inputs.append({"name": feature.name, "datatype": "FP64" if isinstance(feature, NumberFeature) else "BYTES",
                       "shape": [len(rows), 1] if nested else [len(rows)],
                       "data": [[v] for v in data] if nested else data})
    return {"inputs": inputs}


def tensor_errors(body):
    try:
        CHECKS.tensors(json.dumps(body).encode())
    except InvalidRecords as exc:
        return [(p.field, p.msg, p.type, p.metric_field) for p in exc.problems]
    return []


@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
def test_tensors_become_columns(nested):
    request = CHECKS.tensors(json.dumps({**tensors([GOOD, dict(GOOD, count=0)], nested), "id": "r1",
                                         "outputs": [{"name": "label"}]}).encode())
    assert request.columns == {"Length (cm)": [2.5, 2.5], "count": [3.0, 0.0], "Colour/Tone": ["red", "red"],
                               "copy": [None, None], "json": [0.5, 0.5]}
    assert (request.rows, request.outputs, request.id) == (2, ["label"], "r1")


def test_decoded_binary_data_is_checked_as_json_is():
    body = tensors([GOOD])
    body["inputs"][1]["data"] = [math.inf]
    with pytest.raises(InvalidRecords) as caught:
        CHECKS.tensors(body)
    assert [(p.field, p.type) for p in caught.value.problems] == [("inputs[1].data[0]", "finite_number")]


def test_a_value_is_refused_in_its_tensor_and_row_with_the_feature_named():
    body = tensors([GOOD, GOOD])
    body["inputs"][1]["data"][1] = 6
    body["inputs"][2]["data"][0] = "green"
    assert tensor_errors(body) == [
        ("inputs[1].data[1]", "count: Input should be less than or equal to 5", "less_than_equal", "count"),
        ("inputs[2].data[0]", "Colour/Tone: Input should be 'red' or 'blue'", "literal_error", "Colour/Tone"),
    ]


def test_inputs_are_named_each_once_with_one_row_count():
    body = tensors([GOOD])
    body["inputs"][4] = dict(body["inputs"][0])
    body["inputs"][1]["shape"] = [2]
    assert tensor_errors(body) == [
        ("inputs[1].data", "count: data holds 1 values, its shape says 2", "shape_mismatch", "count"),
        ("inputs[4].name", "input 'Length (cm)' appears twice", "duplicate_input", "Length (cm)"),
        ("inputs", "input 'json' is missing", "missing", "json"),
        ("inputs", "inputs hold different numbers of rows: [1, 2]", "shape_mismatch", "inputs"),
    ]


def test_a_shape_is_n_or_n_by_1_within_the_maximum_rows():
    body = tensors([GOOD])
    body["inputs"][1]["shape"] = [3]
    body["inputs"][1]["data"] = [1, 2, 3]
    assert tensor_errors(body) == [
        ("inputs[1].shape[0]", "count: Input should be less than or equal to 2", "less_than_equal", "count")]
    body = tensors([GOOD])
    body["inputs"][0]["shape"] = [1, 2]
    assert tensor_errors(body) == [
        ("inputs[0].shape", "Length (cm): shape [1, 2] is not [n] or [n, 1]", "shape", "Length (cm)")]


def test_outputs_are_this_models_own():
    assert tensor_errors({**tensors([GOOD]), "outputs": [{"name": "value"}]}) == [
        ("outputs[0].name", "Input should be 'label' or 'probabilities'", "literal_error", "outputs")]
