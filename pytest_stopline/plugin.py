"""The stop-the-line plugin: stage markers, stage order, the stop, and the report.

Every test carries exactly one stage marker. Whatever the file order, tests
run stage by stage in STAGES order, which pytest-order carries out from the
index this plugin gives each test; once a stage has a failure, the session
stops at the end of that stage, so no later stage runs, with or without -x.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

from pytest_stopline.report import StageResult, build_report, verdict, write_reports
from pytest_stopline.stages import STAGE_DOCS, STAGES, StageError, add_order_marks, assign_stages, check_order


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stopline", "stop-the-line pipeline")
    group.addoption(
        "--pipeline-reports",
        metavar="DIR",
        default="reports",
        help="where pipeline.json and pipeline.md are written (default: %(default)s)",
    )


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_stopline import hooks

    pluginmanager.add_hookspecs(hooks)


def pytest_configure(config: pytest.Config) -> None:
    # A repository describes a stage its own way by declaring the marker in its ini file.
    declared = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    for stage in STAGES:
        if stage not in declared:
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

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> Generator[None, None, None]:
        # A wrapper's first half runs before every plain implementation: stage markers are complete
        # before -m deselects anything, and every test has its index before pytest-order sorts, even
        # when --indulgent-ordering makes pytest-order's hook tryfirst.
        if not self.config.pluginmanager.has_plugin("orderingplugin"):  # the name pytest-order registers
            self._refuse(StageError("pytest-order carries out the stage order, but it is not active "
                                    "(install pytest-order; do not pass -p no:pytest_order)"))
        try:
            self.stage_of = assign_stages(items)
        except StageError as error:
            self._refuse(error)
        self.available = Counter(self.stage_of.values())
        add_order_marks(items, self.stage_of)
        yield

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.collection_error:  # pytest calls this hook even after modifyitems raised
            return
        try:  # here every plugin has reordered and deselected: this is the order the tests run in
            check_order(session.items, self.stage_of)
        except StageError as error:
            self._refuse(error)
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
        # The stage ends at its last test, or earlier when pytest stops the session there (-x, --maxfail).
        stopping = bool(item.session.shouldstop or item.session.shouldfail)
        if nextitem is not None and self.stage_of[nextitem.nodeid] == stage and not stopping:
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
            git_sha=_git_sha(),
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

    def _refuse(self, error: StageError) -> NoReturn:
        """Record why the line refused to run, for the report, and end the session with a usage error."""
        self.collection_error = str(error)
        raise pytest.UsageError(f"stopline: {error}") from None

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


def _git_sha() -> str | None:
    """Give the commit under test, from CI's variable or git, else None."""
    # Its own copy, not service.provenance's: the plugin installs into repositories that have no `service`.
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
