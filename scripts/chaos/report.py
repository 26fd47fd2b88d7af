"""reports/reliability.md: one row per scenario, then each scenario's checks."""

from __future__ import annotations

from typing import Any


def _latency(scenario: dict[str, Any], phase: str) -> str:
    figures = scenario["latency_ms"].get(phase)
    return "–" if figures is None else f"{figures['p50']:.1f} / {figures['p99']:.1f}"


def _failed(requests: dict[str, Any]) -> str:
    kinds = requests["failed"]
    total = sum(kinds.values())
    return "0" if not total else f"{total} (" + ", ".join(f"{kind} {n}" for kind, n in kinds.items()) + ")"


def markdown(results: dict[str, Any]) -> str:
    """Give the Markdown summary of a chaos run."""
    host = results["machine"]
    lines = [
        f"# Reliability: {results['status']}",
        "",
        f"{results['image']} at {results['git_sha']}, {host['date']}, {host['cpus']} CPUs ({host['cpu_model']}), "
        f"load average before {host['loadavg_before']}; {results['seconds']:g} s in all.",
        "",
        "| scenario | target | requests | failed | p50 / p99 ms before | during | after | recovery s | verdict |",
        "|---|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for s in results["scenarios"]:
        recovery = "–" if s["recovery_s"] is None else f"{s['recovery_s']:g}"
        lines.append(f"| {s['name']} | {s['target']} | {s['requests']['sent']:,} | {_failed(s['requests'])} | "
                     f"{_latency(s, 'before')} | {_latency(s, 'during')} | {_latency(s, 'after')} | {recovery} | "
                     f"{s['verdict']} |")
    if results.get("not_run"):
        not_run = "; ".join(f"{name} ({why})" for name, why in results["not_run"].items())
        lines += ["", f"Not run (opt-in with --only): {not_run}"]
    for s in results["scenarios"]:
        lines += ["", f"## {s['name']}: {s['verdict']}", "", s["action"] + ".", ""]
        if s["error"]:
            lines += [f"Did not finish: {s['error']}", ""]
        lines += ["| check | measured | limit | |", "|---|---|---|---|"]
        lines += [f"| {c['what']} | {c['value']} | {c['limit']} | {'ok' if c['ok'] else 'FAILED'} |"
                  for c in s["checks"]]
    return "\n".join(lines) + "\n"
