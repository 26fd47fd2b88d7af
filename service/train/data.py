"""Load the training CSV and validate every cell against the declared schema before anything trains."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from service.errors import DataValidationError
from service.schema import CategoryFeature, NumberFeature
from service.train.config import TrainConfig
from service.train.csv_text import DraftError, decode

# Numbers as floats (NaN when missing), categories as strings (None when missing).
Column = list[float | str | None]


@dataclass(frozen=True)
class Dataset:
    """Validated rows as columns, with the target: class indices into `classes`, or float64 values."""

    path: Path
    sha256: str
    columns: dict[str, Column]
    target: npt.NDArray[np.int64] | npt.NDArray[np.float64]
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.target)

    def take(self, rows: npt.NDArray[np.intp]) -> dict[str, Column]:
        """Give the columns restricted to `rows`, in that order."""
        return {name: [values[i] for i in rows] for name, values in self.columns.items()}


def _decode(path: Path) -> tuple[bytes, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataValidationError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    try:
        return data, decode(data)
    except DraftError as exc:
        raise DataValidationError(str(path), [f"{exc} [rule: encoding]"]) from None


def _check_header(header: list[str], config: TrainConfig) -> list[str]:
    problems = []
    expected = set(config.columns)
    for name in sorted(expected - set(header)):
        problems.append(f"header: column {name!r} is missing [rule: columns]")
    for name in header:
        if name not in expected:
            problems.append(f"header: column {name!r} is not declared [rule: columns]")
        elif header.count(name) > 1:
            problems.append(f"header: column {name!r} appears twice [rule: columns]")
    return sorted(set(problems), key=problems.index)


def _parse_cell(
    feature: NumberFeature | CategoryFeature, cell: str, missing: bool
) -> tuple[float | str | None, str | None]:
    """Give the parsed value and the rule it breaks (None when it is valid)."""
    if missing:
        if feature.nullable:
            return (math.nan if isinstance(feature, NumberFeature) else None), None
        return None, "a value is required [rule: missing]"
    if isinstance(feature, CategoryFeature):
        problem = feature.problem(cell)
        return cell, (f"{problem} [rule: category]" if problem else None)
    try:
        number = float(cell)
    except ValueError:
        return None, f"{cell!r} is not a number [rule: type]"
    problem = feature.problem(number)
    return number, (f"{problem} [rule: range]" if problem else None)


def load_dataset(path: Path, config: TrainConfig) -> Dataset:
    """Give the validated dataset in `path`.

    Raises DataValidationError listing every problem found, each naming the
    row (1-based, header excluded), its line in the file, the column and the rule.
    """
    path = Path(path)
    raw, text = _decode(path)
    if not text.strip():
        raise DataValidationError(str(path), ["the file is empty [rule: not-empty]"])
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    problems = _check_header(header, config)
    if problems:
        raise DataValidationError(str(path), problems)
    position = {name: header.index(name) for name in header}
    features = config.input_schema.features
    columns: dict[str, Column] = {f.name: [] for f in features}
    targets: list[float] = []
    missing_tokens = set(config.missing_values)
    read_target = _target_reader(config)
    for row_number, row in enumerate(reader, start=1):
        where = f"row {row_number} (line {reader.line_num})"
        if len(row) != len(header):
            problems.append(f"{where}: {len(row)} fields, the header has {len(header)} [rule: shape]")
            continue
        target, problem = read_target(row[position[config.target]].strip(), missing_tokens)
        if problem:
            problems.append(f"{where}, column {config.target!r}: {problem}")
        else:
            targets.append(target)
        for feature in features:
            cell = row[position[feature.name]].strip()
            value, problem = _parse_cell(feature, cell, cell in missing_tokens)
            if problem:
                problems.append(f"{where}, column {feature.name!r}: {problem}")
            columns[feature.name].append(value)
    if not problems and not targets:
        problems.append("the header has no data rows under it [rule: not-empty]")
    elif not problems and config.task == "classification":
        counts = np.bincount(np.array(targets, dtype=np.int64), minlength=len(config.classes))
        problems.extend(
            f"column {config.target!r}: class {name!r} has {n} row(s), at least 2 are needed "
            "to hold one out [rule: class-count]"
            for name, n in zip(config.classes, counts)
            if n < 2
        )
    if problems:
        raise DataValidationError(str(path), problems)
    return Dataset(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        columns=columns,
        target=(np.array(targets, dtype=np.int64) if config.task == "classification"
                else np.array(targets, dtype=np.float64)),
        classes=config.classes,
    )


def _target_reader(config: TrainConfig) -> Callable[[str, set[str]], tuple[float, str | None]]:
    """Give the parser of a target cell: its class index or value, and the rule it breaks (else None)."""
    if config.task == "classification":
        class_index = {c: i for i, c in enumerate(config.classes)}

        def label(cell: str, missing: set[str]) -> tuple[float, str | None]:
            if cell in class_index:
                return class_index[cell], None
            return 0, f"label {cell!r} is not one of {list(config.classes)} [rule: label]"

        return label

    def value(cell: str, missing: set[str]) -> tuple[float, str | None]:
        if cell in missing:
            return 0.0, "the target is missing; every row needs one [rule: missing]"
        try:
            number = float(cell)
        except ValueError:
            return 0.0, f"{cell!r} is not a number [rule: type]"
        if not math.isfinite(number):
            return 0.0, f"{cell!r} is not a finite number [rule: type]"
        return number, None

    return value
