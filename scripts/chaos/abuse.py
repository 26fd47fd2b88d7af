"""Protocol abuse on raw sockets: malformed and oversized HTTP/1.1 requests, then a pipeline of 100.

Each malformed request must be refused at the HTTP layer (400, 413, 414 or 431: never a 2xx, never a
5xx, never a close without an answer) and the process must stay alive after it; the pipeline's 100
answers must come back in order, each 200 and carrying its own request's x-request-id.
"""

from __future__ import annotations

import select
import socket
import time
from urllib.parse import urlsplit

import h11
import httpx

from scripts.chaos.result import Outcome

TIMEOUT_S = 5.0  # for one case's answer
PIPELINE_TIMEOUT_S = 15.0  # for all the pipeline's answers
MAX_ANSWER = 1 << 20  # bytes read on one connection, at most
CHUNK = 1 << 16
REFUSALS = (400, 413, 414, 431)
PIPELINE = 100
BODY = b'{"rows": [[0]]}'


def _request(line: bytes, host: bytes, headers: list[bytes], body: bytes = b"") -> bytes:
    return b"".join([line, b"\r\nHost: ", host, b"\r\n", *(h + b"\r\n" for h in headers), b"\r\n", body])


def _cases(host: bytes) -> dict[str, bytes]:
    """Give each malformed request by name, as its bytes on the wire."""
    json = b"Content-Type: application/json"
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(BODY), BODY)  # its Content-Length says the body is BODY alone
    return {
        "Content-Length with Transfer-Encoding: chunked": _request(
            b"POST /predict HTTP/1.1", host,
            [json, b"Content-Length: %d" % len(BODY), b"Transfer-Encoding: chunked"], chunked),
        "two different Content-Lengths": _request(
            b"POST /predict HTTP/1.1", host,
            [json, b"Content-Length: %d" % len(BODY), b"Content-Length: %d" % (len(BODY) + 1)], BODY + b" "),
        "obs-folded header": _request(b"GET /health/live HTTP/1.1", host, [b"X-Folded: first\r\n\tsecond"]),
        "header line of 64 KB": _request(b"GET /health/live HTTP/1.1", host, [b"X-Big: " + b"a" * (64 << 10)]),
        "10,000 headers": _request(b"GET /health/live HTTP/1.1", host,
                                   [b"X-Abuse-%d: %d" % (n, n) for n in range(10_000)]),
        "request line of 1 MB": _request(b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1", host, []),
    }


def _expect(conn: h11.Connection, host: bytes) -> None:
    """Move the client side of h11 past one request (already sent raw), so it reads the next answer."""
    conn.send(h11.Request(method="GET", target="/", headers=[(b"Host", host)]))
    conn.send(h11.EndOfMessage())


def _parse(conn: h11.Connection, host: bytes, got: list[h11.Response], wanted: int) -> None:
    """Take the answers out of what was received so far, one request-response cycle after the other."""
    while len(got) < wanted:
        event = conn.next_event()
        if isinstance(event, h11.Response):
            got.append(event)
        elif conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
            _expect(conn, host)
        elif event is h11.NEED_DATA or event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
            return


def exchange(address: tuple[str, int], host: bytes, payload: bytes, wanted: int,
             timeout: float) -> tuple[list[h11.Response], str]:
    """Send payload in one go while reading, until `wanted` answers came; give them and how it ended.

    Reading while writing keeps a server's early refusal (it answers, then closes, before the request's
    end) from being lost in a reset."""
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_ANSWER)
    _expect(conn, host)
    got: list[h11.Response] = []
    sent = received = 0
    notes: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection(address, timeout=timeout)
    except OSError as exc:
        return got, f"connect failed ({type(exc).__name__})"
    with sock:
        sock.setblocking(False)
        while len(got) < wanted:
            left = deadline - time.monotonic()
            if left <= 0:
                return got, f"no answer within {timeout:g} s" if not got else f"timed out after {len(got)} answers"
            readable, writable, _ = select.select([sock], [sock] if sent < len(payload) else [], [], left)
            if writable:
                try:
                    sent += sock.send(payload[sent:sent + CHUNK])
                except OSError as exc:  # the server stopped reading: read what it answered
                    notes.append(f"{type(exc).__name__} after sending {sent} of {len(payload)} bytes")
                    sent = len(payload)
            if not readable:
                continue
            try:
                data = sock.recv(CHUNK)
            except OSError as exc:
                return got, "; ".join([*notes, f"{type(exc).__name__} after {received} bytes received"])
            received += len(data)
            conn.receive_data(data)
            try:
                _parse(conn, host, got, wanted)
            except h11.RemoteProtocolError as exc:
                return got, "; ".join([*notes, f"unparseable answer ({exc})"])
            if not data and len(got) < wanted:
                return got, "; ".join([*notes, f"closed after {received} bytes received"])
            if received >= MAX_ANSWER:
                return got, "; ".join([*notes, f"answer over {MAX_ANSWER} bytes"])
    return got, "; ".join(notes)


