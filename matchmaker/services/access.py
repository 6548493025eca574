"""Who may see and change what. Every view asks here; templates only mirror the answers.

Rules (see README "Roles"):
- admin: everything.
- broker: all patents; public needs plus brokers-only needs assigned to them; matches assigned
  to them, or unassigned ones within their fields (IPC sections) and regions (盟市).
- enterprise: its organization's needs; matches of those needs once a broker recommended them,
  and the patents of those matches.
- university: its organization's patents; matches of those patents once recommended.

Enterprises and universities are the "parties" (:func:`is_party`): they see no scores, bands or
rule weights, and who posted a brokers-only need only if it is theirs (:func:`shows_need_owner`).
"""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import Select, and_, event, exists, false, or_, select, true
from sqlalchemy.orm import Session

from ..records import (
    Confidentiality,
    Match,
    MatchStatus,
    Need,
    Patent,
    PatentIPC,
    Role,
    User,
)

# The two sides a broker brings together; everything about how the engine ranked a pair
# (scores, bands, rule weights) stays with the brokers and administrators.
PARTIES = (Role.ENTERPRISE, Role.UNIVERSITY)

# Statuses after a broker's recommendation: what enterprises and universities may see.
SHOWN_TO_PARTIES = (
    MatchStatus.RECOMMENDED,
    MatchStatus.CONTACTED,
    MatchStatus.NEGOTIATING,
    MatchStatus.SIGNED,
    MatchStatus.REGISTERED,
)


