"""SIGTERM to one container under load: what was in flight completes, the process exits 0 in its grace."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import orjson

from scripts.chaos.context import PHASE_S, Context
from scripts.chaos.result import Outcome
from scripts.chaos.targets import Container, host_pid
from scripts.deploy.swarm import epoch

GRACE_S = 10  # the service's shutdown_grace_s default; docker-compose.yml gives it 15 s before SIGKILL
IN_FLIGHT = 16  # 1,000-row requests sent just before the signal
TERM_LOAD_S = 3.0  # wrk ends soon after the service does: past it, every try is refused
SIGNAL_AFTER_S = 0.02


def sigterm(ctx: Context, container: Container) -> Outcome:
    """SIGTERM while paced predictions run and 8 large batches are in flight: every batch completes."""
    outcome = Outcome("SIGTERM to a container", target="single container",
                      action=f"SIGTERM to the container's process under paced single-row predictions, with {IN_FLIGHT} "
                             "1,000-row batches in flight")
    outcome.phases["before"] = ctx.steady.measure(container.url, PHASE_S)
    run = ctx.steady.start(container.url, TERM_LOAD_S)
    time.sleep(1)
    # Each batch on a connection opened beforehand, sent at one moment: at the signal, every one
    # is at the service (its headers read), one being answered and the rest waiting their turn.
    clients = [httpx.Client(base_url=container.url, timeout=30) for _ in range(IN_FLIGHT)]
    for client in clients:
        client.get("/health/live")
    pid = host_pid(container.id)
    go = threading.Barrier(IN_FLIGHT + 1)
    with concurrent.futures.ThreadPoolExecutor(IN_FLIGHT) as pool:
        batches = [pool.submit(_batch, client, ctx.batch_body, go) for client in clients]
        go.wait()
        time.sleep(SIGNAL_AFTER_S)
        signalled = time.time()
        os.kill(pid, signal.SIGTERM)  # what docker kill --signal TERM does, without its client's delay
        refused = _new_connection_refused(container.url)
        answers = [b.result() for b in batches]
    for client in clients:
        client.close()
    outcome.phases["during"] = run.result()
    state = _wait_exited(container, timeout=GRACE_S + 10)
    stopped_after = round(epoch(state["FinishedAt"]) - signalled, 2) if not state["Running"] else None
    outcome.recovery_s = stopped_after
    complete = sum(1 for how, _ in answers if how == "complete")
    after_signal = sum(1 for _, ended in answers if ended > signalled)
    server_errors = sum(n for status, n in outcome.phases["during"].statuses.items() if status >= 500)
    outcome.figures.update({"in_flight_answers": [how for how, _ in answers], "answered_after_sigterm": after_signal,
                            "new_connection_after_sigterm": refused})
    outcome.check("batches still in flight at the signal", after_signal, after_signal >= 1,
                  ">= 1 (else nothing was caught in flight)")
    outcome.check("batches in flight answered whole", f"{complete} of {IN_FLIGHT}", complete == IN_FLIGHT,
                  f"{IN_FLIGHT} of {IN_FLIGHT}")
    outcome.check("5xx answers", server_errors, server_errors == 0, "0")
    outcome.check("exit status", state["ExitCode"], state["ExitCode"] == 0 and not state["Running"], "0")
    outcome.check("exited after SIGTERM (s)", stopped_after, stopped_after is not None and stopped_after <= GRACE_S,
                  f"<= {GRACE_S}")
    outcome.check("a new connection after SIGTERM", refused, refused.startswith("refused"),
                  "refused or closed before any answer")
    return outcome


def _batch(client: httpx.Client, body: bytes, go: threading.Barrier) -> tuple[str, float]:
    """Give how one large request ended (complete, truncated, or its status), and when (epoch seconds)."""
    rows = len(orjson.loads(body)["instances"])
    go.wait()
    try:
        answer = client.post("/predict", content=body, headers={"content-type": "application/json"})
    except httpx.HTTPError as exc:
        return f"failed: {type(exc).__name__}: {exc}", time.time()
    ended = time.time()
    if answer.status_code != 200:
        return f"status {answer.status_code}", ended
    try:
        predictions = orjson.loads(answer.content)["predictions"]
    except (orjson.JSONDecodeError, KeyError):
        return "truncated", ended
    return ("complete" if len(predictions) == rows else f"{len(predictions)} of {rows} predictions"), ended


def _new_connection_refused(url: str) -> str:
    """Give what a new connection meets shortly after SIGTERM: refused, closed unanswered, or an answer."""
    time.sleep(0.05)  # the service closes its listener at once; docker-proxy may still accept, then close
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2) as conn:
            conn.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            data = conn.recv(1024)
    except ConnectionRefusedError:
        return "refused (connection refused)"
    except (ConnectionResetError, TimeoutError, OSError) as exc:
        return f"refused ({type(exc).__name__})"
    return "refused (closed before any answer)" if not data else f"answered: {data[:40]!r}"


def _wait_exited(container: Container, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    state = container.state()
    while state["Running"] and time.monotonic() < deadline:
        time.sleep(0.1)
        state = container.state()
    return state
