"""pytest-docker brings docker-compose.yml up with this commit's image and always takes it down."""

import hashlib
import os
import socket
import subprocess
import time

import httpx
import pytest

from tests.containers import Docker
from tests.paths import ROOT

READY_WITHIN_S = 20  # the readiness test's bound
WAIT_FOR_READY_S = 90  # how long the fixture waits, so a slow start fails that test instead of the fixture
# One compose project per checkout, so two pipelines on one engine never take down each other's container.
PROJECT = f"stopline-smoke-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]}"
CONTAINER_LOG = ROOT / "reports" / "container.log"
# Filled by the fixtures below, read by the report hook and the readiness test.
state: dict = {}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def docker_compose_command(docker: Docker) -> str:
    state["compose"] = docker.compose
    return " ".join(docker.compose)


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(ROOT / "docker-compose.yml")


@pytest.fixture(scope="session")
def docker_compose_project_name() -> str:
    return PROJECT


@pytest.fixture(scope="session")
def docker_setup(image: str, shipped_bundle) -> list[str]:
    # The compose file reads these; the image is the one the build stage made (or CI's build job handed
    # on), held to this commit and its gated bundle (shipped_bundle) before it starts.
    os.environ["STOPLINE_IMAGE"] = image
    os.environ["STOPLINE_PORT"] = str(free_port())
    state["up_started"] = time.perf_counter()
    # Compose v1 has no `up --wait`; readiness is polled below. No --build: never rebuild here.
    return ["up -d --force-recreate"]


@pytest.fixture(scope="session")
def docker_cleanup() -> list[str]:
    return ["down -v --remove-orphans"]


@pytest.fixture(scope="session")
def base_url(docker_services, docker_ip: str) -> str:
    """Give the service's URL once /health/ready answers 200; its time to ready is recorded."""
    url = f"http://{docker_ip}:{docker_services.port_for('service', 8000)}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/health/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    docker_services.wait_until_responsive(check=ready, timeout=WAIT_FOR_READY_S, pause=0.2)
    state["ready_seconds"] = round(time.perf_counter() - state["up_started"], 2)
    return url


@pytest.fixture(scope="session")
def client(base_url: str):
    with httpx.Client(base_url=base_url, timeout=10) as session:
        yield session


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    report = yield
    if report.failed and "compose" in state:
        logs = subprocess.run(
            [*state["compose"], "-f", str(ROOT / "docker-compose.yml"), "-p", PROJECT,
             "logs", "--no-color", "--tail", "200"],
            capture_output=True, text=True, timeout=30,
        )
        text = logs.stdout + logs.stderr
        report.sections.append(("container logs", text))
        CONTAINER_LOG.parent.mkdir(exist_ok=True)
        CONTAINER_LOG.write_text(text, encoding="utf-8")
    return report
