"""Where webhooks may post: http(s) addresses on the public internet only (SSRF guard).

Checked when a subscription is saved and again before every delivery, after resolving the
host name: a subscriber must not make the platform's workers post to its own database, the
cloud metadata service (169.254.169.254) or anything else on a private network. On-premise
installs whose receivers live on the local network set ``WEBHOOK_ALLOW_PRIVATE_TARGETS``.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from ..errors import ValidationError
from .record_checks import _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL = 500


@dataclass(frozen=True)
class PinnedTarget:
    """A checked webhook URL and the one address its post goes to (``webhook_transport``)."""

    url: str
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: Address


def blocked(address: Address) -> bool:
    """True for private, loopback, link-local, multicast, reserved and other non-public ranges."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return (not address.is_global or address.is_multicast or address.is_private
            or address.is_loopback or address.is_link_local or address.is_reserved
            or address.is_unspecified)


def _parts(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL:
        raise ValidationError(_("Enter an http:// or https:// address."), "url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ValidationError(_("Enter an http:// or https:// address."), "url") from exc
    return parts.hostname, port


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def _refuse_private(addresses: list[Address]) -> None:
    if current_app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"]:
        return
    if any(blocked(a) for a in addresses):
        raise ValidationError(_("This address points to a private, loopback, link-local, "
                                "multicast or reserved network; webhooks go to public "
                                "addresses only."), "url")


def check_url(url: str) -> str:
    """The cleaned URL of a new subscription, or ValidationError (field ``url``).

    A name that does not resolve now is accepted (DNS may be down, the receiver not set up
    yet); the check before each delivery decides then.
    """
    url = (url or "").strip()
    host, port = _parts(url)
    try:
        addresses = resolve(host, port)
    except OSError:
        return url
    _refuse_private(addresses)
    return url


def pin_delivery(url: str) -> PinnedTarget:
    """Before posting: where to post, or ValidationError unless ``url`` resolves to allowed
    addresses only (a name may have been pointed at a private address since it was saved).

    The name is resolved here once; the post connects to the first of these checked
    addresses and never looks the name up again (``webhook_transport``), so a second DNS
    answer cannot slip a private address past the check.
    """
    host, port = _parts(url)
    addresses = resolve(host, port)
    if not addresses:
        raise OSError(f"{host} resolved to no address")
    _refuse_private(addresses)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return PinnedTarget(url=url, scheme=parts.scheme, host=host, port=port, path=path,
                        address=addresses[0])
