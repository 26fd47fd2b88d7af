"""Faults to the Swarm stack under load, seen through the front door: a rolling update, a replica
killed, a replica scaled away."""

from __future__ import annotations

import time

from scripts.chaos.context import PHASE_S, Context
from scripts.chaos.result import Outcome
from scripts.chaos.targets import replicas, wait_for_replicas
from scripts.deploy.docker import docker
from scripts.deploy.settings import REPLICAS, SERVICE
from scripts.deploy.swarm import serving, wait_for_rollout

MIN_RPS = 200
UPDATE_LOAD_S = 30.0  # a forced rolling update of 2 replicas takes about 11 s here
KILL_LOAD_S = 20.0
REPLACED_WITHIN_S = 15.0
MAX_FAILED_FRACTION = 0.001


def failed_fraction(outcome: Outcome) -> tuple[int, int]:
    """Give (failed, sent) over the scenario's phases."""
    requests = outcome.requests()
    return sum(requests["failed"].values()), requests["sent"]


def rolling_update(ctx: Context) -> Outcome:
    """Every replica replaced one at a time, start-first, while paced predictions run: none may fail."""
    outcome = Outcome("rolling update", target="front door",
                      action=f"docker service update --force {SERVICE}: each of {REPLICAS} replicas replaced, "
                             "start-first, one at a time, under paced single-row predictions")
    outcome.phases["before"] = ctx.steady.measure(ctx.door, PHASE_S)
    image = serving().image  # type: ignore[union-attr]
    run = ctx.steady.start(ctx.door, UPDATE_LOAD_S)
    time.sleep(1)
    started = time.time()
    docker("service", "update", "--force", "--detach", SERVICE)
    rollout = wait_for_rollout(image, started, timeout=UPDATE_LOAD_S - 2)
    outcome.recovery_s = rollout.seconds
    outcome.phases["during"] = run.result()
    outcome.phases["after"] = ctx.steady.measure(ctx.door, PHASE_S)
    failed, sent = failed_fraction(outcome)
    before, during = outcome.phases["before"], outcome.phases["during"]
    outcome.check("update completed within the load", f"{rollout.outcome}: {rollout.message} in {rollout.seconds} s",
                  rollout.outcome == "completed", f"completed in < {UPDATE_LOAD_S - 2:g} s")
    outcome.check("failed requests", f"{failed} of {sent}", failed == 0, "0")
    outcome.check("rate during the update", round(during.rps), during.rps >= MIN_RPS, f">= {MIN_RPS} req/s")
    outcome.check("p99 during / p99 before", round(during.p99_ms / before.p99_ms, 2),
                  during.p99_ms <= 3 * before.p99_ms, "<= 3")
    return outcome


def replica_killed(ctx: Context) -> Outcome:
    """SIGKILL to one replica under paced load: at most 0.1% fail; Swarm replaces it within 15 s."""
    outcome = Outcome("kill -9 of a replica", target="front door",
                      action="docker kill --signal KILL one healthy replica, under paced single-row predictions")
    outcome.phases["before"] = ctx.steady.measure(ctx.door, PHASE_S)
    run = ctx.steady.start(ctx.door, KILL_LOAD_S)
    time.sleep(2)
    victim = replicas(healthy_only=True)[0]
    killed = time.monotonic()
    docker("kill", "--signal", "KILL", victim)
    outcome.recovery_s = wait_for_replicas(REPLICAS, killed, KILL_LOAD_S, exclude={victim})
    outcome.phases["during"] = run.result()
    outcome.phases["after"] = ctx.steady.measure(ctx.door, PHASE_S)
    failed, sent = failed_fraction(outcome)
    outcome.check("failed requests", f"{failed} of {sent}", failed <= MAX_FAILED_FRACTION * sent, "<= 0.1%")
    outcome.check("replaced and healthy after (s)", outcome.recovery_s,
                  outcome.recovery_s is not None and outcome.recovery_s <= REPLACED_WITHIN_S,
                  f"<= {REPLACED_WITHIN_S:g}")
    return outcome


def replica_scaled_down(ctx: Context) -> Outcome:
    """`docker service scale` to one replica under paced load: the stopped one drains, none fail."""
    outcome = Outcome("scale down (SIGTERM to a replica)", target="front door",
                      action=f"docker service scale {SERVICE}={REPLICAS - 1}, then back to {REPLICAS}, "
                             "under paced single-row predictions")
    outcome.phases["before"] = ctx.steady.measure(ctx.door, PHASE_S)
    before_ids = set(replicas())
    run = ctx.steady.start(ctx.door, KILL_LOAD_S)
    time.sleep(2)
    scaled = time.monotonic()
    docker("service", "scale", "--detach", f"{SERVICE}={REPLICAS - 1}")
    stopped = _wait_gone(before_ids, scaled, timeout=20)
    exits = [_exit_code(c) for c in before_ids - set(replicas())]
    outcome.figures["stopped_after_s"] = stopped
    outcome.figures["exit_codes"] = exits
    docker("service", "scale", "--detach", f"{SERVICE}={REPLICAS}")
    outcome.recovery_s = wait_for_replicas(REPLICAS, scaled, KILL_LOAD_S + 10)
    outcome.phases["during"] = run.result()
    outcome.phases["after"] = ctx.steady.measure(ctx.door, PHASE_S)
    failed, sent = failed_fraction(outcome)
    outcome.check("failed requests", f"{failed} of {sent}", failed == 0, "0")
    outcome.check("stopped replica's exit status", exits, exits == [0], "[0]")
    outcome.check("stopped within the grace period (s)", stopped, stopped is not None and stopped <= 15, "<= 15")
    return outcome


def _wait_gone(ids: set[str], since: float, timeout: float) -> float | None:
    while time.monotonic() - since < timeout:
        if len(ids & set(replicas())) < len(ids):
            return round(time.monotonic() - since, 2)
        time.sleep(0.1)
    return None


def _exit_code(container: str) -> int | None:
    done = docker("inspect", "--format", "{{.State.ExitCode}}", container, check=False)
    return int(done.stdout.strip()) if done.returncode == 0 else None
