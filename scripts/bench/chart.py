"""Draw reports/bench.json as a PNG: throughput and p99 latency per scenario, one bar per target.

Runs in the benchmark's own venv (.bench/mlserver-venv has matplotlib), so it needs
nothing from the project: `python scripts/bench/chart.py reports/bench.json reports/bench.png`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

COLOURS = {"stopline": "#1f77b4", "stopline-quiet": "#9ecae1", "mlserver": "#ff7f0e", "mlserver-batching": "#fdbf6f"}
NAMES = {"stopline": "stopline", "stopline-quiet": "stopline, no access log", "mlserver": "MLServer",
         "mlserver-batching": "MLServer, adaptive batching"}
SCENARIOS = ("health-live", "predict-1", "v2-1", "predict-100", "v2-100", "v2-1000")


def draw(report: dict, out: Path) -> None:
    """Write the chart of `report` to `out`."""
    runs = {(r.get("key", r["target"]), r["scenario"]): r for r in report["runs"]}
    keys = [k for k in COLOURS if any(key == k for key, _ in runs)]
    scenarios = [s for s in SCENARIOS if any((k, s) in runs for k in keys)]
    fig, (rows_ax, p99_ax) = plt.subplots(1, 2, figsize=(14, 5.5))
    width = 0.8 / len(keys)
    for n, key in enumerate(keys):
        offset = (n - (len(keys) - 1) / 2) * width
        xs = [i + offset for i, s in enumerate(scenarios) if (key, s) in runs]
        mine = [runs[key, s] for s in scenarios if (key, s) in runs]
        bars = rows_ax.bar(xs, [r["rows_per_s"] for r in mine], width, label=NAMES[key], color=COLOURS[key])
        rows_ax.bar_label(bars, labels=[_short(r["rows_per_s"]) for r in mine], fontsize=6)
        bars = p99_ax.bar(xs, [r["p99_ms"] for r in mine], width, label=NAMES[key], color=COLOURS[key])
        p99_ax.bar_label(bars, labels=[f"{r['p99_ms']:.1f}" for r in mine], fontsize=6)
    for ax, title in ((rows_ax, "throughput: rows/s (requests/s x rows each), log scale"),
                      (p99_ax, "p99 latency, ms, log scale")):
        ax.set_xticks(range(len(scenarios)), scenarios, rotation=20)
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    method = report["method"]
    machine = report["machine"]
    fig.suptitle(f"stopline vs MLServer {machine['mlserver_versions']['mlserver']}, one CPU each, wrk "
                 f"{method['connections']} connections, {method['seconds']:g} s x {method['rounds']} rounds "
                 f"(medians); {machine['cpu_model']}, {machine['date'][:10]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def _short(value: float) -> str:
    return f"{value / 1e6:.2f}M" if value >= 1e6 else f"{value / 1e3:.1f}k" if value >= 1e3 else f"{value:.0f}"


if __name__ == "__main__":
    source, target = (Path(a) for a in sys.argv[1:3])
    draw(json.loads(source.read_text()), target)
    print(f"chart: wrote {target}", file=sys.stderr)
