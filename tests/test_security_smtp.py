"""SMTP over TLS verifies the server's certificate (issue 14, point 9)."""

from __future__ import annotations

import socket
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from matchmaker.services import notify


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost / 127.0.0.1 (no public CA trusts it)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


class _Recorder:
    def __init__(self):
        self.logins, self.messages = [], []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope.rcpt_tos)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(certificate):
    """Start a fake SMTP server: ``server(implicit=False)`` offers STARTTLS, True wraps at once."""
    cert, key = certificate
    started = []

    def start(implicit: bool):
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        recorder, port = _Recorder(), _free_port()
        options = {"ssl_context": tls} if implicit else {"tls_context": tls}
        controller = Controller(recorder, hostname="127.0.0.1", port=port, server_hostname="localhost",
                                authenticator=recorder, auth_require_tls=not implicit,
                                **options)
        controller.start()
        started.append(controller)
        return recorder, port

    yield start
    for controller in started:
        controller.stop()


def _config(port: int, **extra) -> dict:
    return {"SMTP_HOST": "localhost", "SMTP_PORT": port, "SMTP_USER": "mailer",
            "SMTP_PASSWORD": "smtp-secret", "MAIL_FROM": "matchmaker@example.org", **extra}


def _trusting(certificate, monkeypatch):
    """Trust the test certificate the way an operator would install their CA."""
    cert, _key = certificate
    monkeypatch.setattr(notify, "tls_context", lambda: ssl.create_default_context(cafile=cert))


def test_starttls_refuses_an_untrusted_certificate_and_never_sends_the_password(server):
    recorder, port = server(implicit=False)
    with pytest.raises(ssl.SSLCertVerificationError):
        notify.send_mail(_config(port, SMTP_STARTTLS=True), "a@example.org", "s", "body")
    assert recorder.logins == [] and recorder.messages == []


def test_starttls_with_a_trusted_certificate_logs_in_and_sends(server, certificate, monkeypatch):
    _trusting(certificate, monkeypatch)
    recorder, port = server(implicit=False)
    notify.send_mail(_config(port, SMTP_TLS="starttls"), "a@example.org", "s", "body")
    assert recorder.logins == [("mailer", "smtp-secret")]
    assert recorder.messages == [["a@example.org"]]


def test_implicit_tls_refuses_an_untrusted_certificate(server):
    recorder, port = server(implicit=True)
    with pytest.raises(ssl.SSLCertVerificationError):
        notify.send_mail(_config(port, SMTP_TLS="ssl"), "a@example.org", "s", "body")
    assert recorder.logins == []


def test_implicit_tls_with_a_trusted_certificate_sends(server, certificate, monkeypatch):
    _trusting(certificate, monkeypatch)
    recorder, port = server(implicit=True)
    notify.send_mail(_config(port, SMTP_TLS="ssl"), "a@example.org", "s", "body")
    assert recorder.logins == [("mailer", "smtp-secret")]
    assert recorder.messages == [["a@example.org"]]


@pytest.mark.parametrize(("config", "mode"), [
    ({"SMTP_PORT": 465}, "ssl"), ({"SMTP_PORT": 587, "SMTP_STARTTLS": True}, "starttls"),
    ({"SMTP_PORT": 25}, "none"), ({"SMTP_PORT": 2465, "SMTP_TLS": "SSL"}, "ssl"),
    ({"SMTP_PORT": 465, "SMTP_TLS": "starttls"}, "starttls")])
def test_tls_mode_follows_the_setting_and_port_465(config, mode):
    assert notify.tls_mode(config) == mode
