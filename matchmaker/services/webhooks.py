"""Webhooks: organizations subscribe to domain events; deliveries are signed and retried.

Events become delivery rows inside the request that caused them; sending happens elsewhere:
``enqueue_deliveries`` hands the ids to the background jobs once the response is sent
(``jobs.webhooks``: one task per delivery, retried after the backoff), ``deliver`` sends one,
and ``flask webhooks deliver-due`` sweeps up every due one (after an outage, or from cron).
"""

from __future__ import annotations

import http.client
import json
import logging
import secrets
from datetime import timedelta

from flask import current_app, has_request_context
from sqlalchemy import select, update

from ..errors import PermissionDenied, ValidationError
from ..extensions import begin_write, db
from ..records import (
    Match,
    Need,
    Organization,
    Patent,
    Role,
    User,
    WebhookDelivery,
    WebhookSubscription,
    utcnow,
)
from . import access, announcements
from .audit import record
from .record_checks import _
from .webhook_signing import SIGNATURE_HEADER, sign, signature_header, verify
from .webhook_targets import PinnedTarget, check_url, pin_delivery
from .webhook_transport import post as post_pinned

log = logging.getLogger(__name__)

#: ``WebhookDelivery.error`` when the address was refused before posting (stored in English,
#: as the API shows it; the portal translates it: ``portal.integrations.forms.DELIVERY_ERRORS``).
REFUSED_TARGET = "refused: not a public http(s) address"
__all__ = ["EVENTS", "check_url", "deliver", "deliver_due", "emit", "enqueue_deliveries", "sign",
           "signature_header", "verify"]
EVENTS = ("need.posted", "patent.listed", "match.recommended", "match.moved", "import.finished")
BACKOFF_BASE = 30  # seconds; attempt n waits 30 s * 2**(n-1), capped below
BACKOFF_CAP = 6 * 3600


def may_manage(actor: User, org: Organization) -> bool:
    """Admins for any organization; enterprise and university users for their own."""
    if actor.role is Role.ADMIN:
        return True
    return actor.role in (Role.ENTERPRISE, Role.UNIVERSITY) and actor.organization_id == org.id


def create_subscription(org: Organization, url: str, events: list[str], *,
                        actor: User) -> WebhookSubscription:
    if not may_manage(actor, org):
        raise PermissionDenied(_("You may not manage this organization's webhooks."))
    chosen = [e for e in EVENTS if e in events]
    if not chosen:
        raise ValidationError(_("Choose at least one event."), "events")
    url, events_text = check_url(url), ",".join(chosen)
    _refuse_twin(org.id, url, events_text)
    sub = WebhookSubscription(organization_id=org.id, url=url, secret=secrets.token_hex(24),
                              events=events_text, created_by_id=actor.id)
    db.session.add(sub)
    db.session.flush()
    record("webhook_create", actor, f"org:{org.id}", subscription=sub.id, url=sub.url)
    db.session.commit()
    return sub


def _refuse_twin(org_id: int, url: str, events: str, *, other_than: int | None = None) -> None:
    """ValidationError (field ``url``) when ``org_id`` already has an active subscription to
    the same address and events: the receiver would get every event twice, one copy signed
    with a secret it does not know. Events are stored in ``EVENTS`` order, so equal sets
    compare equal as text."""
    twin = db.session.scalars(select(WebhookSubscription.id).where(
        WebhookSubscription.organization_id == org_id, WebhookSubscription.url == url,
        WebhookSubscription.events == events, WebhookSubscription.active.is_(True),
        WebhookSubscription.id != (other_than or 0)).limit(1)).first()
    if twin is not None:
        raise ValidationError(_("This organization already has an active webhook for this "
                                "address and these events."), "url")


def set_active(sub: WebhookSubscription, active: bool, *, actor: User) -> None:
    if not may_manage(actor, sub.organization):
        raise PermissionDenied(_("You may not manage this organization's webhooks."))
    if active and not sub.active:
        _refuse_twin(sub.organization_id, sub.url, sub.events, other_than=sub.id)
    sub.active = active
    if active:
        sub.consecutive_failures, sub.disabled_reason = 0, None
    record("webhook_enable" if active else "webhook_disable", actor, f"org:{sub.organization_id}",
           subscription=sub.id)
    db.session.commit()


