"""One wrk run: a Lua script that sends the request and counts every answer that is not 2xx.

wrk's own error count takes only statuses over 399; the `response` hook here counts
anything from 300 up, and `done` prints one machine-readable line with the counts, the
duration and the latency percentiles (wrk's microseconds), and one with the count of each
status, so nothing is scraped from wrk's human output. A script may pace each connection
(`delay_ms` between its requests), for a load below saturation (scripts/chaos).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

MARK = "STOPLINE_BENCH"
STATUS_MARK = "STOPLINE_STATUS"
FIELDS = ("requests", "duration_us", "p50_us", "p90_us", "p99_us", "max_us", "bad_status",
          "connect", "read", "write", "timeout")

LUA = """\
local body_file = {body_file}
wrk.method = {method}
if body_file then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end
{delay}local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; statuses = {{}} end
function response(status, headers, body)
  if status < 200 or status >= 300 then bad = bad + 1 end
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local bad_total, counts = 0, {{}}
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    for status, n in pairs(t:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local e = summary.errors
  io.write(string.format("{mark} %d %d %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, bad_total, e.connect, e.read, e.write, e.timeout))
  io.write("{status_mark}")
  for status, n in pairs(counts) do io.write(string.format(" %d:%d", status, n)) end
  io.write("\\n")
end
"""


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # answers outside 2xx, plus socket errors and timeouts: any makes the run invalid
    statuses: dict[int, int] = field(default_factory=dict)  # answers by HTTP status
    socket_errors: dict[str, int] = field(default_factory=dict)  # wrk's connect, read, write, timeout

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def lua_script(method: str, body_file: Path | None, delay_ms: float | None = None) -> str:
    """Give the wrk script for one request: `method`, the JSON body read from `body_file`, paced by `delay_ms`."""
    body = "nil" if body_file is None else _lua_string(str(body_file))
    delay = "" if delay_ms is None else f"function delay() return {delay_ms:g} end\n"
    return LUA.format(body_file=body, method=_lua_string(method), mark=MARK, status_mark=STATUS_MARK, delay=delay)


def parse(output: str) -> Load:
    """Give the measurements in wrk's output; raise ValueError when the script's line is missing."""
    lines = [line.split()[1:] for line in output.splitlines() if line.startswith(MARK + " ")]
    if len(lines) != 1 or len(lines[0]) != len(FIELDS):
        raise ValueError(f"wrk printed no {MARK} line; its output was:\n{output}")
    v = dict(zip(FIELDS, map(int, lines[0])))
    socket_errors = {kind: v[kind] for kind in ("connect", "read", "write", "timeout")}
    errors = v["bad_status"] + sum(socket_errors.values())
    statuses: dict[int, int] = {}
    for line in output.splitlines():
        if line.startswith(STATUS_MARK):
            statuses = {int(s): int(n) for s, n in (pair.split(":") for pair in line.split()[1:])}
    return Load(requests=v["requests"], seconds=v["duration_us"] / 1e6, p50_ms=v["p50_us"] / 1e3,
                p90_ms=v["p90_us"] / 1e3, p99_ms=v["p99_us"] / 1e3, max_ms=v["max_us"] / 1e3, errors=errors,
                statuses=dict(sorted(statuses.items())), socket_errors=socket_errors)


def command(url: str, script: Path, seconds: float, connections: int, cpu: int | None = None,
            threads: int = 1, timeout_s: float = 5) -> list[str]:
    """Give the wrk command line: `threads` threads, `connections` connections, pinned to `cpu` when given."""
    pin = [] if cpu is None else ["taskset", "-c", str(cpu)]
    return [*pin, "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", f"{timeout_s:g}s",
            "-s", str(script), url]


def run(url: str, script: Path, seconds: float, connections: int, cpu: int) -> Load:
    """Give one wrk run against `url` pinned to `cpu`: one thread, `connections` connections."""
    command_line = command(url, script, seconds, connections, cpu)
    done = subprocess.run(command_line, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return parse(done.stdout)


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"
