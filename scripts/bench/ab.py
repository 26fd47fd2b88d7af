"""`python -m scripts.bench.ab OLD [NEW]`: the service at two git revisions, A/B, on one machine in one run.

Measures what a rewrite must keep within 10% of today's: single-row /predict requests/s and p99,
and 1,000-row V2 rows/s (and, for the reader, /health/live, single-row V2, 100-row /predict).
NEW defaults to the working tree as it is, uncommitted changes included; any other revision runs
from a detached worktree under .bench/ab/<short sha>. Both sides run this venv's interpreter from
their own tree on the same bundle, pinned to CPU 0 with wrk on CPU 1, as scripts.bench.run does;
each round starts each afresh (the order alternates), waits for /health/ready, then gives every
scenario a warm-up and a counted run. Figures are medians over rounds: compare them within one run.

Reproduce: `.venv/bin/python -m scripts.bench.ab HEAD` (the working tree against HEAD);
`... ab HEAD HEAD` gives the noise floor of two identical servers (docs/bench.md).
Exit status: 0 when all three judged figures are within 10%, 1 when one is not, 2 when the run is
invalid (an answer outside 2xx, a socket error or timeout, a server that does not start).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scripts.bench import loadgen, machine, prepare, report, servers
from scripts.bench.run import LOAD_CPU, SERVER_CPU

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".bench/ab"
PYTHON = ROOT / ".venv/bin/python"
BUNDLE = ROOT / "artifacts/model"  # both sides serve this one
WORKTREE = "WORKTREE"  # NEW's default: the files in /work/main as they are now
SIDES = ("old", "new")
# scenario -> (method, path ("{v2}": the bundle's V2 infer route), body stem or None, rows per request)
SCENARIOS: dict[str, tuple[str, str, str | None, int]] = {
    "health-live": ("GET", "/health/live", None, 1),
    "predict-1": ("POST", "/predict", "predict-1", 1),
    "v2-1": ("POST", "{v2}", "v2-1", 1),
    "predict-100": ("POST", "/predict", "predict-100", 100),
    "v2-1000": ("POST", "{v2}", "v2-1000", 1000),
}
TOLERANCE = 0.10
# (figure, scenario, field, higher is better): what the requirement judges, new against old.
JUDGED = (("predict-1 req/s", "predict-1", "rps", True), ("predict-1 p99 ms", "predict-1", "p99_ms", False),
          ("v2-1000 rows/s", "v2-1000", "rows_per_s", True))


@dataclass(frozen=True)
class Revision:
    """One side of the comparison: the revision as given, its commit, the tree it runs from."""

    rev: str
    sha: str  # the working tree's HEAD when rev is WORKTREE
    tree: str
    uncommitted: list[str]  # `git status --porcelain` of the working tree; empty for a commit


def git(*args: str) -> str:
    """Give git's output for `args`, run in /work/main; raise on failure."""
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def checkout(rev: str) -> Revision:
    """Give `rev` checked out: the working tree itself, or a detached worktree under .bench/ab."""
    if rev == WORKTREE:
        return Revision(rev, git("rev-parse", "HEAD"), str(ROOT), git("status", "--porcelain").splitlines())
    sha = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    tree = WORK / git("rev-parse", "--short", sha)
    if not tree.exists():
        git("worktree", "add", "--detach", str(tree), sha)
    here = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tree, capture_output=True, text=True, check=True)
    if here.stdout.strip() != sha:
        raise RuntimeError(f"{tree} is at {here.stdout.strip()[:12]}, not {rev} ({sha[:12]}); remove it")
    return Revision(rev, sha, str(tree), [])


def environment(tree: Path) -> dict[str, str]:
    """Give the variables a server from `tree` runs with, after checking it imports that tree's `service`."""
    env = {"PYTHONPATH": str(tree)}  # replaces any inherited path: nothing else's `service` comes first
    done = subprocess.run([str(PYTHON), "-c", "import service; print(service.__file__)"], cwd=tree,
                          env={**os.environ, **env}, capture_output=True, text=True, check=True)
    imported = Path(done.stdout.strip()).resolve()
    if not imported.is_relative_to(tree.resolve() / "service"):
        raise RuntimeError(f"from {tree}, `import service` gives {imported}")
    return env


