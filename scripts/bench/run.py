"""`python -m scripts.bench.run`: stopline against MLServer, one machine, one run; writes reports/bench.json.

Each round starts each server in turn (the order alternates between rounds) on CPU 0,
times it from process start to a ready model, reads its idle RSS, then drives every
scenario with wrk on CPU 1: a warm-up, then a counted run of fixed length, all at the
same concurrency. Figures are medians over the rounds. Before any counting, both servers
must give scikit-learn's own probabilities for the same 1,000 rows.

Exit status: 0 when every target (docs/bench.md, Targets) is met, 1 when one is missed, 2 when a run
is invalid (any answer outside 2xx, socket error or timeout) or the servers disagree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import traceback
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from scripts.bench import loadgen, machine, prepare, report, servers
from scripts.bench.servers import Target

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".bench"
SERVER_CPU, LOAD_CPU = 0, 1
# A harness held up this long (servers.PeakRss.stalled_s) means the machine stopped, not the server.
MACHINE_STALL_S = 1.0
MEASURE_TRIES = 3
MLSERVER_PARALLEL_WORKERS = 0  # its fastest setting on one CPU (see docs/bench.md)
V2_INFER = "/v2/models/penguins/infer"
# scenario -> (method, path, body file stem or None, rows per request)
Scenario = tuple[str, str, "str | None", int]
SCENARIOS: dict[str, dict[str, Scenario]] = {
    "stopline": {
        "health-live": ("GET", "/health/live", None, 1),
        "predict-1": ("POST", "/predict", "predict-1", 1),
        "v2-1": ("POST", V2_INFER, "v2-1", 1),
        "predict-100": ("POST", "/predict", "predict-100", 100),
        "v2-100": ("POST", V2_INFER, "v2-100", 100),
        "v2-1000": ("POST", V2_INFER, "v2-1000", 1000),
    },
    # The service as MLServer runs here (debug false): no access log. The same single-row work
    # on both sides; the targets are still judged on stopline as shipped, with its access log.
    "stopline-quiet": {
        "predict-1": ("POST", "/predict", "predict-1", 1),
        "v2-1": ("POST", V2_INFER, "v2-1", 1),
    },
    "mlserver": {
        "health-live": ("GET", "/v2/health/live", None, 1),
        "v2-1": ("POST", V2_INFER, "mlserver-1", 1),
        "v2-100": ("POST", V2_INFER, "mlserver-100", 100),
        "v2-1000": ("POST", V2_INFER, "mlserver-1000", 1000),
    },
    "mlserver-batching": {
        "v2-1": ("POST", V2_INFER, "mlserver-1", 1),
        "v2-100": ("POST", V2_INFER, "mlserver-100", 100),
        "v2-1000": ("POST", V2_INFER, "mlserver-1000", 1000),
    },
}
# MLServer's adaptive batching, for the second MLServer configuration: up to one request per
# connection, waiting at most 2 ms (its best single-row throughput here among 0.5, 2 and 5 ms).
MLSERVER_BATCHING = (16, 0.002)


def targets(bundle: Path, mlserver_model: Path) -> dict[str, Target]:
    """Give both servers as shipped, each on a free port of 127.0.0.1, one process (one worker) each."""
    port = servers.free_port()
    stopline = Target("stopline", [str(ROOT / ".venv/bin/python"), "-m", "service", "--bundle", str(bundle),
                                   "--host", "127.0.0.1", "--port", str(port)],
                      ROOT, {}, port, "/v2/models/penguins/ready")
    quiet = Target("stopline-quiet", [*stopline.command, "--log-level", "warning"], ROOT, {}, port,
                   stopline.ready_path)  # never running at once with `stopline`: the same port is free
    found = {"stopline": stopline, "stopline-quiet": quiet}
    for key, model_dir in (("mlserver", mlserver_model), ("mlserver-batching", mlserver_model.with_name(
            mlserver_model.name + "-batching"))):
        http, grpc, metrics = servers.free_port(), servers.free_port(), servers.free_port()
        found[key] = Target(key, [str(WORK / "mlserver-venv/bin/mlserver"), "start", "."], model_dir,
                            {"MLSERVER_HTTP_PORT": str(http), "MLSERVER_GRPC_PORT": str(grpc),
                             "MLSERVER_METRICS_PORT": str(metrics)}, http, "/v2/models/penguins/ready")
    return found


def agree(running: servers.Running, body: Path, expected: np.ndarray, classes: list[str]) -> float:
    """Give the largest gap between a server's probabilities for `body` and scikit-learn's own."""
    request = urllib.request.Request(running.base + V2_INFER, data=body.read_bytes(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        outputs = {o["name"]: o for o in json.load(response)["outputs"]}
    tensor = outputs.get("probabilities") or outputs["predict_proba"]
    served = np.array(tensor["data"], dtype=np.float64).reshape(tensor["shape"])
    if "label" in outputs:
        if outputs["label"]["data"] != [classes[i] for i in expected.argmax(axis=1)]:
            raise RuntimeError(f"{running.target.name}: labels differ from scikit-learn's")
    return float(np.max(np.abs(served - expected)))


def measure(running: servers.Running, scenario: str, lua: Path, seconds: float, warmup: float,
            connections: int, round_: int) -> report.Sample:
    """Give one counted run of `scenario` after its warm-up; a warm-up with errors counts as errors.

    Errors while the whole machine stalled (servers.PeakRss) say nothing of the server: that run
    is measured again, up to MEASURE_TRIES times in all. Errors without such a stall stand.
    """
    name = running.target.name
    _, path, _, rows = SCENARIOS[name][scenario]
    url = running.base + path
    pid = running.process.pid
    for attempt in range(1, MEASURE_TRIES + 1):
        with servers.PeakRss(pid) as peak:
            warm = loadgen.run(url, lua, warmup, connections, LOAD_CPU)
            cpu_before = servers.cpu_seconds(pid)
            load = loadgen.run(url, lua, seconds, connections, LOAD_CPU)
            cpu_after = servers.cpu_seconds(pid)
        errors = load.errors + warm.errors
        if not errors or peak.stalled_s < MACHINE_STALL_S or attempt == MEASURE_TRIES:
            break
        print(f"bench: round {round_} {name} {scenario}: {errors} errors while the machine stalled "
              f"{peak.stalled_s:.1f} s (the harness, off the server's CPU, stopped too); measuring again",
              file=sys.stderr)
    return report.Sample(name, scenario, round_, rows, load.rps, load.p50_ms, load.p99_ms, errors, peak.peak_mb,
                         (cpu_after - cpu_before) / max(load.requests, 1) * 1e6)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each counted run (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up before each counted run (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; figures are medians (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--bundle", type=Path, default=ROOT / "artifacts/model")
    parser.add_argument("--out", type=Path, default=ROOT / "reports/bench.json")
    args = parser.parse_args(argv)
    if len(os.sched_getaffinity(0)) < 2:
        print("bench: needs two CPUs, one for the server and one for the load", file=sys.stderr)
        return 2
    os.sched_setaffinity(0, {LOAD_CPU})  # this harness polls and samples: keep it off the server's CPU
    before = machine.describe()

    run = prepare.ensure_bundle(args.bundle, ROOT / "stopline.toml")
    prepare.write_mlserver_model(run, WORK / "mlserver-model", MLSERVER_PARALLEL_WORKERS)
    prepare.write_mlserver_model(run, WORK / "mlserver-model-batching", MLSERVER_PARALLEL_WORKERS, MLSERVER_BATCHING)
    bodies = prepare.write_bodies(prepare.complete_rows(ROOT / "stopline.toml"), ROOT / "stopline.toml",
                                  WORK / "bodies")
    expected = prepare.expected_probabilities(run, bodies["mlserver-1000"].read_bytes())
    scripts = {}
    for key, scenarios in SCENARIOS.items():
        for scenario, (method, _, stem, _) in scenarios.items():
            scripts[key, scenario] = lua = WORK / "lua" / f"{key}-{scenario}.lua"
            lua.parent.mkdir(parents=True, exist_ok=True)
            lua.write_text(loadgen.lua_script(method, bodies[stem] if stem else None))
    floor = machine.floor(args.bundle, bodies["predict-1"], SERVER_CPU)
    print(f"bench: model floor in process {floor}", file=sys.stderr)

    samples: list[report.Sample] = []
    starts: dict[str, list[tuple[float, float]]] = {name: [] for name in SCENARIOS}
    gaps: dict[str, float] = {}
    order = list(SCENARIOS)
    for round_ in range(1, args.rounds + 1):
        for name in order if round_ % 2 else order[::-1]:
            server = targets(args.bundle, WORK / "mlserver-model")[name]
            running = servers.start(server, SERVER_CPU, WORK / "logs" / f"{name}.log")
            try:
                starts[name].append((running.start_s, running.idle_rss_mb))
                print(f"bench: round {round_} {name} ready in {running.start_s:.2f} s, "
                      f"idle RSS {running.idle_rss_mb:.0f} MB", file=sys.stderr)
                if round_ == 1:  # both must give scikit-learn's answers before anything is counted
                    body = bodies["v2-1000" if name.startswith("stopline") else "mlserver-1000"]
                    gaps[name] = agree(running, body, expected, list(run.card.classes))
                for scenario in SCENARIOS[name]:
                    sample = measure(running, scenario, scripts[name, scenario], args.seconds, args.warmup,
                                     args.connections, round_)
                    samples.append(sample)
                    print(f"bench: round {round_} {name:8} {scenario:11} {sample.rps:9,.0f} req/s "
                          f"{sample.rows_per_s:11,.0f} rows/s  p99 {sample.p99_ms:7.2f} ms  "
                          f"errors {sample.errors}  CPU {sample.cpu_us_per_request:,.0f} us/req", file=sys.stderr)
            finally:
                servers.stop(running)
    return finish(args, before, floor, samples, starts, gaps)


def finish(args: argparse.Namespace, before: dict[str, Any], floor: dict[str, Any], samples: list[report.Sample],
           starts: dict[str, list[tuple[float, float]]], gaps: dict[str, float]) -> int:
    """Write the report, print the table; give the exit status."""
    table = report.runs(samples)
    start_figures: dict[str, dict[str, Any]] = {
        name: {"start_s": round(statistics.median(s for s, _ in values), 3),
               "idle_rss_mb": round(statistics.median(r for _, r in values), 1),
               "start_s_rounds": [round(s, 3) for s, _ in values],
               "idle_rss_mb_rounds": [round(r, 1) for _, r in values]}
        for name, values in starts.items()
    }
    ratios, verdicts = report.check(table, start_figures)
    valid = all(r["errors"] == 0 for r in table) and all(gap <= 1e-5 for gap in gaps.values())
    after = machine.loadavg()
    document: dict[str, Any] = {
        "machine": {**before, "loadavg_after": after},
        "method": {"seconds": args.seconds, "warmup_seconds": args.warmup, "rounds": args.rounds,
                   "connections": args.connections, "server_cpu": SERVER_CPU, "load_cpu": LOAD_CPU,
                   "load_tool": machine.wrk_version(), "stopline": "python -m service, one uvicorn worker",
                   "stopline-quiet": "the same with --log-level warning: no access log, as MLServer here",
                   "mlserver": {"parallel_workers": MLSERVER_PARALLEL_WORKERS, "debug": False,
                                "input": "the same rows pre-encoded: one FP32 [n, 10] tensor",
                                "outputs": ["predict_proba"],
                                "adaptive_batching": "off for 'mlserver'; max_batch_size {}, max_batch_time {} s "
                                                     "for 'mlserver-batching'".format(*MLSERVER_BATCHING)},
                   "figures": "medians over rounds; ratios between those medians"},
        "valid": valid,
        "agreement_max_abs_diff": gaps,
        "runs": table,
        "start": start_figures,
        "model_floor_in_process": floor,
        "ratios": ratios,
        "targets": verdicts,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    text = report.table_text(table, start_figures, verdicts, ratios)
    args.out.with_suffix(".md").write_text(text + "\n")
    print(text)
    return report.exit_status("bench", args.out, (before["loadavg_before"], after),
                              None if valid else "answers outside 2xx, socket errors or disagreeing servers",
                              all(v["met"] for v in verdicts))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # a crash (a server that died, a wrong answer) is an invalid run, never a missed target
        traceback.print_exc()
        print("bench: INVALID run: it stopped on the error above", file=sys.stderr)
        sys.exit(2)
