"""Faults at the delivery end: the line stops, what served before still serves, no client notices.

Each case runs the whole line (`pytest -x`) in a scratch copy holding one fault.
For a release that crashes at start only where it is deployed, and one that
is healthy but answers wrongly there, a probe sends single-row predictions
through the front door throughout, at 20 or more a second, and none may fail.
A challenger worse than the deployed champion stops at the model stage, and
nothing is pushed. They need a release serving: `make pipeline` first.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import tomllib
import urllib.request
from pathlib import Path

import httpx
import pytest

from pytest_stopline.stages import STAGES
from scripts.deploy.releases import Outcome, Release, known, read
from scripts.deploy.settings import FRONT_DOOR, HISTORY, REGISTRY
from scripts.deploy.swarm import serving
from scripts.deploy.verify import wait_until_served
from tests.golden import golden_set

from .scratch import commit, scratch_copy
from .test_stop_the_line import FAULTS

pytestmark = pytest.mark.deploy

PROBE_INTERVAL_S = 0.04  # asks 25 requests a second
MIN_RATE = 20
PROBE_LIMIT = 40_000  # bounded in count as well as time: 25/s for the longest pipeline allowed


class Probe(threading.Thread):
    """Single-row predictions through the front door, one after another, until stopped; counts failures."""

    def __init__(self, record: dict) -> None:
        super().__init__(daemon=True)
        self.record, self.sent, self.failures = record, 0, []
        self.halt = threading.Event()
        self.seconds = 0.0

    def run(self) -> None:
        started = time.monotonic()
        with httpx.Client(base_url=FRONT_DOOR, timeout=5) as client:
            while not self.halt.is_set() and self.sent < PROBE_LIMIT:
                began = time.monotonic()
                try:
                    answer = client.post("/predict", json={"instances": [self.record]})
                    if answer.status_code != 200:
                        self.failures.append(f"{answer.status_code}: {answer.text[:200]}")
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                self.sent += 1
                self.halt.wait(max(0.0, PROBE_INTERVAL_S - (time.monotonic() - began)))
        self.seconds = time.monotonic() - started

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def with_stack_environment(project: Path, variables: dict[str, str]) -> None:
    """Give the scratch stack's service extra environment: a fault that only the deployment has."""
    stack = project / "deploy" / "stack.yml"
    lines = "".join(f'      {name}: "{value}"\n' for name, value in variables.items())
    text = stack.read_text()
    assert "    init: true\n" in text
    stack.write_text(text.replace("    init: true\n", f"    init: true\n    environment:\n{lines}", 1))


# fault: (the deployment's environment, the outcome recorded, words in the deploy stage's failure)
DEPLOY_FAULTS = {
    # The bundle path points nowhere: each new replica exits at start; Swarm rolls the update back.
    "crashes at start": ({"STOPLINE_SERVICE_BUNDLE": "/app/absent"}, Outcome.ROLLED_BACK, "rolled"),
    # Healthy and ready, but one row per request: the golden holdout, sent as one batch, is refused.
    "fails verification": ({"STOPLINE_SERVICE_MAX_BATCH_ROWS": "1"}, Outcome.REFUSED, "golden"),
}


def test_every_stage_has_a_fault():
    assert set(FAULTS) | {"deploy"} == set(STAGES)


@pytest.fixture
def serving_release() -> Release:
    now = serving()
    if now is None:
        pytest.fail("these faults need a release serving: run make pipeline first", pytrace=False)
    release = known(read(HISTORY), now.digest)
    assert release is not None, f"{now.image} serves but is not in {HISTORY}"
    return release


def run_line(project: Path) -> tuple[subprocess.CompletedProcess, dict]:
    done = subprocess.run([str(project / ".venv" / "bin" / "pytest"), "-x", "-q"],
                          cwd=project, capture_output=True, text=True, timeout=1200)
    return done, json.loads((project / "reports" / "pipeline.json").read_text())


def assert_stopped_at(stage: str, done: subprocess.CompletedProcess, report: dict) -> None:
    tail = done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode == 1, tail
    assert report["stopped_at"] == stage, tail
    statuses = [s["status"] for s in report["stages"]]
    position = STAGES.index(stage)
    assert statuses == ["passed"] * position + ["failed"] + ["not_run"] * (len(STAGES) - position - 1), statuses


