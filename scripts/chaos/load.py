"""Traffic for the scenarios: wrk (Debian's), driven through scripts/bench/loadgen's Lua hook.

Every scenario's load is wrk: paced connections (a delay between each one's requests) for a
steady rate below saturation, unpaced ones for capacity and overload. A run can go on in the
background while a scenario does its harm, and is read when it ends.
"""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from scripts.bench import loadgen
from scripts.bench.loadgen import Load


@dataclass(frozen=True)
class Traffic:
    """One kind of request at one rate: the wrk script and its connections."""

    script: Path
    connections: int
    path: str = "/predict"
    threads: int = 1
    timeout_s: float = 5

    def measure(self, base_url: str, seconds: float) -> Load:
        """Give one wrk run of `seconds` against `base_url`."""
        return self.start(base_url, seconds).result()

    def start(self, base_url: str, seconds: float) -> Running:
        """Start one wrk run of `seconds` in the background."""
        command = loadgen.command(base_url + self.path, self.script, seconds, self.connections,
                                  threads=self.threads, timeout_s=self.timeout_s)
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return Running(process, seconds, time.monotonic())


@dataclass
class Running:
    """A wrk run under way."""

    process: subprocess.Popen[str]
    seconds: float
    started: float

    def stop(self) -> Load:
        """End the run now (wrk stops on SIGINT and still reports) and give what it measured."""
        self.process.send_signal(signal.SIGINT)
        return self.result()

    def result(self) -> Load:
        """Wait for the run's end and give what it measured."""
        try:
            out, err = self.process.communicate(timeout=self.seconds + 60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        if self.process.returncode != 0:
            raise RuntimeError(f"wrk failed ({self.process.returncode}): {err.strip() or out.strip()}")
        return loadgen.parse(out)


def predict_script(work: Path, body: bytes, delay_ms: float | None = None) -> Path:
    """Write the wrk script that posts `body` to /predict, each connection pausing `delay_ms`; give its path."""
    work.mkdir(parents=True, exist_ok=True)
    name = "predict" if delay_ms is None else f"predict-every-{delay_ms:g}ms"
    body_file = work / "predict.json"
    body_file.write_bytes(body)
    path = work / f"{name}.lua"
    path.write_text(loadgen.lua_script("POST", body_file, delay_ms=delay_ms))
    return path