def _alive(base_url: str) -> str:
    try:
        return f"status {httpx.get(base_url + '/health/live', timeout=TIMEOUT_S).status_code}"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"


def _describe(got: list[h11.Response], end: str) -> str:
    if got:
        return f"status {got[0].status_code}" + (f" ({end})" if end else "")
    if end.startswith("closed"):
        return f"closed without answer ({end})"
    return f"no answer ({end})"


def _pipeline(address: tuple[str, int], host: bytes) -> tuple[str, bool, dict[str, object]]:
    """Send 100 GET /health/live in one write; give the verdict's value, ok, and what came back."""
    ids = [b"abuse-%d" % n for n in range(PIPELINE)]
    payload = b"".join(_request(b"GET /health/live HTTP/1.1", host, [b"X-Request-Id: " + i]) for i in ids)
    got, end = exchange(address, host, payload, PIPELINE, PIPELINE_TIMEOUT_S)
    right = 0
    wrong: list[str] = []
    for n, response in enumerate(got):
        echoed = dict(response.headers).get(b"x-request-id", b"(none)")
        if response.status_code == 200 and echoed == ids[n]:
            right += 1
        else:
            wrong.append(f"answer {n}: status {response.status_code}, x-request-id {echoed.decode()}")
    figures: dict[str, object] = {"answered": len(got), "right": right, "wrong": wrong[:10], "ended": end or "-"}
    value = f"{right} of {PIPELINE} answered 200 in order with their own id" + (f"; {end}" if end else "")
    return value, right == PIPELINE and len(got) == PIPELINE, figures


# What a proxy may do instead of refusing (RFC 9112): forward a request with both framings as chunked,
# its Content-Length removed (6.3), and replace an obs-fold with spaces (5.2). The service alone
# refuses both with 400, so through the front door an answer from the service that is not a 5xx
# shows the request was made unambiguous before it reached a replica.
NORMALISED = {"Content-Length with Transfer-Encoding: chunked": range(400, 500), "obs-folded header": range(200, 500)}


def protocol_abuse(base_url: str, target: str, normalising_proxy: bool = False) -> Outcome:
    """Malformed requests on raw sockets, each refused with a 4xx while the process stays alive; then a
    pipeline of 100 requests on one connection, answered in order. Through `normalising_proxy`, the
    two requests a proxy may repair instead (NORMALISED) pass when repaired."""
    outcome = Outcome("protocol abuse", target=target,
                      action="raw-socket HTTP/1.1 abuse: CL with TE, two CLs, obs-fold, a 64 KB header, "
                             "10,000 headers, a 1 MB request line, then 100 requests pipelined in one write")
    parts = urlsplit(base_url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    host = parts.netloc.encode()
    cases: dict[str, str] = {}
    alive: dict[str, str] = {}
    for name, payload in _cases(host).items():
        got, end = exchange(address, host, payload, 1, TIMEOUT_S)
        cases[name] = _describe(got, end)
        status = got[0].status_code if got else None
        if normalising_proxy and name in NORMALISED:
            allowed = NORMALISED[name]
            outcome.check(f"{name}: refused or made unambiguous", cases[name], status in allowed,
                          f"{allowed.start}-{allowed.stop - 1}: the proxy repairs it (RFC 9112), the service judges")
        else:
            outcome.check(f"{name}: refused", cases[name], status in REFUSALS, " or ".join(map(str, REFUSALS)))
        alive[name] = _alive(base_url)
    value, ok, outcome.figures["pipeline"] = _pipeline(address, host)
    cases["pipeline of 100"] = value
    outcome.check("pipeline of 100 on one connection", value, ok, f"{PIPELINE} of {PIPELINE}, 200, in order, own id")
    alive["pipeline of 100"] = _alive(base_url)
    outcome.figures["cases"] = cases
    outcome.figures["alive"] = alive
    dead = [name for name, status in alive.items() if status != "status 200"]
    outcome.check("alive after every case", "; ".join(f"{n}: {alive[n]}" for n in dead) or "200 after each",
                  not dead, "GET /health/live 200 after each case")
    return outcome
