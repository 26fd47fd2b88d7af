"""Faults at delivery: the registry down during a deploy, a full disk under the release history.

Both run the deploy stage alone, as CI's deploy job does (`STOPLINE_IMAGE=ref@sha256:… pytest -m
deploy`), on the image that serves, while paced predictions run through the front door. Its
reports go to build/chaos, not over the pipeline's own in reports/.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
from pathlib import Path

from scripts.chaos.context import Context
from scripts.chaos.result import Outcome
from scripts.deploy.docker import DeployError
from scripts.deploy.releases import read
from scripts.deploy.settings import HISTORY, REGISTRY, ROOT, STATE
from scripts.deploy.swarm import serving

STATE_TMPFS_BYTES = 1024 * 1024
LOAD_LIMIT_S = 300  # the paced load is stopped when the scenario ends; this bounds it


def deploy_stage(ctx: Context, name: str, env: dict[str, str] | None = None) -> tuple[int, str, dict]:
    """Run the deploy stage alone on what serves; give its exit status, its output and its pipeline report."""
    out = ctx.work / name
    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "pytest"), "-m", "deploy", "-p", "no:cacheprovider", "--pipeline-reports",
         str(out), f"--junitxml={out / 'junit.xml'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "STOPLINE_IMAGE": ctx.image, **(env or {})})
    (out / "output.txt").write_text(done.stdout + done.stderr)
    report = json.loads((out / "pipeline.json").read_text()) if (out / "pipeline.json").exists() else {}
    return done.returncode, done.stdout + done.stderr, report


def registry_down(ctx: Context) -> Outcome:
    """The registry hung: the deploy stage fails naming it, nothing changes; answering again, it deploys."""
    outcome = Outcome("registry down during a deploy", target="front door",
                      action="the registry frozen (SIGSTOP: it holds its port and answers nothing, as a hung "
                             "registry does), the deploy stage run on the serving image; the registry thawed, the "
                             "deploy stage run once more; paced predictions throughout")
    before = serving()
    run = ctx.steady.start(ctx.door, LOAD_LIMIT_S)
    registry = _registry_pid()
    # Stopped, not ended: the deploy stage starts a registry that is not running, and this one
    # holds its port, as a hung registry would; only a registry that answers again ends the fault.
    os.kill(registry, signal.SIGSTOP)
    try:
        code, output, report = deploy_stage(ctx, "registry-down")
        after_failure = serving()
    finally:
        os.kill(registry, signal.SIGCONT)
    code_again, _, report_again = deploy_stage(ctx, "registry-back")
    outcome.phases["during"] = run.stop()
    failure = _failure_line(output)
    named = (report.get("stopped_at") == "deploy" and "in_the_registry_by_digest" in failure
             and f"docker-registry did not answer on {REGISTRY}" in output)
    outcome.figures["stage_failed_with"] = failure
    outcome.check("deploy stage with the registry down", f"exit {code}, stopped at {report.get('stopped_at')}",
                  code == 1 and named, f"exit 1, at deploy's first test: docker-registry did not answer on {REGISTRY}")
    outcome.check("what serves after the failure", after_failure and after_failure.image,
                  after_failure is not None and before is not None and after_failure.updated_at == before.updated_at,
                  "unchanged (same spec, not updated)")
    outcome.check("deploy stage with the registry back", f"exit {code_again}, {report_again.get('status')}",
                  code_again == 0 and report_again.get("status") == "passed", "passes")
    failed = sum(outcome.requests()["failed"].values())
    outcome.check("failed requests", f"{failed} of {outcome.requests()['sent']}", failed == 0, "0")
    return outcome


def full_disk(ctx: Context) -> Outcome:
    """The state directory on a full tmpfs: recording fails loudly, the history keeps no half entry, all serves."""
    outcome = Outcome("full disk under the release history", target="front door",
                      action=f"a copy of the state directory on a {STATE_TMPFS_BYTES // 1024} KiB tmpfs filled to the "
                             "last byte, the deploy stage run on the serving image against it; paced predictions")
    state = ctx.work / "full-state"
    state.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={STATE_TMPFS_BYTES}", "stopline-chaos", str(state)],
                   check=True, capture_output=True, text=True)
    try:
        history = state / HISTORY.name
        history.write_bytes(HISTORY.read_bytes())
        _fill(state / "filler")
        kept = hashlib.sha256(history.read_bytes()).hexdigest()
        files_before = sorted(p.name for p in state.iterdir())
        run = ctx.steady.start(ctx.door, LOAD_LIMIT_S)
        before = serving()
        code, output, report = deploy_stage(ctx, "full-disk", env={"STOPLINE_STATE": str(state)})
        outcome.phases["during"] = run.stop()
        now = serving()
        same = hashlib.sha256(history.read_bytes()).hexdigest() == kept
        files_after = sorted(p.name for p in state.iterdir())
        read(history)  # raises, naming the line, if any entry were damaged
    finally:
        subprocess.run(["umount", str(state)], check=False, capture_output=True)
    loud = "No space left on device" in output and "the history is unchanged" in output
    outcome.figures["stage_failed_with"] = _failure_line(output)
    outcome.check("deploy stage on a full disk", f"exit {code}, stopped at {report.get('stopped_at')}",
                  code == 1 and report.get("stopped_at") == "deploy" and loud,
                  "exit 1 at deploy: 'No space left on device', 'the history is unchanged'")
    outcome.check("the history", "byte for byte as before" if same else "CHANGED", same, "unchanged, no half entry")
    outcome.check("files in the state directory", files_after, files_after == files_before,
                  "no temporary file left")
    outcome.check("what serves", now and now.image, now is not None and before is not None
                  and now.image == before.image, "unchanged")
    failed = sum(outcome.requests()["failed"].values())
    outcome.check("failed requests", f"{failed} of {outcome.requests()['sent']}", failed == 0, "0")
    return outcome


def _registry_pid() -> int:
    """Give the pid of the registry scripts/deploy/registry.sh started (its pid file), checked to be it."""
    pid = int((STATE / "registry.pid").read_text())
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except FileNotFoundError:
        command = b""
    if not command.endswith(b"docker-registry"):
        raise DeployError(f"{STATE / 'registry.pid'} names pid {pid}, which is not docker-registry")
    return pid


def _fill(path: Path) -> None:
    """Write `path` until the file system has no byte left."""
    with path.open("wb", buffering=0) as out:
        try:
            while out.write(b"\0" * 4096):
                pass
        except OSError:
            pass


def _failure_line(output: str) -> str:
    """Give the first line of pytest's short summary that names a failure."""
    return next((line for line in output.splitlines() if line.startswith(("FAILED", "ERROR"))), "(none)")[:400]
