"""Whole-column checks: accept the common, valid request without a validator call per value.

Both APIs end in columns: V2 sends one tensor per feature, and a POST /predict
body is a list of records, turned into columns here. A column is accepted when
every value is certainly allowed, by checks over the whole column (its set of
values, its value types, its range); the checks may only decline, never
refuse. A declined column or body goes to the strict validators of
service.app.request_model, which decide and name each problem: so an answer
never depends on which path accepted the request, and the unit tests hold the
two to agreeing. Each check is planned once per schema, when the model loads.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import NoneType
from typing import Any

import numpy as np
import numpy.typing as npt

from service.features import Columns
from service.schema import CategoryFeature, Feature, InputSchema

SHORT_COLUMN = 64  # up to here a number column is checked in Python, past it with numpy
Column = list[Any] | npt.NDArray[np.float64]


class ColumnCheck:
    """One feature's whole-column check: `accept(data)` gives the column ready to encode, or None."""

    __slots__ = ("allowed", "low", "high", "nullable")

    def __init__(self, feature: Feature) -> None:
        self.nullable = feature.nullable
        if isinstance(feature, CategoryFeature):
            self.allowed: frozenset[str | None] | None = frozenset(
                (*feature.categories, None) if feature.nullable else feature.categories)
            self.low = self.high = 0.0
        else:
            self.allowed = None
            self.low, self.high = feature.min, feature.max

    def accept(self, data: list[Any]) -> Column | None:
        """Give `data` (a long number column: as float64, None as NaN) when all of it is allowed, else None.

        A category column: the set of its values must lie within the allowed strings
        (and None where allowed), so `1`, `true` and `[]` fail. A number column: each
        value's type must be int or float exactly (bool is its own type, so `true`
        fails; None passes only where nullable), then its range: NaN fails any range.
        """
        if self.allowed is not None:
            try:
                return data if set(data) <= self.allowed else None
            except TypeError:  # an unhashable value: a list or an object, no category
                return None
        if len(data) > SHORT_COLUMN:
            return self._accept_long(data)
        low, high, nullable = self.low, self.high, self.nullable
        for value in data:
            kind = type(value)
            if kind is float or kind is int:
                if not low <= value <= high:  # False for NaN
                    return None
            elif not (value is None and nullable):
                return None
        return data

    def _accept_long(self, data: list[Any]) -> npt.NDArray[np.float64] | None:
        # Where numpy's fixed cost per call is small beside the column's length.
        types = set(map(type, data))
        has_none = NoneType in types
        if self.nullable:
            types.discard(NoneType)
        if not types <= {int, float}:
            return None
        values = np.array(data, dtype=np.float64)  # None becomes NaN
        inside = (values >= self.low) & (values <= self.high)  # False for NaN
        if has_none:  # (only where nullable) every NaN must be a None sent, not a NaN sent as a number
            missing = np.isnan(values)
            if int(np.count_nonzero(missing)) != data.count(None):
                return None
            inside |= missing
        return values if inside.all() else None


class SchemaChecks(Mapping[str, ColumnCheck]):
    """The column check of every feature of a schema, by name, and the quick check of a /predict body."""

    def __init__(self, schema: InputSchema, max_rows: int) -> None:
        self._checks = {f.name: ColumnCheck(f) for f in schema.features}
        self._names = frozenset(self._checks)
        self.max_rows = max_rows

    def __getitem__(self, name: str) -> ColumnCheck:
        return self._checks[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._checks)

    def __len__(self) -> int:
        return len(self._checks)

    def records(self, payload: Any) -> tuple[Columns, int] | None:
        """Give the columns and row count of a POST /predict body the schema certainly allows, else None.

        The body must be exactly `{"instances": [record, ...]}` with 1 to `max_rows`
        records, each holding exactly the declared features, and every column must
        pass its check; anything else is declined, for the request model to judge.
        """
        if type(payload) is not dict or len(payload) != 1:
            return None
        records = payload.get("instances")
        if type(records) is not list or not 1 <= len(records) <= self.max_rows:
            return None
        names = self._names
        for record in records:
            if type(record) is not dict or record.keys() != names:
                return None
        columns: dict[str, Column] = {}
        for name, check in self._checks.items():
            column = check.accept([record[name] for record in records])
            if column is None:
                return None
            columns[name] = column
        return columns, len(records)
