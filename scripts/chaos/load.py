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

import httpx

from scripts.bench import loadgen
from scripts.bench.loadgen import Load
from scripts.chaos.background import Background


@dataclass(frozen=True)
class Traffic:
    """One kind of request at one rate: the wrk script and its connections."""

    script: Path
    connections: int
    path: str = "/predict"
    threads: int = 1
    timeout_s: float = 5
    nice: int = 0  # wrk's scheduling priority: 19 takes only the CPU the stack leaves

    def measure(self, base_url: str, seconds: float) -> Load:
        """Give one wrk run of `seconds` against `base_url`."""
        return self.start(base_url, seconds).result()

    def start(self, base_url: str, seconds: float) -> Running:
        """Start one wrk run of `seconds` in the background."""
        command = loadgen.command(base_url + self.path, self.script, seconds, self.connections,
                                  threads=self.threads, timeout_s=self.timeout_s)
        if self.nice:
            command = ["nice", "-n", str(self.nice), *command]
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


def paced(work: Path, body: bytes, base_url: str, target_rps: float, connections: int, trial_s: float,
          threads: int = 1, nice: int = 0) -> tuple[Traffic, Load]:
    """Give traffic paced for `target_rps` at `base_url`, and the trial run that corrected it.

    n connections, each waiting d ms after an answer, send n * 1000 / (d + answer ms) a second: a
    first d as if answers took no time, then one correction from the rate a `trial_s` run reached.
    (wrk's delay() is whole milliseconds; the correction absorbs that too.)
    """
    def traffic(delay_ms: float) -> Traffic:
        return Traffic(predict_script(work, body, round(max(delay_ms, 0.0), 2)), connections, threads=threads,
                       nice=nice)

    delay_ms = connections * 1000 / target_rps
    trial = traffic(delay_ms).measure(base_url, trial_s)
    answer_ms = connections * 1000 / trial.rps - delay_ms
    return traffic(delay_ms - answer_ms), trial


@dataclass(frozen=True)
class Answer:
    sent: float  # monotonic seconds
    ms: float
    status: int  # 0: no answer (the error is in `error`)
    retry_after: str | None
    error: str = ""


class Probe(Background):
    """One client's requests, one after another every `every_s`, each timed: a measurement beside wrk's load.

    wrk gives one latency histogram for every answer; under overload that mixes the refused
    (fast) with the accepted, so the accepted ones' latency is measured here, request by request.
    """

    def __init__(self, url: str, body: bytes, every_s: float = 0.005, limit: int = 5_000) -> None:
        super().__init__()
        self.url, self.body, self.every_s, self.limit = url, body, every_s, limit
        self.answers: list[Answer] = []

    def _run(self) -> None:
        with httpx.Client(timeout=10, headers={"content-type": "application/json"}) as client:
            while not self._stop.is_set() and len(self.answers) < self.limit:
                sent = time.monotonic()
                try:
                    r = client.post(self.url, content=self.body)
                    answer = Answer(sent, (time.monotonic() - sent) * 1000, r.status_code, r.headers.get("retry-after"))
                except httpx.HTTPError as exc:
                    answer = Answer(sent, (time.monotonic() - sent) * 1000, 0, None, f"{type(exc).__name__}: {exc}")
                self.answers.append(answer)
                self._stop.wait(max(0.0, self.every_s - (time.monotonic() - sent)))

    def between(self, start: float, end: float) -> list[Answer]:
        return [a for a in self.answers if start <= a.sent < end]


def p99(values: list[float]) -> float | None:
    """Give the 99th percentile (nearest rank) of `values`, None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2)
