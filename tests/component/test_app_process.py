"""`python -m service` as a process: serving imports, fail-closed start, bad settings, real HTTP, SIGTERM."""

import http.client
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.component.processes import START_S, connect, free_port, read_all, running_service
from tests.paths import ROOT

pytestmark = pytest.mark.component

FORBIDDEN = ("sklearn", "pandas", "skl2onnx", "service.train")
SERVE_AND_LIST_IMPORTS = """
import asyncio, json, sys
import httpx
import uvicorn  # everything `python -m service` imports, then a request served
import service.__main__, service.app.logs, service.settings
from service.app import create_app
from service.settings import ServiceSettings

async def serve_one():
    app = create_app(ServiceSettings(bundle=sys.argv[1]))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            row = {"Flow Rate (l/min)": 90.0, "Pump Model": "A-100", "Inlet-Pressure": 6.0, "Vibration RMS": 4.0,
                   "Site": "North Yard"}
            return (await http.post("/predict", json={"instances": [row]})).status_code

status = asyncio.run(serve_one())
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def python(*args, env=None, timeout=START_S):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def test_serving_imports_nothing_from_training(bundle_dir):
    done = python("-c", SERVE_AND_LIST_IMPORTS, str(bundle_dir))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == 200
    assert [m for m in report["modules"] if m.split(".")[0] in FORBIDDEN or m.startswith(FORBIDDEN)] == []
    assert "onnxruntime" in report["modules"]  # the check looks where the imports are


def damaged(bundle_dir, tmp_path, how):
    """Give a copy of the bundle with one thing wrong, and the path the refusal must name."""
    copy = tmp_path / "bundle"
    shutil.copytree(bundle_dir, copy)
    if how == "missing directory":
        shutil.rmtree(copy)
        return copy, copy / "bundle.json"
    if how == "missing model":
        (copy / "model.onnx").unlink()
        return copy, copy / "model.onnx"
    if how == "changed byte":
        data = bytearray((copy / "model.onnx").read_bytes())
        data[len(data) // 2] ^= 0x01
        (copy / "model.onnx").write_bytes(bytes(data))
        return copy, copy / "model.onnx"
    (copy / "bundle.json").write_text("{not json", encoding="utf-8")
    return copy, copy / "bundle.json"


@pytest.mark.parametrize("how", ["missing directory", "missing model", "changed byte", "unreadable manifest"])
def test_a_bad_bundle_stops_the_start_naming_the_file(bundle_dir, tmp_path, how):
    bundle, named = damaged(bundle_dir, tmp_path, how)
    done = python("-m", "service", "--bundle", str(bundle), "--port", str(free_port()))  # a hang times out
    assert done.returncode == 1
    assert f"\nstopline service refused to start: {named}: " in done.stderr, done.stderr
    assert "Application startup complete" not in done.stderr and "Uvicorn running" not in done.stderr


@pytest.mark.parametrize("env, args, message", [
    ({"STOPLINE_SERVICE_MAX_BATCH_ROWS": "0"}, [],
     "max_batch_rows (STOPLINE_SERVICE_MAX_BATCH_ROWS): Input should be greater than or equal to 1, got '0'"),
    ({}, ["--port", "70000"],
     "port (STOPLINE_SERVICE_PORT): Input should be less than or equal to 65535, got 70000"),
    ({"STOPLINE_SERVICE_LOG_LEVEL": "loud"}, [],
     "log_level (STOPLINE_SERVICE_LOG_LEVEL): Input should be 'critical', 'error', 'warning', 'info' or 'debug', "
     "got 'loud'"),
])
def test_a_bad_setting_stops_the_start_naming_it(env, args, message):
    done = python("-m", "service", *args, env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == f"stopline service: invalid setting: {message}"


@pytest.fixture
def server(bundle_dir):
    """Give a running `python -m service` (its port and process), ready; stop it if the test did not."""
    with running_service(bundle_dir, {"STOPLINE_SERVICE_SHUTDOWN_GRACE_S": "5"}) as running:
        yield running


def test_a_chunked_body_over_the_limit_is_cut_off_with_413(server):
    port, _ = server
    head = (b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (16384, b" " * 16384)
    with connect(port, head) as connection:
        sent = 0
        while not select.select([connection], [], [], 0.001)[0]:  # stream until the server answers
            connection.sendall(chunk)
            sent += len(chunk)
            assert sent < 64 * 1_048_576, "no answer after 64 MiB"
        answer = read_all(connection)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"connection: close" in answer.lower()
    assert answer.endswith(b'"type":"body_too_large"}]}')


def chunks_of(size, total):
    """Yield `total` bytes of spaces, `size` at a time."""
    for _ in range(total // size):
        yield b" " * size


@pytest.mark.parametrize("framing", ["3 MB with Content-Length", "7 MB chunked"])
def test_a_client_that_writes_its_whole_body_first_receives_the_413(server, framing):
    # http.client, like many clients, sends the whole body before it reads a byte of the answer.
    port, _ = server
    answers = []
    for _ in range(20):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            if framing.endswith("chunked"):
                connection.request("POST", "/predict", body=chunks_of(65536, 7 * 1_048_576), encode_chunked=True,
                                   headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
            else:
                connection.request("POST", "/predict", body=b" " * 3_000_000,
                                   headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            answers.append((response.status, json.loads(response.read())["detail"][0]["type"]))
        except (ConnectionError, http.client.HTTPException) as exc:
            answers.append((0, type(exc).__name__))
        finally:
            connection.close()
    assert answers == [(413, "body_too_large")] * 20


def test_sigterm_finishes_the_request_in_flight_then_exits_0(server, good_row):
    port, process = server
    body = json.dumps({"instances": [good_row]}).encode()
    head = (b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    with connect(port, head) as connection:
        # The server says "100 Continue" once the app asks for the body: the request is in flight.
        assert connection.recv(1024) == b"HTTP/1.1 100 Continue\r\n\r\n"
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # SIGTERM stops new connections first
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            except ConnectionRefusedError:
                break
            time.sleep(0.02)  # polling the listener: there is nothing else to wait on
        else:
            pytest.fail("still taking connections 5 s after SIGTERM")
        connection.sendall(body)
        answer = read_all(connection)
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert b'"label":"ok"' in answer
    assert process.wait(timeout=5) == 0
    log = [json.loads(line) for line in process.stderr.read().splitlines()]
    access = [entry for entry in log if entry["logger"] == "stopline.access"]
    assert [(e["path"], e["status"]) for e in access] == [("/health/ready", 200), ("/predict", 200)]
    assert all(len(e["request_id"]) == 32 for e in access)
