"""make chaos's arithmetic: requests sent, succeeded and failed by kind, and when a verdict passes."""

import pytest

from scripts.bench.loadgen import Load
from scripts.chaos.report import markdown
from scripts.chaos.result import Outcome, failures

pytestmark = pytest.mark.unit


def load(statuses: dict[int, int], **socket_errors: int) -> Load:
    errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0, **socket_errors}
    return Load(requests=sum(statuses.values()), seconds=2.0, p50_ms=1.0, p90_ms=2.0, p99_ms=3.0, max_ms=4.0,
                errors=0, statuses=statuses, socket_errors=errors)


def test_requests_are_summed_over_phases_and_failures_named_by_kind():
    outcome = Outcome("x", action="did", target="t")
    outcome.phases["before"] = load({200: 100})
    outcome.phases["during"] = load({200: 90, 503: 4, 502: 1}, read=2, connect=3, write=5)
    # connect and write errors sent nothing; a read error lost a request that was sent
    assert outcome.requests() == {"sent": 197, "succeeded": 190,
                                  "failed": {"status 502": 1, "status 503": 4, "connect": 3, "read": 2, "write": 5}}
    assert failures(outcome.phases["during"]) == 15


def test_a_verdict_passes_only_with_checks_all_held_and_no_error():
    outcome = Outcome("x", action="did", target="t")
    assert not outcome.passed  # no check, no verdict
    outcome.check("a", 1, True, "1")
    assert outcome.passed
    outcome.check("b", 2, False, "<= 1")
    assert not outcome.passed
    assert outcome.to_json()["verdict"] == "failed"
    held = Outcome("y", action="did", target="t", error="RuntimeError: wrk failed")
    held.check("a", 1, True, "1")
    assert not held.passed


def test_the_report_shows_each_scenario_its_failures_and_its_failed_checks():
    outcome = Outcome("kill", action="killed one", target="front door", recovery_s=4.5)
    outcome.phases["during"] = load({200: 10, 502: 1})
    outcome.check("failed requests", "1 of 11", False, "0")
    results = {"status": "failed", "image": "img@sha256:1", "git_sha": "abc", "seconds": 12.0,
               "machine": {"date": "d", "cpus": 2, "cpu_model": "cpu", "loadavg_before": "0.1"},
               "scenarios": [outcome.to_json()]}
    text = markdown(results)
    assert "| kill | front door | 11 | 1 (status 502 1) | – | 1.0 / 3.0 | – | 4.5 | failed |" in text
    assert "| failed requests | 1 of 11 | 0 | FAILED |" in text
