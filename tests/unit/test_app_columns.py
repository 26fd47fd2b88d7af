"""POST /predict records to columns: the quick whole-record checks accept only what the request model accepts."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from service.app.columns import SchemaChecks
from service.app.request_model import instance_columns, request_model
from service.schema import CategoryFeature, InputSchema, NumberFeature

pytestmark = pytest.mark.unit

# Names as people write them, and one pydantic itself uses: records are keyed by the names as written.
SCHEMA = InputSchema(features=(
    NumberFeature(name="Length (cm)", min=1.0, max=10.0, nullable=True),
    NumberFeature(name="count", min=0.0, max=5.0),
    CategoryFeature(name="Colour/Tone", categories=("red", "blue")),
    CategoryFeature(name="copy", categories=("S", "L"), nullable=True),
))
MAX_ROWS = 3
Request = request_model(SCHEMA, MAX_ROWS)
CHECKS = SchemaChecks(SCHEMA, MAX_ROWS)
GOOD = {"Length (cm)": 2.5, "count": 3, "Colour/Tone": "red", "copy": None}
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["red", "blue", "S", "L", "M", "1", ""]), st.lists(st.integers(), max_size=1),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
KEYS = st.sampled_from(["Length (cm)", "count", "Colour/Tone", "copy", "extra", "length", "colour/tone"])
ALLOWED = st.fixed_dictionaries({
    "Length (cm)": st.one_of(st.none(), st.floats(1.0, 10.0), st.integers(1, 10)),
    "count": st.one_of(st.floats(0.0, 5.0), st.integers(0, 5)),
    "Colour/Tone": st.sampled_from(["red", "blue"]),
    "copy": st.sampled_from([None, "S", "L"]),
})
RECORDS = st.one_of(
    ALLOWED,  # every feature, allowed: the bodies the quick checks must accept with the same values
    st.fixed_dictionaries({name: VALUES for name in GOOD}),  # every feature, any value
    st.dictionaries(KEYS, VALUES, max_size=5),  # features missing or unknown
    VALUES,  # not a record at all
)
BODIES = st.one_of(
    st.fixed_dictionaries({"instances": st.lists(RECORDS, max_size=MAX_ROWS + 1)}),
    st.dictionaries(st.sampled_from(["instances", "extra"]), st.lists(RECORDS, max_size=2), max_size=2),
    VALUES,
)


def validated(body):
    try:
        return Request.model_validate(body).instances
    except ValidationError:
        return None


@given(BODIES)
def test_a_body_accepted_quickly_is_one_the_request_model_accepts_with_the_same_values(body):
    accepted = CHECKS.records(body)
    if accepted is None:
        return  # declined: the request model decides, as for any other body
    records = validated(body)
    assert records is not None, "the quick checks accepted a body the request model refuses"
    columns, rows = accepted
    assert rows == len(records)
    assert list(columns) == list(SCHEMA.names)
    expected = instance_columns(records, SCHEMA)
    for name in SCHEMA.names:
        assert list(columns[name]) == expected[name]


@given(st.lists(ALLOWED, min_size=1, max_size=MAX_ROWS))
def test_every_body_the_schema_allows_is_accepted_quickly(records):
    assert CHECKS.records({"instances": records}) is not None


@pytest.mark.parametrize("body", [
    {"instances": []},
    {"instances": [GOOD] * (MAX_ROWS + 1)},
    {"instances": [GOOD], "extra": 1},
    {"instances": [dict(GOOD, extra=1)]},
    {"instances": [{k: v for k, v in GOOD.items() if k != "copy"}]},
    {"instances": [dict(GOOD, count=True)]},
    {"instances": [dict(GOOD, count=None)]},
    {"instances": [dict(GOOD, **{"Length (cm)": float("nan")})]},
    {"instances": [dict(GOOD, **{"Colour/Tone": "Red"})]},
    {"instances": [{"length" if k == "Length (cm)" else k: v for k, v in GOOD.items()}]},
    {"instances": GOOD},
    [GOOD],
])
def test_what_the_schema_forbids_is_declined(body):
    assert CHECKS.records(body) is None
