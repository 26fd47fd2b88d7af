import pytest
from pydantic import ValidationError

from service.schema import CategoryFeature, InputSchema, NumberFeature, Ratio

pytestmark = pytest.mark.unit


def test_number_feature_names_the_rule_a_value_breaks():
    feature = NumberFeature(name="Flow Rate (l/min)", min=0, max=250)
    assert feature.problem(90.0) is None
    assert feature.problem(0.0) is None
    assert feature.problem(250.0) is None
    assert feature.problem(250.5) == "250.5 is outside the range [0, 250]"
    assert feature.problem(-1.0) == "-1 is outside the range [0, 250]"
    assert feature.problem(float("nan")) == "nan is not a finite number"
    assert feature.problem(float("inf")) == "inf is not a finite number"


def test_category_feature_names_the_allowed_values():
    feature = CategoryFeature(name="Pump Model", categories=("A-100", "B 200", "C/300"))
    assert feature.problem("C/300") is None
    assert feature.problem("b 200") == "'b 200' is not one of ['A-100', 'B 200', 'C/300']"
    assert feature.problem("B 200 ") == "'B 200 ' is not one of ['A-100', 'B 200', 'C/300']"


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


@pytest.mark.parametrize(
    "name", ["Flow Rate (l/min)", "Inlet-Pressure", "C/300", "x", "Débit (m³/h)", "a" * 64, "50% [p]"],
)
def test_a_name_may_be_any_printable_text(name):
    assert NumberFeature(name=name, min=0, max=1).name == name
    assert Ratio(name=name, numerator="a", denominator="b").name == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "String should have at least 1 character"),
        ("a" * 65, "String should have at most 64 characters"),
        (" Flow", "not printable, or a space at either end"),
        ("Flow ", "not printable, or a space at either end"),
        ("\u00a0Flow", "not printable, or a space at either end"),
        ("Flow\tRate", "not printable, or a space at either end"),
        ("Flow\nRate", "not printable, or a space at either end"),
        ("Flow\x00Rate", "not printable, or a space at either end"),
        ("Flow\x7fRate", "not printable, or a space at either end"),
    ],
    ids=["empty", "65-chars", "leading-space", "trailing-space", "leading-nbsp", "tab", "newline", "nul", "del"],
)
def test_a_name_is_refused_with_its_rule(name, message):
    with pytest.raises(ValidationError, match=message) as caught:
        NumberFeature(name=name, min=0, max=1)
    assert [e["loc"] for e in caught.value.errors()] == [("name",)]


def test_schema_rejects_repeated_names_and_ratios_over_unknown_or_categorical_features():
    number = NumberFeature(name="Flow Rate (l/min)", min=0, max=1)
    category = CategoryFeature(name="Pump Model", categories=("A-100",))
    per_flow = Ratio(name="Pressure per Flow", numerator="Flow Rate (l/min)", denominator="Inlet-Pressure")
    with pytest.raises(ValidationError, match=r"feature names repeat: \['Flow Rate \(l/min\)'\]"):
        InputSchema(features=(number, number))
    with pytest.raises(ValidationError, match=r"feature names repeat: \['Pump Model'\]"):
        InputSchema(features=(number, category), ratios=(Ratio(name="Pump Model", numerator="Flow Rate (l/min)",
                                                               denominator="Flow Rate (l/min)"),))
    with pytest.raises(ValidationError, match="ratio 'Pressure per Flow': 'Inlet-Pressure' is not a number feature"):
        InputSchema(features=(number,), ratios=(per_flow,))
    by_model = Ratio(name="Flow per Model", numerator="Flow Rate (l/min)", denominator="Pump Model")
    with pytest.raises(ValidationError, match="ratio 'Flow per Model': 'Pump Model' is not a number feature"):
        InputSchema(features=(number, category), ratios=(by_model,))


def test_schema_round_trips_through_json_as_the_bundle_stores_it():
    schema = InputSchema(
        features=(NumberFeature(name="Flow Rate (l/min)", min=0, max=1, nullable=True),
                  CategoryFeature(name="Pump Model", categories=("A-100", "C/300"))),
    )
    assert InputSchema.model_validate_json(schema.model_dump_json()) == schema
    assert schema.names == ("Flow Rate (l/min)", "Pump Model")
    assert schema.feature("Pump Model").kind == "category"
    with pytest.raises(KeyError, match="'pump model'"):
        schema.feature("pump model")


# Not only C0 controls and DEL: C1 controls (U+009B is a terminal's CSI) and Unicode line
# separators would otherwise reach logs, error messages and JSON keys.
@pytest.mark.parametrize("name", ["Flow\x9bRate", "Flow\u2028Rate"], ids=["c1-csi", "line-separator"])
def test_a_name_with_a_non_printable_character_inside_is_refused(name):
    with pytest.raises(ValidationError, match="not printable, or a space at either end"):
        NumberFeature(name=name, min=0, max=1)
