"""Behavioural checks a project declares: minimum functionality, invariance, direction.

They live in the project file's `[checks]` table (docs/project.md), are checked
against the schema when the file loads, and run against the served model's
own inference path: `run_check` gives what a check found wrong, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from service.schema import InputSchema, Name, NumberFeature, Task

Record = dict[str, Any]  # feature name -> value; None for missing
# Records in, one output row per record: class probabilities (n, k), or values (n,).
Predict = Callable[[list[Record]], npt.NDArray[np.float32]]
TomlValue = float | int | str | bool
# float32 carries ~7 significant digits: a directional step smaller than this (relative to
# the output's size, at least 1) is noise, not a move.
STEP_NOISE = 1e-6


class _Check(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(min_length=1, description="What the check says, as the report shows it.")
    set: dict[Name, TomlValue] = Field(default_factory=dict, description="Values replaced in the record(s).")


class MinimumCheck(_Check):
    """A record and what the model must answer for it."""

    record: str
    label: str | None = Field(None, description="Classification: the expected label.")
    min_probability: float | None = Field(None, gt=0, le=1, description="Classification: and at least this.")
    min: float | None = Field(None, description="Regression: the lowest acceptable value.")
    max: float | None = Field(None, description="Regression: the highest acceptable value.")


class InvarianceCheck(_Check):
    """A perturbation of records that must not change what the model answers."""

    records: tuple[str, ...] = Field(min_length=1)
    shift: dict[Name, float] = Field(default_factory=dict, description="Added to number features.")
    max_change: float | None = Field(None, ge=0, description="Regression: the largest allowed change.")


class DirectionalCheck(_Check):
    """A sweep of one number feature along which an output must rise (or fall): never the other way, and overall.

    Not strictly at every step: a probability that saturates near 1, or a tree's step
    function, plateaus without breaking the expectation (CheckList's "directional
    expectation"). A step the wrong way counts past float32 noise (STEP_NOISE).
    """

    record: str
    feature: Name
    values: tuple[float, ...] = Field(min_length=2)
    direction: Literal["increasing", "decreasing"]
    class_: str | None = Field(None, alias="class", description="Classification: whose probability.")


class ChecksConfig(BaseModel):
    """The project's declared behavioural checks and the records they start from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    records: dict[str, dict[Name, TomlValue]] = Field(default_factory=dict)
    minimum: tuple[MinimumCheck, ...] = ()
    invariance: tuple[InvarianceCheck, ...] = ()
    directional: tuple[DirectionalCheck, ...] = ()

    @property
    def all(self) -> tuple[MinimumCheck | InvarianceCheck | DirectionalCheck, ...]:
        """Give every declared check, in kind order then file order."""
        return (*self.minimum, *self.invariance, *self.directional)


@dataclass(frozen=True)
class Project:
    """What a check is validated against and read with: the schema, the task, the classes, blanks."""

    schema_: InputSchema
    task: Task
    classes: tuple[str, ...]
    missing_values: tuple[str, ...]


def _value(project: Project, feature_name: str, value: TomlValue, where: str) -> Any:
    """Give a declared value as the model reads it (None for missing); raise ValueError naming the fault."""
    try:
        feature = project.schema_.feature(feature_name)
    except KeyError:
        raise ValueError(f"{where}: {feature_name!r} is not a feature; the features are "
                         f"{list(project.schema_.names)}") from None
    if isinstance(value, str) and value in project.missing_values:
        if not feature.nullable:
            raise ValueError(f"{where}: {feature_name!r} is missing, and the feature is not nullable")
        return None
    if isinstance(feature, NumberFeature):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where}: {feature_name!r} must be a number, got {value!r}")
        problem = feature.problem(float(value))
    else:
        problem = feature.problem(value) if isinstance(value, str) else f"{value!r} is not a category"
    if problem:
        raise ValueError(f"{where}: {feature_name!r}: {problem}")
    return float(value) if isinstance(feature, NumberFeature) else value


def resolve(project: Project, checks: ChecksConfig, record: str, changes: Mapping[str, TomlValue],
            where: str) -> Record:
    """Give the named record with `changes` applied, every value checked against the schema."""
    if record not in checks.records:
        raise ValueError(f"{where}: no record {record!r} in [checks.records]; there are {sorted(checks.records)}")
    declared = checks.records[record]
    missing = [n for n in project.schema_.names if n not in declared]
    if missing:
        raise ValueError(f"{where}: record {record!r} lacks {missing}")
    merged = {**declared, **changes}
    return {name: _value(project, name, merged[name], f"{where}, record {record!r}") for name in merged}


def validate(project: Project, checks: ChecksConfig) -> None:
    """Raise ValueError naming the first check that does not fit the project."""
    names = [check.name for check in checks.all]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"checks share a name, so the report could not tell them apart: {repeated}")
    for name in checks.records:
        resolve(project, checks, name, {}, f"checks.records.{name!r}")
    for check in checks.all:
        where = f"check {check.name!r}"
        if isinstance(check, MinimumCheck):
            _validate_minimum(project, checks, check, where)
        elif isinstance(check, InvarianceCheck):
            _validate_invariance(project, checks, check, where)
        else:
            _validate_directional(project, checks, check, where)