@pytest.mark.parametrize("fault", DEPLOY_FAULTS)
def test_a_bad_release_is_undone_and_no_request_through_the_front_door_fails(tmp_path, fault, serving_release):
    environment, outcome, words = DEPLOY_FAULTS[fault]
    project = scratch_copy(tmp_path)
    with_stack_environment(project, environment)
    sha = commit(project)
    recorded = len(read(HISTORY))
    probe = Probe(golden_set().records[0])
    probe.start()
    try:
        done, report = run_line(project)
    finally:
        probe.stop()
    assert_stopped_at("deploy", done, report)
    deploy = report["stages"][-1]
    assert words in deploy["first_failure"], deploy["first_failure"]
    # Recorded once, as what happened; what served before serves again, on every replica.
    (entry,) = read(HISTORY)[recorded:]
    assert (entry.outcome, entry.replaced) == (outcome, serving_release.digest), entry
    assert entry.release.git_sha.startswith(sha)
    now = serving()
    assert now is not None and now.image == serving_release.image
    wait_until_served(FRONT_DOOR, serving_release)
    assert json.loads((project / "reports" / "release.json").read_text())["digest"] == serving_release.digest
    print(f"{fault}: deploy stage {deploy['seconds']:.1f} s, figures {deploy.get('figures')}; probe "
          f"{probe.sent} requests in {probe.seconds:.0f} s ({probe.rate:.1f}/s), {len(probe.failures)} failed")
    assert probe.failures == [], probe.failures[:5]
    assert probe.rate >= MIN_RATE


def worse_model(project: Path) -> None:
    """Make the project's model far worse while it still passes every threshold: a heavy regulariser,
    thresholds out of the way, no declared checks. Only the champion comparison can catch it."""
    path = project / "stopline.toml"
    text = path.read_text(encoding="utf-8")
    project_file = tomllib.loads(text)
    margin = project_file.get("gate", {}).get("max_regression", 0.01)
    if project_file.get("task", "classification") == "classification":
        model, gate = 'estimator = "logistic_regression"\nC = 0.0001\n', "min_macro_f1 = 0.0\n"
    else:
        model, gate = 'estimator = "ridge"\nalpha = 1000000.0\n', "min_r2 = -1000000.0\n"
    path.write_text(rewrite_tables(text, {"model": model, "gate": f"{gate}max_regression = {margin}\n"},
                                   drop="checks"), encoding="utf-8")


def rewrite_tables(text: str, bodies: dict[str, str], drop: str) -> str:
    """Give TOML `text` with the tables in `bodies` given new bodies and every table under `drop` left out."""
    out, header = [], None
    for line in text.splitlines(keepends=True):
        found = re.match(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$", line)
        if found:
            header = found.group(1)
            if header in bodies:
                out += [line, bodies[header]]
                continue
        if header is not None and (header in bodies or header == drop or header.startswith(f"{drop}.")):
            continue
        out.append(line)
    return "".join(out)


def registry_tags() -> list[str]:
    with urllib.request.urlopen(f"http://{REGISTRY}/v2/stopline/tags/list", timeout=5) as answer:
        return list(json.load(answer)["tags"] or [])


def test_a_challenger_worse_than_the_deployed_champion_stops_at_model_and_nothing_is_pushed(
        tmp_path, serving_release):
    project = scratch_copy(tmp_path)
    worse_model(project)
    sha = commit(project)
    recorded, tags = len(read(HISTORY)), registry_tags()
    done, report = run_line(project)
    assert_stopped_at("model", done, report)
    model = report["stages"][STAGES.index("model")]
    assert "regresses from the champion" in model["first_failure"], model["first_failure"]
    assert serving_release.digest in model["figures"]["champion"]
    assert not [t for t in registry_tags() if t.startswith(sha)] and len(registry_tags()) == len(tags)
    assert len(read(HISTORY)) == recorded
    now = serving()
    assert now is not None and now.image == serving_release.image


def test_a_new_commit_rolls_out_and_make_rollback_returns_with_no_failed_request(tmp_path, serving_release):
    # Not a fault: the same line on a second commit (so a second digest) must go out without a client
    # noticing, and `make rollback` must bring back the release that served before, also unnoticed.
    project = scratch_copy(tmp_path)
    sha = commit(project)
    probe = Probe(golden_set().records[0])
    probe.start()
    try:
        done, report = run_line(project)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        assert report["status"] == "passed" and "DEPLOYED 127.0.0.1" in done.stdout
        now = serving()
        assert now is not None and now.image != serving_release.image
        assert read(HISTORY)[-1].release.git_sha.startswith(sha)
        assert read(HISTORY)[-1].replaced == serving_release.digest
        back = subprocess.run([str(project / ".venv" / "bin" / "python"), "-m", "scripts.deploy", "rollback"],
                              cwd=project, capture_output=True, text=True, timeout=300)
        assert back.returncode == 0, back.stdout + back.stderr
    finally:
        probe.stop()
    now = serving()
    assert now is not None and now.image == serving_release.image
    assert read(HISTORY)[-1].outcome is Outcome.ROLLED_BACK_BY_COMMAND
    wait_until_served(FRONT_DOOR, serving_release)
    print(f"rollout and rollback: probe {probe.sent} requests in {probe.seconds:.0f} s ({probe.rate:.1f}/s), "
          f"{len(probe.failures)} failed; figures {report['stages'][-1].get('figures')}")
    assert probe.failures == [], probe.failures[:5]
    assert probe.rate >= MIN_RATE
