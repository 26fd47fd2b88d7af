"""Feature engineering shared by training and serving: one source, no skew.

Pure numpy functions from validated columns to the float32 matrix the model
takes. Missing numbers stay NaN (the model's own imputer fills them); a
missing category encodes as all zeros; a ratio is NaN when either side is
missing or the denominator is as good as zero: within a millionth of its
declared span of it (see near_zero). Unknown, not astronomical: a schema
that allows a flow of 0 to 250 allows 1e-38, and 1 / 1e-38 scaled by the
model's own scaler overflows float32 into NaN probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from service.schema import CategoryFeature, InputSchema, NumberFeature

Matrix = npt.NDArray[np.float32]
# Validated columns keyed by feature name: lists, or float arrays for number columns.
Columns = Mapping[str, Sequence[object] | np.ndarray]
# A denominator within this share of its declared span of zero counts as zero.
NEAR_ZERO = 1e-6


def near_zero(schema: InputSchema, name: str) -> float:
    """Give the magnitude at or below which the number feature `name`, as a denominator, counts as zero."""
    feature = schema.feature(name)
    assert isinstance(feature, NumberFeature)  # the schema holds ratios to number features
    return NEAR_ZERO * (feature.max - feature.min)


def feature_names(schema: InputSchema) -> list[str]:
    """Give the model's column names, in the order `encode` writes them."""
    names: list[str] = []
    for feature in schema.features:
        if isinstance(feature, CategoryFeature):
            names.extend(f"{feature.name}={c}" for c in feature.categories)
        else:
            names.append(feature.name)
    names.extend(r.name for r in schema.ratios)
    return names


def one_hot(values: Sequence[str | None], categories: Sequence[str]) -> Matrix:
    """Give one column per category; None is all zeros, an unknown value raises."""
    # Each value picks a row of a (k + 1) x k table whose last row, None's, is all zeros:
    # a dict lookup per value in C, then one row-gathering copy (a 1,000-row column: ~30x the loop).
    codes: dict[str | None, int] = {c: i for i, c in enumerate(categories)}
    codes[None] = len(categories)
    try:
        rows = np.fromiter(map(codes.__getitem__, values), dtype=np.intp, count=len(values))
    except (KeyError, TypeError):  # TypeError: an unhashable value, which is no category either
        raise ValueError(f"unknown category {_first_unknown(values, codes)!r}") from None
    return _one_hot_table(len(categories)).take(rows, axis=0)  # take: ~4x cheaper than table[rows]


@lru_cache(maxsize=64)
def _one_hot_table(k: int) -> Matrix:
    table = np.eye(k + 1, k, dtype=np.float32)
    table.flags.writeable = False
    return table


def _first_unknown(values: Sequence[object], codes: Mapping[str | None, int]) -> object:
    for value in values:
        try:
            if value not in codes:
                return value
        except TypeError:
            return value
    return None


def ratio(numerator: npt.ArrayLike, denominator: npt.ArrayLike, zero: float = 0.0) -> npt.NDArray[np.float64]:
    """Give numerator / denominator, NaN where either is NaN or the denominator's magnitude is at most `zero`."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=np.abs(den) > zero)  # False for NaN
    return out


def encode(schema: InputSchema, columns: Columns) -> Matrix:
    """Give the model input for validated columns keyed by feature name.

    Numbers are float-like with NaN (or None) for missing, as lists or float arrays;
    categories are strings or None.
    """
    return Encoder(schema)(columns)


class Encoder:
    """`encode` for one schema, planned once: what the service calls on every batch.

    One path for every batch size, a column at a time with numpy. A second, row by row
    in Python for batches of up to 16 rows, encoded one row in 5-7 us against 19-30 us
    here (timeit, in process), but end to end it earned less than the 20% a second path
    must: without it single-row /predict kept 0.887 of its requests/s and V2 0.880, in a
    run that put the unchanged 100- and 1,000-row scenarios at 1.258 and 0.836 (noise;
    `python -m scripts.bench.ab 1c31911 --rounds 3 --seconds 10`, 2026-12-03 06:18 UTC).
    """

    def __init__(self, schema: InputSchema) -> None:
        self.schema = schema
        self.width = len(feature_names(schema))
        self._ratios = [(r.numerator, r.denominator, near_zero(schema, r.denominator)) for r in schema.ratios]

    def __call__(self, columns: Columns) -> Matrix:
        rows = len(columns[self.schema.features[0].name])
        out = np.empty((rows, self.width), dtype=np.float32)
        numbers: dict[str, npt.NDArray[np.float64]] = {}
        at = 0
        for feature in self.schema.features:
            column = columns[feature.name]
            if isinstance(feature, NumberFeature):
                values = np.asarray(column, dtype=np.float64)  # None becomes NaN
                numbers[feature.name] = values
                out[:, at] = values  # rounds to float32 exactly as astype(float32) does
                at += 1
            else:
                out[:, at:at + len(feature.categories)] = one_hot(column, feature.categories)  # type: ignore[arg-type]
                at += len(feature.categories)
        for numerator, denominator, zero in self._ratios:
            out[:, at] = ratio(numbers[numerator], numbers[denominator], zero)
            at += 1
        return out