def delete_subscription(sub: WebhookSubscription, *, actor: User) -> None:
    if not may_manage(actor, sub.organization):
        raise PermissionDenied(_("You may not manage this organization's webhooks."))
    record("webhook_delete", actor, f"org:{sub.organization_id}", subscription=sub.id)
    db.session.delete(sub)
    db.session.commit()


# -- emitting ---------------------------------------------------------------------------------


def _members(org_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.organization_id == org_id, User.active.is_(True))))


def _org_sees(org_id: int, can_see) -> bool:
    """An organization hears of a record when one of its active members may see it."""
    return any(can_see(member) for member in _members(org_id))


def subscriptions(*events: str) -> list[WebhookSubscription]:
    """The active subscriptions to any of ``events``."""
    return [s for s in db.session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.active.is_(True)))
        if any(event in s.event_list for event in events)]


def emit(event: str, data: dict, can_see, subs: list[WebhookSubscription] | None = None
         ) -> list[int]:
    """Create a delivery for every active subscription to ``event`` whose organization may see
    the record (``can_see(user)``); commit, then hand the ids to the background jobs.
    ``subs``: the caller's ``subscriptions`` (read again when None)."""
    subs = [s for s in (subscriptions(event) if subs is None else subs)
            if event in s.event_list and _org_sees(s.organization_id, can_see)]
    ids = []
    for sub in subs:
        body = json.dumps({"id": secrets.token_hex(8), "event": event,
                           "created_at": utcnow().isoformat() + "Z", "data": data},
                          ensure_ascii=False, separators=(",", ":"))
        delivery = WebhookDelivery(subscription_id=sub.id, event=event, body=body,
                                   next_attempt_at=utcnow())
        db.session.add(delivery)
        db.session.flush()
        ids.append(delivery.id)
    if ids:
        db.session.commit()
        enqueue_deliveries(ids)
    return ids


def enqueue_deliveries(ids: list[int]) -> None:
    """Hand deliveries to the background jobs, after the response when inside a request: a
    request never sends a webhook, not even with eager jobs."""
    from ..jobs.deferred import after_response
    from ..jobs.webhooks import enqueue

    after_response(lambda: enqueue(list(ids)))


def _writer() -> None:
    """Off the request path (a job announcing a record): a writer's transaction, so that on
    SQLite a web request's commit between the reads and the deliveries cannot refuse them."""
    if not has_request_context():
        begin_write()


def on_need_posted(sender, need_id: int | None = None, **_kw) -> None:
    _writer()
    need = db.session.get(Need, need_id)
    if need is not None and announcements.first_time("webhook:need.posted", f"need:{need.id}"):
        emit("need.posted", {"need_id": need.id, "url": f"/api/v1/needs/{need.id}"},
             lambda u: access.can_view_need(db.session, u, need))


def on_patent_listed(sender, patent_id: int | None = None, **_kw) -> None:
    _writer()
    patent = db.session.get(Patent, patent_id)
    if patent is not None and announcements.first_time("webhook:patent.listed",
                                                       f"patent:{patent.id}"):
        emit("patent.listed", {"patent_id": patent.id, "url": f"/api/v1/patents/{patent.id}"},
             lambda u: access.can_view_patent(db.session, u, patent))


def on_match_moved(sender, match_id: int | None = None, from_status=None, to_status=None,
                   restored: bool = False, **_kw) -> None:
    to_value = getattr(to_status, "value", to_status)
    # a recommendation an undone rejection put back is a move, not a new recommendation
    events = ("match.moved", "match.recommended") if to_value == "recommended" and not restored \
        else ("match.moved",)
    # Every move of every broker passes here: without a subscriber (most platforms, most of
    # the time) it costs this one statement, not the pair's reload after the move's commit.
    subs = subscriptions(*events)
    match = db.session.get(Match, match_id) if subs else None
    if match is None:
        return
    data = {"match_id": match.id, "need_id": match.need_id, "patent_id": match.patent_id,
            "from_status": getattr(from_status, "value", from_status),
            "to_status": to_value, "url": f"/api/v1/matches/{match.id}"}
    sees = lambda u: access.can_view_match(db.session, u, match)  # noqa: E731
    for event in events:
        emit(event, data, sees, subs)


