"""Docker fixtures for the build and smoke stages (a pytest plugin, loaded by the root conftest).

The engine is never optional: when none answers and none can be installed,
the fixture fails the stage with the installer's message. The image is built
from the bundle the model stage gated, tagged with the commit, and removed
again if the build or smoke stage fails, so a failed commit leaves no image.
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


def image_tag() -> str:
    """Give the image tag for this commit, marked dirty when the tree has uncommitted changes."""
    sha = sh("git", "rev-parse", "--short=12", "HEAD").stdout.strip()
    dirty = sh("git", "status", "--porcelain", "--untracked-files=no").stdout.strip()
    return f"stopline:{sha}{'-dirty' if dirty else ''}"


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
    tag = image_tag()
    docker("image", "rm", "--force", tag, check=False)
    started = time.perf_counter()
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
    return {"tag": tag, "seconds": round(time.perf_counter() - started, 1)}


@pytest.fixture(scope="session")
def image(docker: Docker) -> str:
    """Give this commit's image for the smoke stage; it must have come out of the build stage."""
    tag = image_tag()
    if not docker.has_image(tag):
        pytest.fail(f"no image {tag}: the build stage makes it (pytest -m build)", pytrace=False)
    return tag


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
    tag = image_tag()
    if "failed" in (statuses.get("build"), statuses.get("smoke")):
        subprocess.run([client, "image", "rm", "--force", tag], capture_output=True)
    elif set(statuses) == set(STAGES) and set(statuses.values()) == {"passed"}:
        subprocess.run([client, "tag", tag, "stopline:latest"], capture_output=True, check=True)
