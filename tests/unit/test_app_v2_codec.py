"""V2 tensors to columns: the whole-column checks agree with the per-value validators of /predict."""

from types import SimpleNamespace

import numpy as np
import pytest
from pydantic import ValidationError

from service.app.problems import InvalidRecords
from service.app.request_model import value_adapter
from service.app.columns import SHORT_COLUMN, ColumnCheck, SchemaChecks
from service.app.v2_codec import columns_of
from service.app.v2_types import InferenceRequest
from service.schema import CategoryFeature, InputSchema, NumberFeature

pytestmark = pytest.mark.unit

LENGTH = NumberFeature(name="Length (cm)", min=1.0, max=10.0, nullable=True)
COUNT = NumberFeature(name="count", min=0.0, max=5.0)
COLOUR = CategoryFeature(name="Colour/Tone", categories=("red", "blue"))
SIZE = CategoryFeature(name="size", categories=("S", "L"), nullable=True)
SCHEMA = InputSchema(features=(LENGTH, COUNT, COLOUR, SIZE))
MODEL = SimpleNamespace(schema=SCHEMA, adapters={f.name: value_adapter(f) for f in SCHEMA.features}, max_rows=3,
                        checks=SchemaChecks(SCHEMA, 3), is_classifier=True)
VALUES = [0, 1, 1.0, 5, 5.5, 10, 10.0001, -3, True, False, None, "1", "red", "blue", "S", "L", "M", [1], {}, 1e300]


def accepts(feature, value):
    try:
        value_adapter(feature).validate_python(value)
    except ValidationError:
        return False
    return True


def acceptable(feature, data):
    return ColumnCheck(feature).accept(data) is not None


@pytest.mark.parametrize("feature", [LENGTH, COUNT, COLOUR, SIZE], ids=lambda f: f.name)
@pytest.mark.parametrize("value", VALUES + [float("nan"), float("inf"), -float("inf")], ids=repr)
@pytest.mark.parametrize("rows", [1, 2, SHORT_COLUMN, SHORT_COLUMN + 1, 1000])
def test_the_column_check_agrees_with_the_value_validator(feature, value, rows):
    # Short columns are checked in Python, long ones with numpy: both must say what pydantic says.
    assert acceptable(feature, [value] * rows) is accepts(feature, value)


@pytest.mark.parametrize("feature", [LENGTH, COUNT, COLOUR, SIZE], ids=lambda f: f.name)
@pytest.mark.parametrize("bad", [v for v in VALUES + [float("nan")] if v not in (1, 5, "red", "S")], ids=repr)
@pytest.mark.parametrize("rows", [SHORT_COLUMN, 1000])
def test_one_bad_value_anywhere_refuses_the_column(feature, bad, rows):
    good = 5 if feature.kind == "number" else feature.categories[0]
    for at in (0, rows // 2, rows - 1):
        column = [good] * rows
        column[at] = bad
        assert acceptable(feature, column) is accepts(feature, bad)


def test_a_long_number_column_is_handed_on_as_floats_with_nan_for_none():
    column = ColumnCheck(LENGTH).accept([2, None, 10.0] * SHORT_COLUMN)
    assert isinstance(column, np.ndarray) and column.dtype == np.float64
    np.testing.assert_array_equal(column[:3], [2.0, np.nan, 10.0])


def test_a_nan_sent_in_a_nullable_column_is_no_missing_value():
    assert not acceptable(LENGTH, [None] * 40 + [float("nan")])
    assert not acceptable(LENGTH, [float("nan")] * 40 + [None])


def request(**data):
    return InferenceRequest.model_validate({"inputs": [
        {"name": "Length (cm)", "shape": [len(data["length"])], "datatype": "FP32", "data": data["length"]},
        {"name": "count", "shape": [len(data["count"]), 1], "datatype": "FP64", "data": data["count"]},
        {"name": "Colour/Tone", "shape": [len(data["colour"])], "datatype": "BYTES", "data": data["colour"]},
        {"name": "size", "shape": [len(data["size"])], "datatype": "BYTES", "data": data["size"]},
    ]})


def test_columns_come_out_flat_in_feature_order():
    columns = columns_of(request(length=[2.0, None], count=[[1], [2.5]], colour=["red", "blue"], size=[None, "L"]),
                         MODEL)
    assert columns == {"Length (cm)": [2.0, None], "count": [1, 2.5], "Colour/Tone": ["red", "blue"],
                       "size": [None, "L"]}


def test_a_column_with_bad_values_names_each_one():
    with pytest.raises(InvalidRecords) as caught:
        columns_of(request(length=[2.0, 11.0], count=[[1], [None]], colour=["red", "green"], size=["S", "S"]), MODEL)
    assert [(p.field, p.msg, p.metric_field) for p in caught.value.problems] == [
        ("inputs[0].data[1]", "Length (cm): Input should be less than or equal to 10", "Length (cm)"),
        ("inputs[1].data[1]", "count: Input should be a valid number", "count"),
        ("inputs[2].data[1]", "Colour/Tone: Input should be 'red' or 'blue'", "Colour/Tone"),
    ]


def test_the_quick_checks_may_decline_but_the_value_validators_decide():
    declining = SimpleNamespace(accept=lambda data: None)
    model = SimpleNamespace(**{**vars(MODEL), "checks": {name: declining for name in SCHEMA.names}})
    columns = columns_of(request(length=[2.0, None], count=[[1], [2.5]], colour=["red", "blue"], size=[None, "L"]),
                         model)
    assert columns == {"Length (cm)": [2.0, None], "count": [1, 2.5], "Colour/Tone": ["red", "blue"],
                       "size": [None, "L"]}


@pytest.mark.parametrize("value", [[], {}, ["red"]], ids=repr)
def test_an_unhashable_value_in_a_category_column_is_refused_by_name(value):
    with pytest.raises(InvalidRecords) as caught:
        columns_of(request(length=[2.0], count=[1], colour=[value], size=[None]), MODEL)
    assert [(p.field, p.msg) for p in caught.value.problems] == [
        ("inputs[2].data[0]", "Colour/Tone: Input should be 'red' or 'blue'")]
