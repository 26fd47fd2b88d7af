"""Stop the line, proven: a fault injected at each stage stops the whole pipeline there.

Each case copies the project into a scratch git repository, injects one fault,
runs the single gate (`pytest -x`) there, and checks that the line stopped at
that stage, every later stage was not run, the exit status is non-zero, and no
image exists for the scratch commit. These run whole pipelines, so they live
outside `testpaths`: `make faults` runs them (after `make pipeline`).
"""

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from pytest_stopline.stages import STAGES
from tests.containers import DOCKER_SCRIPTS, sh

from .scratch import commit, scratch_copy

pytestmark = pytest.mark.smoke


def unreachable_gate(project: Path) -> None:
    """Set a holdout limit no model meets, in whatever project the checkout holds: log-loss or RMSE of 1e-9."""
    path = project / "stopline.toml"
    text = path.read_text(encoding="utf-8")
    key = "max_log_loss" if tomllib.loads(text).get("task", "classification") == "classification" else "max_rmse"
    text, found = re.subn(rf"(?m)^{key} = .*$", f"{key} = 1e-9", text)
    if not found:
        text = re.sub(r"(?m)^\[gate\]$", f"[gate]\n{key} = 1e-9", text, count=1)
    path.write_text(text, encoding="utf-8")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: {old!r} not found"
    path.write_text(text.replace(old, new))


FAULTS = {
    "lint": lambda p: append(p / "service" / "features.py", "\nimport os\n"),
    "unit": lambda p: (p / "tests" / "unit" / "test_injected.py").write_text(
        "import pytest\n\npytestmark = pytest.mark.unit\n\n\ndef test_injected():\n    assert 1 == 2\n"),
    # A regression in the data validator's wording: its component tests hold it to the exact text.
    "component": lambda p: replace(p / "service" / "train" / "data.py", "[rule: range]", "[rule: out-of-range]"),
    # A gate out of reach (the penguins' holdout log-loss is about 0.02; no model's is 1e-9).
    "model": unreachable_gate,
    # A Dockerfile that lints clean but cannot build: it copies a directory that does not exist.
    "build": lambda p: replace(p / "Dockerfile", "COPY artifacts/model/ /app/model/",
                               "COPY artifacts/absent/ /app/model/"),
    # The service is pointed at a bundle that is not there: it refuses to start, so never becomes ready.
    "smoke": lambda p: replace(p / "docker-compose.yml", "    stop_grace_period:",
                               "    environment:\n      STOPLINE_SERVICE_BUNDLE: /nonexistent\n    stop_grace_period:"),
}
# More faults for a stage FAULTS already covers (FAULTS holds one per stage; test_deploy_faults.py
# checks that it covers them all): a name, the stage that must stop the line, the fault.
MORE_FAULTS = {
    # The Kubernetes manifests are checked offline: a misspelled field fails strict validation.
    "lint: a misspelled field in deploy/k8s": ("lint", lambda p: replace(
        p / "deploy" / "k8s" / "deployment.yaml", "readinessProbe:", "readinesProbe:")),
    # A tag instead of a digest in a template: the policy refuses it.
    "lint: a latest image in deploy/k8s": ("lint", lambda p: replace(
        p / "deploy" / "k8s" / "inferenceservice.yaml", "${IMAGE}", "ghcr.io/acme/stopline:latest")),
}
CASES = {stage: (stage, fault) for stage, fault in FAULTS.items()} | MORE_FAULTS


# The deploy stage's faults need a release serving and a probe: test_deploy_faults.py.
@pytest.mark.parametrize("case", list(CASES))
def test_a_fault_stops_the_line_at_its_stage(tmp_path, case):
    stage, fault = CASES[case]
    project = scratch_copy(tmp_path)
    fault(project)
    sha = commit(project)
    done = subprocess.run([str(project / ".venv" / "bin" / "pytest"), "-x", "-q"],
                          cwd=project, capture_output=True, text=True, timeout=1200)
    tail = done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode == 1, tail
    report = json.loads((project / "reports" / "pipeline.json").read_text())
    assert report["status"] == "failed"
    assert report["stopped_at"] == stage, tail
    statuses = {s["name"]: s["status"] for s in report["stages"]}
    position = STAGES.index(stage)
    assert all(statuses[s] == "passed" for s in STAGES[:position]), statuses
    assert statuses[stage] == "failed"
    assert all(statuses[s] == "not_run" for s in STAGES[position + 1:]), statuses
    assert f"LINE STOPPED at stage '{stage}'" in done.stdout
    client = sh(DOCKER_SCRIPTS / "docker-cmd.sh").stdout.strip()
    assert sh(client, "image", "inspect", f"stopline:{sha}", check=False).returncode != 0, "an image was left"
