"""From rounds of measurements to the report: medians per target and scenario, ratios, targets, a table.

Every figure in `runs` is the median over the rounds of that target and scenario;
every ratio is taken between those medians, from the same run. A run with any
answer outside 2xx, or any socket error or timeout, is invalid: the report says so
and the command exits non-zero, whatever the speed.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# (name, numerator, denominator or None, operator, limit): the bench's targets (docs/bench.md, Targets),
# each checked on one run.
TARGETS = (
    ("single-row /predict req/s over MLServer's", ("stopline", "predict-1", "rps"), ("mlserver", "v2-1", "rps"),
     ">=", 15.0),
    ("single-row V2 req/s over MLServer's", ("stopline", "v2-1", "rps"), ("mlserver", "v2-1", "rps"), ">=", 15.0),
    ("single-row /predict p99 over MLServer's", ("stopline", "predict-1", "p99_ms"), ("mlserver", "v2-1", "p99_ms"),
     "<", 0.1),
    ("single-row V2 p99 over MLServer's", ("stopline", "v2-1", "p99_ms"), ("mlserver", "v2-1", "p99_ms"), "<", 0.1),
    ("/predict req/s over /health/live's", ("stopline", "predict-1", "rps"), ("stopline", "health-live", "rps"),
     ">=", 0.85),
    ("1,000-row V2 rows/s", ("stopline", "v2-1000", "rows_per_s"), None, ">=", 500_000),
    ("1,000-row V2 rows/s over MLServer's", ("stopline", "v2-1000", "rows_per_s"),
     ("mlserver", "v2-1000", "rows_per_s"), ">=", 5.0),
    ("start to ready over MLServer's", ("stopline", "start", "start_s"), ("mlserver", "start", "start_s"), "<=", 1 / 3),
    ("idle RSS (MB)", ("stopline", "start", "idle_rss_mb"), None, "<", 150.0),
)
# Ratios reported beside the targets, for the reader: the 100-row batches, and MLServer with its
# adaptive batching on (more throughput, a much longer tail), measured in the same run.
EXTRA_RATIOS = (
    ("100-row /predict rows/s over MLServer's", ("stopline", "predict-100", "rows_per_s"),
     ("mlserver", "v2-100", "rows_per_s")),
    ("100-row V2 rows/s over MLServer's", ("stopline", "v2-100", "rows_per_s"), ("mlserver", "v2-100", "rows_per_s")),
    ("single-row /predict req/s over batching MLServer's", ("stopline", "predict-1", "rps"),
     ("mlserver-batching", "v2-1", "rps")),
    ("single-row /predict p99 over batching MLServer's", ("stopline", "predict-1", "p99_ms"),
     ("mlserver-batching", "v2-1", "p99_ms")),
    ("1,000-row V2 rows/s over batching MLServer's", ("stopline", "v2-1000", "rows_per_s"),
     ("mlserver-batching", "v2-1000", "rows_per_s")),
    ("single-row /predict req/s over MLServer's, neither writing access logs", ("stopline-quiet", "predict-1", "rps"),
     ("mlserver", "v2-1", "rps")),
    ("single-row /predict p99 over MLServer's, neither writing access logs",
     ("stopline-quiet", "predict-1", "p99_ms"), ("mlserver", "v2-1", "p99_ms")),
    ("single-row V2 req/s over MLServer's, neither writing access logs", ("stopline-quiet", "v2-1", "rps"),
     ("mlserver", "v2-1", "rps")),
)
# How each measured server is named in the report: its target, and the configuration it ran with.
LABELS = {
    "stopline": ("stopline", "python -m service: one uvicorn worker, settings as shipped"),
    "stopline-quiet": ("stopline", "python -m service --log-level warning: no access log, as MLServer runs here"),
    "mlserver": ("mlserver", "parallel_workers 0, adaptive batching off (its default)"),
    "mlserver-batching": ("mlserver", "parallel_workers 0, adaptive batching: max_batch_size 16, max_batch_time 2 ms"),
}
RUN_FIELDS = ("rps", "rows_per_s", "p50_ms", "p99_ms", "cpu_us_per_request", "rss_mb")


@dataclass(frozen=True)
class Sample:
    """One counted wrk run of one scenario against one server (a key of LABELS), in one round."""

    target: str
    scenario: str
    round: int
    rows: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    rss_mb: float  # the server's peak resident set during this run
    cpu_us_per_request: float  # the server's CPU time per request: less disturbed by other load than req/s

    @property
    def rows_per_s(self) -> float:
        return self.rps * self.rows


def runs(samples: list[Sample]) -> list[dict[str, Any]]:
    """Give one entry per target and scenario, in first-seen order: medians over rounds, errors summed."""
    keys = list(dict.fromkeys((s.target, s.scenario) for s in samples))
    out = []
    for target, scenario in keys:
        mine = [s for s in samples if (s.target, s.scenario) == (target, scenario)]
        name, config = LABELS.get(target, (target, ""))
        out.append({
            "target": name, "config": config, "key": target, "scenario": scenario, "rows": mine[0].rows,
            "rps": round(statistics.median(s.rps for s in mine), 1),
            "rows_per_s": round(statistics.median(s.rows_per_s for s in mine), 1),
            "p50_ms": round(statistics.median(s.p50_ms for s in mine), 3),
            "p99_ms": round(statistics.median(s.p99_ms for s in mine), 3),
            "errors": sum(s.errors for s in mine),
            "rss_mb": round(max(s.rss_mb for s in mine), 1),
            "cpu_us_per_request": round(statistics.median(s.cpu_us_per_request for s in mine), 1),
            "rounds": [{"rps": round(s.rps, 1), "p99_ms": s.p99_ms, "errors": s.errors} for s in mine],
        })
    return out


def lookup(table: list[dict[str, Any]], starts: dict[str, dict[str, Any]], key: tuple[str, str, str]) -> float:
    """Give one figure: a run's field, or (scenario "start") a start-up figure of the target."""
    target, scenario, name = key
    if scenario == "start":
        return starts[target][name]
    for run in table:
        if (run["key"], run["scenario"]) == (target, scenario):
            return float(run[name])
    raise KeyError(f"no run of {target} {scenario}")


