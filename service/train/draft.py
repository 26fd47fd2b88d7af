"""Infer a draft project from a CSV's table: the task, the classes, each feature, what to review.

Pure and deterministic: a `Table` in, a `Draft` out, by the rules of
service.train.draft_rules. `service.train.init` reads the file, writes the
TOML (service.train.draft_toml) and prints the review.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from service.schema import Task
from service.train.csv_text import DraftError, Table
from service.train.draft_rules import (
    MAX_CATEGORIES,
    MAX_REGRESSION,
    MIN_R2,
    MIN_SCORE,
    classification_gate,
    infer_task,
    is_id,
    number,
    numbers,
    plausible_range,
    regression_bounds,
    sort_labels,
    usable_name,
)

MISSING_VALUES = ("", "NA")
MODELS: dict[Task, dict[str, str | float | int]] = {
    "classification": {"estimator": "logistic_regression", "C": 1.0, "max_iter": 1000},
    "regression": {"estimator": "ridge", "alpha": 1.0},
}
ID_NOTE = "a different value in every row: an ID, not a feature"


@dataclass(frozen=True)
class NumberColumn:
    """A number feature: its drafted plausibility range and the range seen in the data."""

    name: str
    min: float
    max: float
    seen: tuple[float, float]  # the lowest and highest value in the data
    nullable: bool


@dataclass(frozen=True)
class CategoryColumn:
    """A category feature: its distinct values in code-point order."""

    name: str
    categories: tuple[str, ...]
    nullable: bool


@dataclass(frozen=True)
class Draft:
    """Everything the project file states, inferred from the data, and what a person should review."""

    rows: int
    target: str
    task: Task
    why: str  # why this task, for the summary
    classes: tuple[str, ...]
    target_seen: tuple[float, float, float] | None  # regression: min, max, standard deviation
    features: tuple[NumberColumn | CategoryColumn, ...]
    ignored: dict[str, str]  # column -> why
    flags: tuple[tuple[str, str], ...]  # (column, what to review)
    gate: dict[str, float]
    example_row: int  # 1-based, header excluded
    example: dict[str, float | str]
    example_check: dict[str, float | str]  # classification: the label; regression: min and max
    missing_values: tuple[str, ...] = MISSING_VALUES

    @property
    def model(self) -> dict[str, str | float | int]:
        """Give the task's default estimator and its parameters."""
        return MODELS[self.task]


def feature(name: str, cells: list[str], nullable: bool) -> tuple[NumberColumn | CategoryColumn, list[str]]:
    """Give the feature a column's filled cells make, and what about it a person should review."""
    values = numbers(cells)
    if values is not None:
        low, high = min(values), max(values)
        notes = [f"the same value in every row ({low!r}): it cannot help the model"] if low == high else []
        return NumberColumn(name, *plausible_range(low, high), (low, high), nullable), notes
    categories = tuple(sorted(set(cells)))
    notes = []
    if len(categories) == 1:
        notes.append(f"the same value in every row ({categories[0]!r}): it cannot help the model")
    if len(categories) > MAX_CATEGORIES or 2 * len(categories) > len(cells):
        notes.append(f"{len(categories)} distinct values in {len(cells)} filled rows (more than {MAX_CATEGORIES}, "
                     "or fewer than 2 rows each): hard to learn as a category; consider ignoring it")
    if 2 * sum(number(c) is not None for c in categories) > len(categories):
        text = next(c for c in categories if number(c) is None)
        notes.append(f"mostly numbers, but {text!r} is not: if it means no value, add it to missing_values "
                     "and declare a number feature")
    return CategoryColumn(name, categories, nullable), notes


def _task(target: str, labels: list[str], chosen: Task | None) -> tuple[Task, str]:
    inferred, why = infer_task(labels)
    if chosen is None:
        return inferred, why
    if chosen == "regression" and numbers(labels) is None:
        row, text = next((i, v) for i, v in enumerate(labels, start=1) if number(v) is None)
        raise DraftError(f"regression needs a numeric target, but column {target!r} holds text "
                         f"({text!r} in row {row})")
    return chosen, "as --task says"


