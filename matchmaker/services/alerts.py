"""Alerts: who hears about a new need or a newly listed patent.

- A new need: university users of the owners of strongly matching patents (public needs only;
  they never learn the enterprise's name) and the brokers: the need's assigned broker, else
  the brokers whose fields and regions cover it, else every active broker.
- A new patent: the brokers of the open needs it strongly matches (assigned, else covering).
- Enterprises are never told about other enterprises' needs.

"Strongly matching" means a calibrated score (0-100, ``services.scores``) of at least
``STRONG_MATCH_MIN``, and then a fused score of at least ``ALERT_MIN_SCORE`` (default 0.9) or
a place among the ``ALERT_TOP_N`` (default 3) best. A need or patent whose best candidate is
under ``STRONG_MATCH_MIN`` has no strong candidate (暂无强匹配): no alert at all is sent for
it (its record page says so and suggests a next step). The default threshold sits on the engine's fused
scale: on the demo data about the top fifth of stored pairs reach 0.9, while nearly every stored
pair is above 0.5. Matches come from stored ``Match`` rows and, when
none are stored yet, from the matching engine if it is available. Inside a request the
receivers only queue a job (``matchmaker.jobs.alerts``), which computes the alerts and queues
their mail; receivers catch and log every error: an alert never breaks the request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from flask import current_app, has_app_context, has_request_context
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from ..extensions import begin_write, db
from ..reasons import reason
from ..records import (
    Confidentiality,
    Match,
    MatchStatus,
    Need,
    NeedStatus,
    Notification,
    OrgKind,
    Patent,
    Role,
    User,
)
from ..signals import need_posted, needs_posted, patent_listed, patents_listed
from . import access, announcements, matching, scores
from .audit import record
from .events import split_list
from .notify import email_notifications, notify, recipient_locale

log = logging.getLogger(__name__)
_IPC_SCOPE = re.compile(r"^[A-H](\d{2}[A-Z]?)?$")


def connect_receivers(app) -> None:
    """Subscribe the alert receivers (blinker keeps one connection per function)."""
    need_posted.connect(on_need_posted)
    needs_posted.connect(on_needs_posted)
    patent_listed.connect(on_patent_listed)
    patents_listed.connect(on_patents_listed)


def on_need_posted(sender, need_id: int | None = None, together: bool = False,
                   **_kw) -> None:
    """Receiver of ``need_posted``: never raises. A need posted ``together`` with others is
    alerted with them (``on_needs_posted``)."""
    if not together:
        _dispatch(sender, alert_need_posted, "need_id", need_id)


def on_needs_posted(sender, need_ids: list[int] | None = None, **_kw) -> None:
    """Receiver of ``needs_posted`` (an import's new needs): never raises."""
    _dispatch(sender, alert_needs_posted, "need_ids", need_ids or None)


def on_patent_listed(sender, patent_id: int | None = None, together: bool = False,
                     **_kw) -> None:
    """Receiver of ``patent_listed``: never raises. A patent listed ``together`` with others
    is alerted with them (``on_patents_listed``)."""
    if not together:
        _dispatch(sender, alert_patent_listed, "patent_id", patent_id)


def on_patents_listed(sender, patent_ids: list[int] | None = None, **_kw) -> None:
    """Receiver of ``patents_listed`` (an import's new patents): never raises."""
    _dispatch(sender, alert_patents_listed, "patent_ids", patent_ids or None)


def _dispatch(sender, job, key: str, record_id) -> None:
    """Inside a request, queue the alert as a job (it matches and mails); elsewhere (a job,
    the CLI) the work is already off the request path, so it runs here."""
    if record_id is None:
        return
    if not has_request_context():
        _safely(sender, job, record_id)
        return
    from .jobs import submit

    try:
        submit(job.__name__, {key: record_id})
    except Exception:
        db.session.rollback()
        log.exception("could not queue %s for %s", job.__name__, record_id)


def _safely(sender, job, record_id) -> None:
    if record_id is None:
        return
    if not has_app_context():
        if not hasattr(sender, "app_context"):
            log.warning("alert for %s skipped: no application context", record_id)
            return
        with sender.app_context():
            _safely(sender, job, record_id)
        return
    try:
        # Off the request path (a job, the CLI): one writer's transaction, so that on SQLite a
        # web request's commit between the alert's reads and its writes cannot refuse them.
        begin_write()
        notes = job(record_id)
        db.session.commit()
        if email_notifications(current_app.config, notes):
            db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("alert %s for %s failed", job.__name__, record_id)


def _setting(name: str, default: float) -> float:
    value = current_app.config.get(name)
    return float(default if value is None else value)


def strong(candidates: list[tuple]) -> list[tuple]:
    """The (id, score[, calibrated]) candidates that are strong (calibrated score at least
    STRONG_MATCH_MIN, or none recorded) and above the threshold or among the top N of those,
    best first."""
    threshold = _setting("ALERT_MIN_SCORE", 0.9)
    top_n = int(_setting("ALERT_TOP_N", 3))
    kept = [c for c in candidates if scores.is_strong(c[2] if len(c) > 2 else None)]
    ranked = sorted(kept, key=lambda c: (-c[1], c[0]))
    return [c for i, c in enumerate(ranked) if i < top_n or c[1] >= threshold]


def _stored(column, value, other) -> list[tuple[int, float, int | None]]:
    stmt = select(other, Match.score, Match.calibrated).where(
        column == value, Match.status != MatchStatus.REJECTED)
    return [(rid, float(score), calibrated) for rid, score, calibrated
            in db.session.execute(stmt)]


def _engine(match: Callable, record, id_attr: str) -> list[tuple[int, float, int | None]]:
    """Ask the matching engine when nothing is stored yet; its failure is not an error."""
    try:
        found = match(record, current_app.config.get("MATCH_TOP_K", 10), explain=False)
    except Exception:  # an unusable index or encoder must not stop the alert
        log.warning("matching engine unavailable for alerts", exc_info=True)
        return []
    return [(getattr(c, id_attr), float(c.score), c.calibrated) for c in found]


def alert_need_posted(need_id: int) -> list[Notification]:
    """Notify about a new need; returns the notifications added (the caller commits)."""
    return alert_needs_posted([need_id])


def alert_needs_posted(need_ids: list[int]) -> list[Notification]:
    """Notify about new needs, each recipient once for all of ``need_ids`` (an import's share):
    one need reads as a single need's notice; several are counted, the one with the most
    strong candidates named. Each need is announced once; the administrators are told once
    about the brokers-only needs no broker may open (they route them by hand)."""
    universities: dict[int, tuple[User, list[tuple[Need, list[Patent]]]]] = {}
    brokers_told: dict[int, tuple[User, list[tuple[Need, int]]]] = {}
    notes: list[Notification] = []
    unrouted: list[Need] = []
    for need_id in need_ids:
        need = db.session.get(Need, need_id)
        if need is None or need.status != NeedStatus.OPEN:
            continue
        found = _stored(Match.need_id, need.id, Match.patent_id) or _engine(
            matching.match_need, need, "patent_id"
        )
        patents = _load(Patent, [c[0] for c in strong(found)])
        if found and not patents:  # 暂无强匹配: nothing to announce
            log.info("need %s has no strong candidate: no alert", need.id)
            continue
        if not announcements.first_time("alert:need_posted", f"need:{need.id}"):
            log.info("need %s was announced before: no second alert", need.id)
            continue
        if need.confidentiality == Confidentiality.PUBLIC:
            for user, theirs in _university_users(patents).items():
                universities.setdefault(user.id, (user, []))[1].append((need, theirs))
        sections = {code for p in patents for code in p.ipc_codes}
        route_brokers_only(need, sections)
        brokers = _may_open(brokers_for(need, sections, fallback_all=True), need)
        if not brokers:
            unrouted.append(need)
        for broker in brokers:
            brokers_told.setdefault(broker.id, (broker, []))[1].append((need, len(patents)))
    for user, items in universities.values():
        # The needs themselves stay unnamed: universities see one only once a broker
        # recommends the pair (services.access), and an alert must not tell more than pages.
        theirs = list({p.id: p for _, patents in items for p in patents}.values())
        with recipient_locale(user):
            message = reason(
                "A new technical need matches your patent %(patents)s; a broker will "
                "recommend it to you if it fits.",
                patents=list(dict.fromkeys(f"“{p.title}”" for p in theirs)),
            ) if len(items) == 1 else reason(
                "%(n)d new technical needs match patents of yours (among them %(patents)s); "
                "a broker will recommend those that fit.",
                n=len(items), patents=list(dict.fromkeys(f"“{p.title}”" for p in theirs))[:5],
            )
        notes.append(notify(user, "need_posted", message, _path("patents.detail", theirs[0].id)))
    for broker, items in brokers_told.values():
        need, strong_count = max(items, key=lambda item: (item[1], -item[0].id))
        with recipient_locale(broker):
            message = reason(
                "New technical need from %(org)s: %(need)s (%(n)d strong matches)",
                org=need.enterprise.name, need=need.title, n=strong_count,
            ) if len(items) == 1 else reason(
                "%(count)d new technical needs you may work on, among them “%(need)s” from "
                "%(org)s (%(n)d strong matches)",
                count=len(items), org=need.enterprise.name, need=need.title, n=strong_count,
            )
        link = (_path("needs.detail", need.id) if len(items) == 1
                else _path("needs.index") or _path("needs.detail", need.id))
        notes.append(notify(broker, "need_posted", message, link))
    notes.extend(_triage(unrouted))
    db.session.flush()
    return notes


def alert_patent_listed(patent_id: int) -> list[Notification]:
    """Tell the brokers of open needs that a newly listed patent strongly matches them."""
    return alert_patents_listed([patent_id])


def alert_patents_listed(patent_ids: list[int]) -> list[Notification]:
    """Tell each broker once which of the newly listed ``patent_ids`` strongly match open
    needs they may open: one patent is named with its needs; several are counted, the one
    matching most of the broker's needs is named, and the notice leads to the review queue.
    Each patent is announced once (a retried import names none twice). The claims and the
    notices are one transaction (``_safely``): a share of 500 patents holds SQLite's write
    lock while it reads their stored pairs."""
    per_broker: dict[int, tuple[User, dict[int, tuple[Patent, list[Need]]]]] = {}
    for patent_id in patent_ids:
        patent = db.session.get(Patent, patent_id)
        if patent is None or not patent.is_enforceable:
            continue
        found = _stored(Match.patent_id, patent.id, Match.need_id) or _engine(
            matching.match_patent, patent, "need_id"
        )
        needs = [n for n in _load(Need, [c[0] for c in strong(found)])
                 if n.status == NeedStatus.OPEN]
        if not needs:
            continue
        if not announcements.first_time("alert:patent_listed", f"patent:{patent.id}"):
            log.info("patent %s was announced before: no second alert", patent.id)
            continue
        for need in needs:
            for broker in _may_open(brokers_for(need, set(patent.ipc_codes), fallback_all=False),
                                    need):
                found_for = per_broker.setdefault(broker.id, (broker, {}))[1]
                found_for.setdefault(patent.id, (patent, []))[1].append(need)
    notes = []
    for broker, found_for in per_broker.values():
        # the patent that matches most of the broker's needs is the one named
        (patent, its_needs), *others = sorted(found_for.values(),
                                              key=lambda item: (-len(item[1]), item[0].id))
        with recipient_locale(broker):
            if not others:
                message = reason(
                    "Newly listed patent “%(patent)s” matches: %(needs)s",
                    patent=patent.title,
                    needs=[f"“{n.title}”" for n in its_needs],
                )
            else:
                message = reason(
                    "%(n)d newly listed patents strongly match open needs you work on, among "
                    "them “%(patent)s” for %(needs)s; their pairs wait in your review queue.",
                    n=len(found_for), patent=patent.title,
                    needs=[f"“{n.title}”" for n in its_needs],
                )
        link = (_path("patents.detail", patent.id) if not others
                else _path("queue.index") or _path("patents.detail", patent.id))
        notes.append(notify(broker, "patent_listed", message, link))
    db.session.flush()
    return notes


def route_brokers_only(need: Need, ipc_codes: set[str]) -> User | None:
    """Give an unassigned brokers-only need to the least busy broker whose scope covers it.

    Nobody but admins could open such a need otherwise; with no broker in scope it stays
    unassigned and the administrators get a triage notification (``_triage``).
    """
    if need.confidentiality is not Confidentiality.BROKERS or need.broker_id is not None:
        return None
    active = db.session.scalars(
        select(User).where(User.role == Role.BROKER, User.active.is_(True)).order_by(User.id)
    )
    covering = [b for b in active if covers(b, need, ipc_codes)]
    if not covering:
        return None
    load = dict(
        db.session.execute(
            select(Need.broker_id, func.count(Need.id))
            .where(Need.broker_id.in_([b.id for b in covering]), Need.status == NeedStatus.OPEN)
            .group_by(Need.broker_id)
        ).all()
    )
    chosen = min(covering, key=lambda b: (load.get(b.id, 0), b.id))
    need.broker = chosen
    record("need_routed", None, f"need:{need.id}", broker=chosen.id)
    return chosen


def _may_open(brokers: list[User], need: Need) -> list[User]:
    """Only the brokers the need page would answer 200: an alert tells no more than pages."""
    return [b for b in brokers if access.can_view_need(db.session, b, need)]


def _triage(needs: list[Need]) -> list[Notification]:
    """No broker may open these needs (brokers-only, unassigned): each administrator is told
    once, one need by name, several counted (an import's share), and routes them by hand."""
    if not needs:
        return []
    admins = db.session.scalars(
        select(User).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    )
    need = needs[0]
    link = (_path("needs.detail", need.id) if len(needs) == 1 else
            _path("needs.index", confidentiality=Confidentiality.BROKERS.value,
                       status=NeedStatus.OPEN.value) or _path("needs.detail", need.id))
    notes = []
    for admin in admins:
        with recipient_locale(admin):
            message = reason(
                "A brokers-only need from %(org)s awaits a broker: %(need)s",
                org=need.enterprise.name,
                need=need.title,
            ) if len(needs) == 1 else reason(
                "%(n)d new brokers-only needs await a broker, among them “%(need)s” from "
                "%(org)s",
                n=len(needs), org=need.enterprise.name, need=need.title,
            )
        notes.append(notify(admin, "need_triage", message, link))
    return notes


def brokers_for(need: Need, ipc_codes: set[str], *, fallback_all: bool) -> list[User]:
    """The need's assigned broker, else brokers whose scope covers it, else (maybe) all."""
    if need.broker is not None and need.broker.active and need.broker.role is Role.BROKER:
        return [need.broker]
    active = list(
        db.session.scalars(
            select(User).where(User.role == Role.BROKER, User.active.is_(True)).order_by(User.id)
        )
    )
    covering = [b for b in active if covers(b, need, ipc_codes)]
    if covering:
        return covering
    return active if fallback_all else []


def covers(broker: User, need: Need, ipc_codes: set[str]) -> bool:
    """A broker with a scope covers a need when its fields and its regions both fit."""
    fields, regions = split_list(broker.broker_fields), split_list(broker.broker_regions)
    if not fields and not regions:
        return False
    text = " ".join(filter(None, [need.technical_field, need.title]))
    field_ok = not fields or any(
        any(code.startswith(f.upper()) for code in ipc_codes)
        if _IPC_SCOPE.match(f.upper())
        else f in text
        for f in fields
    )
    region_ok = not regions or need.region_league in regions
    return field_ok and region_ok


def _university_users(patents: list[Patent]) -> dict[User, list[Patent]]:
    """Active university users of the patents' owners, each with their own matching patents."""
    out: dict[User, list[Patent]] = {}
    for patent in patents:
        owner = patent.owner
        if owner is None or owner.kind not in (OrgKind.UNIVERSITY, OrgKind.INSTITUTE):
            continue
        for user in owner.users:
            if user.role is Role.UNIVERSITY and user.active:
                out.setdefault(user, []).append(patent)
    return out


def _load(model, ids: list[int]) -> list:
    if not ids:
        return []
    rows = {r.id: r for r in db.session.scalars(select(model).where(model.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def _path(endpoint: str, record_id: int | None = None, **query: str) -> str | None:
    """A site-relative link to ``endpoint`` (with ``query`` as its query string) if that page
    exists (other features own some)."""
    for rule in (
        current_app.url_map.iter_rules(endpoint) if endpoint in current_app.view_functions else []
    ):
        args = sorted(rule.arguments)
        if len(args) > 1 or (len(args) == 1) != (record_id is not None):
            continue
        try:
            values = {args[0]: record_id} if args else {}
            return current_app.url_map.bind("localhost").build(endpoint, {**query, **values})
        except BuildError:
            continue
    return None
