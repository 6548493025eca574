"""What the booklet (成果汇编) says: one page per listed patent, in programme order.

The same content feeds the print-styled HTML page and the PDF. Contacts go through the
platform and the event's broker only: the owner's own contact details are never printed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import has_request_context, request
from flask_babel import gettext as _
from flask_babel import pgettext

from ..extensions import db
from ..labels import label
from ..reasons import listing
from ..records import EventPatent, LegalStatus, Patent, ReleaseEvent, Role, User

# The public pages the QR codes open (matchmaker.portal.showcase).
PATENT_PAGE = "/showcase/patents/{id}"
SHOWCASE_PAGE = "/showcase/"

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


_BOILERPLATE = re.compile(
    r"^(本(发明|实用新型|外观设计)(公开了|提供了|公开|提供|涉及|属于)?|"
    r"(The present invention|This invention)\s+(relates to|discloses|provides)\s+)",
    re.IGNORECASE,
)
_CORE_NOISE = re.compile(r"[\s，,、。；;：:.!！?？()（）]|^一种|^an?\s|^the\s", re.IGNORECASE)
# A clause with a figure and a word of change: "刚度提高约20%", "能耗降低30%以上".
_FIGURE = re.compile(r"\d")
_GAIN = re.compile(
    r"提高|提升|降低|减少|延长|缩短|节约|节省|减重|增加|增大|达到|超过|以上|以内|倍|%|％|"
    r"increase|reduc|improv|lower|higher|faster|times",
    re.IGNORECASE,
)
_USE = re.compile(r"(?:适用于|可用于|应用于|可应用于|可广泛用于)([^。；;]+)|"
                  r"(?:suitable for|applicable to|can be used in)\s+([^.;]+)", re.IGNORECASE)
HIGHLIGHTS = 4


def _core(text: str) -> str:
    """A title or sentence without boilerplate, articles and punctuation, for comparison."""
    text = _BOILERPLATE.sub("", text.strip())
    previous = None
    while previous != text:
        previous, text = text, _CORE_NOISE.sub("", text)
    return text.lower()


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join((text or "").split())) if s.strip()]


def without_title(sentence: str, title: str | None) -> str | None:
    """``sentence`` minus a restatement of ``title``: None when it does not restate it, ""
    when nothing worth reading is left ("本发明公开了一种<title>，属于…领域。")."""
    core_title = _core(title or "")
    if not core_title or core_title not in _core(sentence):
        return None
    body = _BOILERPLATE.sub("", sentence.strip())
    name = (title or "").strip()
    for candidate in (name, name.removeprefix("一种"), re.sub(r"^(an?|the)\s+", "", name,
                                                            flags=re.IGNORECASE)):
        at = body.lower().find(candidate.lower()) if candidate else -1
        if 0 <= at <= 4:
            rest = body[at + len(candidate):].strip(" ，,、：:。.；;")
            if rest.startswith(("的", "及其", "及", "和")):  # the title opens a longer name
                rest = re.split(r"[，,]", rest, maxsplit=1)[1] if re.search(r"[，,]", rest) else ""
                rest = rest.strip(" ，,、：:。.；;")
            if len(_core(rest)) <= 14 and (not rest or rest.startswith(("属于", "涉及", "which"))):
                return ""
            if len(_core(rest)) <= 6:
                return ""
            return ("该成果" if not rest[0].isascii() else "It ") + rest + \
                ("。" if not rest[-1].isascii() else ".")
    return None


def plain_summary(abstract: str | None, limit: int = SUMMARY_CHARS, title: str | None = None,
                  skip: frozenset[str] = frozenset()) -> str:
    """The abstract's first sentences, up to about ``limit`` characters, minus boilerplate.

    With ``title``, sentences that restate the title lose that part (or are left out), so the
    plain words add to the title instead of repeating it; sentences in ``skip`` (shown
    elsewhere on the page) are left out too when others remain.
    """
    sentences = _sentences(abstract)
    if not sentences:
        return ""
    if title:
        kept = []
        for sentence in sentences:
            rest = without_title(sentence, title)
            if rest is None:
                kept.append(sentence)
            elif rest:
                kept.append(rest)
        sentences = kept or sentences
    rest = [s for s in sentences if s not in skip]
    text = " ".join(rest or sentences)
    for pattern, replacement in _OPENINGS:  # before measuring: the rewrite changes the length
        text = pattern.sub(replacement, text, count=1)
    out = ""
    for sentence in _sentences(text):
        if out and len(out) + len(sentence) > limit:
            break
        # Chinese sentences join directly; Latin ones need a space between them.
        out += " " + sentence if out and out[-1].isascii() and sentence[0].isascii() else sentence
    if len(out) > limit:  # one very long first sentence: cut it, visibly
        out = out[: limit - 1].rstrip("，,、 ") + "…"
    return out


def highlights(abstract: str | None, limit: int = HIGHLIGHTS) -> tuple[list[str], set[str]]:
    """Clauses of the abstract with figures ("主梁刚度提高约20%"), and the sentences they
    came from."""
    found: list[str] = []
    used: set[str] = set()
    for sentence in _sentences(abstract):
        for clause in re.split(r"[，,；;。]", sentence):
            clause = clause.strip(" .")
            if (_FIGURE.search(clause) and _GAIN.search(clause) and 4 <= len(clause) <= 80
                    and clause not in found):
                found.append(clause)
                used.add(sentence)
            if len(found) >= limit:
                return found, used
    return found, used


def application(abstract: str | None, field: str | None) -> tuple[str, set[str]]:
    """Where the result applies: the abstract's "适用于 ..." phrase, else the technical field."""
    for sentence in _sentences(abstract):
        match = _USE.search(sentence)
        if match:
            phrase = (match.group(1) or match.group(2) or "").strip(" ，,。.")
            if phrase:
                return phrase, {sentence}
    return field or "", set()



