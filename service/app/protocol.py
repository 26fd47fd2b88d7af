"""uvicorn's httptools protocol, with the limits it lacks on a request's head: time, size, header count.

uvicorn (0.54) reads a request line and its headers with no deadline and no cap: a client
sending a byte a second holds its connection for ever (each byte even cancels the keep-alive
timer), and a request line of any length is buffered whole; httptools (llhttp) has no limit
of its own. Here a request's head must arrive within `head_timeout_s` of the connection's
opening or of the request's first byte, in at most `max_head_bytes` (request line and
headers), with at most `max_headers` headers. Past that the answer is 408, 414 or 431 with
`connection: close`, and the connection closes: what nginx's client_header_timeout and
large_client_header_buffers do. Everything else is uvicorn's own.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.settings import ServiceSettings

REASONS = {408: b"Request Timeout", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


class HeadRefused(Exception):
    """A request's head broke a limit; raised inside httptools' callback, which stops the parser."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol whose requests' heads are held to a deadline, a size and a header count."""

    head_timeout_s = 5.0
    max_head_bytes = 16_384
    max_headers = 100

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._header_count = 0
        self._refusal: tuple[int, str, str] | None = None
        self._begun = False  # a request's first byte came: a timeout then gets a 408, not a bare close

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = self._header_count = 0
        self._begun = True
        self._arm_head_timer()

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        if self._head_bytes > self.max_head_bytes:
            self._refuse(414, f"the request line is longer than {self.max_head_bytes} bytes", "request_line_too_long")
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4  # ": " and CRLF
        self._header_count += 1
        if self._header_count > self.max_headers:
            self._refuse(431, f"the request has more than {self.max_headers} headers", "too_many_headers")
        if self._head_bytes > self.max_head_bytes:
            self._refuse(431, f"the request line and headers pass {self.max_head_bytes} bytes", "headers_too_large")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._cancel_head_timer()
        self._begun = False
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        """Answer a request the parser stopped: with the limit it broke, else uvicorn's 400."""
        if self._refusal is None:
            super().send_400_response(msg)
            return
        status, text, kind = self._refusal
        self._write_refusal(status, text, kind)

    def _refuse(self, status: int, text: str, kind: str) -> None:
        self._refusal = (status, text, kind)
        raise HeadRefused(text)

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if not self._begun:  # opened and never used: closed without a word, as nginx does
            self.transport.close()
            return
        self._write_refusal(408, f"the request's head did not arrive within {self.head_timeout_s:g} s",
                            "request_timeout")

    def _write_refusal(self, status: int, text: str, kind: str) -> None:
        body = orjson.dumps({"detail": [{"loc": ["head"], "field": "head", "msg": text, "type": kind}]})
        self.transport.write(b"".join([
            b"HTTP/1.1 %d %s\r\n" % (status, REASONS[status]),
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]))
        self.transport.close()


def protocol_class(settings: ServiceSettings) -> type[GuardedHttpToolsProtocol]:
    """Give the protocol class uvicorn builds each connection with, holding `settings`' head limits."""

    class Configured(GuardedHttpToolsProtocol):
        head_timeout_s = settings.head_timeout_s
        max_head_bytes = settings.max_head_bytes
        max_headers = settings.max_headers

    return Configured
