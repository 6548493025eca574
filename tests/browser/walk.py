"""Walking every page of every role (issue 10, points 3 and 8): log in, list the pages, and
tell interface text from user data.

Record text (titles, names, abstracts ...) is the user's, in whatever language it was typed:
the demo's is Chinese, so English screens show Chinese there. Rather than trusting every
template to mark it, the walk collects the free-text columns of the seeded database and treats
any run of foreign script that occurs in them as user data. Enum codes, 盟市 names, audit codes,
history reasons and sources are *not* collected: they are interface text and must be translated.
Elements marked ``data-user``, ``lang`` (another language on purpose, e.g. the language
switch), ``translate="no"`` and ``code``/``kbd`` (identifiers) are skipped by the page script.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import (
    AuditLog,
    Match,
    MatchHistory,
    MatchStatus,
    Need,
    Notification,
    Organization,
    Patent,
    ReleaseEvent,
    User,
    utcnow,
)
from tests.browser.conftest import SHOTS
from tests.browser.seed import PASSWORD
from tests.script_text import other_script

ROLES = [None, "e2e-broker", "e2e-enterprise", "e2e-university", "e2e-admin"]

#: Free-text columns: what users type. Everything else on a page is the interface's.
USER_COLUMNS = [
    (Patent, ("title", "abstract", "claims", "applicants", "inventors", "technical_field",
              "contact_note", "publication_number")),
    (Need, ("title", "description", "technical_field", "keywords")),
    (Organization, ("name", "contact_name", "address", "fields", "contact_email")),
    (User, ("display_name", "username", "email", "broker_fields")),
    (ReleaseEvent, ("name", "number", "venue", "theme", "target_industries")),
    (Notification, ("message",)),
    (Match, ("rejection_note", "feedback_reason", "contract_number")),
]

#: Text nodes and labelling attributes the page shows, with the element that holds them.
TEXTS_JS = """() => {
  const skip = el => el.closest('script,style,noscript,template,code,kbd,samp,[data-user],[translate=no],[hidden]')
    || (el.closest('[lang]') && el.closest('[lang]') !== document.documentElement);
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.nodeValue.trim();
    if (text && !skip(n.parentElement)) out.push([n.parentElement.tagName.toLowerCase(), text]);
  }
  for (const el of document.querySelectorAll('[placeholder],[aria-label],[title],input[type=submit][value]')) {
    if (skip(el)) continue;
    for (const a of ['placeholder', 'aria-label', 'title', 'value']) {
      if (a === 'value' && el.type !== 'submit') continue;
      const v = (el.getAttribute(a) || '').trim();
      if (v) out.push([el.tagName.toLowerCase() + '@' + a, v]);
    }
  }
  out.push(['title', document.title]);
  return out;
}"""


def snap(page, name: str) -> None:
    """A screenshot of the visible part under artifacts/screenshots/ (full pages of every page
    of every role in two languages take too long on a loaded CI machine)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), timeout=60_000)


def enrich() -> None:
    """Add what the basic seed lacks and the walk must see: engine history, a batch source,
    audit rows and a notification. (An import report is in the basic seed: ``/jobs/<id>``.)"""
    broker = db.session.scalar(select(User).where(User.username == "e2e-broker"))
    for match in db.session.scalars(select(Match)):
        match.source = "batch"
        # Rule labels as the engine stores them: English msgids (matching/rules.py).
        match.explanation = {**(match.explanation or {}), "rules": [
            {"rule": "home_region", "label": "Patent holder in the home region", "delta": 0.05},
            {"rule": "within_budget", "label": "Asking price within the budget", "delta": 0.03},
        ]}
        if not match.history:
            match.history.append(MatchHistory(from_status=None, to_status=MatchStatus.CANDIDATE,
                                              reason="matching engine (need)"))
    now = utcnow()
    for action in ("demo.passwords_reset", "demo.seed", "need_routed", "match_move", "login"):
        db.session.add(AuditLog(action=action, at=now - timedelta(minutes=1), actor_id=broker.id,
                                target="need:1", detail={"accounts": 4}))
    db.session.add(Notification(user_id=broker.id, kind="need_routed", message="新需求待处理",
                                link="/queue/"))
    db.session.commit()


def user_corpus() -> str:
    """Every free-text value in the database, one per line."""
    values: list[str] = []
    for model, columns in USER_COLUMNS:
        for record in db.session.scalars(select(model)):
            for column in columns:
                value = getattr(record, column, None)
                if isinstance(value, list | tuple):
                    values.extend(str(v) for v in value)
                elif value:
                    values.append(str(value))
    return "\n".join(values)


def foreign_runs(texts: list[list[str]], locale: str, corpus: str) -> list[str]:
    """Runs of the other script in the interface text (user data left out)."""
    return [f"{where}: {run!r} in {text[:80]!r}"
            for where, text in texts for run in other_script(text, locale, corpus)]


def log_in(page, base_url: str, username: str | None, locale: str) -> None:
    """Log in (unless anonymous) and switch the interface to ``locale`` with its own button."""
    if username:
        page.goto(f"{base_url}/auth/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("#submit")
        page.wait_for_load_state()
        assert "/auth/login" not in page.url
    page.goto(f"{base_url}/auth/login" if not username else base_url + "/")
    current = page.get_attribute("html", "lang") or ""
    if current.startswith("zh") != locale.startswith("zh"):
        page.click("header .tools form[action*='/language/'] button")
        page.wait_for_load_state()
    assert (page.get_attribute("html", "lang") or "").startswith(locale[:2])
