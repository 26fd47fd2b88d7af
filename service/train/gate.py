"""The quality gate: one function, `gate`, that decides whether a trained bundle may be served.

It applies the project's thresholds to the holdout metrics, compares the
challenger with the champion (when there is one) by the task's primary
metric, and runs every declared behavioural check. The model stage and the
training command both call it; a bundle that passes carries a gate record
(`gate.json` beside its manifest) naming the project file it passed for, and
`make serve` and the build stage serve nothing without one that matches.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from service.bundle import load_bundle
from service.errors import StoplineError
from service.features import encode
from service.predictor import Predictor
from service.train.checks import Predict, Record, run_check
from service.train.config import PRIMARY_METRIC, GateConfig, TrainConfig
from service.train.evaluate import champion_score
from service.train.run import TrainingRun

GATE_FILE = "gate.json"


class NotGatedError(StoplineError):
    """A bundle has no gate record, or one for another bundle or another project file."""


@dataclass(frozen=True)
class GateVerdict:
    """What the gate found: every failure (thresholds, champion, checks), and what it compared."""

    failures: list[str]
    checks: dict[str, str | None]  # check name -> its failure, None when it held
    champion: float | None = None  # the champion's primary metric on the holdout, when compared
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def threshold_failures(metrics: Mapping[str, float], gate: GateConfig) -> list[str]:
    """Give one message per threshold the metrics miss; empty when every one is met."""
    failures = []
    for key, bound in gate.thresholds().items():
        kind, metric = key.split("_", 1)
        value = metrics[metric]
        if kind == "min" and value < bound:
            failures.append(f"holdout {metric} {value:.4f} is below the threshold {bound:.4f}")
        elif kind == "max" and value > bound:
            failures.append(f"holdout {metric} {value:.4f} is above the limit {bound:.4f}")
    return failures


def regression_failure(challenger: float, champion: float, max_regression: float, metric: str) -> str | None:
    """Give a message when the challenger's `metric` falls more than `max_regression` below the champion's."""
    drop = champion - challenger
    # Rounded so that float noise cannot fail a drop exactly at the margin.
    if round(drop, 9) > max_regression:
        return (
            f"challenger {metric} {challenger:.4f} regresses from the champion's {champion:.4f} "
            f"by {drop:.4f}, more than the allowed {max_regression:.4f}"
        )
    return None


def predict_records(config: TrainConfig, predictor: Predictor) -> Predict:
    """Give a function from records to outputs (probabilities or values) through the served path."""

    def predict(records: list[Record]) -> npt.NDArray[np.float32]:
        columns = {name: [r.get(name) for r in records] for name in config.input_schema.names}
        return predictor.predict(encode(config.input_schema, columns)).outputs

    return predict


def gate(run: TrainingRun, config: TrainConfig, champion: Path | None = None) -> GateVerdict:
    """Give the verdict on the run's bundle: thresholds, champion (default: gate.champion), checks."""
    metrics = run.card.metrics
    failures = threshold_failures(metrics, config.gate)
    champion = champion or config.gate.champion
    champion_value = None
    notes = []
    metric = PRIMARY_METRIC[config.task]
    if champion is None:
        notes.append("no champion: nothing to regress from")
    else:
        champion_value = champion_score(champion, config, run.holdout.rows, run.holdout.target)
        failure = regression_failure(metrics[metric], champion_value, config.gate.max_regression, metric)
        if failure:
            failures.append(failure)
    predict = predict_records(config, Predictor.from_bundle(load_bundle(run.bundle_dir)))
    checks = {check.name: run_check(config.project, config.checks, check, predict) for check in config.checks.all}
    failures += [f"check {name!r}: {problem}" for name, problem in checks.items() if problem]
    if not checks:
        notes.append("behaviour: none declared")
    return GateVerdict(failures, checks, champion_value, notes)


def project_sha256(config_file: Path) -> str:
    """Give the sha256 of a project file: a record is for the project as it was written."""
    return hashlib.sha256(Path(config_file).read_bytes()).hexdigest()


def write_gate_record(bundle_dir: Path, config_file: Path, verdict: GateVerdict) -> dict[str, Any]:
    """Record that the bundle in `bundle_dir` passed the gate for `config_file`; give the record."""
    if not verdict.passed:
        raise ValueError("only a bundle that passed the gate gets a record")
    bundle = load_bundle(bundle_dir)
    record = {
        "bundle_sha256": bundle.digest,
        "model_version": bundle.card.version,
        "git_sha": bundle.card.git_sha,
        "project": bundle.card.name,
        "project_file": str(Path(config_file).resolve()),
        "project_sha256": project_sha256(config_file),
        "metrics": {k: v for k, v in bundle.card.metrics.items() if isinstance(v, (int, float))},
        "champion": verdict.champion,
        "checks": sorted(verdict.checks),
        "notes": verdict.notes,
    }
    staging = Path(bundle_dir) / f".{GATE_FILE}.{os.getpid()}"
    staging.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(staging, Path(bundle_dir) / GATE_FILE)  # a reader sees the whole record or none
    return record


def read_gate_record(bundle_dir: Path, config_file: Path) -> dict[str, Any]:
    """Give the gate record of the bundle in `bundle_dir`, once it matches that bundle and `config_file`.

    Raises NotGatedError saying what is wrong and how to gate it, and
    BundleIntegrityError when the bundle itself is damaged.
    """
    how = "train and gate it with `make train` (or run `make test`)"
    path = Path(bundle_dir) / GATE_FILE
    bundle = load_bundle(bundle_dir)
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotGatedError(f"{bundle_dir} has not passed the gate (no {GATE_FILE}): {how}") from None
    except (OSError, ValueError) as exc:
        raise NotGatedError(f"{path}: unreadable gate record ({exc}): {how}") from None
    if not isinstance(record, dict):
        raise NotGatedError(f"{path}: unreadable gate record (not a JSON object): {how}")
    if record.get("bundle_sha256") != bundle.digest:
        raise NotGatedError(f"{path} is the record of another bundle than {bundle_dir}: {how}")
    if record.get("project_sha256") != project_sha256(config_file):
        raise NotGatedError(f"{bundle_dir} passed the gate for {record.get('project_file')} as it was then, "
                            f"not for {config_file} as it is now: {how}")
    return record
