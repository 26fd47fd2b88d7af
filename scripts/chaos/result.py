"""What a scenario measured and what it concluded: the rows of reports/reliability.json."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scripts.bench.loadgen import Load


def failures(load: Load) -> int:
    """Give the requests of one run that failed: answers outside 2xx and socket errors."""
    return sum(n for status, n in load.statuses.items() if not 200 <= status < 300) + sum(load.socket_errors.values())


@dataclass(frozen=True)
class Check:
    """One requirement of a scenario: what was measured, against what limit, and whether it held."""

    what: str
    value: Any
    limit: str
    ok: bool


@dataclass
class Outcome:
    """One scenario's record: what was done, the traffic in each phase, the checks and the verdict."""

    name: str
    action: str
    target: str
    phases: dict[str, Load] = field(default_factory=dict)  # before, during, after: one wrk run each
    recovery_s: float | None = None
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)  # what else the scenario measured
    error: str | None = None  # the scenario could not run to its end: a failed verdict

    def check(self, what: str, value: Any, ok: bool, limit: str) -> None:
        self.checks.append(Check(what, value, limit, bool(ok)))

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.checks) and all(c.ok for c in self.checks)

    def requests(self) -> dict[str, Any]:
        """Give the requests of every phase: sent, succeeded (2xx) and failed, by kind."""
        failed: dict[str, int] = {}
        sent = succeeded = 0
        for load in self.phases.values():
            # A connect or write error sent nothing; a read error or a timeout lost a request sent.
            sent += load.requests + load.socket_errors["read"] + load.socket_errors["timeout"]
            for status, n in load.statuses.items():
                if 200 <= status < 300:
                    succeeded += n
                else:
                    failed[f"status {status}"] = failed.get(f"status {status}", 0) + n
            for kind, n in load.socket_errors.items():
                if n:
                    failed[kind] = failed.get(kind, 0) + n
        return {"sent": sent, "succeeded": succeeded, "failed": failed}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "action": self.action, "target": self.target,
            "requests": self.requests(),
            "latency_ms": {phase: {"p50": load.p50_ms, "p99": load.p99_ms, "requests": load.requests,
                                   "rps": round(load.rps, 1)}
                           for phase, load in self.phases.items()},
            "recovery_s": self.recovery_s,
            "checks": [{"what": c.what, "value": c.value, "limit": c.limit, "ok": c.ok} for c in self.checks],
            "figures": self.figures,
            "error": self.error,
            "verdict": "passed" if self.passed else "failed",
        }