def _target(target: str, labels: list[str], task: Task) -> tuple[tuple[str, ...], dict[str, float], list[str]]:
    """Give the classes, the gate and the review notes of the target."""
    if task == "regression":
        if len(set(numbers(labels) or ())) == 1:
            raise DraftError(f"target column {target!r} holds one value ({labels[0]!r}); regression needs it to vary")
        return (), {"min_r2": MIN_R2, "max_regression": MAX_REGRESSION}, []
    classes = sort_labels(set(labels))
    if len(classes) == 1:
        raise DraftError(f"target column {target!r} has one class ({classes[0]!r}); classification needs two or more")
    for label in classes:
        if not usable_name(label):
            raise DraftError(f"target column {target!r}: label {label!r} cannot be a class name "
                             "(1 to 64 printable characters, no surrounding space)")
    counts = Counter(labels)
    notes = [f"class {c!r} has 1 row; holding one of each class out needs 2" for c in classes if counts[c] == 1]
    top, n = counts.most_common(1)[0]
    if n / len(labels) >= MIN_SCORE:
        notes.append(f"class {top!r} holds {n / len(labels):.0%} of the rows: always answering it passes "
                     f"min_accuracy = {MIN_SCORE}, so min_macro_f1 is the floor that counts")
    return classes, classification_gate(labels), notes


def _check_columns(table: Table, target: str, columns: dict[str, list[str]], missing: tuple[str, ...]) -> None:
    if target not in table.header:
        raise DraftError(f"target column {target!r} is not in the header; the columns are {list(table.header)}")
    for name in table.header:
        if all(cell in missing for cell in columns[name]):
            raise DraftError(f"{'target ' if name == target else ''}column {name!r} is blank in every row")
    blank = [row for row, cell in enumerate(columns[target], start=1) if cell in missing]
    if blank:
        raise DraftError(f"target column {target!r} is blank in {len(blank)} row(s), the first is row "
                         f"{blank[0]}: a model cannot learn from them; fill or drop those rows")


def _features(table: Table, target: str, missing: tuple[str, ...], columns: dict[str, list[str]],
              ) -> tuple[list[NumberColumn | CategoryColumn], dict[str, str], list[tuple[str, str]]]:
    """Give the features in header order, the columns ignored as IDs, and the notes on the features."""
    features: list[NumberColumn | CategoryColumn] = []
    ignored: dict[str, str] = {}
    flags: list[tuple[str, str]] = []
    for name in table.header:
        if name == target:
            continue
        filled = [cell for cell in columns[name] if cell not in missing]
        if is_id(filled, len(table.rows)):
            ignored[name] = ID_NOTE
            continue
        if not usable_name(name):
            raise DraftError(f"column {name!r}: a feature name must be 1 to 64 printable characters; "
                             "rename it in the header")
        column, notes = feature(name, filled, nullable=len(filled) < len(table.rows))
        features.append(column)
        flags += [(name, note) for note in notes]
    if not features:
        ids = f"; {list(ignored)} look like IDs" if ignored else ""
        raise DraftError(f"no feature columns besides the target {target!r}{ids}")
    return features, ignored, flags


def _example(table: Table, features: list[NumberColumn | CategoryColumn], missing: tuple[str, ...],
             ) -> tuple[int, dict[str, float | str]]:
    """Give the index of the first row with every feature filled (else row 0), and its features as a record."""
    positions = [table.header.index(f.name) for f in features]
    index = next((i for i, row in enumerate(table.rows) if all(row[p] not in missing for p in positions)), 0)
    record: dict[str, float | str] = {}
    for column, position in zip(features, positions):
        cell = table.rows[index][position]
        # A blank stays a blank: a value in missing_values is how a check writes "missing".
        record[column.name] = cell if cell in missing or isinstance(column, CategoryColumn) else float(cell)
    return index, record


def draft(table: Table, target: str, task: Task | None = None, missing: tuple[str, ...] = MISSING_VALUES) -> Draft:
    """Give the draft project predicting `target` from `table` (the task inferred unless given)."""
    columns = {name: [row[i] for row in table.rows] for i, name in enumerate(table.header)}
    _check_columns(table, target, columns, missing)
    labels = columns[target]
    task, why = _task(target, labels, task)
    classes, gate, target_notes = _target(target, labels, task)
    features, ignored, feature_notes = _features(table, target, missing, columns)
    index, example = _example(table, features, missing)
    label = table.rows[index][table.header.index(target)]
    seen = None
    check: dict[str, float | str] = {"label": label}
    if task == "regression":
        values = [float(v) for v in labels]
        seen = (min(values), max(values), statistics.pstdev(values))
        check = regression_bounds(float(label), seen[2])
    flags = (*((target, note) for note in target_notes), *feature_notes)
    return Draft(rows=len(table.rows), target=target, task=task, why=why, classes=classes, target_seen=seen,
                 features=tuple(features), ignored=ignored, flags=flags, gate=gate, example_row=index + 1,
                 example=example, example_check=check, missing_values=missing)
