"""Static checks beyond flake8: the Dockerfile, the compose file, the workflow."""

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.paths import ROOT

pytestmark = pytest.mark.lint

TOOLS = Path(ROOT, ".venv", "bin")
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_dockerfile_passes_hadolint():
    done = run(str(TOOLS / "hadolint"), "Dockerfile")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("schema", ["vendor.compose-spec"])
def test_compose_file_matches_the_compose_specification(schema):
    done = run(str(TOOLS / "check-jsonschema"), "--builtin-schema", schema, "docker-compose.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_runs_the_service_locked_down_and_on_loopback_only():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["service"]
    assert "build" not in service, "compose runs the image the build stage verified; it never builds its own"
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]
    assert service["security_opt"] == ["no-new-privileges:true"]
    assert service["tmpfs"] == ["/tmp"]
    assert all(str(port).startswith("127.0.0.1:") for port in service["ports"]), service["ports"]


def test_there_is_a_workflow():
    assert [w.name for w in WORKFLOWS] == ["pipeline.yml"]


@pytest.mark.parametrize("schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"])
def test_workflows_match_the_github_schema_and_every_job_has_a_timeout(schema):
    done = run(str(TOOLS / "check-jsonschema"), "--builtin-schema", schema, *map(str, WORKFLOWS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_pass_zizmor_offline():
    done = run(str(TOOLS / "zizmor"), "--offline", "--no-progress", *map(str, WORKFLOWS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_uses_no_action_but_a_pinned_checkout():
    for workflow in WORKFLOWS:
        jobs = yaml.safe_load(workflow.read_text())["jobs"]
        for name, job in jobs.items():
            assert job.get("timeout-minutes"), f"{workflow.name}: job {name} has no timeout-minutes"
            for step in job["steps"]:
                uses = step.get("uses")
                if uses:
                    action, _, ref = uses.partition("@")
                    assert action == "actions/checkout", f"{workflow.name}: job {name} uses {uses}"
                    assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), uses


def test_the_fault_injection_suite_passes_flake8():
    # tests/faults is outside testpaths (each case runs a whole pipeline), so pytest-flake8 never sees it.
    done = run(str(TOOLS / "flake8"), "tests/faults")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_shipped_code_and_the_plugin_pass_mypy_strict():
    done = run(str(TOOLS / "mypy"))  # files and strictness from mypy.ini
    assert done.returncode == 0, done.stdout + done.stderr
