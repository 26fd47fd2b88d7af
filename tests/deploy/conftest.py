"""The deploy stage: push the image a smoke stage verified, roll it out on the Swarm, verify it at the front door.

Nothing here is left half done. The stage's last test records a release only
when every other deploy test passed; when the stage fails after a rollout,
the stage-finished hook puts back what served before (Swarm's previous spec,
or no stack at all) and records that, naming the failure. An automatic
rollback by Swarm is recorded as one.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from scripts.deploy.docker import DeployError, start_components
from scripts.deploy.release import conclude, serving_release
from scripts.deploy.releases import Release, read
from scripts.deploy.settings import FRONT_DOOR, HISTORY, REPOSITORY
from scripts.deploy.swarm import Rollout, push, release_of, roll_out, serving
from tests.containers import Docker

# What this run pushed and rolled out, for the stage-finished hook.
DELIVERY = pytest.StashKey[dict[str, Any]]()
ROLLOUT_TIMEOUT_S = 120


def delivery_state(config: pytest.Config) -> dict[str, Any]:
    return config.stash.setdefault(DELIVERY, {})


def fail_on_deploy_error(step: str, call, *args):
    try:
        return call(*args)
    except DeployError as exc:
        pytest.fail(f"{step}: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def front_door(docker: Docker) -> str:
    """Start the registry, the Swarm and the front door where they do not run; give the door's URL."""
    fail_on_deploy_error("starting the delivery components", start_components)
    return FRONT_DOOR


@pytest.fixture(scope="session")
def verified_image(request: pytest.FixtureRequest) -> str:
    """Give the image to ship, only once a smoke stage verified it in full: nothing unverified ships.

    In this run's smoke stage when it has one; in a run of the deploy stage alone, the image must come by
    digest from the job that smoke-tested it (CI's deploy job gets STOPLINE_IMAGE from the smoke job).
    """
    line = request.config.pluginmanager.get_plugin("stopline")
    smoke = getattr(line, "results", {}).get("smoke")
    if smoke is not None:
        if smoke.status != "passed" or smoke.tests != line.available["smoke"]:
            pytest.fail("the deploy stage ships only an image the smoke stage verified in full: "
                        "this run's smoke stage did not pass, or ran only some of its tests", pytrace=False)
    elif not os.environ.get("STOPLINE_IMAGE"):
        pytest.fail("the deploy stage ships only an image a smoke stage verified in full: run the line "
                    "(pytest -x), or hand it the image a smoke run verified: STOPLINE_IMAGE=ref@sha256:… "
                    "pytest -m deploy (CI's deploy job does)", pytrace=False)
    # Asked for only now, so the refusal above comes first; the shipped bundle holds the image to
    # this commit and its gated bundle before anything is pushed or rolled out.
    request.getfixturevalue("shipped_bundle")
    return str(request.getfixturevalue("image"))


@pytest.fixture(scope="session")
def before(front_door: str) -> Release | None:
    """Give the release serving before this run, or None when nothing is deployed."""
    now = fail_on_deploy_error("reading the service", serving)
    return fail_on_deploy_error("reading the serving release", serving_release, read(HISTORY), now)


@pytest.fixture(scope="session")
def pushed(verified_image: str, front_door: str, request: pytest.FixtureRequest) -> Release:
    """Push the verified image to the registry (CI's build job already did, for an image given by digest);
    give the release by the digest the registry names."""
    started = time.perf_counter()
    if "@" in verified_image:
        if not verified_image.startswith(f"{REPOSITORY}@"):
            pytest.fail(f"{verified_image} is not in the release registry {REPOSITORY} "
                        "(STOPLINE_REGISTRY): Swarm deploys only from there", pytrace=False)
        release = fail_on_deploy_error("reading the image", release_of, verified_image)
    else:
        release = fail_on_deploy_error("pushing the image", push, verified_image)
    state = delivery_state(request.config)
    state["release"], state["push_seconds"] = release, round(time.perf_counter() - started, 2)
    return release


@pytest.fixture(scope="session")
def rollout(pushed: Release, before: Release | None, request: pytest.FixtureRequest) -> Rollout:
    """Deploy the pushed digest and give Swarm's verdict on the rollout (completed, rolled back, failed)."""
    state = delivery_state(request.config)
    state["before"] = before
    state["rollout"] = None  # set before the rollout starts: a crash in it still gets the stack put back
    done = fail_on_deploy_error("rolling out", roll_out, pushed, ROLLOUT_TIMEOUT_S)
    state["rollout"] = done
    return done


def pytest_stopline_stage_finished(session: pytest.Session, stage: str, status: str, complete: bool) -> None:
    """Put back what served before and record why, when the stage did not pass after a rollout began."""
    state = session.config.stash.get(DELIVERY, {})
    if stage != "deploy" or "rollout" not in state or state.get("recorded"):
        return
    line = session.config.pluginmanager.get_plugin("stopline")
    failure = line.first_failure.get("deploy") if line else None
    if status == "passed":
        failure = "not every deploy test ran (-m/-k), so the release was not verified in full"
    rollout = state["rollout"] or Rollout("failed", "the rollout did not finish", 0.0)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    try:
        entry = conclude(state["release"], state["before"], rollout, failure or "the deploy stage failed")
        said = f"deploy: {entry.outcome}: {entry.release.image}: {entry.reason}"
    except DeployError as exc:  # the history cannot be written (a full disk): say so; the stage has failed
        said = f"deploy: {state['release'].image}: not recorded: {exc}"
    if reporter is not None:
        reporter.write_line(said, red=True)
