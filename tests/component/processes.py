"""`python -m service` as a real process on a loopback port, and raw sockets to talk to it."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.paths import ROOT

# A start takes about a second, but the fault suite runs this stage beside a live stack and its probe on
# two CPUs, where one took more than 5 s: the bound is for a start that hangs, not for a slow one.
START_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_service(bundle_dir: Path, env: dict[str, str]) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """Give a ready `python -m service` of `bundle_dir` with `env` (its port and process); kill it after."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "service", "--bundle", str(bundle_dir), "--port", str(port)],
                               cwd=ROOT, stderr=subprocess.PIPE, text=True, env={**os.environ, **env})
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=0.5).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)  # polling a start-up: nothing to wait on but the port
    else:
        process.kill()
        pytest.fail(f"not ready within {START_S} s: {process.communicate()[1]}")
    with process:  # closes its pipe on the way out
        yield port, process
        if process.poll() is None:
            process.kill()


def connect(port: int, head: bytes) -> socket.socket:
    """Give a connection to the server that has sent `head`."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=5)
    connection.sendall(head)
    return connection


def read_all(connection: socket.socket) -> bytes:
    """Give every byte the server sends until it closes the connection."""
    chunks = []
    try:
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass  # it closed on unread request bytes; what it sent before is kept
    return b"".join(chunks)
