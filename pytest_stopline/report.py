"""The pipeline report: `reports/pipeline.json`, a Markdown summary, and the verdict line."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_stopline.stages import STAGES


@dataclass
class StageResult:
    """The tally of one stage's tests in one run."""

    name: str
    tests: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    # Measurements tests publish with `record_property(name, value)`: image size, time to ready.
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        # A stage that verified nothing (nothing ran, or all skipped) did not pass.
        if self.failed:
            return "failed"
        return "passed" if self.passed else "not_run"


def build_report(
    results: list[StageResult],
    *,
    stopped_at: str | None,
    git_sha: str | None,
    first_failure: dict[str, str],
    error: str | None = None,
    seconds: float = 0.0,
) -> dict[str, Any]:
    """Give the report of a run in the shape docs/pipeline.md gives for reports/pipeline.json."""
    stages = []
    for result in results:
        entry: dict[str, Any] = {
            "name": result.name,
            "status": result.status,
            "tests": result.tests,
            "failed": result.failed,
            "passed": result.passed,
            "skipped": result.skipped,
            "seconds": round(result.seconds, 3),
        }
        if result.figures:
            entry["figures"] = result.figures
        if result.name in first_failure:
            entry["first_failure"] = first_failure[result.name]
        if result.status == "not_run" and stopped_at and STAGES.index(result.name) > STAGES.index(stopped_at):
            entry["reason"] = f"not run: the line stopped at stage {stopped_at!r}"
        stages.append(entry)
    passed = bool(stages) and error is None and all(s["status"] == "passed" for s in stages)
    report: dict[str, Any] = {
        "status": "passed" if passed else "failed",
        "stopped_at": stopped_at,
        "git_sha": git_sha,
        "seconds": round(seconds, 3),
        "stages": stages,
    }
    if error:
        report["error"] = error
    return report


def verdict(report: dict[str, Any]) -> str:
    """Give the one line a person reads: deployable, or where and why the line stopped."""
    stages = report["stages"]
    if report.get("error"):
        return f"LINE STOPPED before any stage finished: {report['error']}"
    if report["stopped_at"]:
        stage = next(s for s in stages if s["name"] == report["stopped_at"])
        not_run = [s["name"] for s in stages if s["status"] == "not_run"]
        later = f"; not run: {', '.join(not_run)}" if not_run else ""
        return f"LINE STOPPED at stage {stage['name']!r}: {stage.get('first_failure', 'a test failed')}{later}"
    unverified = [s["name"] for s in stages if s["status"] != "passed"]
    if unverified:
        return f"NOT DEPLOYABLE: stage(s) {', '.join(unverified)} verified nothing (every test skipped)"
    missing = [s for s in STAGES if s not in {st["name"] for st in stages}]
    if missing:
        return f"PASSED {', '.join(s['name'] for s in stages)}; not deployed: {', '.join(missing)} did not run"
    # A stage that deploys names what it deployed in its `deployed` figure (record_property).
    deployed = next((s["figures"]["deployed"] for s in stages if "deployed" in s.get("figures", {})), None)
    return f"DEPLOYED {deployed}" if deployed else "PASSED: every stage passed"


def to_markdown(report: dict[str, Any]) -> str:
    """Give the report as a Markdown table with the verdict beneath it."""
    sha = (report["git_sha"] or "unknown")[:12]
    lines = [
        f"## stopline pipeline — {report['status']} ({sha})",
        "",
        "| stage | status | tests | failed | seconds |",
        "|---|---|---:|---:|---:|",
    ]
    for stage in report["stages"]:
        lines.append(
            f"| {stage['name']} | {stage['status']} | {stage['tests']} | {stage['failed']} | {stage['seconds']:.2f} |"
        )
    figures = [(s["name"], k, v) for s in report["stages"] for k, v in s.get("figures", {}).items()]
    if figures:
        lines += ["", "| stage | figure | value |", "|---|---|---:|"]
        lines += [f"| {stage} | {name} | {value} |" for stage, name, value in figures]
    lines += ["", f"**{verdict(report)}**", ""]
    return "\n".join(lines)


def write_reports(report: dict[str, Any], directory: Path) -> None:
    """Write pipeline.json and pipeline.md to `directory`; append to $GITHUB_STEP_SUMMARY when set."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pipeline.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    markdown = to_markdown(report)
    (directory / "pipeline.md").write_text(markdown, encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown)