def _validate_minimum(project: Project, checks: ChecksConfig, check: MinimumCheck, where: str) -> None:
    classification = project.task == "classification"
    resolve(project, checks, check.record, check.set, where)
    if classification and check.label is None:
        raise ValueError(f"{where}: a classification check needs `label`")
    if not classification and check.label is None and check.min is None and check.max is None:
        raise ValueError(f"{where}: a regression check needs `min` or `max`")
    _fits_task(where, classification, label=check.label, min_probability=check.min_probability,
               min=check.min, max=check.max)
    if check.label is not None and check.label not in project.classes:
        raise ValueError(f"{where}: label {check.label!r} is not one of {list(project.classes)}")


def _validate_invariance(project: Project, checks: ChecksConfig, check: InvarianceCheck, where: str) -> None:
    if not check.set and not check.shift:
        raise ValueError(f"{where}: an invariance check needs `set` or `shift`")
    for feature in check.shift:
        if not _is_number(project, feature):
            raise ValueError(f"{where}: shift {feature!r} is not a number feature")
    for record in check.records:
        for name, value in shifted(resolve(project, checks, record, check.set, where), check).items():
            if value is not None:  # a shifted value must be one the schema (and the API) takes
                _value(project, name, value, f"{where}, record {record!r} shifted")
    classification = project.task == "classification"
    if not classification and check.max_change is None:
        raise ValueError(f"{where}: a regression invariance check needs `max_change`")
    _fits_task(where, classification, max_change=check.max_change)


def _validate_directional(project: Project, checks: ChecksConfig, check: DirectionalCheck, where: str) -> None:
    resolve(project, checks, check.record, check.set, where)
    if not _is_number(project, check.feature):
        raise ValueError(f"{where}: {check.feature!r} is not a number feature")
    for value in check.values:
        _value(project, check.feature, value, where)
    classification = project.task == "classification"
    if classification and check.class_ is None:
        raise ValueError(f"{where}: a classification directional check needs `class`")
    if classification and check.class_ not in project.classes:
        raise ValueError(f"{where}: class {check.class_!r} is not one of {list(project.classes)}")
    _fits_task(where, classification, **{"class": check.class_})


def _is_number(project: Project, name: str) -> bool:
    return name in project.schema_.names and isinstance(project.schema_.feature(name), NumberFeature)


def shifted(record: Record, check: InvarianceCheck) -> Record:
    """Give `record` with the check's shifts added to its (known) number values."""
    return {name: (value + check.shift[name] if name in check.shift and value is not None else value)
            for name, value in record.items()}


def _fits_task(where: str, classification: bool, **given: object) -> None:
    of_classification = {"label", "min_probability", "class"}
    for key, value in given.items():
        if value is not None and (key in of_classification) != classification:
            task = "classification" if key in of_classification else "regression"
            raise ValueError(f"{where}: `{key}` is for {task} projects")


def run_check(project: Project, checks: ChecksConfig,
              check: MinimumCheck | InvarianceCheck | DirectionalCheck, predict: Predict) -> str | None:
    """Give what `check` found wrong with the model behind `predict`, or None when it holds."""
    classes = project.classes
    if isinstance(check, MinimumCheck):
        output = predict([resolve(project, checks, check.record, check.set, check.name)])[0]
        if check.label is not None:
            label, probability = classes[int(np.argmax(output))], float(np.max(output))
            if label != check.label:
                return f"predicted {label!r} (p={probability:.3f}), expected {check.label!r}"
            if check.min_probability is not None and probability < check.min_probability:
                return f"predicted {label!r} with p={probability:.3f}, below {check.min_probability}"
            return None
        value = float(output)
        low = -np.inf if check.min is None else check.min
        high = np.inf if check.max is None else check.max
        return None if low <= value <= high else f"predicted {value:.6g}, outside [{low:g}, {high:g}]"
    if isinstance(check, InvarianceCheck):
        before = [resolve(project, checks, r, {}, check.name) for r in check.records]
        after = [shifted(resolve(project, checks, r, check.set, check.name), check) for r in check.records]
        old, new = predict(before), predict(after)
        for name, a, b in zip(check.records, old, new):
            if project.task == "classification":
                if int(np.argmax(a)) != int(np.argmax(b)):
                    return (f"record {name!r}: {classes[int(np.argmax(a))]!r} became "
                            f"{classes[int(np.argmax(b))]!r}")
            elif abs(float(b) - float(a)) > (check.max_change or 0.0):
                return f"record {name!r}: {float(a):.6g} became {float(b):.6g}, more than {check.max_change}"
        return None
    base = resolve(project, checks, check.record, check.set, check.name)
    outputs = predict([dict(base, **{check.feature: value}) for value in check.values])
    series = outputs[:, classes.index(check.class_)] if check.class_ is not None else outputs.reshape(-1)
    wide = series.astype(np.float64)
    sign = 1.0 if check.direction == "increasing" else -1.0
    steps = sign * np.diff(wide)
    noise = STEP_NOISE * np.maximum(1.0, np.abs(wide[:-1]))
    if np.any(steps < -noise):
        at = int(np.argmax(steps < -noise))
        return (f"moves against {check.direction} along {check.feature!r} between {check.values[at]:g} and "
                f"{check.values[at + 1]:g}: {series.tolist()}")
    if not sign * (wide[-1] - wide[0]) > noise[0]:
        return f"does not move along {check.feature!r}: {series.tolist()}"
    return None
