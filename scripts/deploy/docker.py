"""The docker client this machine has, as a function that raises DeployError with the command's output."""

from __future__ import annotations

import functools
import json
import os
import subprocess
from typing import Any

from service.errors import StoplineError

from .settings import REGISTRY, ROOT, is_local


class DeployError(StoplineError):
    """A delivery step failed; the message says which and why."""


@functools.cache
def client() -> str:
    done = subprocess.run([ROOT / "scripts" / "docker" / "docker-cmd.sh"], capture_output=True, text=True)
    if done.returncode != 0:
        raise DeployError(done.stderr.strip())
    return done.stdout.strip()


def docker(*args: str | os.PathLike[str], timeout: float = 120, check: bool = True,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `docker ARGS`; with `check`, raise DeployError naming the command and its output on failure."""
    command = [client(), *map(str, args)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        raise DeployError(f"docker {' '.join(command[1:])} did not finish in {timeout:g} s") from None
    if check and done.returncode != 0:
        raise DeployError(f"docker {' '.join(command[1:])} exited {done.returncode}: "
                          f"{(done.stderr or done.stdout).strip()}")
    return done


def inspect(*args: str) -> list[dict[str, Any]]:
    """Give `docker … inspect ARGS` as JSON."""
    parsed: list[dict[str, Any]] = json.loads(docker(*args).stdout)
    return parsed


def engine_answers(timeout: float = 10) -> bool:
    """Tell whether an engine answers, without installing or starting one."""
    try:
        return docker("info", "--format", "{{.ID}}", timeout=timeout, check=False).returncode == 0
    except DeployError:
        return False


def start_registry() -> None:
    """Start the registry when it is ours (loopback) and not running; a remote one (ghcr.io on GitHub)
    is not ours to start: `docker login` gives access to it."""
    if is_local(REGISTRY):
        run_script("registry.sh")


def start_components() -> None:
    """Start what delivery needs when it is not running: engine, registry, Swarm, front door."""
    start_registry()
    run_script("frontdoor.sh")  # starts the engine and the Swarm first


def run_script(name: str) -> None:
    done = subprocess.run([ROOT / "scripts" / "deploy" / name], capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise DeployError(f"scripts/deploy/{name} exited {done.returncode}: {done.stderr.strip()}")
