"""The stop-the-line plugin: stage markers, stage order, the stop, and the report.

Every test carries exactly one stage marker. Whatever the file order, tests
run stage by stage in STAGES order; once a stage has a failure, the session
stops at the end of that stage, so no later stage runs, with or without -x.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipeline.report import STAGES, StageResult, build_report, verdict, write_reports
from service.provenance import git_sha

STAGE_DOCS = {
    "lint": "static checks: flake8, Dockerfile, compose file, workflow",
    "unit": "pure logic, milliseconds, no I/O",
    "component": "file system and in-process parts, the app through ASGI",
    "model": "train on the committed data and gate the model",
    "build": "build the image with the gated bundle, check its policy",
    "smoke": "run the container through docker compose, real HTTP",
}
# pytest-flake8 marks its items `flake8`; they belong to the lint stage.
LINT_ITEM_MARKERS = ("flake8",)


def stage_markers(item: pytest.Item) -> list[str]:
    """Give the distinct stage markers on `item`, including its module's and class's."""
    return sorted({m.name for m in item.iter_markers() if m.name in STAGES}, key=STAGES.index)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stopline", "stop-the-line pipeline")
    group.addoption(
        "--pipeline-reports",
        metavar="DIR",
        default="reports",
        help="where pipeline.json and pipeline.md are written (default: %(default)s)",
    )


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pipeline import hooks

    pluginmanager.add_hookspecs(hooks)


def pytest_configure(config: pytest.Config) -> None:
    for stage in STAGES:
        config.addinivalue_line("markers", f"{stage}: stage {STAGES.index(stage) + 1} — {STAGE_DOCS[stage]}")
    config.pluginmanager.register(StopTheLine(config), "stopline")


def pytest_report_header(config: pytest.Config) -> str:
    return f"stopline stages, in order: {' → '.join(STAGES)}"


@dataclass(eq=False)  # pytest keeps plugins in sets: identity, not value
class StopTheLine:
    """Watches every test report, stops the session after a failed stage, writes the report."""

    config: pytest.Config
    stage_of: dict[str, str] = field(default_factory=dict)
    available: dict[str, int] = field(default_factory=dict)  # per stage, before -m/-k deselect
    results: dict[str, StageResult] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    first_failure: dict[str, str] = field(default_factory=dict)
    current: str | None = None
    collection_error: str | None = None
    stopped_at: str | None = None
    started: float = field(default_factory=time.perf_counter)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # tryfirst: markers must be complete before `-m` deselects anything.
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
                self.stage_of[item.nodeid] = stages[0]
                self.available[stages[0]] = self.available.get(stages[0], 0) + 1
        if problems:
            self.collection_error = "tests without a single stage marker:\n  " + "\n  ".join(problems)
            raise pytest.UsageError(f"stopline: {self.collection_error}")
        items[:] = sorted(items, key=lambda item: STAGES.index(self.stage_of[item.nodeid]))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.collection_error:  # pytest calls this hook even after modifyitems raised
            return
        for item in session.items:
            stage = self.stage_of[item.nodeid]
            self.results.setdefault(stage, StageResult(stage)).tests += 1
        self.results = {s: self.results[s] for s in STAGES if s in self.results}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> object:
        stage = self.stage_of[item.nodeid]
        if stage != self.current:
            self.current = stage
            self._announce(stage)
        outcome = yield
        if nextitem is not None and self.stage_of[nextitem.nodeid] == stage:
            return outcome
        result = self.results[stage]
        item.config.hook.pytest_stopline_stage_finished(
            session=item.session, stage=stage, status=result.status, complete=result.tests == self.available[stage]
        )
        if result.failed and nextitem is not None:
            later = [s for s in self.results if STAGES.index(s) > STAGES.index(stage)]
            item.session.shouldfail = (
                f"stopped the line at stage {stage!r} ({result.failed} failed); "
                f"not run: {', '.join(later)}"
            )
        return outcome

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        stage = self.stage_of.get(report.nodeid)
        if stage is None:
            return
        result = self.results[stage]
        result.seconds += report.duration
        if report.when == "teardown":  # by then user_properties holds everything the test recorded
            result.figures.update(report.user_properties)
        previous = self.outcomes.get(report.nodeid)
        if report.failed and previous != "failed":
            result.failed += 1
            if previous == "passed":
                result.passed -= 1
            self.outcomes[report.nodeid] = "failed"
            self.first_failure.setdefault(stage, _failure_line(report))
            self.stopped_at = self.stopped_at or stage
        elif report.skipped and previous is None:
            result.skipped += 1
            self.outcomes[report.nodeid] = "skipped"
        elif report.passed and report.when == "call" and previous is None:
            result.passed += 1
            self.outcomes[report.nodeid] = "passed"

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        error = self._error(session, exitstatus)
        report = build_report(
            list(self.results.values()),
            stopped_at=self.stopped_at,
            git_sha=git_sha(),
            first_failure=self.first_failure,
            error=error,
            seconds=time.perf_counter() - self.started,
        )
        self.report = report
        write_reports(report, Path(self.config.rootpath, self.config.getoption("pipeline_reports")))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        report = getattr(self, "report", None)
        if report is None:
            return
        terminalreporter.write_sep("=", "stopline pipeline")
        for stage in report["stages"]:
            terminalreporter.write_line(
                f"  {stage['name']:<10} {stage['status']:<8} {stage['tests']:>4} tests "
                f"{stage['failed']:>3} failed {stage['seconds']:>8.2f} s"
            )
            for name, value in stage.get("figures", {}).items():
                terminalreporter.write_line(f"  {'':<10} {name} = {value}")
        terminalreporter.write_line(verdict(report), bold=True, red=report["status"] != "passed")

    def _error(self, session: pytest.Session, exitstatus: int) -> str | None:
        """Give why the run ended before its stages could report, or None."""
        if self.collection_error:
            return self.collection_error
        if session.testsfailed and not self.first_failure:
            return f"{session.testsfailed} error(s) during collection"
        if exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR):
            return f"pytest ended with {pytest.ExitCode(exitstatus).name}"
        return None

    def _announce(self, stage: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            # In -q mode progress dots leave the cursor mid-line without a file path,
            # which ensure_newline() does not see.
            if reporter._tw.width_of_current_line:
                reporter.write_line("")
            reporter.write_sep("-", f"stage {STAGES.index(stage) + 1}/{len(STAGES)}: {stage} "
                                    f"({self.results[stage].tests} tests)")


def _failure_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else report.longreprtext
    lines = [line for line in text.splitlines() if line.strip()]
    return f"{report.nodeid} ({report.when}): {lines[0] if lines else report.outcome}"
