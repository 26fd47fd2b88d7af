"""Feature engineering shared by training and serving: one source, no skew.

Pure numpy functions from validated columns to the float32 matrix the model
takes. Missing numbers stay NaN (the model's own imputer fills them); a
missing category encodes as all zeros; a ratio is NaN when either side is
missing or the denominator is zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from service.schema import CategoryFeature, InputSchema, NumberFeature

Matrix = npt.NDArray[np.float32]


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
    index = {c: i for i, c in enumerate(categories)}
    out = np.zeros((len(values), len(categories)), dtype=np.float32)
    for row, value in enumerate(values):
        if value is None:
            continue
        if value not in index:
            raise ValueError(f"unknown category {value!r}")
        out[row, index[value]] = 1.0
    return out


def ratio(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Give numerator / denominator, NaN where either is NaN or the denominator is 0."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=(den != 0) & ~np.isnan(den))
    return out


def encode(schema: InputSchema, columns: Mapping[str, Sequence[object] | np.ndarray]) -> Matrix:
    """Give the model input for validated columns keyed by feature name.

    Numbers are float-like with NaN (or None) for missing; categories are
    strings or None.
    """
    parts: list[np.ndarray] = []
    numbers: dict[str, npt.NDArray[np.float64]] = {}
    for feature in schema.features:
        column = columns[feature.name]
        if isinstance(feature, NumberFeature):
            values = np.array(column, dtype=np.float64)  # None becomes NaN
            numbers[feature.name] = values
            parts.append(values.reshape(-1, 1))
        else:
            parts.append(one_hot(list(column), feature.categories))  # type: ignore[arg-type]
    for r in schema.ratios:
        parts.append(ratio(numbers[r.numerator], numbers[r.denominator]).reshape(-1, 1))
    return np.hstack(parts).astype(np.float32)
