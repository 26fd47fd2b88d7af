"""The servers under test: started pinned to one CPU, timed from process start to ready, measured for RSS.

A server's memory is the resident set of its whole process tree (MLServer may
fork inference workers), read from /proc. Only the processes started here are
ever stopped, by their PID.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

READY_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Target:
    """How to start one server and where it answers."""

    name: str  # "stopline" or "mlserver"
    command: list[str]
    cwd: Path
    env: dict[str, str]
    port: int
    ready_path: str  # the model's readiness, the same V2 route on both servers


@dataclass
class Running:
    """A started server: its process, how long it took to be ready, its idle RSS."""

    target: Target
    process: subprocess.Popen[bytes]
    start_s: float
    idle_rss_mb: float = 0.0
    log: Path = field(default_factory=Path)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.target.port}"


_given: set[int] = set()  # ports free_port handed out in this process


def free_port() -> int:
    """Give a TCP port on 127.0.0.1 that nothing uses now, below the kernel's ephemeral range.

    A port from that range (what binding port 0 gives) can be taken before the server binds it, as
    the source port of any outgoing connection on the machine, the readiness polls' included: seen
    as MLServer's metrics server failing with 'address already in use' after its model was ready.
    Below the range only another listener can take it.
    """
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    first = max(1024, low - 8192)
    candidates = [p for p in range(first, low) if p not in _given]
    for port in random.sample(candidates, len(candidates)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)  # a port this run handed out, maybe not bound yet, is never given twice
        return port
    raise RuntimeError(f"no free port on 127.0.0.1 in {first}-{low - 1}")


def start(target: Target, cpu: int, log: Path) -> Running:
    """Start `target` pinned to `cpu` and wait until its model is ready; give it with its start time."""
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **target.env}
    with log.open("ab") as out:
        started = time.perf_counter()
        process = subprocess.Popen(["taskset", "-c", str(cpu), *target.command], cwd=target.cwd, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    running = Running(target, process, 0.0, log=log)
    url = running.base + target.ready_path
    while not _answers(url):
        if process.poll() is not None:
            raise RuntimeError(f"{target.name} exited with {process.returncode} before it was ready; see {log}")
        if time.perf_counter() - started > READY_TIMEOUT_S:
            stop(running)
            raise RuntimeError(f"{target.name} was not ready after {READY_TIMEOUT_S:.0f} s; see {log}")
        time.sleep(0.005)
    running.start_s = time.perf_counter() - started
    time.sleep(1.0)  # let start-up work (background threads, first collections) settle before "idle"
    running.idle_rss_mb = rss_mb(process.pid)
    return running


def stop(running: Running) -> None:
    """Stop the server this harness started: SIGTERM to its process group, SIGKILL after 20 s."""
    process = running.process
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own session: the group is only what it started
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def rss_mb(pid: int) -> float:
    """Give the resident set size of `pid` and its descendants, in MiB."""
    total_kb = 0
    for p in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total_kb / 1024


def cpu_seconds(pid: int) -> float:
    """Give the user + system CPU time of `pid` and its descendants so far."""
    total = 0
    for p in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def cpu_busy_s(cpu: int) -> float:
    """Give the time `cpu` has spent busy (user, nice, system, irq, softirq, steal) since boot."""
    line = next(x for x in Path("/proc/stat").read_text().splitlines() if x.startswith(f"cpu{cpu} "))
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, line.split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class PeakRss:
    """Samples a process tree's RSS every 200 ms while in a `with` block; `peak_mb` is the largest seen.

    `stalled_s` is the longest the sampler itself was held up past its 200 ms, by the wall clock
    (the clock wrk's latencies use). The sampler runs beside wrk, off the server's CPU, so a stall
    of the whole machine shows here (seen: 6.4 s, the host pausing the VM; the kernel logged
    "crng reseeded due to virtual machine fork"), and a stall of the server alone does not.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = 0.0
        self.stalled_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, rss_mb(self.pid))

    def _sample(self) -> None:
        last = time.time()
        while not self._stop.wait(0.2):
            now = time.time()
            self.stalled_s = max(self.stalled_s, now - last - 0.2)
            last = now
            self.peak_mb = max(self.peak_mb, rss_mb(self.pid))


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.extend(int(c) for c in children)
        frontier.extend(int(c) for c in children)
    return found


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False
