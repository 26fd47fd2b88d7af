import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.features import Encoder, encode, feature_names, one_hot, ratio
from service.schema import CategoryFeature, InputSchema, NumberFeature, Ratio

pytestmark = pytest.mark.unit

# Names as the fixture project writes them: spaces, parentheses, dashes, slashes.
SCHEMA = InputSchema(
    features=(
        CategoryFeature(name="Pump Model", categories=("A-100", "C/300")),
        NumberFeature(name="Inlet-Pressure", min=0, max=100, nullable=True),
        NumberFeature(name="Flow Rate (l/min)", min=0, max=100, nullable=True),
        CategoryFeature(name="Site", categories=("North Yard", "south-yard"), nullable=True),
    ),
    ratios=(Ratio(name="Pressure per Flow", numerator="Inlet-Pressure", denominator="Flow Rate (l/min)"),),
)


def test_feature_names_follow_the_declared_order_with_one_column_per_category():
    assert feature_names(SCHEMA) == [
        "Pump Model=A-100", "Pump Model=C/300", "Inlet-Pressure", "Flow Rate (l/min)", "Site=North Yard",
        "Site=south-yard", "Pressure per Flow",
    ]


def test_encode_gives_exact_values_with_missing_numbers_as_nan_and_missing_categories_as_zeros():
    columns = {
        "Pump Model": ["C/300", "A-100"],
        "Inlet-Pressure": [40.0, None],
        "Flow Rate (l/min)": [20.0, 18.0],
        "Site": [None, "south-yard"],
    }
    matrix = encode(SCHEMA, columns)
    assert matrix.dtype == np.float32
    expected = np.array(
        [
            [0, 1, 40, 20, 0, 0, 2.0],
            [1, 0, np.nan, 18, 0, 1, np.nan],
        ],
        dtype=np.float32,
    )
    np.testing.assert_array_equal(matrix, expected)


def test_encode_is_deterministic_and_leaves_its_input_unchanged():
    columns = {"Pump Model": ["A-100"], "Inlet-Pressure": [1.5], "Flow Rate (l/min)": [3.0], "Site": ["North Yard"]}
    first = encode(SCHEMA, columns)
    assert columns == {"Pump Model": ["A-100"], "Inlet-Pressure": [1.5], "Flow Rate (l/min)": [3.0],
                       "Site": ["North Yard"]}
    np.testing.assert_array_equal(first, encode(SCHEMA, columns))
    assert first[0, -1] == np.float32(0.5)


def test_ratio_is_nan_for_a_missing_side_or_a_zero_denominator():
    out = ratio([6.0, np.nan, 6.0, 1.0], [3.0, 2.0, 0.0, np.nan])
    assert out[0] == 2.0
    assert [math.isnan(v) for v in out[1:]] == [True, True, True]


def test_ratio_treats_a_denominator_within_its_zero_bound_as_zero():
    out = ratio([6.0, 6.0, -6.0, 6.0], [1e-4, -1e-4, 2e-4, 3e-4], zero=2e-4)
    assert [math.isnan(v) for v in out] == [True, True, True, False]
    assert out[3] == pytest.approx(20_000.0)


@pytest.mark.parametrize("rows", [1, 40])
def test_a_denominator_within_a_millionth_of_its_span_of_zero_gives_a_missing_ratio(rows):
    # Flow Rate's declared span is 100, so at most 1e-4 from zero it counts as zero: 1e-38 would
    # give 6e38, past float32, and anything near it overflows the model's scaler into NaN.
    flows = [1e-38, -0.0, 0.99e-4, 1.01e-4]
    columns = {"Pump Model": ["A-100"] * rows, "Inlet-Pressure": [6.0] * rows, "Site": [None] * rows}
    for flow in flows:
        encoded = encode(SCHEMA, {**columns, "Flow Rate (l/min)": [flow] * rows})
        quotient = encoded[0, -1]
        if flow > 1e-4:
            assert quotient == np.float32(6.0 / flow)
        else:
            assert math.isnan(quotient)


def test_one_hot_rejects_an_unknown_category_by_name():
    with pytest.raises(ValueError, match="unknown category 'B 200'"):
        one_hot(["A-100", "B 200"], ("A-100", "C/300"))


def test_one_hot_of_no_rows_keeps_the_column_count():
    assert one_hot([], ("a", "b", "c")).shape == (0, 3)


# Ratios of these stay within float32 (as the schema's ranges keep real ones): no overflow to cast.
numbers = st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(
                        lambda x: x == 0 or abs(x) > 1e-25),
                    st.integers(min_value=-10**6, max_value=10**6), st.sampled_from([0.0, -0.0, 1e-3, 0.1]))
row = st.fixed_dictionaries({"Pump Model": st.sampled_from(["A-100", "C/300"]), "Inlet-Pressure": numbers,
                             "Flow Rate (l/min)": numbers, "Site": st.sampled_from([None, "North Yard", "south-yard"])})


@given(st.lists(row, min_size=1, max_size=40))
def test_a_batch_encodes_each_row_as_that_row_alone_does(rows):
    # Micro-batching joins requests: sharing a batch must not change a row's bits, NaN included.
    encoder = Encoder(SCHEMA)
    batch = encoder({name: [r[name] for r in rows] for name in SCHEMA.names})
    alone = [encoder({name: [r[name]] for name in SCHEMA.names}) for r in rows]
    assert batch.dtype == np.float32 and batch.shape == (len(rows), 7)
    assert batch.tobytes() == np.concatenate(alone).tobytes()


@pytest.mark.parametrize("rows", [1, 2, 40])
def test_an_unknown_category_in_any_row_is_refused_by_name(rows):
    columns = {"Pump Model": ["A-100"] * (rows - 1) + ["B 200"], "Inlet-Pressure": [1.0] * rows,
               "Flow Rate (l/min)": [1.0] * rows, "Site": [None] * rows}
    with pytest.raises(ValueError, match="unknown category 'B 200'"):
        Encoder(SCHEMA)(columns)


def test_number_columns_may_come_as_float_arrays():
    columns = {"Pump Model": ["C/300"] * 20, "Inlet-Pressure": np.full(20, 4.0),
               "Flow Rate (l/min)": np.full(20, np.nan), "Site": ["south-yard"] * 20}
    matrix = encode(SCHEMA, columns)
    assert matrix[0, 2] == 4.0 and math.isnan(matrix[0, 3]) and math.isnan(matrix[0, 6])
