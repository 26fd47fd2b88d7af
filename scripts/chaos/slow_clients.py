"""Slow and idle clients beside normal ones: the slow are dropped by timeouts, the normal do not notice.

500 connections send their headers a few bytes a second (slowhttptest's slowloris mode,
Debian's slowhttptest) and 500 more send one request each, then sit idle on the open
connection, while paced normal clients (wrk) run.

The idle ones are held here (IdleClients), not by wrk: wrk calls a script's delay() before a
connection's first request too, so a wrk connection paced 60 s sends nothing at all; the
server's head timeout closes it and wrk opens the next, 500 together every 5 s. That is
neither idle keep-alive nor load, so they are 500 sockets of our own: one request each, then
nothing, and the second the server closes each is written down.
"""

from __future__ import annotations

import csv
import re
import selectors
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scripts.chaos.background import Background
from scripts.chaos.context import PHASE_S, Context
from scripts.chaos.result import Outcome, failures
from scripts.chaos.targets import Container

SLOW = 500
IDLE = 500
LOAD_S = 15.0
SLOW_S = 20  # slowhttptest's own limit; it ends earlier once every connection is closed
DROPPED_WITHIN_S = 10.0  # the head timeouts are 5 s at the front door and at the service
IDLE_CLOSED_WITHIN_S = 10.0  # the keep-alive timeouts are 5 s at the front door and at the service
OPEN_OVER_S = 1.0  # the idle clients arrive over a second, not in one instant
LATENCY_FACTOR = 5
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def slow_clients(ctx: Context, url: str, target: str) -> Outcome:
    outcome = Outcome("slow and idle clients", target=target,
                      action=f"{SLOW} connections sending headers a few bytes a second (slowhttptest -H) and {IDLE} "
                             "keep-alive connections that ask once, then sit idle, beside paced normal clients")
    outcome.phases["before"] = before = ctx.steady.measure(url, PHASE_S)
    report = ctx.work / f"slowloris-{target.replace(' ', '-')}"
    slow = subprocess.Popen(["slowhttptest", "-H", "-c", str(SLOW), "-r", str(SLOW), "-i", "1", "-x", "2",
                             "-l", str(SLOW_S), "-p", "3", "-g", "-o", str(report), "-u", url + "/health/live"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with IdleClients(url, IDLE, OPEN_OVER_S) as idle:
        time.sleep(2)  # every slow and idle connection open
        outcome.phases["during"] = during = ctx.steady.measure(url, LOAD_S - 4)
        try:
            said = slow.communicate(timeout=SLOW_S + 30)[0]
        except subprocess.TimeoutExpired:
            slow.kill()
            said = slow.communicate()[0]
    outcome.phases["after"] = ctx.steady.measure(url, PHASE_S)
    held, dropped_after = _slowloris(report.with_suffix(".csv"), said)
    idle_for = idle.idle_for()
    outcome.figures.update({"slowloris_held": held, "slowloris_all_closed_after_s": dropped_after,
                            "idle_answered": idle.answered(), "idle_not_opened": idle.errors[:5],
                            "idle_closed_by_server": len(idle_for),
                            "idle_longest_s": max(idle_for, default=None)})
    outcome.check("normal clients' failed requests", failures(during), failures(during) == 0, "0")
    outcome.check("normal p99 / unloaded p99", round(during.p99_ms / before.p99_ms, 2),
                  during.p99_ms <= LATENCY_FACTOR * before.p99_ms, f"<= {LATENCY_FACTOR}")
    outcome.check("slow connections held at once", held, held >= 0.9 * SLOW, f">= {int(0.9 * SLOW)} of {SLOW}")
    outcome.check("slow connections all dropped after (s)", dropped_after,
                  dropped_after is not None and dropped_after <= DROPPED_WITHIN_S, f"<= {DROPPED_WITHIN_S:g}")
    outcome.check("idle connections answered 200", idle.answered(), idle.answered() == IDLE, f"{IDLE} of {IDLE}")
    outcome.check("idle connections closed by the server after their answer", len(idle_for), len(idle_for) == IDLE,
                  f"{IDLE} of {IDLE}")
    outcome.check("longest an idle connection was held (s)", max(idle_for, default=None),
                  bool(idle_for) and max(idle_for) <= IDLE_CLOSED_WITHIN_S, f"<= {IDLE_CLOSED_WITHIN_S:g}")
    return outcome


@dataclass
class _Idle:
    sock: socket.socket
    received: bytes = b""
    answered_at: float | None = None
    closed_at: float | None = None


class IdleClients(Background):
    """`count` keep-alive connections to `url` that each ask GET /health/live once, then sit idle.

    A connection holder beside the load, not load: it opens them over `open_over_s`, reads each
    answer's status line, and notes when the server closes each connection.
    """

    def __init__(self, url: str, count: int, open_over_s: float) -> None:
        super().__init__()
        self.url, self.count, self.open_over_s = url, count, open_over_s
        self.clients: list[_Idle] = []
        self.errors: list[str] = []  # connections that could not be opened or sent on

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        for client in self.clients:
            client.sock.close()

    def _run(self) -> None:
        address = urlsplit(self.url)
        request = f"GET /health/live HTTP/1.1\r\nHost: {address.netloc}\r\n\r\n".encode()
        selector = selectors.DefaultSelector()
        for _ in range(self.count):
            try:
                sock = socket.create_connection((address.hostname, address.port), timeout=5)
                sock.sendall(request)
            except OSError as error:
                self.errors.append(f"{type(error).__name__}: {error}")
                continue
            sock.setblocking(False)
            client = _Idle(sock)
            self.clients.append(client)
            selector.register(sock, selectors.EVENT_READ, client)
            self._read(selector, self.open_over_s / self.count)
        while not self._stop.is_set():
            self._read(selector, 0.1)
        selector.close()

    def _read(self, selector: selectors.BaseSelector, timeout_s: float) -> None:
        for key, _ in selector.select(timeout_s):
            client: _Idle = key.data
            try:
                data = client.sock.recv(65536)
            except ConnectionError:
                data = b""
            if data:
                client.received += data
                if client.answered_at is None and b"\r\n\r\n" in client.received:
                    client.answered_at = time.monotonic()
            else:
                client.closed_at = time.monotonic()
                selector.unregister(client.sock)

    def answered(self) -> int:
        """Give how many got a 200."""
        return sum(1 for c in self.clients if c.answered_at and c.received.startswith(b"HTTP/1.1 200 "))

    def idle_for(self) -> list[float]:
        """Give, for each connection the server closed after its answer, the seconds it sat idle first."""
        return [round(c.closed_at - c.answered_at, 2) for c in self.clients if c.closed_at and c.answered_at]


def _slowloris(report: Path, said: str) -> tuple[int, float | None]:
    """Give the most slow connections open at once (slowhttptest's CSV), and the second it found none left."""
    with report.open() as rows:
        held = max(int(r["Connected"]) for r in csv.DictReader(rows))
    ended = re.search(r"Test ended on (\d+)\w* second", ANSI.sub("", said))
    if ended is None or "No open connections left" not in said:
        return held, None
    return held, float(ended.group(1))


def at_front_door(ctx: Context) -> Outcome:
    return slow_clients(ctx, ctx.door, "front door")


def at_container(ctx: Context, container: Container) -> Outcome:
    return slow_clients(ctx, container.url, "single container")
