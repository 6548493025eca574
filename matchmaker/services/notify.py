"""Notifications: in the portal always, by e-mail when ``MAIL_ENABLED`` (off by default).

E-mail goes through the configured SMTP server (``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_USER``,
``SMTP_PASSWORD``, ``SMTP_STARTTLS``, ``SMTP_TLS``, ``MAIL_FROM``); TLS always verifies the
server's certificate and name. A mail failure is logged and leaves the notification unmailed; it never undoes the in-portal notification.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..errors import NotFound
from ..extensions import db
from ..reasons import Reason, render
from ..records import Notification, User, utcnow

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 10  # seconds; a slow mail server must not hold a worker for long


def recipient_locale(user: User):
    """``with recipient_locale(user):`` texts rendered inside are in ``user``'s language (the
    default one when the user chose none), whoever's request writes them."""
    return force_locale(user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN"))


def notify(user: User, kind: str, message: str, link: str | None = None) -> Notification:
    """Add an in-portal notification for ``user`` to the session (the caller commits).

    ``message`` is a :class:`~matchmaker.reasons.Reason` rendered in the recipient's language
    (``recipient_locale``): its text is what the e-mail says, its msgid and parameters let the
    notices page speak the page's language when the reader has switched since."""
    stored = message.to_json() if isinstance(message, Reason) else None
    note = Notification(user_id=user.id, kind=kind[:40], message=message, reason=stored,
                        link=(link or None))
    note.user = user
    db.session.add(note)
    return note


def text_of(note: Notification) -> str:
    """A notice's words in the current language: from its msgid and parameters, or as written
    for a notice stored before they were kept."""
    return render(note.reason) if note.reason else note.message


def user_notifications(user: User, unread_only: bool = False):
    """``select(Notification)`` of ``user``'s notifications, newest first."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(user: User) -> int:
    """How many of ``user``'s notifications are unread."""
    stmt = select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    return db.session.scalar(stmt) or 0


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of ``user``'s own notifications read; NotFound for anybody else's."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotFound(_("No such notification."))
    if note.read_at is None:
        note.read_at = utcnow()
    return note


def mark_all_read(user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0


def send_mail(config: Mapping, to: str, subject: str, body: str, smtp=None) -> None:
    """Send one plain-text message; raises ``smtplib.SMTPException``/``OSError`` on failure."""
    msg = EmailMessage()
    msg["From"] = config.get("MAIL_FROM") or "matchmaker@localhost"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    if smtp is not None:
        smtp.send_message(msg)
        return
    with _connect(config) as conn:
        conn.send_message(msg)


def tls_context() -> ssl.SSLContext:
    """The system's trusted CAs with hostname checks: a fake server never gets the password."""
    return ssl.create_default_context()


def tls_mode(config: Mapping) -> str:
    """``ssl`` (implicit TLS), ``starttls`` or ``none``; port 465 means implicit TLS."""
    explicit = (config.get("SMTP_TLS") or "").strip().lower()
    if explicit in {"ssl", "starttls", "none"}:
        return explicit
    if int(config.get("SMTP_PORT") or 25) == 465:
        return "ssl"
    return "starttls" if config.get("SMTP_STARTTLS") else "none"


def _connect(config: Mapping) -> smtplib.SMTP:
    host, port = config.get("SMTP_HOST") or "localhost", int(config.get("SMTP_PORT") or 25)
    mode = tls_mode(config)
    if mode == "ssl":
        conn = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=tls_context())
    else:
        conn = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    try:
        if mode == "starttls":
            conn.starttls(context=tls_context())
        if config.get("SMTP_USER"):
            conn.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    except Exception:
        conn.close()
        raise
    return conn


def mail_job(notes: Iterable[Notification]) -> tuple[str, dict] | None:
    """The mail job (name, parameters) that sends committed ``notes``; None while mail is off
    or there is nothing to send. Alerts and pair notices queue it the same way."""
    if not current_app.config.get("MAIL_ENABLED"):
        return None  # before reading the ids: after the commit each note would be read again
    ids = [note.id for note in notes]
    if not ids:
        return None
    return "mail", {"notification_ids": ids}


def email_notifications(
    config: Mapping, notifications: Iterable[Notification], subject: str | None = None
) -> int:
    """E-mail the given notifications to users with an address; returns how many were sent.

    Does nothing when ``MAIL_ENABLED`` is off. Sent ones get ``emailed = True`` (caller commits).
    """
    if not config.get("MAIL_ENABLED"):
        return 0
    pending = [n for n in notifications if not n.emailed and n.user is not None and n.user.email]
    if not pending:
        return 0
    sent = 0
    base = (config.get("BASE_URL") or "").rstrip("/")
    try:
        with _connect(config) as conn:
            for note in pending:
                body = note.message
                if note.link:
                    body += "\n\n" + (base + note.link if base else note.link)
                try:
                    send_mail(
                        config, note.user.email, subject or _mail_subject(note), body, smtp=conn
                    )
                except (smtplib.SMTPException, OSError):
                    log.exception("mail to user %s failed", note.user_id)
                    continue
                note.emailed = True
                sent += 1
    except (smtplib.SMTPException, OSError):
        log.exception(
            "SMTP server %s:%s unavailable", config.get("SMTP_HOST"), config.get("SMTP_PORT")
        )
    return sent


def _mail_subject(note: Notification) -> str:
    """"[科技成果撮合平台] <first line>": the platform's name in the recipient's language, as
    the message itself is."""
    first_line = note.message.splitlines()[0] if note.message else note.kind
    with recipient_locale(note.user):
        name = _("Matchmaker")
    return f"[{name}] {first_line[:80]}"
