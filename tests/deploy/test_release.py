"""The verified image, pushed by digest, rolled out behind the front door, verified there, recorded."""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess

import httpx
import pytest

from scripts.deploy.docker import inspect
from scripts.deploy.release import conclude
from scripts.deploy.releases import Outcome, read
from scripts.deploy.settings import (
    DOOR_PORT, FRONT_DOOR_CONTAINER, HISTORY, RELEASE_REPORT, REPLICAS, REPOSITORY)
from scripts.deploy.swarm import registry_digest, running_tasks, serving
from scripts.deploy.verify import wait_until_served
from tests.golden import golden_set, prediction_mismatch

from .conftest import delivery_state

pytestmark = pytest.mark.deploy


def test_the_verified_image_is_in_the_registry_by_digest(pushed, verified_image, request, record_property):
    record_property("push_seconds", delivery_state(request.config)["push_seconds"])
    assert pushed.image == f"{REPOSITORY}@{pushed.digest}"
    # The engine's record of the push, the registry's manifest, and the commit's tag there agree.
    image = inspect("image", "inspect", verified_image)[0]
    assert pushed.image in image["RepoDigests"]
    assert registry_digest(pushed.digest) == pushed.digest
    assert registry_digest(pushed.git_sha[:12]) == pushed.digest  # stopline:<sha> is <sha> there
    labels = image["Config"]["Labels"]
    assert (pushed.git_sha, pushed.model_version, pushed.bundle_sha256) == (
        labels["org.opencontainers.image.revision"], labels["dev.stopline.model.version"],
        labels["dev.stopline.bundle.sha256"])


def test_the_front_door_listens_on_loopback_only(front_door):
    bindings = inspect("container", "inspect", FRONT_DOOR_CONTAINER)[0]["HostConfig"]["PortBindings"]["8080/tcp"]
    assert [(b["HostIp"], b["HostPort"]) for b in bindings] == [("127.0.0.1", str(DOOR_PORT))]
    for address in this_machines_other_addresses():
        with socket.socket() as probe:
            probe.settimeout(2)
            assert probe.connect_ex((address, DOOR_PORT)) != 0, f"the front door answers on {address}"
    assert httpx.get(f"{front_door}/door/health", timeout=2).status_code == 200


def this_machines_other_addresses() -> list[str]:
    """Give this machine's IPv4 addresses other than loopback (the ones a host-mode port would bind too)."""
    shown = subprocess.run(["hostname", "--all-ip-addresses"], capture_output=True, text=True).stdout.split()
    return [a for a in shown if "." in a and not a.startswith("127.")]


def test_the_digest_rolls_out_and_nothing_else(rollout, pushed, record_property):
    record_property("rollout_seconds", rollout.seconds)
    assert rollout.outcome == "completed", rollout.message
    now = serving()
    assert now is not None and now.image == pushed.image
    assert running_tasks(pushed.image) == REPLICAS


def test_the_front_door_serves_the_release(rollout, pushed, front_door, record_property):
    seconds = wait_until_served(front_door, pushed)
    record_property("front_door_serving_after_s", seconds)


def test_golden_predictions_through_the_front_door_equal_the_offline_ones(rollout, pushed, front_door,
                                                                          shipped_bundle):
    golden = golden_set(shipped_bundle)
    assert golden.bundle.digest == pushed.bundle_sha256, "the image carries another bundle than the gated one"
    with httpx.Client(base_url=front_door, timeout=10) as client:
        for _ in range(REPLICAS):  # round robin: one answer from each replica
            response = client.post("/predict", json={"instances": golden.records})
            assert response.status_code == 200, response.text
            assert prediction_mismatch(response.json(), golden) is None


@pytest.mark.order(-1)
def test_the_release_is_recorded(rollout, pushed, request, record_property):
    line = request.config.pluginmanager.get_plugin("stopline")
    assert line.results["deploy"].failed == 0, "not recorded: a deploy test failed"
    state = delivery_state(request.config)
    entry = conclude(pushed, state["before"], rollout, failure=None)
    state["recorded"] = True
    assert read(HISTORY)[-1] == entry and entry.outcome is Outcome.DEPLOYED
    report = json.loads(RELEASE_REPORT.read_text())
    assert (report["digest"], report["image"], report["bundle_sha256"]) == (
        pushed.digest, pushed.image, pushed.bundle_sha256)
    before = state["before"]
    if before is None or before.digest != pushed.digest:
        assert report["previous"] == (None if before is None else dataclasses.asdict(before))
    else:  # the serving digest deployed again (a re-run deploy job): its previous stays the one it replaced
        assert report["previous"] is None or report["previous"]["digest"] != pushed.digest
    # The verdict line reads this figure: DEPLOYED image@digest (model version).
    record_property("deployed", f"{pushed.image} (model {pushed.model_version})")
