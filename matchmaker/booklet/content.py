"""What the booklet (成果汇编) says: one page per listed patent, in programme order.

The same content feeds the print-styled HTML page and the PDF. Contacts go through the
platform and the event's broker only: the owner's own contact details are never printed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _

from ..extensions import db
from ..labels import label
from ..records import EventPatent, Patent, ReleaseEvent, Role, User

SUMMARY_CHARS = 160
_SENTENCE = re.compile(r"(?<=[。！？；!?;])|(?<=\.)(?=\s)")
# Patent boilerplate openings, rewritten so the summary reads like plain language.
_OPENINGS = [
    (re.compile(r"^本(发明|实用新型|外观设计)(公开了|提供了|公开)"), "该成果提供"),
    (re.compile(r"^本(发明|实用新型|外观设计)"), "该成果"),
    (
        re.compile(
            r"^(The present invention|This invention)\s+(relates to|discloses|provides)\s+",
            re.IGNORECASE,
        ),
        "This result concerns ",
    ),
]


def plain_summary(abstract: str | None, limit: int = SUMMARY_CHARS) -> str:
    """The abstract's first sentences, up to about ``limit`` characters, minus boilerplate."""
    text = " ".join((abstract or "").split())
    if not text:
        return ""
    for pattern, replacement in _OPENINGS:  # before measuring: the rewrite changes the length
        text = pattern.sub(replacement, text, count=1)
    out = ""
    for sentence in (s.strip() for s in _SENTENCE.split(text)):
        if not sentence:
            continue
        if out and len(out) + len(sentence) > limit:
            break
        # Chinese sentences join directly; Latin ones need a space between them.
        out += " " + sentence if out and out[-1].isascii() and sentence[0].isascii() else sentence
    if len(out) > limit:  # one very long first sentence: cut it, visibly
        out = out[: limit - 1].rstrip("，,、 ") + "…"
    return out


@dataclass
class BookletPage:
    number: int  # 1-based position in the booklet
    patent: Patent
    summary: str
    on_stage: bool

    @property
    def facts(self) -> list[tuple[str, str]]:
        """(label, value) rows printed under the title."""
        p = self.patent
        price = (
            _("%(n)s (10k yuan)", n=f"{p.asking_price:,.2f}") if p.asking_price else _("Negotiable")
        )
        return [
            (_("Publication number"), p.publication_number),
            (_("Patent type"), label(p.patent_type)),
            (_("Legal status"), label(p.legal_status)),
            (_("Owner"), p.owner.name if p.owner else (p.applicants or "")),
            (_("IPC"), "; ".join(p.ipc_codes)),
            (_("Technical field"), p.technical_field or ""),
            (
                _("Licensing modes"),
                "、".join(label(m) for m in p.licensing_modes) or _("Negotiable"),
            ),
            (_("Asking price"), price),
        ]


@dataclass
class BookletContact:
    platform: str
    broker_name: str | None
    broker_email: str | None


@dataclass
class Booklet:
    event: ReleaseEvent
    pages: list[BookletPage]
    contact: BookletContact

    @property
    def on_stage(self) -> list[BookletPage]:
        return [p for p in self.pages if p.on_stage]


def page_for(listing: EventPatent, number: int) -> BookletPage:
    """One patent's page: the listing's own summary wins over the generated one."""
    summary = (listing.summary or "").strip() or plain_summary(listing.patent.abstract)
    return BookletPage(number, listing.patent, summary, bool(listing.on_stage))


def contact_for(event: ReleaseEvent, config: Mapping | None = None) -> BookletContact:
    """The platform's contact line and the event's broker (its creator when a broker)."""
    platform = (config or {}).get("BOOKLET_CONTACT") or os.environ.get("MATCHMAKER_BOOKLET_CONTACT")
    platform = platform or _(
        "Contact the platform's technology brokers; owners are reached through them."
    )
    broker = db.session.get(User, event.created_by_id) if event.created_by_id else None
    if broker is None or broker.role is not Role.BROKER:
        return BookletContact(platform, None, None)
    return BookletContact(platform, broker.display_name, broker.email)


def build_booklet(event: ReleaseEvent, config: Mapping | None = None) -> Booklet:
    """The booklet's content for ``event``: listed patents in programme order."""
    listings = sorted(event.listings, key=lambda item: (item.position, item.id))
    pages = [page_for(listing, i) for i, listing in enumerate(listings, start=1)]
    return Booklet(event, pages, contact_for(event, config))
