"""V2 tensors to columns: the whole-column checks agree with the per-value validators of /predict."""

from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from service.app.problems import InvalidRecords
from service.app.request_model import value_adapter
from service.app.v2_codec import _acceptable, columns_of
from service.app.v2_types import InferenceRequest
from service.schema import CategoryFeature, InputSchema, NumberFeature

pytestmark = pytest.mark.unit

LENGTH = NumberFeature(name="length", min=1.0, max=10.0, nullable=True)
COUNT = NumberFeature(name="count", min=0.0, max=5.0)
COLOUR = CategoryFeature(name="colour", categories=("red", "blue"))
SIZE = CategoryFeature(name="size", categories=("S", "L"), nullable=True)
SCHEMA = InputSchema(features=(LENGTH, COUNT, COLOUR, SIZE))
MODEL = SimpleNamespace(schema=SCHEMA, adapters={f.name: value_adapter(f) for f in SCHEMA.features}, max_rows=3)
VALUES = [0, 1, 1.0, 5, 5.5, 10, 10.0001, -3, True, False, None, "1", "red", "blue", "S", "L", "M", [1], {}, 1e300]


def accepts(feature, value):
    try:
        value_adapter(feature).validate_python(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("feature", [LENGTH, COUNT, COLOUR, SIZE], ids=lambda f: f.name)
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_column_check_agrees_with_the_value_validator(feature, value):
    assert _acceptable(feature, [value]) is accepts(feature, value)
    assert _acceptable(feature, [value, value]) is accepts(feature, value)


def request(**data):
    return InferenceRequest.model_validate({"inputs": [
        {"name": "length", "shape": [len(data["length"])], "datatype": "FP32", "data": data["length"]},
        {"name": "count", "shape": [len(data["count"]), 1], "datatype": "FP64", "data": data["count"]},
        {"name": "colour", "shape": [len(data["colour"])], "datatype": "BYTES", "data": data["colour"]},
        {"name": "size", "shape": [len(data["size"])], "datatype": "BYTES", "data": data["size"]},
    ]})


def test_columns_come_out_flat_in_feature_order():
    columns = columns_of(request(length=[2.0, None], count=[[1], [2.5]], colour=["red", "blue"], size=[None, "L"]),
                         MODEL)
    assert columns == {"length": [2.0, None], "count": [1, 2.5], "colour": ["red", "blue"], "size": [None, "L"]}


def test_a_column_with_bad_values_names_each_one():
    with pytest.raises(InvalidRecords) as caught:
        columns_of(request(length=[2.0, 11.0], count=[[1], [None]], colour=["red", "green"], size=["S", "S"]), MODEL)
    assert [(p.field, p.msg, p.metric_field) for p in caught.value.problems] == [
        ("inputs[0].data[1]", "length: Input should be less than or equal to 10", "length"),
        ("inputs[1].data[1]", "count: Input should be a valid number", "count"),
        ("inputs[2].data[1]", "colour: Input should be 'red' or 'blue'", "colour"),
    ]