def measure(running: servers.Running, scenario: str, url: str, lua: Path, args: argparse.Namespace,
            round_: int) -> tuple[report.Sample, float]:
    """Give one counted run of `scenario` after its warm-up (whose errors count too), and CPU 0's other work.

    That is the share of the run's wall time the server's CPU spent on anything else (other
    processes, interrupts, the hypervisor's steal): on a shared machine, what shows a disturbed figure.
    """
    warm = loadgen.run(url, lua, args.warmup, args.connections, LOAD_CPU)
    pid = running.process.pid
    with servers.PeakRss(pid) as peak:
        before = (servers.cpu_seconds(pid), servers.cpu_busy_s(SERVER_CPU), time.monotonic())
        load = loadgen.run(url, lua, args.seconds, args.connections, LOAD_CPU)
        after = (servers.cpu_seconds(pid), servers.cpu_busy_s(SERVER_CPU), time.monotonic())
    cpu, busy, wall = (b - a for a, b in zip(before, after))
    sample = report.Sample(running.target.name, scenario, round_, SCENARIOS[scenario][3], load.rps, load.p50_ms,
                           load.p99_ms, load.errors + warm.errors, peak.peak_mb, cpu / max(load.requests, 1) * 1e6)
    return sample, max(busy - cpu, 0.0) / wall


