"""The browser tests' server runs the work held for after a response, even on a reset
connection (``conftest.ClosedOnceSent``)."""

from __future__ import annotations

import socket
import struct
import time

import pytest
from flask import Flask, redirect

from tests.browser.conftest import serve

pytestmark = pytest.mark.browser


def _read_start_then_reset(url: str) -> None:
    """Ask for the page, read the first bytes of the answer and reset the connection, as
    Chromium now and then does after a redirect (the rest of the answer left unread)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(b"GET /moved HTTP/1.1\r\nHost: test\r\n\r\n")
        assert conn.recv(12).startswith(b"HTTP/1.1 302")
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_response_is_closed_when_the_client_resets_the_connection_after_reading_it():
    app = Flask(__name__)
    closed = []

    @app.get("/moved")
    def moved():
        response = redirect("/elsewhere")
        response.call_on_close(lambda: closed.append(True))  # as jobs.deferred does
        return response

    with serve(app) as url:
        for _ in range(10):
            _read_start_then_reset(url)
        deadline = time.monotonic() + 5
        while len(closed) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(closed) == 10
