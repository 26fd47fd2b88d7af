"""The stages of the line: each test's stage, its pytest-order index, and the check that the order held."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pytest_order.sorter import orders_map  # the named indexes pytest-order accepts: "first", "last", …

# The line, in order, with what each stage's tests check. Adding a stage is one line here.
STAGE_DOCS = {
    "lint": "static checks: flake8, Dockerfile, compose file, workflow",
    "unit": "pure logic, milliseconds, no I/O",
    "component": "file system and in-process parts, the app through ASGI",
    "model": "train the configured project and gate the model",
    "build": "build the image with the gated bundle, check its policy",
    "smoke": "run the container through docker compose, real HTTP",
    "deploy": "push by digest, roll out on the Swarm, verify through the front door, record the release",
}
STAGES = tuple(STAGE_DOCS)
# pytest-flake8 marks its items `flake8`; they belong to the lint stage.
LINT_ITEM_MARKERS = ("flake8",)


class StageError(Exception):
    """A test breaks the line's rules: not exactly one stage, or ordered out of its stage."""


def stage_markers(item: pytest.Item) -> list[str]:
    """Give the distinct stage markers on `item`, including its module's and class's."""
    return sorted({m.name for m in item.iter_markers() if m.name in STAGES}, key=STAGES.index)


def assign_stages(items: Sequence[pytest.Item]) -> dict[str, str]:
    """Give each test's stage by node id; raise StageError naming every test without exactly one."""
    stage_of: dict[str, str] = {}
    problems = []
    for item in items:
        stages = stage_markers(item)
        if not stages and any(item.get_closest_marker(m) for m in LINT_ITEM_MARKERS):
            item.add_marker("lint")
            stages = ["lint"]
        if len(stages) != 1:
            found = ", ".join(stages) if stages else "none"
            problems.append(f"{item.nodeid}: needs exactly one stage marker of {list(STAGES)}, has {found}")
        else:
            stage_of[item.nodeid] = stages[0]
    if problems:
        raise StageError("tests without a single stage marker:\n  " + "\n  ".join(problems))
    return stage_of


def own_index(item: pytest.Item) -> int | None:
    """Give the index of the test's own order mark as pytest-order reads it (the closest that has one), or None."""
    for mark in item.iter_markers("order"):
        index = mark.args[0] if mark.args else mark.kwargs.get("index")
        if isinstance(index, int):
            return index
        if index in orders_map:
            return int(orders_map[index])
    return None


def add_order_marks(items: Sequence[pytest.Item], stage_of: dict[str, str]) -> None:
    """Give every test one pytest-order index: its stage's place first, then its own order within the stage."""
    places = [(STAGES.index(stage_of[item.nodeid]), *_place_in_stage(own_index(item))) for item in items]
    index_of = {place: index for index, place in enumerate(sorted(set(places)))}
    for item, place in zip(items, places):
        # Prepended: pytest-order takes the first index it finds, so this one wins over the test's own.
        # The test's before=/after= still count; check_order refuses those that cross a stage.
        item.add_marker(pytest.mark.order(index_of[place]), append=False)


def _place_in_stage(own: int | None) -> tuple[int, int]:
    # pytest-order's own rule, applied inside the stage: indexes 0, 1, … first, then the tests without an
    # index in collection order, then the negative indexes, -1 last.
    if own is None:
        return (1, 0)
    return (0, own) if own >= 0 else (2, own)


def check_order(items: Sequence[pytest.Item], stage_of: dict[str, str]) -> None:
    """Raise StageError if, once every plugin has reordered, a test would run before one of an earlier stage."""
    for first, then in zip(items, items[1:]):
        if STAGES.index(stage_of[then.nodeid]) < STAGES.index(stage_of[first.nodeid]):
            raise StageError(
                f"{first.nodeid} ({stage_of[first.nodeid]}) would run before "
                f"{then.nodeid} ({stage_of[then.nodeid]}): an order mark orders a test within its stage only; "
                "a before=/after= that names a test of another stage against the stage order, "
                "or an option that reorders across stages (--order-scope, --ff), breaks the line"
            )
