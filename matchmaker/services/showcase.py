"""The public showcase (成果展示): what anonymous visitors may see, and their contact requests.

Only public records reach it: patents that can still be licensed (valid or pending), open
needs whose enterprise made them public. A need is shown without its enterprise or any contact
detail, a patent without its contact note: every conversation goes through a broker.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, String, and_, cast, exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..errors import NotFound
from ..extensions import db
from ..reasons import reason
from ..records import (
    Confidentiality,
    ContactRequest,
    ContactStatus,
    CooperationMode,
    LegalStatus,
    LicenceMode,
    Need,
    NeedStatus,
    Patent,
    PatentLicence,
    Role,
    User,
    utcnow,
)
from ..regions import LEAGUES
from .notify import notify, recipient_locale

KINDS = ("patents", "needs")
MAX_WORDS = 8


def public_patent_clause():
    """Patents the showcase lists: still enforceable, so a licence means something, and
    still offered by their owner (listing not closed)."""
    return and_(Patent.legal_status.in_((LegalStatus.VALID, LegalStatus.PENDING)),
                Patent.listing_closed_at.is_(None))


def public_need_clause():
    """Needs the showcase lists: open and public (never brokers-only ones)."""
    return and_(Need.status == NeedStatus.OPEN, Need.confidentiality == Confidentiality.PUBLIC)


def _words(q: str) -> list[str]:
    return [w for w in q.replace("，", " ").replace(",", " ").split() if w][:MAX_WORDS]


def _like(word: str) -> str:
    return "%" + word.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


def _every_word(columns, words: list[str]):
    """Each word must appear in one of ``columns`` (so "风电 故障" finds both words anywhere)."""
    return and_(*[or_(*[col.ilike(_like(w), escape="!") for col in columns]) for w in words])


@dataclass
class ShowcaseFilters:
    """The showcase's query string: which list, the words and the filters of that list."""

    kind: str = "patents"
    q: str = ""
    field: str = ""
    licence: str = ""
    region: str = ""
    mode: str = ""

    @classmethod
    def from_args(cls, args) -> ShowcaseFilters:
        """Known values only; anything else is ignored."""

        def pick(name: str, allowed) -> str:
            value = (args.get(name) or "").strip()
            return value if value in allowed else ""

        return cls(
            kind=pick("kind", KINDS) or "patents",
            q=(args.get("q") or "").strip()[:100],
            field=(args.get("field") or "").strip()[:100],
            licence=pick("licence", {m.value for m in LicenceMode}),
            region=pick("region", LEAGUES),
            mode=pick("mode", {m.value for m in CooperationMode}),
        )

    def args(self) -> dict:
        """The non-empty values as query arguments (pager links)."""
        return {k: v for k, v in vars(self).items() if v}

    def query(self) -> Select:
        return self.patent_query() if self.kind == "patents" else self.need_query()

    def patent_query(self) -> Select:
        stmt = (select(Patent).where(public_patent_clause())
                .options(selectinload(Patent.owner), selectinload(Patent.licence_links))
                .order_by(Patent.updated_at.desc(), Patent.id.desc()))
        if self.q:
            stmt = stmt.where(_every_word(
                [Patent.title, Patent.abstract, Patent.technical_field, Patent.applicants],
                _words(self.q)))
        if self.field:
            stmt = stmt.where(Patent.technical_field.ilike(_like(self.field), escape="!"))
        if self.licence:
            stmt = stmt.where(exists(select(PatentLicence.id).where(
                PatentLicence.patent_id == Patent.id,
                PatentLicence.mode == LicenceMode(self.licence))))
        return stmt

    def need_query(self) -> Select:
        stmt = (select(Need).where(public_need_clause())
                .order_by(Need.created_at.desc(), Need.id.desc()))
        if self.q:
            stmt = stmt.where(_every_word(
                [Need.title, Need.description, Need.technical_field, cast(Need.keywords, String)],
                _words(self.q)))
        if self.field:
            stmt = stmt.where(Need.technical_field.ilike(_like(self.field), escape="!"))
        if self.region:
            stmt = stmt.where(Need.region_league == self.region)
        if self.mode:
            stmt = stmt.where(Need.cooperation_mode == CooperationMode(self.mode))
        return stmt


def counts() -> dict[str, int]:
    """How many public patents and needs there are (the tabs' figures)."""
    return {
        "patents": db.session.scalar(select(func.count(Patent.id)).where(public_patent_clause())),
        "needs": db.session.scalar(select(func.count(Need.id)).where(public_need_clause())),
    }


def public_patent(patent_id: int) -> Patent:
    """A patent the showcase shows, or NotFound (also for lapsed ones: no hint they exist)."""
    patent = db.session.scalar(select(Patent).where(Patent.id == patent_id,
                                                    public_patent_clause()))
    if patent is None:
        raise NotFound(_("This record is not on the showcase."))
    return patent


def public_need(need_id: int) -> Need:
    """A need the showcase shows, or NotFound (brokers-only and closed needs never show)."""
    need = db.session.scalar(select(Need).where(Need.id == need_id, public_need_clause()))
    if need is None:
        raise NotFound(_("This record is not on the showcase."))
    return need


def _brokers_for(need: Need | None) -> list[User]:
    """Who hears of a request: the need's broker, else every active broker (else admins)."""
    if need is not None and need.broker is not None and need.broker.active:
        return [need.broker]
    for role in (Role.BROKER, Role.ADMIN):
        users = db.session.scalars(select(User).where(User.role == role, User.active.is_(True))
                                   .order_by(User.id)).all()
        if users:
            return list(users)
    return []


def submit_contact_request(values: dict, *, patent: Patent | None = None,
                           need: Need | None = None) -> ContactRequest:
    """Store a visitor's request and notify the brokers, in one transaction (caller commits)."""
    if (patent is None) == (need is None):
        raise ValueError("a contact request concerns exactly one patent or one need")
    request = ContactRequest(patent=patent, need=need, status=ContactStatus.NEW, **values)
    db.session.add(request)
    db.session.flush()
    title = (patent or need).title
    for broker in _brokers_for(need):  # each in the broker's language, not the visitor's
        with recipient_locale(broker):
            message = reason(
                "Showcase contact request from %(name)s (%(org)s) about \"%(title)s\".",
                name=request.name, org=request.organization, title=title)
        notify(broker, "contact_request", message, f"/showcase/requests?status=new#r{request.id}")
    return request


def contact_requests(status: str = "") -> Select:
    """The brokers' list of requests, newest first, optionally of one status."""
    stmt = (select(ContactRequest)
            .options(selectinload(ContactRequest.patent), selectinload(ContactRequest.need),
                     selectinload(ContactRequest.handled_by))
            .order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc()))
    if status in {s.value for s in ContactStatus}:
        stmt = stmt.where(ContactRequest.status == ContactStatus(status))
    return stmt


def set_contact_status(request_id: int, status: ContactStatus, actor: User) -> ContactRequest:
    """Move a request to ``status`` and remember who did it (caller commits)."""
    request = db.session.get(ContactRequest, request_id)
    if request is None:
        raise NotFound(_("No such contact request."))
    request.status = status
    request.handled_by = actor
    request.handled_at = utcnow()
    return request
