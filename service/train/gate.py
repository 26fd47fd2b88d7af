"""The quality gate's arithmetic: thresholds and no regression against a champion."""

from __future__ import annotations

from collections.abc import Mapping

from service.train.config import GateConfig


def threshold_failures(metrics: Mapping[str, float], gate: GateConfig) -> list[str]:
    """Give one message per threshold the metrics miss; empty when every one is met."""
    failures = []
    for metric, floor in (("macro_f1", gate.min_macro_f1), ("accuracy", gate.min_accuracy)):
        if metrics[metric] < floor:
            failures.append(f"holdout {metric} {metrics[metric]:.4f} is below the threshold {floor:.4f}")
    if gate.max_log_loss is not None and metrics["log_loss"] > gate.max_log_loss:
        failures.append(f"holdout log_loss {metrics['log_loss']:.4f} is above the limit {gate.max_log_loss:.4f}")
    return failures


def regression_failure(challenger: float, champion: float, max_regression: float) -> str | None:
    """Give a message when the challenger's macro-F1 falls more than `max_regression` below the champion's."""
    drop = champion - challenger
    # Rounded so that float noise cannot fail a drop exactly at the margin.
    if round(drop, 9) > max_regression:
        return (
            f"challenger macro_f1 {challenger:.4f} regresses from the champion's {champion:.4f} "
            f"by {drop:.4f}, more than the allowed {max_regression:.4f}"
        )
    return None
