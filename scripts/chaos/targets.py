"""What the scenarios act on: the Swarm stack's replicas, and one container of the same image.

The stack is what `make pipeline` deployed (scripts/deploy); the single container is that
image run as docker-compose.yml runs it, published on a port of 127.0.0.1 of its own.
Resource figures come from the host's /proc for the container's process tree (the engine
runs here as root).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from scripts.bench.servers import free_port, rss_mb
from scripts.chaos.background import Background
from scripts.deploy.docker import DeployError, docker
from scripts.deploy.settings import ROOT, SERVICE

COMPOSE_PROJECT = "stoplinechaos"


def replicas(healthy_only: bool = False) -> list[str]:
    """Give the ids of the stack's running replica containers (only the healthy ones, if asked)."""
    filters = ["--filter", f"label=com.docker.swarm.service.name={SERVICE}", "--filter", "status=running"]
    if healthy_only:
        filters += ["--filter", "health=healthy"]
    return docker("ps", "--quiet", "--no-trunc", *filters).stdout.split()


def wait_for_replicas(count: int, since: float, timeout: float, exclude: set[str] = frozenset()) -> float | None:
    """Give the seconds from `since` until `count` healthy replicas run, none in `exclude`; None past `timeout`."""
    while time.monotonic() - since < timeout:
        healthy = [c for c in replicas(healthy_only=True) if c not in exclude]
        if len(healthy) >= count:
            return round(time.monotonic() - since, 2)
        time.sleep(0.2)
    return None


def host_pid(container: str) -> int:
    """Give the host pid of the container's first process."""
    return int(docker("inspect", "--format", "{{.State.Pid}}", container).stdout.strip())


@dataclass(frozen=True)
class Usage:
    """A process tree's footprint: resident memory, open file descriptors, threads."""

    rss_mb: float
    fds: int
    threads: int


def usage(pid: int) -> Usage:
    """Give the footprint of `pid` and its children (tini and the service, in a replica)."""
    pids = [pid, *(int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    fds = sum(len(os.listdir(f"/proc/{p}/fd")) for p in pids)
    threads = sum(int(line.split()[1]) for p in pids for line in Path(f"/proc/{p}/status").read_text().splitlines()
                  if line.startswith("Threads:"))
    return Usage(round(rss_mb(pid), 1), fds, threads)


class PeakUsage(Background):
    """Samples each process tree's footprint every `every_s` while in a `with` block; `peak` is the largest of each."""

    def __init__(self, pids: dict[str, int], every_s: float) -> None:
        super().__init__()
        self.pids, self.every_s = pids, every_s
        self.peak: dict[str, Usage] = {}

    def __enter__(self) -> PeakUsage:
        self._sample()
        return super().__enter__()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self._sample()

    def _sample(self) -> None:
        for name, pid in self.pids.items():
            now, seen = usage(pid), self.peak.get(name)
            self.peak[name] = now if seen is None else Usage(
                max(seen.rss_mb, now.rss_mb), max(seen.fds, now.fds), max(seen.threads, now.threads))


def compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run docker compose on docker-compose.yml as the chaos project; raise DeployError when it fails."""
    command = subprocess.run([str(ROOT / "scripts" / "docker" / "compose-cmd.sh")], capture_output=True, text=True,
                             check=True).stdout.split()
    done = subprocess.run([*command, "--project-name", COMPOSE_PROJECT, "--file", str(ROOT / "docker-compose.yml"),
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env={**os.environ, **env}, check=False)
    if done.returncode != 0:
        raise DeployError(f"compose {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done


@dataclass(frozen=True)
class Container:
    """One container of the deployed image, as docker-compose.yml runs it."""

    id: str
    url: str
    env: dict[str, str]

    @classmethod
    def start(cls, image: str) -> Container:
        """Start one container of `image` on a free loopback port and wait until it is ready."""
        port = free_port()
        env = {"STOPLINE_IMAGE": image, "STOPLINE_PORT": str(port)}
        compose("up", "--detach", "--force-recreate", env=env)
        container = compose("ps", "--quiet", env=env).stdout.split()[0]
        started = cls(container, f"http://127.0.0.1:{port}", env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(started.url + "/health/ready", timeout=1).status_code == 200:
                    return started
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        started.remove()
        raise DeployError(f"the container of {image} was not ready on {started.url} within 60 s")

    def state(self) -> dict:
        """Give the engine's State of the container (Running, ExitCode, FinishedAt, …)."""
        return json.loads(docker("inspect", "--format", "{{json .State}}", self.id).stdout)

    def remove(self) -> None:
        compose("down", "--timeout", "20", env=self.env)
