"""Template filters and globals shared by every page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import request
from flask_babel import get_locale, pgettext
from flask_login import current_user
from markupsafe import Markup, escape

from ..labels import (
    activation_label,
    channel_name,
    engine_label,
    label,
    league_label,
    reason_text,
    source_label,
    task_label,
    verdict_label,
)
from ..reasons import listing
from ..reasons import render as render_reason
from ..records import Role
from ..services import figures, notify, scores
from ..services.audit import action_label
from ..text.segment import stem
from .charts import bar_chart, funnel_chart, line_chart, reliability_chart
from .preferences import family_patents, flag_label, shown_flags

_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


def highlight(text: str | None, terms: list[str] | None) -> Markup:
    """Escape ``text`` and wrap every occurrence of ``terms`` in ``<mark>``.

    Chinese terms match anywhere (Chinese has no spaces); English terms match whole words only,
    in any inflection the engine folds into the term (``magnet`` marks "magnets", "per" never
    marks the inside of "operates").
    """
    if not text:
        return Markup("")
    if not terms:
        return escape(text)
    wanted = {t.strip().lower() for t in terms if t and t.strip()}
    english = {t for t in wanted if t.isascii()}
    # Longest terms first so "永磁材料" wins over "永磁" (a regex alternation tries them in order).
    ordered = sorted(wanted - english, key=len, reverse=True)
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter whose lower case is longer: positions differ
        return _highlight_by_char(text, lowered, english, ordered)
    chinese = re.compile("|".join(map(re.escape, ordered))) if ordered else None
    out, done, i = [], 0, 0
    term = chinese.search(lowered) if chinese else None  # None: no term further on
    # Jump from match to match: an ASCII word (matched whole, so no term starts inside it) or a
    # term, whichever starts first (the word when both do); the text between them is escaped
    # in one piece.
    while i < len(text):
        word = _WORD_START.search(text, i)
        if term is not None and term.start() < i:
            term = chinese.search(lowered, i)
        if term is None and word is None:
            break
        if term is None or (word is not None and word.start() <= term.start()):
            found = word.group(0)
            if english and (found.lower() in english or stem(found.lower()) in english):
                out.append(_marked(text, done, word.start(), word.end()))
                done = word.end()
            i = word.end()
        else:
            out.append(_marked(text, done, term.start(), term.end()))
            i = done = term.end()
    out.append(escape(text[done:]))
    return Markup("".join(out))  # every piece escaped above


_WORD_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+")


def _marked(text: str, done: int, start: int, end: int) -> str:
    """``text[done:start]`` escaped, then ``text[start:end]`` escaped inside ``<mark>``."""
    return f"{escape(text[done:start])}<mark>{escape(text[start:end])}</mark>"


def _highlight_by_char(text: str, lowered: str, english: set[str], ordered: list[str]) -> Markup:
    """:func:`highlight` one character at a time (when ``lowered`` and ``text`` differ in length,
    terms are looked up at the same index in both, as they always were)."""
    out, i = [], 0
    while i < len(text):
        word = _ASCII_WORD.match(text, i) if text[i].isascii() else None
        if word and (i == 0 or not text[i - 1].isascii() or not text[i - 1].isalnum()):
            found = word.group(0)
            if english and (found.lower() in english or stem(found.lower()) in english):
                out.append(Markup("<mark>") + escape(found) + Markup("</mark>"))
            else:
                out.append(escape(found))
            i = word.end()
            continue
        for term in ordered:
            if lowered.startswith(term, i):
                out.append(Markup("<mark>") + escape(text[i : i + len(term)]) + Markup("</mark>"))
                i += len(term)
                break
        else:
            out.append(escape(text[i]))
            i += 1
    return Markup("").join(out)


def as_written(terms: list[str], *texts: str | None) -> list[str]:
    """Shared terms as the texts write them: the engine folds English to lower case and cuts
    endings ("8koe", "iac"); the page shows the first whole-word spelling found in ``texts``
    ("8kOe"), else the first word that starts with it ("IACS", "magnets"); Chinese terms and
    terms found nowhere stay as they are."""
    out = []
    for term in terms:
        if term and term.isascii() and term.strip():
            start = rf"(?<![A-Za-z0-9]){re.escape(term)}"
            found = None
            for pattern in (re.compile(rf"{start}(?![A-Za-z0-9])", re.I),
                            re.compile(rf"{start}[A-Za-z]*(?![A-Za-z0-9])", re.I)):
                found = next((m.group(0) for t in texts if t for m in [pattern.search(t)] if m),
                             None)
                if found:
                    break
            term = found or term
        out.append(term)
    return out


def channel_label(kind: str) -> str:
    """The human name of a matching channel by its kind (explanations never show model ids)."""
    if kind == "lexical":
        return pgettext("channel", "Keywords")
    if kind == "primary":
        return pgettext("channel", "Semantic similarity")
    return pgettext("channel", "English semantics")


def money(value) -> str:
    """An amount of 万元 as people read it: digits grouped, two decimals ("2,638.60"); the
    counts of the same pages are grouped too. "" for no amount."""
    return "" if value is None else f"{value:,.2f}"


def count(value) -> str:
    """A count as the charts beside it write it: digits grouped ("1,054")."""
    return "" if value is None else f"{value:,}"


def amount_range(low, high) -> str:
    """A budget "50.00–200.00", open at either end ("–200.00", "50.00–"); "" when neither."""
    if low is None and high is None:
        return ""
    return f"{money(low)}–{money(high)}"


def install(app) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["count"] = count
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["listing"] = listing
    app.jinja_env.filters["highlight"] = highlight
    app.jinja_env.filters["audit_label"] = action_label
    app.jinja_env.filters["league"] = league_label
    app.jinja_env.filters["source_label"] = source_label
    app.jinja_env.filters["reason_text"] = reason_text
    app.jinja_env.filters["engine_label"] = engine_label
    app.jinja_env.filters["task_label"] = task_label
    app.jinja_env.filters["channel_name"] = channel_name
    app.jinja_env.filters["import_reason"] = render_reason
    app.jinja_env.filters["verdict"] = verdict_label
    app.jinja_env.filters["activation"] = activation_label
    app.jinja_env.globals.update(
        Role=Role,
        amount_range=amount_range,
        notice_text=notify.text_of,
        channel_label=channel_label,
        engine_label=engine_label,
        bar_chart=bar_chart,
        line_chart=line_chart,
        reliability_chart=reliability_chart,
        funnel_chart=funnel_chart,
        current_locale=lambda: str(get_locale()),
        pending_mine=lambda: figures.pending(current_user),
        nav_endpoints=app.view_functions,  # live: links only to registered views
        score_band=scores.band,
        band_label=scores.band_label,
        no_strong=scores.no_strong,
        flag_label=flag_label,
        shown_flags=shown_flags,
        family_patents=family_patents,
    )

    @app.context_processor
    def request_path():
        return {"request_path": page_to_return_to()}


def page_to_return_to() -> str:
    """Where the language switch (and other "back here" links) return: this page, or, for a
    page rendered in answer to a form post (a form with an error), the page the form was on.
    A post-only address would answer 405 and, reloaded, post the form again."""
    if request.method in ("GET", "HEAD"):
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/"):
        return ""
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")
