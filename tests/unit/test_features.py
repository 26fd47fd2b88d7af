import math

import numpy as np
import pytest

from service.features import encode, feature_names, one_hot, ratio
from service.schema import CategoryFeature, InputSchema, NumberFeature, Ratio

pytestmark = pytest.mark.unit

SCHEMA = InputSchema(
    features=(
        CategoryFeature(name="island", categories=("Biscoe", "Dream")),
        NumberFeature(name="length", min=0, max=100, nullable=True),
        NumberFeature(name="depth", min=0, max=100, nullable=True),
        CategoryFeature(name="sex", categories=("female", "male"), nullable=True),
    ),
    ratios=(Ratio(name="shape", numerator="length", denominator="depth"),),
)


def test_feature_names_follow_the_declared_order_with_one_column_per_category():
    assert feature_names(SCHEMA) == [
        "island=Biscoe", "island=Dream", "length", "depth", "sex=female", "sex=male", "shape",
    ]


def test_encode_gives_exact_values_with_missing_numbers_as_nan_and_missing_categories_as_zeros():
    columns = {
        "island": ["Dream", "Biscoe"],
        "length": [40.0, None],
        "depth": [20.0, 18.0],
        "sex": [None, "male"],
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
    columns = {"island": ["Biscoe"], "length": [1.5], "depth": [3.0], "sex": ["female"]}
    first = encode(SCHEMA, columns)
    assert columns == {"island": ["Biscoe"], "length": [1.5], "depth": [3.0], "sex": ["female"]}
    np.testing.assert_array_equal(first, encode(SCHEMA, columns))
    assert first[0, -1] == np.float32(0.5)


def test_ratio_is_nan_for_a_missing_side_or_a_zero_denominator():
    out = ratio([6.0, np.nan, 6.0, 1.0], [3.0, 2.0, 0.0, np.nan])
    assert out[0] == 2.0
    assert [math.isnan(v) for v in out[1:]] == [True, True, True]


def test_one_hot_rejects_an_unknown_category_by_name():
    with pytest.raises(ValueError, match="unknown category 'Atlantis'"):
        one_hot(["Biscoe", "Atlantis"], ("Biscoe", "Dream"))


def test_one_hot_of_no_rows_keeps_the_column_count():
    assert one_hot([], ("a", "b", "c")).shape == (0, 3)