Verdicts = list[dict[str, Any]]


def check(table: list[dict[str, Any]], starts: dict[str, dict[str, Any]]) -> tuple[dict[str, float], Verdicts]:
    """Give the ratios (targets' and the extra ones) and each target with its value and verdict."""
    ratios: dict[str, float] = {}
    verdicts = []
    for name, top, bottom, op, limit in TARGETS:
        value = lookup(table, starts, top) / (lookup(table, starts, bottom) if bottom else 1.0)
        met = value >= limit if op == ">=" else value <= limit if op == "<=" else value < limit
        if bottom:
            ratios[name] = round(value, 4)
        verdicts.append({"target": name, "value": round(value, 4), "op": op, "limit": round(limit, 4), "met": met})
    for name, top, bottom in EXTRA_RATIOS:
        try:
            ratios[name] = round(lookup(table, starts, top) / lookup(table, starts, bottom), 4)
        except KeyError:
            continue  # that server was not measured in this run
    return ratios, verdicts


def table_text(table: list[dict[str, Any]], starts: dict[str, dict[str, Any]], verdicts: Verdicts,
               ratios: dict[str, float] | None = None) -> str:
    """Give the runs, the start-up figures, the targets and the other ratios as Markdown a terminal reads too."""
    lines = ["| target | scenario | req/s | rows/s | p50 ms | p99 ms | errors | RSS MB (peak) | CPU us/req |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in table:
        lines.append(f"| {_name(r)} | {r['scenario']} | {r['rps']:,.0f} | {r['rows_per_s']:,.0f} | "
                     f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} | {r['rss_mb']:.0f} | "
                     f"{r['cpu_us_per_request']:,.0f} |")
    lines += ["", "| target | start to ready s | idle RSS MB |", "|---|---:|---:|"]
    lines += [f"| {t} | {s['start_s']:.2f} | {s['idle_rss_mb']:.0f} |" for t, s in starts.items()]
    lines += ["", "| target | value | wanted | met |", "|---|---:|---:|---|"]
    lines += [f"| {v['target']} | {_num(v['value'])} | {v['op']} {_num(v['limit'])} | {'yes' if v['met'] else 'NO'} |"
              for v in verdicts]
    others = {name: value for name, value in (ratios or {}).items() if name not in {v["target"] for v in verdicts}}
    if others:
        lines += ["", "| other ratio, same run | value |", "|---|---:|"]
        lines += [f"| {name} | {_num(value)} |" for name, value in others.items()]
    return "\n".join(lines)


DISPLAY = {"mlserver-batching": "mlserver, adaptive batching", "stopline-quiet": "stopline, no access log"}


def exit_status(tool: str, out: Path, loadavg: tuple[str, str], invalid: str | None, passed: bool) -> int:
    """Print where the report went and under what load; give the exit status: 2 when the run is
    `invalid` (what made it so), else 0 when it `passed` and 1 when not."""
    before, after = loadavg
    print(f"\n{tool}: wrote {out} ({time.strftime('%Y-%m-%d %H:%M')}; load average before {before}, after {after})")
    if invalid:
        print(f"{tool}: INVALID run: {invalid} (see above)")
        return 2
    return 0 if passed else 1


def _name(run: dict[str, Any]) -> str:
    return DISPLAY.get(run["key"], str(run["target"]))


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
