"""Soak: half of the stack's capacity for a while; no errors, and no growth in memory, files or threads."""

from __future__ import annotations

import time

from scripts.chaos.context import PHASE_S, Context
from scripts.chaos.load import paced
from scripts.chaos.result import Outcome, failures
from scripts.chaos.targets import PeakUsage, host_pid, replicas, usage

WARM_UP_S = 10.0
SAMPLE_EVERY_S = 2.0
MAX_RSS_GROWTH = 0.05
SOAK_CONNECTIONS = 32
# Compared at rest: once idle connections have closed (uvicorn's keep-alive timeout is 5 s), an open
# connection more or less is not a leak.
QUIET_S = 7.0


def soak(ctx: Context) -> Outcome:
    """Paced load at half of what the stack answers saturated, sampling every replica's footprint."""
    outcome = Outcome("soak", target="front door",
                      action=f"{ctx.soak_s:g} s of single-row predictions at half of the stack's measured capacity")
    capacity = ctx.saturating.measure(ctx.door, PHASE_S)
    outcome.phases["before"] = capacity
    half, _ = paced(ctx.work, ctx.predict_body, ctx.door, capacity.rps / 2, SOAK_CONNECTIONS, WARM_UP_S)
    pids = {c: host_pid(c) for c in replicas()}
    time.sleep(QUIET_S)
    at_rest = {container: usage(pid) for container, pid in pids.items()}
    with PeakUsage(pids, SAMPLE_EVERY_S) as sampled:
        outcome.phases["during"] = half.measure(ctx.door, ctx.soak_s)
    time.sleep(QUIET_S)
    rested = {container: usage(pid) for container, pid in pids.items()}
    during = outcome.phases["during"]
    errors = failures(during)
    outcome.figures.update({"capacity_rps": round(capacity.rps), "soak_rps": round(during.rps),
                            "replicas": {c[:12]: {"at_rest_after_warm_up": vars(at_rest[c]),
                                                  "at_rest_after": vars(rested[c]),
                                                  "peak_under_load": vars(sampled.peak[c])}
                                         for c in pids}})
    outcome.check("errors during the soak", errors, errors == 0, "0")
    outcome.check("rate / capacity", round(during.rps / capacity.rps, 2), 0.3 <= during.rps / capacity.rps <= 0.7,
                  "about 0.5")
    for container in pids:
        name, first, last = container[:12], at_rest[container], rested[container]
        growth = (last.rss_mb - first.rss_mb) / first.rss_mb
        outcome.check(f"replica {name}: RSS growth after warm-up", f"{growth:.1%} ({first.rss_mb} -> {last.rss_mb} MB)",
                      growth < MAX_RSS_GROWTH, f"< {MAX_RSS_GROWTH:.0%}")
        outcome.check(f"replica {name}: open files at rest", f"{first.fds} -> {last.fds}", last.fds <= first.fds,
                      "no growth")
        outcome.check(f"replica {name}: threads", f"{first.threads} -> {last.threads}", last.threads <= first.threads,
                      "no growth")
    return outcome
