"""Limits at the edge: body size (with and without Content-Length) and requests in flight."""

import asyncio

import pytest

pytestmark = pytest.mark.component

LIMIT = 1_048_576
CHUNK = 65_536


def too_large(msg):
    return {"detail": [{"loc": ["body"], "field": "body", "msg": msg, "type": "body_too_large"}]}


def test_a_declared_length_over_the_limit_is_413_before_reading(client, good_row):
    padding = " " * (LIMIT - len('{"instances": []}'))
    fits = client.post("/predict", content='{"instances": [' + padding + "]}")
    assert fits.status_code == 422  # at the limit it is read, and judged on its content
    response = client.post("/predict", content='{"instances": [' + padding + " ]}")
    assert response.status_code == 413
    assert response.headers["connection"] == "close"
    assert response.json() == too_large(f"the body declares {LIMIT + 1} bytes; the limit is {LIMIT} bytes")


def post_chunked(client, chunks):
    """Post `chunks` chunks of spaces with no Content-Length; give the answer and how many chunks were pulled."""
    pulled = 0

    async def body():
        nonlocal pulled
        for _ in range(chunks):
            pulled += 1
            yield b" " * CHUNK

    response = client.post("/predict", content=body(), headers={"content-type": "application/json"})
    return response, pulled


def test_a_chunked_body_over_the_limit_is_413_as_soon_as_it_passes(client):
    response, pulled = post_chunked(client, chunks=160)
    assert response.status_code == 413
    assert response.json() == too_large(f"the body passed {LIMIT} bytes before it ended; the limit is {LIMIT} bytes")
    assert pulled == 160  # the rest was read and discarded (within linger_bytes), so the client reads the 413


def test_a_refused_body_is_discarded_only_up_to_linger_bytes(make_client):
    client = make_client(linger_bytes=2 * LIMIT)
    response, pulled = post_chunked(client, chunks=160)
    assert response.status_code == 413
    # The chunk that passed the cap, then chunks until more than linger_bytes were discarded.
    assert pulled == LIMIT // CHUNK + 1 + 2 * LIMIT // CHUNK + 1


def test_a_chunked_body_under_the_limit_is_read(client, good_row):
    import orjson

    async def in_two_parts():
        text = orjson.dumps({"instances": [good_row]})
        yield text[:20]
        yield text[20:]

    response = client.post("/predict", content=in_two_parts(), headers={"content-type": "application/json"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/predict", "/v2/models/pumps/infer"])
def test_past_the_in_flight_limit_the_answer_is_503_with_retry_after(make_client, good_row, path):
    import orjson

    busy = make_client(max_in_flight=1, retry_after_s=3)
    entered, release = asyncio.Event(), asyncio.Event()
    text = orjson.dumps({"instances": [good_row]})

    async def slow_body():
        yield text[:10]
        entered.set()  # the app asked for more: the first request is in flight
        await release.wait()
        yield text[10:]

    async def scenario():
        first = asyncio.ensure_future(busy.http.post("/predict", content=slow_body()))
        await entered.wait()
        refused = await busy.http.post(path, json={"instances": [good_row]})
        live = await busy.http.get("/health/live")
        ready = await busy.http.get("/health/ready")
        release.set()
        return await first, refused, live, ready

    first, refused, live, ready = busy.run(scenario())
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "3"
    detail = [{"loc": [], "field": "", "msg": "the service is at its limit of 1 requests in flight; retry later",
               "type": "overloaded"}]
    assert refused.json()["detail"] == detail
    assert (live.status_code, ready.status_code, first.status_code) == (200, 200, 200)
    assert busy.post("/predict", json={"instances": [good_row]}).status_code == 200  # the slot was given back
