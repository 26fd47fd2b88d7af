"""The service's limits on a request's head, over real sockets: a slow head, a long line, many headers.

The process runs with a 1 s head timeout (STOPLINE_SERVICE_HEAD_TIMEOUT_S), so a slow client is
dropped within the test's time; sizes and counts are the defaults.
"""

import json
import socket
import time

import pytest

from tests.component.processes import connect, read_all, running_service

pytestmark = pytest.mark.component

HEAD_TIMEOUT_S = 1.0
# A timer fires by the event loop's clock, which uvloop (libuv) reads once per loop turn in whole
# milliseconds: seen from the client's clock it can fire a little early (CI: 0.99997 s for 1 s).
TIMER_SLACK_S = 0.01


@pytest.fixture(scope="module")
def head_server(bundle_dir):
    with running_service(bundle_dir, {"STOPLINE_SERVICE_HEAD_TIMEOUT_S": str(HEAD_TIMEOUT_S)}) as running:
        yield running


def refusal(answer: bytes) -> tuple[int, str, str]:
    """Give the status, the problem's type and its message of a refusal the server sent, then closed."""
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"connection: close" in head.lower()
    problem = json.loads(body)["detail"][0]
    return int(head.split()[1]), problem["type"], problem["msg"]


def test_a_head_sent_a_byte_at_a_time_is_answered_408_and_closed(head_server):
    port, _ = head_server
    started = time.monotonic()
    with connect(port, b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ") as connection:
        connection.settimeout(0.25)
        answer = b""
        while not answer and time.monotonic() - started < 5 * HEAD_TIMEOUT_S:
            try:
                connection.sendall(b"a")  # each byte would have cancelled uvicorn's own keep-alive timer
                answer = connection.recv(65536)
            except socket.timeout:
                continue
        answer += read_all(connection)
    elapsed = time.monotonic() - started
    assert refusal(answer) == (408, "request_timeout", "the request's head did not arrive within 1 s")
    assert HEAD_TIMEOUT_S - TIMER_SLACK_S <= elapsed < 3 * HEAD_TIMEOUT_S


def test_a_connection_that_never_sends_is_closed_without_an_answer(head_server):
    port, _ = head_server
    started = time.monotonic()
    with connect(port, b"") as connection:
        assert read_all(connection) == b""
    assert HEAD_TIMEOUT_S - TIMER_SLACK_S <= time.monotonic() - started < 3 * HEAD_TIMEOUT_S


def test_a_request_line_past_the_cap_is_answered_414(head_server):
    port, _ = head_server
    with connect(port, b"GET /" + b"a" * 1_048_576 + b" HTTP/1.1\r\nHost: x\r\n\r\n") as connection:
        answer = read_all(connection)
    assert refusal(answer) == (414, "request_line_too_long", "the request line is longer than 16384 bytes")


def test_a_header_line_past_the_cap_is_answered_431(head_server):
    port, _ = head_server
    with connect(port, b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n") as connection:
        answer = read_all(connection)
    assert refusal(answer) == (431, "headers_too_large", "the request line and headers pass 16384 bytes")


@pytest.mark.parametrize("count, status", [(100, b"200"), (101, b"431"), (10_000, b"431")])
def test_more_than_100_headers_are_answered_431(head_server, count, status):
    port, _ = head_server
    headers = b"".join(b"X-%d: 1\r\n" % i for i in range(count - 2))  # and Host and Connection
    with connect(port, b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers + b"\r\n") as c:
        answer = read_all(c)
    assert answer.split()[1] == status
    if status == b"431":
        assert refusal(answer) == (431, "too_many_headers", "the request has more than 100 headers")


@pytest.mark.parametrize("framing", [
    b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
])
def test_an_ambiguous_body_length_is_answered_400(head_server, framing):
    port, _ = head_server
    with connect(port, b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + framing) as c:
        answer = read_all(c)
    assert answer.startswith(b"HTTP/1.1 400 ")


def test_a_keep_alive_connection_outlives_the_head_timeout_between_requests(head_server):
    port, _ = head_server
    request = b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"
    answers = []
    with connect(port, request) as connection:
        for n in range(4):  # the head timer runs only while a head arrives, not for a connection's life
            answer = b""
            while not answer.endswith(b'{"status":"live"}'):
                answer += connection.recv(65536) or pytest.fail(f"closed after {n} answers")
            answers.append(answer.split(b"\r\n")[0])
            time.sleep(HEAD_TIMEOUT_S * 0.8)
            connection.sendall(request)
    assert answers == [b"HTTP/1.1 200 OK"] * 4
