"""Posting a webhook to the very address that was checked (no second DNS lookup).

``webhook_targets.pin_delivery`` resolves the receiver's name once and checks every address; a plain
HTTP client would then resolve the name again to connect, and a DNS server that answers a
public address to the check and ``127.0.0.1`` to the connection (DNS rebinding) would steer
the post into the platform's own network. So the connection here opens a socket to the
checked address itself, and only the protocol sees the name: the ``Host`` header, and for
https the SNI and the certificate check, which verifies the certificate against the name.

Redirects are never followed: a 3xx is the receiver's answer (a failure, retried like any).
Proxies from the environment are not used either: a proxy would resolve the name itself.
"""

from __future__ import annotations

import http.client
import socket
import ssl

from .webhook_targets import Address, PinnedTarget

MAX_ANSWER = 64 * 1024  # read (and drop) at most this much of an answer before closing


def open_socket(address: Address, port: int, timeout: float) -> socket.socket:
    """A TCP connection to ``address`` itself: no name is looked up."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((str(address), port))
    except BaseException:
        sock.close()
        raise
    return sock


def tls_context() -> ssl.SSLContext:
    """The system's trust store, certificate and host name verification on."""
    return ssl.create_default_context()


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a fixed address; ``host`` (the name) is what the Host header says."""

    def __init__(self, target: PinnedTarget, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self) -> None:
        self.sock = open_socket(self.address, self.port, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed address; SNI and the certificate check use the name, not the address."""

    def __init__(self, target: PinnedTarget, timeout: float,
                 context: ssl.SSLContext | None = None):
        super().__init__(target.host, target.port, timeout=timeout,
                         context=context or tls_context())
        self.address = target.address

    @property
    def context(self) -> ssl.SSLContext:
        return self._context

    def connect(self) -> None:
        sock = open_socket(self.address, self.port, self.timeout)
        try:
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def connection_for(target: PinnedTarget, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return PinnedHTTPSConnection(target, timeout)
    return PinnedHTTPConnection(target, timeout)


def post(target: PinnedTarget, body: bytes, headers: dict, timeout: float) -> int:
    """POST ``body`` to the pinned address; the answer's status code.

    Raises OSError (refused, timed out, TLS failure) or http.client.HTTPException (a reply
    that is not HTTP) when no status came back.
    """
    connection = connection_for(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read(MAX_ANSWER)
        return answer.status
    finally:
        connection.close()
