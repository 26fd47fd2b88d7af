"""Slow and idle clients beside normal ones: the slow are dropped by timeouts, the normal do not notice.

500 connections send their headers a few bytes a second (slowhttptest's slowloris mode,
Debian's slowhttptest) and 500 more send one request each, then sit idle on the open
connection (wrk, each connection pausing 60 s after its answer), while paced normal clients run.
"""

from __future__ import annotations

import csv
import re
import subprocess
import time
from pathlib import Path

from scripts.bench import loadgen
from scripts.chaos.context import PHASE_S, Context
from scripts.chaos.load import Traffic
from scripts.chaos.result import Outcome, failures
from scripts.chaos.targets import Container

SLOW = 500
IDLE = 500
LOAD_S = 15.0
SLOW_S = 20  # slowhttptest's own limit; it ends earlier once every connection is closed
DROPPED_WITHIN_S = 10.0  # the head timeouts are 5 s at the front door and at the service
LATENCY_FACTOR = 5
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def slow_clients(ctx: Context, url: str, target: str) -> Outcome:
    outcome = Outcome("slow and idle clients", target=target,
                      action=f"{SLOW} connections sending headers a few bytes a second (slowhttptest -H) and {IDLE} "
                             "idle keep-alive connections (wrk, 60 s between requests), beside paced normal clients")
    outcome.phases["before"] = before = ctx.steady.measure(url, PHASE_S)
    report = ctx.work / f"slowloris-{target.replace(' ', '-')}"
    slow = subprocess.Popen(["slowhttptest", "-H", "-c", str(SLOW), "-r", str(SLOW), "-i", "1", "-x", "2",
                             "-l", str(SLOW_S), "-p", "3", "-g", "-o", str(report), "-u", url + "/health/live"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    idle_script = ctx.work / "idle.lua"
    idle_script.write_text(loadgen.lua_script("GET", None, delay_ms=60_000))
    idle = Traffic(idle_script, IDLE, path="/health/live").start(url, LOAD_S)
    time.sleep(2)  # every slow and idle connection open
    outcome.phases["during"] = during = ctx.steady.measure(url, LOAD_S - 4)
    idle_load = idle.result()
    try:
        said = slow.communicate(timeout=SLOW_S + 30)[0]
    except subprocess.TimeoutExpired:
        slow.kill()
        said = slow.communicate()[0]
    outcome.phases["after"] = ctx.steady.measure(url, PHASE_S)
    held, dropped_after = _slowloris(report.with_suffix(".csv"), said)
    # Each idle connection asks once, then waits 60 s: every request past the first on one is wrk
    # opening it again after the server closed it.
    reopened = idle_load.requests - IDLE
    outcome.figures.update({"slowloris_held": held, "slowloris_all_closed_after_s": dropped_after,
                            "idle_requests": idle_load.requests, "idle_reopened": reopened})
    outcome.check("normal clients' failed requests", failures(during), failures(during) == 0, "0")
    outcome.check("normal p99 / unloaded p99", round(during.p99_ms / before.p99_ms, 2),
                  during.p99_ms <= LATENCY_FACTOR * before.p99_ms, f"<= {LATENCY_FACTOR}")
    outcome.check("slow connections held at once", held, held >= 0.9 * SLOW, f">= {int(0.9 * SLOW)} of {SLOW}")
    outcome.check("slow connections all dropped after (s)", dropped_after,
                  dropped_after is not None and dropped_after <= DROPPED_WITHIN_S, f"<= {DROPPED_WITHIN_S:g}")
    outcome.check("idle connections closed by the server (and reopened by wrk)", reopened, reopened >= 0.9 * IDLE,
                  f">= {int(0.9 * IDLE)} in {LOAD_S:g} s")
    return outcome


def _slowloris(report: Path, said: str) -> tuple[int, float | None]:
    """Give the most slow connections open at once (slowhttptest's CSV), and the second it found none left."""
    with report.open() as rows:
        held = max(int(r["Connected"]) for r in csv.DictReader(rows))
    ended = re.search(r"Test ended on (\d+)\w* second", ANSI.sub("", said))
    if ended is None or "No open connections left" not in said:
        return held, None
    return held, float(ended.group(1))


def at_front_door(ctx: Context) -> Outcome:
    return slow_clients(ctx, ctx.door, "front door")


def at_container(ctx: Context, container: Container) -> Outcome:
    return slow_clients(ctx, container.url, "single container")
