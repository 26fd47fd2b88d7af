"""The drafting rules, one small pure function each: kinds, ranges, IDs, the task, the gate.

service.train.draft composes them into a project; docs/project.md ("Drafting")
states them in words, and tests/unit/test_init_infer.py pins each one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from service.schema import Task
from service.schema import usable_name as schema_usable_name
MARGIN = Decimal("0.1")  # of the observed span, added below and above a number range
MAX_CLASS_VALUES = 10  # a numeric target with at most this many whole-number values holds class labels
MAX_CATEGORIES = 50  # more distinct values than this is flagged as hard to learn as a category
# Drafted floors, not targets: low enough that a sound model on unknown data passes, high
# enough that a broken one (a constant answer, shuffled labels) fails. A person raises them.
MIN_SCORE = 0.8  # macro-F1 and accuracy
MIN_R2 = 0.5  # the model explains at least half the target's variance
# No max_rmse: on one holdout R² = 1 - MSE / Var(y), so a bound derived from the target's
# deviation would restate min_r2 in units. An error budget in units is the person's to set.
MAX_REGRESSION = 0.01
# What a person reads about the drafted numbers, in the file's header and the summary.
RANGE_NOTE = (
    "Number ranges are the data's lowest and highest values, widened by 10% of the span on",
    "each side (never below 0 where no value is negative) and rounded outward; set them to",
    "what is plausible.",
)
GATE_NOTES = {
    "max_log_loss": "the log-loss of guessing by class shares, rounded down: a model must beat it",
    "min_r2": "the model explains half the target's variance: holdout RMSE at most about 0.71 × its standard deviation",
}


def project_name(stem: str) -> str:
    """Give a model name from a file stem: ASCII, lower case, each other run of characters one dash."""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9._-]+", "-", ascii_stem).strip("-._") or "project"


def number(cell: str) -> float | None:
    """Give the cell as a finite float, or None when it is not one."""
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def numbers(cells: list[str]) -> list[float] | None:
    """Give every cell as a finite float, or None when one is not."""
    parsed = [number(cell) for cell in cells]
    return None if any(x is None for x in parsed) else [x for x in parsed if x is not None]


def _outward(value: Decimal, step: Decimal, rounding: str) -> float:
    return float(value.quantize(step, rounding=rounding)) + 0.0  # + 0.0: never "-0.0" in the file


def _step(span: Decimal) -> Decimal:
    """Give the rounding step for a span: its second significant digit (39.5 -> 1, 3600 -> 100)."""
    return Decimal(1).scaleb(span.adjusted() - 1)


def plausible_range(low: float, high: float) -> tuple[float, float]:
    """Give [low, high] widened by MARGIN of its span each side, not below 0 if low >= 0, rounded outward."""
    # Decimals from repr: the arithmetic is on the numbers as the file writes them (3 - 0.3 is 2.7).
    lo, hi = Decimal(repr(low)), Decimal(repr(high))
    span = (hi - lo) or abs(lo) or Decimal(1)  # a constant column: 10% of its value, or of 1 at 0
    bottom = max(lo - MARGIN * span, Decimal(0)) if lo >= 0 else lo - MARGIN * span
    step = _step(span)
    return _outward(bottom, step, ROUND_FLOOR), _outward(hi + MARGIN * span, step, ROUND_CEILING)


def infer_task(labels: list[str]) -> tuple[Task, str]:
    """Give the task a target's cells suggest, and why."""
    values = numbers(labels)
    if values is None:
        return "classification", f"it holds text ({next(v for v in labels if number(v) is None)!r})"
    distinct = set(values)
    if len(distinct) <= MAX_CLASS_VALUES and all(x.is_integer() for x in distinct):
        return "classification", f"it holds {len(distinct)} whole-number values"
    return "regression", f"it holds numbers, {len(distinct)} distinct"


def is_id(cells: list[str], rows: int) -> bool:
    """Tell whether a column's filled cells make an ID: one in every row, all different, text or whole numbers."""
    values = numbers(cells)
    if values is None:
        return len(cells) == rows and len(set(cells)) == rows
    # Measurements are often unique per row too; only whole numbers count as a counter.
    return len(values) == rows and len(set(values)) == rows and all(x.is_integer() for x in values)


def sort_labels(labels: set[str]) -> tuple[str, ...]:
    """Give labels in order: by value when all are numbers ("2" before "10"), else by code point."""
    if numbers(list(labels)) is not None:
        return tuple(sorted(labels, key=lambda v: (float(v), v)))
    return tuple(sorted(labels))


def classification_gate(labels: list[str]) -> dict[str, float]:
    """Give the drafted classification gate; max_log_loss is the log-loss of guessing by class shares."""
    shares = [n / len(labels) for n in Counter(labels).values()]
    entropy = Decimal(repr(-sum(p * math.log(p) for p in shares)))
    return {"min_macro_f1": MIN_SCORE, "min_accuracy": MIN_SCORE,
            "max_log_loss": _outward(entropy, _step(entropy), ROUND_FLOOR), "max_regression": MAX_REGRESSION}


def regression_bounds(value: float, spread: float) -> dict[str, float | str]:
    """Give an example minimum check's bounds: `value` ± two standard deviations, rounded outward."""
    centre, width = Decimal(repr(value)), 2 * Decimal(repr(spread))
    step = _step(width)
    return {"min": _outward(centre - width, step, ROUND_FLOOR), "max": _outward(centre + width, step, ROUND_CEILING)}


def usable_name(name: str) -> bool:
    """Tell whether the schema takes `name`: 1 to 64 printable characters, no surrounding space."""
    return 1 <= len(name) <= 64 and schema_usable_name(name)