def _scope(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").replace("，", ",").split(",") if part.strip()]


def _broker_scope(user: User) -> tuple[list[str], list[str]]:
    """A broker's unassigned scope: (IPC sections, 盟市); an empty list does not restrict."""
    return [s[:1].upper() for s in _scope(user.broker_fields)], _scope(user.broker_regions)


def need_filter(user: User):
    """A WHERE clause selecting the needs ``user`` may see."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.BROKER:
        return or_(
            Need.confidentiality == Confidentiality.PUBLIC,
            Need.broker_id == user.id,
        )
    if user.role is Role.ENTERPRISE:
        return Need.enterprise_id == user.organization_id
    if user.role is Role.UNIVERSITY:
        shown = (
            select(Match.id)
            .join(Patent, Patent.id == Match.patent_id)
            .where(
                Match.need_id == Need.id,
                Match.status.in_(SHOWN_TO_PARTIES),
                Patent.owner_id == user.organization_id,
            )
        )
        return exists(shown)
    return false()


def patent_filter(user: User):
    """A WHERE clause selecting the patents ``user`` may see."""
    if user.role in (Role.ADMIN, Role.BROKER):
        return true()
    if user.role is Role.UNIVERSITY:
        return Patent.owner_id == user.organization_id
    if user.role is Role.ENTERPRISE:
        shown = (
            select(Match.id)
            .join(Need, Need.id == Match.need_id)
            .where(
                Match.patent_id == Patent.id,
                Match.status.in_(SHOWN_TO_PARTIES),
                Need.enterprise_id == user.organization_id,
            )
        )
        return exists(shown)
    return false()


def match_filter(user: User):
    """A WHERE clause selecting the matches ``user`` may see (join Need and Patent first)."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.BROKER:
        unassigned = [Match.broker_id.is_(None), need_filter(user)]
        sections, regions = _broker_scope(user)
        if sections:
            in_field = exists(
                select(PatentIPC.id).where(
                    PatentIPC.patent_id == Match.patent_id, PatentIPC.section.in_(sections)
                )
            )
            unassigned.append(in_field)
        if regions:
            unassigned.append(Need.region_league.in_(regions))
        return or_(Match.broker_id == user.id, and_(*unassigned))
    if user.role is Role.ENTERPRISE:
        return and_(Need.enterprise_id == user.organization_id, Match.status.in_(SHOWN_TO_PARTIES))
    if user.role is Role.UNIVERSITY:
        return and_(Patent.owner_id == user.organization_id, Match.status.in_(SHOWN_TO_PARTIES))
    return false()


def scope_filter(user: User):
    """The pairs ``match_filter`` selects, written on the pair's own columns (no join needed).

    The user's needs and patents become subqueries that the database builds once, as a list
    or a hash, where ``match_filter`` looks up each pair's need and patent. For statements
    that walk a user's whole scope, such as the 待审 counts: for a broker at 100k pairs on
    SQLite 105 -> 60 ms (``bench/RESULTS.md``, stop 24). A statement about one pair is cheaper
    with ``match_filter``, which builds no list. ``tests/test_figures.py`` checks that both
    select the same pairs for every role.
    """
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.BROKER:
        sections, regions = _broker_scope(user)
        needs = select(Need.id).where(need_filter(user))
        if regions:
            needs = needs.where(Need.region_league.in_(regions))
        unassigned = [Match.broker_id.is_(None), Match.need_id.in_(needs)]
        if sections:
            unassigned.append(Match.patent_id.in_(
                select(PatentIPC.patent_id).where(PatentIPC.section.in_(sections))))
        return or_(Match.broker_id == user.id, and_(*unassigned))
    if user.role is Role.ENTERPRISE:
        return and_(Match.need_id.in_(select(Need.id).where(
            Need.enterprise_id == user.organization_id)), Match.status.in_(SHOWN_TO_PARTIES))
    if user.role is Role.UNIVERSITY:
        return and_(Match.patent_id.in_(select(Patent.id).where(
            Patent.owner_id == user.organization_id)), Match.status.in_(SHOWN_TO_PARTIES))
    return false()


def visible_matches(user: User) -> Select:
    """``select(Match)`` joined to its need and patent, restricted to what ``user`` may see."""
    return (
        select(Match)
        .join(Need, Need.id == Match.need_id)
        .join(Patent, Patent.id == Match.patent_id)
        .where(match_filter(user))
    )


def _visible(session, stmt) -> bool:
    return session.scalar(stmt.limit(1)) is not None


def can_view_need(session, user: User, need: Need) -> bool:
    return _visible(session, select(Need.id).where(Need.id == need.id, need_filter(user)))


def can_edit_need(user: User, need: Need) -> bool:
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.ENTERPRISE and need.enterprise_id == user.organization_id


def can_view_patent(session, user: User, patent: Patent) -> bool:
    return _visible(session, select(Patent.id).where(Patent.id == patent.id, patent_filter(user)))


def can_edit_patent(user: User, patent: Patent) -> bool:
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.UNIVERSITY and patent.owner_id == user.organization_id


def can_view_match(session, user: User, match: Match) -> bool:
    """Whether ``user`` may see ``match``: one query, asked once per request.

    A page that acts on a pair asked twice (the view loads it, the service it calls checks
    that the user may work it: 2 of a pair page's 15 statements). Within a request the answer
    is kept, keyed by the user's scope, the pair's own columns that the scope reads (status,
    broker) and the session's writes: any flush since (a changed need, patent, user or pair)
    asks again, and so does a question asked while the session holds unflushed changes,
    which the query's autoflush would have written first.
    """
    if session.new or session.dirty or session.deleted:
        return _match_visible(session, user, match)
    key = (user.id, user.role, user.organization_id, user.broker_fields, user.broker_regions,
           match.id, match.status, match.broker_id, match.need_id, match.patent_id,
           session.info.get(_FLUSHES, 0))
    memo = _request_memo()
    if key not in memo:
        memo[key] = _match_visible(session, user, match)
    return memo[key]


def _match_visible(session, user: User, match: Match) -> bool:
    stmt = visible_matches(user).where(Match.id == match.id).with_only_columns(Match.id)
    return _visible(session, stmt)


# How many times a session wrote to the database: part of the key of a kept scope answer.
_FLUSHES = "matchmaker_flushes"


@event.listens_for(Session, "after_flush")
def _count_flush(session, _flush_context) -> None:
    session.info[_FLUSHES] = session.info.get(_FLUSHES, 0) + 1


def _request_memo() -> dict:
    """A dict that lives as long as the current request (empty and unkept outside one).

    Kept on the request object, not on ``g``: ``g`` lives as long as the app context, which
    the tests keep for a whole test, across requests.
    """
    if not has_request_context():
        return {}
    current = request._get_current_object()
    memo = current.__dict__.get("matchmaker_can_view")
    if memo is None:
        memo = current.__dict__["matchmaker_can_view"] = {}
    return memo


def can_work_match(session, user: User, match: Match) -> bool:
    """Brokers act on matches assigned to them or unassigned in their scope; admins on all."""
    if user.role is Role.ADMIN:
        return True
    if user.role is not Role.BROKER:
        return False
    return can_view_match(session, user, match)


def can_see_contacts(user: User) -> bool:
    """Contact details of the other side go through brokers; parties never see each other's."""
    return user.role in (Role.ADMIN, Role.BROKER)


def is_party(user: User) -> bool:
    """An enterprise or university user: sees pairs without scores or the engine's weights."""
    return user.role in PARTIES


def shows_need_owner(user: User, need: Need) -> bool:
    """Whether ``user`` may see who posted ``need``: its enterprise, reference and county.

    A brokers-only need reaches a university once a broker recommends it one of its patents
    (:func:`need_filter`); the enterprise chose to be known to brokers only, so the broker
    introduces it when arranging contact, and every page and export shows "Disclosed by the
    broker" meanwhile. The reference (e.g. DEMO-XQ-028) and the county would point to the
    enterprise just as well, so they are hidden with it.
    """
    if need.confidentiality == Confidentiality.PUBLIC or user.role in (Role.ADMIN, Role.BROKER):
        return True
    return user.organization_id is not None and user.organization_id == need.enterprise_id
