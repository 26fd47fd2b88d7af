"""The workflow delivers one artifact: each stage in exactly one job, the image handed on by digest."""

from __future__ import annotations

import shlex

import pytest
import yaml
from _pytest.mark.expression import Expression

from pytest_stopline.stages import STAGES
from tests.paths import ROOT

pytestmark = pytest.mark.lint

WORKFLOW = ROOT / ".github" / "workflows" / "pipeline.yml"


@pytest.fixture(scope="module")
def jobs() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]


def stages_run_by(job: dict) -> list[str]:
    """Give the stages a job's `pytest -m EXPR` steps select, in stage order."""
    selected: set[str] = set()
    for step in job["steps"]:
        for line in step.get("run", "").splitlines():
            words = shlex.split(line)
            if not words or not words[0].endswith("pytest"):
                continue
            assert "-m" in words, f"{line!r} runs every stage: CI runs the stages by marker"
            expression = Expression.compile(words[words.index("-m") + 1])
            selected |= {s for s in STAGES if expression.evaluate(lambda name, stage=s, **_: name == stage)}
    return [s for s in STAGES if s in selected]


def test_every_stage_runs_in_exactly_one_job_in_stage_order(jobs):
    runs = {name: stages_run_by(job) for name, job in jobs.items()}
    in_job_order = [stage for name in jobs for stage in runs[name]]
    assert in_job_order == list(STAGES), runs  # each once, none left out, in order


def test_each_job_needs_the_one_before_so_a_failure_stops_every_later_one(jobs):
    names = list(jobs)
    assert "needs" not in jobs[names[0]]
    for before, job in zip(names, names[1:]):
        assert jobs[job]["needs"] == before, f"{job} must wait for {before}"


def test_the_image_goes_from_build_to_smoke_to_deploy_by_digest(jobs):
    push = next(s for s in jobs["build"]["steps"] if s.get("id") == "push")
    assert "python -m scripts.deploy push" in push["run"]
    assert jobs["build"]["outputs"]["image"] == "${{ steps.push.outputs.image }}"
    assert jobs["smoke"]["env"]["STOPLINE_IMAGE"] == "${{ needs.build.outputs.image }}"
    assert jobs["smoke"]["outputs"]["image"] == "${{ steps.verified.outputs.image }}"
    assert jobs["deploy"]["env"]["STOPLINE_IMAGE"] == "${{ needs.smoke.outputs.image }}"
    steps = [s.get("id") or s.get("run", "") for s in jobs["smoke"]["steps"]]
    assert steps.index("verified") == len(steps) - 1, "the smoke job vouches for the image only at its end"


def test_only_the_build_job_may_write_packages_and_nothing_writes_contents(jobs):
    top = yaml.safe_load(WORKFLOW.read_text())["permissions"]
    assert top == {"contents": "read"}
    writers = [name for name, job in jobs.items() if "write" in job.get("permissions", {}).values()]
    assert writers == ["build"]
    assert jobs["build"]["permissions"] == {"contents": "read", "packages": "write"}


def test_the_deploy_job_runs_only_for_pushes_to_main_under_an_environment(jobs):
    deploy = jobs["deploy"]
    assert deploy["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert deploy["environment"] == "staging"
