"""Webhook posts go to the address that was checked: a second DNS answer cannot redirect them.

No test here leaves the machine: "public" addresses are stood in for by listeners on
127.0.0.1, reached through the transport's one socket-opening function.
"""

from __future__ import annotations

import http.server
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import OrgKind, Role, WebhookDelivery
from matchmaker.services import webhook_targets, webhook_transport, webhooks
from tests import factories as f

PUBLIC = "93.184.216.34"
LOOPBACK = ipaddress.ip_address("127.0.0.1")


class _Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body, self.path))
        self.send_response(self.server.answer)
        if self.server.answer in (301, 302, 307, 308):
            self.send_header("Location", self.server.location)
        self.end_headers()

    def log_message(self, *args):
        pass


def _serve(tls_context: ssl.SSLContext | None = None):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    server.received, server.answer, server.location = [], 204, ""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def servers():
    started = []

    def start(tls_context=None):
        started.append(_serve(tls_context))
        return started[-1]

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dns(monkeypatch):
    """A resolver stub: each name answers its queued addresses in turn (the last one repeats);
    every lookup of a name is counted."""
    answers: dict[str, list[str]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kw):
        try:
            ipaddress.ip_address(host)
            address = host
        except ValueError:
            lookups.append(host)
            queue = answers.get(host)
            if not queue:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            address = queue.pop(0) if len(queue) > 1 else queue[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, lookups


@pytest.fixture
def internet(monkeypatch):
    """Stand-ins for public addresses: {address: local port}; the transport's sockets to such
    an address reach that local listener. Every address connected to is recorded."""
    stand_ins: dict[str, int] = {}
    connected: list[str] = []
    real = webhook_transport.open_socket

    def open_socket(address, port, timeout):
        connected.append(str(address))
        if str(address) in stand_ins:
            return real(LOOPBACK, stand_ins[str(address)], timeout)
        if not ipaddress.ip_address(address).is_loopback:
            raise ConnectionRefusedError("tests do not leave the machine")
        return real(address, port, timeout)

    monkeypatch.setattr(webhook_transport, "open_socket", open_socket)
    return stand_ins, connected


@pytest.fixture
def held(monkeypatch):
    from matchmaker.jobs import webhooks as task

    monkeypatch.setattr(task, "enqueue", lambda ids: None)


def _subscribe(url: str) -> int:
    org = f.org(OrgKind.ENTERPRISE)
    user = f.user(Role.ENTERPRISE, org)
    webhooks.create_subscription(org, url, ["need.posted"], actor=user)
    [delivery_id] = webhooks.emit("need.posted", {"need_id": 7}, lambda u: True)
    return delivery_id


def test_a_second_dns_answer_pointing_at_loopback_is_never_connected_to(
        app, dns, internet, servers, held):
    answers, lookups = dns
    stand_ins, connected = internet
    internal = servers()  # a service on the platform's own machine
    public = servers()  # what the receiver's public address answers with
    stand_ins[PUBLIC] = public.server_port
    url = f"http://hooks.example.com:{internal.server_port}/h?x=1"
    answers["hooks.example.com"] = [PUBLIC]
    delivery_id = _subscribe(url)  # saving resolves once: public
    lookups.clear()
    answers["hooks.example.com"] = [PUBLIC, "127.0.0.1"]  # rebinding after the first answer

    assert webhooks.deliver(delivery_id) == "delivered"
    assert lookups == ["hooks.example.com"]  # resolved once, for the check
    assert connected == [PUBLIC]
    assert internal.received == []
    headers, body, path = public.received[0]
    assert headers["Host"] == f"hooks.example.com:{internal.server_port}"
    assert path == "/h?x=1" and b'"need_id":7' in body
    assert headers["X-Matchmaker-Signature"].startswith("t=")


def test_a_check_that_sees_loopback_refuses_before_connecting(app, dns, internet, servers,
                                                              held):
    answers, _lookups = dns
    _stand_ins, connected = internet
    internal = servers()
    answers["hooks.example.com"] = [PUBLIC]
    delivery_id = _subscribe(f"http://hooks.example.com:{internal.server_port}/h")
    answers["hooks.example.com"] = ["127.0.0.1"]
    assert webhooks.deliver(delivery_id) == "retry"
    assert connected == [] and internal.received == []
    assert db.session.get(WebhookDelivery, delivery_id).error.startswith("refused:")


def test_a_name_with_a_public_and_a_private_address_is_refused(app, monkeypatch):
    monkeypatch.setattr(webhook_targets, "resolve", lambda host, port: [
        ipaddress.ip_address(PUBLIC), ipaddress.ip_address("10.0.0.5")])
    with pytest.raises(webhooks.ValidationError):
        webhook_targets.pin_delivery("https://hooks.example.com/h")


def test_on_premise_delivery_to_a_local_name_works_and_keeps_the_host_header(
        app, dns, servers, held):
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    answers, _lookups = dns
    receiver = servers()
    answers["hooks.intranet"] = ["127.0.0.1"]
    delivery_id = _subscribe(f"http://hooks.intranet:{receiver.server_port}/in")
    assert webhooks.deliver(delivery_id) == "delivered"
    headers, _body, path = receiver.received[0]
    assert headers["Host"] == f"hooks.intranet:{receiver.server_port}" and path == "/in"
    assert headers["Content-Type"] == "application/json"


def test_a_redirect_is_an_answer_never_followed(app, servers, held):
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    receiver, elsewhere = servers(), servers()
    receiver.answer = 302
    receiver.location = f"http://127.0.0.1:{elsewhere.server_port}/stolen"
    delivery_id = _subscribe(f"http://127.0.0.1:{receiver.server_port}/h")
    assert webhooks.deliver(delivery_id) == "retry"
    delivery = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))
    assert delivery.response_code == 302 and delivery.error == "HTTP 302"
    assert len(receiver.received) == 1 and elsewhere.received == []


def test_https_pins_the_address_but_verifies_the_certificate_against_the_name():
    target = webhook_targets.PinnedTarget(
        url="https://hooks.example.com/h", scheme="https", host="hooks.example.com", port=443,
        path="/h", address=ipaddress.ip_address(PUBLIC))
    connection = webhook_transport.connection_for(target, timeout=4)
    assert isinstance(connection, webhook_transport.PinnedHTTPSConnection)
    assert connection.host == "hooks.example.com" and str(connection.address) == PUBLIC
    assert connection.context.check_hostname is True
    assert connection.context.verify_mode is ssl.CERT_REQUIRED
    assert connection.timeout == 4


def _certificate(tmp_path, name: str):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return server_side, tmp_path / "cert.pem"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize("certified_name, outcome", [
    ("hooks.example.com", "delivered"), ("someone-else.example.com", "retry")])
def test_https_to_a_pinned_address_checks_the_name_in_the_certificate(
        app, dns, servers, held, monkeypatch, tmp_path, certified_name, outcome):
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    server_side, cert = _certificate(tmp_path, certified_name)
    receiver = servers(server_side)
    monkeypatch.setattr(webhook_transport, "tls_context",
                        lambda: ssl.create_default_context(cafile=str(cert)))
    answers, _lookups = dns
    answers["hooks.example.com"] = ["127.0.0.1"]
    delivery_id = _subscribe(f"https://hooks.example.com:{receiver.server_port}/tls")
    assert webhooks.deliver(delivery_id) == outcome
    if outcome == "delivered":
        assert receiver.received[0][0]["Host"] == f"hooks.example.com:{receiver.server_port}"
    else:
        assert "CERTIFICATE_VERIFY_FAILED" in db.session.get(WebhookDelivery, delivery_id).error