def on_import_finished(sender, job_id: int | None = None, actor_id: int | None = None,
                       **_kw) -> None:
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    if actor is None or actor.organization_id is None:
        return
    org_id = actor.organization_id
    emit("import.finished", {"job_id": job_id, "url": f"/api/v1/imports/{job_id}"},
         lambda u: u.organization_id == org_id)


def connect_receivers(app) -> None:
    from ..signals import import_finished, match_moved, need_posted, patent_listed

    for signal, receiver in ((need_posted, on_need_posted), (patent_listed, on_patent_listed),
                             (match_moved, on_match_moved),
                             (import_finished, on_import_finished)):
        signal.connect(_safely(receiver), sender=app, weak=False)


def _safely(receiver):
    def wrapped(sender, **kwargs):
        try:
            receiver(sender, **kwargs)
        except Exception:  # a webhook problem never undoes the change that caused it
            db.session.rollback()
            log.exception("webhook emit failed for %s", receiver.__name__)
    return wrapped


# -- delivering -------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failures: 30 s, 60 s, 120 s, ... capped."""
    return timedelta(seconds=min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1)))


def _post(target: PinnedTarget, body: bytes, headers: dict, timeout: float) -> int:
    """The receiver's status code; a 3xx is an answer, never followed."""
    return post_pinned(target, body, headers, timeout)


def deliver(delivery_id: int, *, after_attempts: int | None = None) -> str:
    """Send one delivery once; returns "delivered", "retry", "failed" or "skipped".

    The attempt is claimed by bumping ``attempts`` only if nobody else did meanwhile, so two
    senders (a retry and the sweeper, a redelivered message) never post the same attempt;
    ``after_attempts`` skips a scheduled retry once another sender has made that attempt.
    """
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status not in ("pending",):
        return "skipped"
    seen = delivery.attempts
    if after_attempts is not None and seen != after_attempts:
        return "skipped"
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
               WebhookDelivery.attempts == seen)
        .values(attempts=seen + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return "skipped"
    db.session.refresh(delivery)
    sub = delivery.subscription
    if not sub.active:
        delivery.status, delivery.error = "cancelled", "subscription disabled"
        db.session.commit()
        return "skipped"
    config = current_app.config
    body = delivery.body.encode()
    headers = {"Content-Type": "application/json", "User-Agent": "Matchmaker-Webhooks/1",
               "X-Matchmaker-Event": delivery.event, "X-Matchmaker-Delivery": str(delivery.id),
               SIGNATURE_HEADER: signature_header(sub.secret, body)}
    code, error = None, None
    try:
        target = pin_delivery(sub.url)  # where the name points now, not when it was saved
        code = _post(target, body, headers, config["WEBHOOK_TIMEOUT"])
    except ValidationError:  # a private address (or no http(s) URL): a failure like any other
        error = REFUSED_TARGET
    except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, timed out,
        # bad address or certificate, no such name, an answer that is not HTTP
        error = f"{type(exc).__name__}: {exc}"[:500]
    delivery.response_code = code
    now = utcnow()
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.error, delivery.delivered_at = "delivered", None, now
        delivery.next_attempt_at = None
        sub.consecutive_failures = 0
        db.session.commit()
        return "delivered"
    delivery.error = error or f"HTTP {code}"
    sub.consecutive_failures += 1
    if sub.consecutive_failures >= config["WEBHOOK_MAX_FAILURES"]:
        sub.active = False
        sub.disabled_reason = f"{sub.consecutive_failures} consecutive failures"
        log.warning("webhook subscription %s disabled after %s failures", sub.id,
                    sub.consecutive_failures)
    if delivery.attempts >= config["WEBHOOK_MAX_ATTEMPTS"] or not sub.active:
        delivery.status, delivery.next_attempt_at = "failed", None
        outcome = "failed"
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        outcome = "retry"
    db.session.commit()
    return outcome


def due_ids(limit: int = 500) -> list[int]:
    stmt = (select(WebhookDelivery.id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())
            .order_by(WebhookDelivery.next_attempt_at).limit(limit))
    return list(db.session.scalars(stmt))


def deliver_due(limit: int = 500) -> dict[str, int]:
    """Send every due delivery once; counts by outcome."""
    counts: dict[str, int] = {}
    for delivery_id in due_ids(limit):
        outcome = deliver(delivery_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