def colon() -> str:
    """A label's colon in the booklet's language: "：" in Chinese, ": " in English."""
    return pgettext("punctuation", ": ")


def clause_separator() -> str:
    """Between clauses: "；" in Chinese, "; " in English."""
    return pgettext("punctuation", "; ")

@dataclass
class BookletPage:
    number: int  # 1-based position in the booklet
    patent: Patent
    summary: str
    on_stage: bool
    highlights: list[str] = field(default_factory=list)
    application: str = ""
    url: str = ""  # the patent's public showcase page (the QR code's target)

    @property
    def facts(self) -> list[tuple[str, str]]:
        """(label, value) rows printed under the title."""
        p = self.patent
        return [
            (_("Publication number"), p.publication_number),
            (_("Patent type"), label(p.patent_type)),
            (_("Legal status"), label(p.legal_status)),
            (_("Owner"), p.owner.name if p.owner else (p.applicants or "")),
            (_("IPC"), "; ".join(p.ipc_codes)),
            (_("Technical field"), p.technical_field or ""),
        ]

    @property
    def maturity(self) -> str:
        """How far the result is: granted (since when) or still under examination."""
        p = self.patent
        kind = label(p.patent_type)
        if p.legal_status is LegalStatus.VALID and p.grant_date:
            return _("%(kind)s patent granted in %(year)d, in force", kind=kind,
                     year=p.grant_date.year)
        if p.legal_status is LegalStatus.PENDING:
            return _("%(kind)s application under examination", kind=kind)
        return label(p.legal_status)

    @property
    def terms(self) -> list[tuple[str, str]]:
        """Cooperation terms: licensing modes and price."""
        p = self.patent
        price = (
            _("%(n)s (10k yuan)", n=f"{p.asking_price:,.2f}") if p.asking_price else _("Negotiable")
        )
        modes = listing(label(m) for m in p.licensing_modes) or _("Negotiable")
        return [(_("Licensing modes"), modes), (_("Asking price"), price)]


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
    organiser: str = ""
    showcase_url: str = ""  # the showcase's list (the cover's QR code)

    @property
    def on_stage(self) -> list[BookletPage]:
        return [p for p in self.pages if p.on_stage]


def public_base(config: Mapping | None = None) -> str:
    """The portal's public address for printed links: BASE_URL, else this request's host."""
    base = ((config or {}).get("BASE_URL") or "").rstrip("/")
    if not base and has_request_context():
        base = request.host_url.rstrip("/")
    return base or "http://127.0.0.1:8000"


def page_for(listing: EventPatent, number: int, base: str = "") -> BookletPage:
    """One patent's page: the listing's own summary wins over the generated one."""
    patent = listing.patent
    found, used = highlights(patent.abstract)
    where, used_for_use = application(patent.abstract, patent.technical_field)
    summary = (listing.summary or "").strip() or plain_summary(
        patent.abstract, title=patent.title, skip=frozenset(used | used_for_use))
    return BookletPage(number, patent, summary, bool(listing.on_stage), found, where,
                       base + PATENT_PAGE.format(id=patent.id))


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
    base = public_base(config)
    listings = sorted(event.listings, key=lambda item: (item.position, item.id))
    pages = [page_for(listing, i, base) for i, listing in enumerate(listings, start=1)]
    organiser = (config or {}).get("BOOKLET_ORGANISER") or _(
        "Matchmaker technology-transfer platform")
    return Booklet(event, pages, contact_for(event, config), organiser,
                   base + SHOWCASE_PAGE)
