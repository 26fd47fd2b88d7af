import pytest
from pydantic import ValidationError

from service.schema import CategoryFeature, InputSchema, NumberFeature, Ratio

pytestmark = pytest.mark.unit


def test_number_feature_names_the_rule_a_value_breaks():
    feature = NumberFeature(name="mass", min=2000, max=7000)
    assert feature.problem(3500.0) is None
    assert feature.problem(2000.0) is None
    assert feature.problem(7001.0) == "7001 is outside the range [2000, 7000]"
    assert feature.problem(float("nan")) == "nan is not a finite number"
    assert feature.problem(float("inf")) == "inf is not a finite number"


def test_category_feature_names_the_allowed_values():
    feature = CategoryFeature(name="island", categories=("Biscoe", "Dream"))
    assert feature.problem("Dream") is None
    assert feature.problem("dream") == "'dream' is not one of ['Biscoe', 'Dream']"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min": 5, "max": 5}, "min must be finite and below max"),
        ({"min": float("-inf"), "max": 5}, "min must be finite and below max"),
    ],
)
def test_a_number_range_must_be_finite_and_ordered(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        NumberFeature(name="x", **kwargs)


def test_categories_must_not_repeat():
    with pytest.raises(ValidationError, match="categories repeat"):
        CategoryFeature(name="x", categories=("a", "a"))


def test_feature_names_must_be_identifiers():
    with pytest.raises(ValidationError, match="String should match pattern"):
        NumberFeature(name="bill length", min=0, max=1)


def test_schema_rejects_repeated_names_and_ratios_over_unknown_or_categorical_features():
    number = NumberFeature(name="a", min=0, max=1)
    category = CategoryFeature(name="c", categories=("x",))
    with pytest.raises(ValidationError, match=r"feature names repeat: \['a'\]"):
        InputSchema(features=(number, number))
    with pytest.raises(ValidationError, match="ratio 'r': 'b' is not a number feature"):
        InputSchema(features=(number,), ratios=(Ratio(name="r", numerator="a", denominator="b"),))
    with pytest.raises(ValidationError, match="ratio 'r': 'c' is not a number feature"):
        InputSchema(features=(number, category), ratios=(Ratio(name="r", numerator="a", denominator="c"),))


def test_schema_round_trips_through_json_as_the_bundle_stores_it():
    schema = InputSchema(
        features=(NumberFeature(name="a", min=0, max=1, nullable=True), CategoryFeature(name="c", categories=("x",))),
    )
    assert InputSchema.model_validate_json(schema.model_dump_json()) == schema
    assert schema.names == ("a", "c")
    assert schema.feature("c").kind == "category"