def judge(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each judged figure: old and new medians, new/old, and whether new is within 10% of old."""
    verdicts = []
    for figure, scenario, field, higher in JUDGED:
        old, new = (report.lookup(table, {}, (side, scenario, field)) for side in SIDES)
        limit = 1 - TOLERANCE if higher else 1 + TOLERANCE
        within = new >= limit * old if higher else new <= limit * old
        verdicts.append({"figure": figure, "old": old, "new": new, "ratio": round(new / old, 4),
                         "op": ">=" if higher else "<=", "limit": round(limit, 2), "within": within})
    return verdicts


def table_text(table: list[dict[str, Any]], verdicts: list[dict[str, Any]]) -> str:
    """Give the medians of both sides per scenario, with new/old, and a verdict line per judged figure."""
    lines = ["| scenario | throughput | old | new | new/old | p99 ms old | new | new/old | CPU us/req old | new "
             "| new/old |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for scenario in dict.fromkeys(r["scenario"] for r in table):
        field = "rows_per_s" if scenario == "v2-1000" else "rps"
        cells = [f"| {scenario} | {'rows/s' if field == 'rows_per_s' else 'req/s'}"]
        for name, digits in ((field, 0), ("p99_ms", 2), ("cpu_us_per_request", 0)):
            old, new = (report.lookup(table, {}, (side, scenario, name)) for side in SIDES)
            cells.append(f"{old:,.{digits}f} | {new:,.{digits}f} | {new / old:.3f}")
        lines.append(" | ".join(cells) + " |")
    lines.append("")
    for v in verdicts:
        lines.append(f"{v['figure']}: new/old {v['ratio']:.3f} (wanted {v['op']} {v['limit']:.2f}): "
                     + ("within 10%" if v["within"] else "NOT within 10%"))
    return "\n".join(lines)


def prepare_run() -> tuple[str, dict[str, Path]]:
    """Give the bundle's V2 infer path and each scenario's wrk script, training the bundle if absent."""
    if not (BUNDLE / "bundle.json").exists():
        subprocess.run([str(PYTHON), "-m", "service.train", "--out", str(BUNDLE)], cwd=ROOT, check=True)
    v2 = "/v2/models/{}/infer".format(json.loads((BUNDLE / "bundle.json").read_text())["name"])
    config = ROOT / "stopline.toml"
    bodies = prepare.write_bodies(prepare.complete_rows(config), config, WORK / "bodies")
    scripts = {}
    for scenario, (method, _, stem, _) in SCENARIOS.items():
        scripts[scenario] = WORK / "lua" / f"{scenario}.lua"
        scripts[scenario].parent.mkdir(parents=True, exist_ok=True)
        scripts[scenario].write_text(loadgen.lua_script(method, bodies[stem] if stem else None))
    return v2, scripts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.ab", description=__doc__.splitlines()[0])
    parser.add_argument("old", metavar="OLD", help="git revision measured as today's")
    parser.add_argument("new", metavar="NEW", nargs="?", default=WORKTREE,
                        help="git revision measured against it (default: the working tree as it is)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; figures are medians (default 3)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each counted run (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up before each counted run (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports/ab.json")
    args = parser.parse_args(argv)
    if len(os.sched_getaffinity(0)) < 2 or not (shutil.which("wrk") and shutil.which("taskset")):
        print("ab: needs two CPUs, wrk and taskset (apt-get install -y wrk util-linux, as bench.sh does)",
              file=sys.stderr)
        return 2
    os.sched_setaffinity(0, {LOAD_CPU})  # this harness polls and samples: keep it off the server's CPU
    before = machine.host()
    try:
        revisions = dict(zip(SIDES, (checkout(args.old), checkout(args.new))))
        envs = {side: environment(Path(r.tree)) for side, r in revisions.items()}
        v2, scripts = prepare_run()
        measured = rounds(args, revisions, envs, v2, scripts)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"ab: INVALID run: {exc}", file=sys.stderr)
        return 2
    samples = [s for s, _ in measured]
    table = report.runs(samples)
    verdicts = judge(table)
    valid = all(s.errors == 0 for s in samples)
    after = machine.loadavg()
    document: dict[str, Any] = {
        "machine": {**before, "loadavg_after": after, "load_tool": machine.wrk_version()},
        "method": {"rounds": args.rounds, "seconds": args.seconds, "warmup_seconds": args.warmup,
                   "connections": args.connections, "server_cpu": SERVER_CPU, "load_cpu": LOAD_CPU,
                   "python": str(PYTHON), "bundle": str(BUNDLE),
                   "figures": "medians over rounds; ratios new/old between those medians"},
        "revisions": {side: asdict(r) for side, r in revisions.items()}, "valid": valid,
        "medians": table,
        "rounds": [{**asdict(s), "rows_per_s": s.rows_per_s, "cpu0_other_share": round(o, 4)} for s, o in measured],
        "verdicts": verdicts}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"old {args.old} ({revisions['old'].sha[:12]}) against new {args.new} ({revisions['new'].sha[:12]}"
          f"{', with uncommitted changes' if revisions['new'].uncommitted else ''})\n")
    print(table_text(table, verdicts))
    others = {side: [o for s, o in measured if s.target == side] for side in SIDES}
    print("CPU 0 busy with other work in the counted runs: " + ", ".join(
        f"{side} median {statistics.median(o):.1%}, most {max(o):.1%}" for side, o in others.items()))
    return report.exit_status("ab", args.out, (before["loadavg_before"], after),
                              None if valid else "answers outside 2xx, socket errors or timeouts",
                              all(v["within"] for v in verdicts))


def rounds(args: argparse.Namespace, revisions: dict[str, Revision], envs: dict[str, dict[str, str]], v2: str,
           scripts: dict[str, Path]) -> list[tuple[report.Sample, float]]:
    """Give every counted run: each round starts each side afresh, the order alternating between rounds."""
    measured = []
    for round_ in range(1, args.rounds + 1):
        for side in SIDES if round_ % 2 else SIDES[::-1]:
            tree = Path(revisions[side].tree)
            port = servers.free_port()
            command = [str(PYTHON), "-m", "service", "--bundle", str(BUNDLE), "--host", "127.0.0.1",
                       "--port", str(port)]
            target = servers.Target(side, command, tree, envs[side], port, "/health/ready")
            running = servers.start(target, SERVER_CPU, WORK / "logs" / f"{side}.log")
            try:
                if Path(f"/proc/{running.process.pid}/cwd").resolve() != tree.resolve():
                    raise RuntimeError(f"{side} does not run from {tree}")
                for scenario, (_, path, _, _) in SCENARIOS.items():
                    url = running.base + path.format(v2=v2)
                    sample, other = measure(running, scenario, url, scripts[scenario], args, round_)
                    measured.append((sample, other))
                    print(f"ab: round {round_} {side} {scenario:11} {sample.rps:9,.0f} req/s "
                          f"{sample.rows_per_s:11,.0f} rows/s  p99 {sample.p99_ms:7.2f} ms  errors {sample.errors}"
                          f"  CPU {sample.cpu_us_per_request:,.0f} us/req  CPU 0 other {other:.0%}", file=sys.stderr)
            finally:
                servers.stop(running)
    return measured


if __name__ == "__main__":
    sys.exit(main())
