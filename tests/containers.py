"""Docker fixtures for the build, smoke and deploy stages (a pytest plugin, loaded by the root conftest).

The engine is never optional: when none answers and none can be installed,
the fixture fails the stage with the installer's message. The image is built
from the bundle the model stage gated, tagged with the commit, and removed
again if the build or smoke stage fails, so a failed commit leaves no image.
A run without the build stage (a later CI job) takes the image by digest from
STOPLINE_IMAGE instead, and holds it to this commit and its gated bundle.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_stopline.stages import STAGES
from scripts.deploy.settings import local_tag
from scripts.deploy.swarm import (
    LABEL_BUNDLE_SHA256, LABEL_GIT_SHA, LABEL_MODEL_VERSION, extract_bundle, pull_if_absent, reference_problem)
from service.errors import StoplineError
from service.train.config import config_path
from service.train.gate import read_gate_record
from service.provenance import created_at
from tests.paths import ROOT

DOCKER_SCRIPTS = ROOT / "scripts" / "docker"
BUNDLE = ROOT / "artifacts" / "model"
BASE_IMAGE = os.environ.get("STOPLINE_BASE_IMAGE", "stopline/python:3.11-bookworm")


def sh(*command: str | Path, timeout: float = 900, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Give the finished command; with `check`, fail the test with its output when it exits non-zero."""
    done = subprocess.run(
        [str(c) for c in command], cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kwargs
    )
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stdout}{done.stderr}",
                    pytrace=False)
    return done


@dataclass(frozen=True)
class Docker:
    """The docker client and compose command that work on this machine."""

    client: str
    compose: list[str]

    def __call__(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return sh(self.client, *args, **kwargs)

    def inspect(self, ref: str) -> dict:
        return json.loads(self("image", "inspect", ref).stdout)[0]

    def has_image(self, ref: str) -> bool:
        return self("image", "inspect", ref, check=False).returncode == 0


@pytest.fixture(scope="session")
def docker() -> Docker:
    """Give a working Docker engine: start or install one (root, Debian/Ubuntu), or fail the stage."""
    sh(DOCKER_SCRIPTS / "engine.sh", timeout=600)
    client = sh(DOCKER_SCRIPTS / "docker-cmd.sh").stdout.strip()
    compose = sh(DOCKER_SCRIPTS / "compose-cmd.sh").stdout.split()
    return Docker(client=client, compose=compose)


@pytest.fixture(scope="session")
def gated_bundle() -> dict:
    """Give the gate record of artifacts/model, once it is the bundle that passed for this project."""
    try:
        return read_gate_record(BUNDLE, ROOT / config_path())
    except StoplineError as exc:
        pytest.fail(f"{exc} (the model stage writes the record: run `pytest -m model` or the whole pipeline)",
                    pytrace=False)


@pytest.fixture(scope="session")
def base_image(docker: Docker) -> str:
    """Give a Python 3.11 base image: python:3.11-slim where it can be pulled, else one built locally."""
    sh(DOCKER_SCRIPTS / "base-image.sh", BASE_IMAGE, timeout=900)
    return BASE_IMAGE


@pytest.fixture(scope="session")
def built_image(docker: Docker, base_image: str, gated_bundle: dict) -> dict:
    """Build the image with the gated bundle; give its tag and how long the build took."""
    sh(ROOT / "scripts" / "wheelhouse.sh", timeout=600)
    tag = local_tag()
    docker("image", "rm", "--force", tag, check=False)
    started, started_at = time.perf_counter(), time.time()
    docker(
        "build", "--progress", "plain", "--tag", tag,
        "--build-arg", f"BASE={base_image}",
        "--build-arg", f"GIT_SHA={sh('git', 'rev-parse', 'HEAD').stdout.strip()}",
        "--build-arg", f"CREATED={created_at()}",
        "--build-arg", f"MODEL_VERSION={gated_bundle['model_version']}",
        "--build-arg", f"BUNDLE_SHA256={gated_bundle['bundle_sha256']}",
        ".",
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
    )
    return {"tag": tag, "seconds": round(time.perf_counter() - started, 1), "started_at": started_at}


@pytest.fixture(scope="session")
def image(docker: Docker, request: pytest.FixtureRequest) -> str:
    """Give the image the smoke and deploy stages run: this commit's from the build stage, or the one CI's
    build job handed on as STOPLINE_IMAGE=ref@sha256:… (pulled when absent)."""
    given = os.environ.get("STOPLINE_IMAGE")
    if not given:
        tag = local_tag()
        if not docker.has_image(tag):
            pytest.fail(f"no image {tag}: the build stage makes it (pytest -m build)", pytrace=False)
        return tag
    line = request.config.pluginmanager.get_plugin("stopline")
    if "build" in getattr(line, "results", {}):  # a build test is selected in this run
        pytest.fail(f"STOPLINE_IMAGE={given} is set, but this run builds the image itself: unset it, or run "
                    "only the later stages (-m smoke, -m deploy) on the image it names", pytrace=False)
    problem = reference_problem(given)
    if problem:
        pytest.fail(f"STOPLINE_IMAGE: {problem} (a tag can move after the image was verified)", pytrace=False)
    try:
        pull_if_absent(given)
    except StoplineError as exc:
        pytest.fail(f"STOPLINE_IMAGE: {exc}", pytrace=False)
    return given


@pytest.fixture(scope="session")
def shipped_bundle(docker: Docker, image: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Give the bundle inside `image`, once its labels say it is this commit's and that bundle, and the
    bundle carries its pass of this project's gate: what the smoke and deploy stages hold it to."""
    try:
        bundle = extract_bundle(image, tmp_path_factory.mktemp("shipped") / "model")
        record = read_gate_record(bundle, ROOT / config_path())
    except StoplineError as exc:
        pytest.fail(f"{image}: {exc}", pytrace=False)
    labels = docker.inspect(image)["Config"]["Labels"] or {}
    commit = sh("git", "rev-parse", "HEAD").stdout.strip()
    wrong = [f"{label} is {labels.get(label)!r}, not {want!r}" for label, want in (
        (LABEL_GIT_SHA, commit),
        (LABEL_BUNDLE_SHA256, record["bundle_sha256"]),
        (LABEL_MODEL_VERSION, record["model_version"]),
    ) if labels.get(label) != want]
    if wrong:
        pytest.fail(f"{image} is not this commit's image of its gated bundle: {'; '.join(wrong)}", pytrace=False)
    return bundle


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove the commit's image when build or smoke failed; tag it `latest` when every stage passed."""
    line = session.config.pluginmanager.get_plugin("stopline")
    results = getattr(line, "results", {})
    if not {"build", "smoke"} & set(results):
        return
    statuses = {name: result.status for name, result in results.items()}
    client = subprocess.run([DOCKER_SCRIPTS / "docker-cmd.sh"], capture_output=True, text=True).stdout.strip()
    if not client:
        return
    tag = local_tag()
    if "failed" in (statuses.get("build"), statuses.get("smoke")):
        subprocess.run([client, "image", "rm", "--force", tag], capture_output=True)
    elif set(statuses) == set(STAGES) and set(statuses.values()) == {"passed"}:
        subprocess.run([client, "tag", tag, "stopline:latest"], capture_output=True, check=True)
