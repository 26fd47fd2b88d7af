"""Hooks the plugin calls, for conftests that act on a stage's outcome."""

from __future__ import annotations

import pytest


def pytest_stopline_stage_finished(session: pytest.Session, stage: str, status: str, complete: bool) -> None:
    """Called after the last test of `stage` in this session, or the one after which pytest stops (-x).

    `status` is passed, failed or not_run; `complete` is False when -m or -k
    left some of the stage's tests out.

    The model stage uses it to record the bundle it gated, so the build stage
    ships that bundle and nothing else; the deploy stage, to undo and record a
    rollout that failed.
    """
