"""The review queue (brokers' home), its bulk actions and the pair page."""

from __future__ import annotations

import logging
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from ...errors import ChangedMeanwhile, NotFound, TransitionError, ValidationError
from ...extensions import db
from ...matching.explain import MAX_SENTENCES
from ...records import (
    Match,
    MatchHistory,
    MatchNote,
    MatchStatus,
    Need,
    Patent,
    Role,
    User,
    utcnow,
)
from ...security.params import int_list, page_number, safe_next
from ...services import (
    access,
    figures,
    matching,
    pipeline,
    queue,
    queue_bulk,
    review,
    saved_views,
    stale,
)
from ...services.queue import QueueFilters
from ..auth.session import roles_required
from ..helpers import as_written, channel_label
from .forms import WEAK, BulkForm, QueueFilterForm, SavedViewForm

log = logging.getLogger(__name__)
bp = Blueprint("queue", __name__)
WORKERS = (Role.ADMIN, Role.BROKER)
STALE_CHECKED = (MatchStatus.CANDIDATE, MatchStatus.REJECTED)  # moves stale pairs may not make
Q_LIMIT = 2000  # a queue query string longer than this is not one the filter bar wrote


def queue_query(raw: str | None, brokers: list[User] | None = None) -> tuple[QueueFilters, str]:
    """The queue's filters and canonical query string from ``q`` (untrusted).

    ``q`` must be a relative query string: it is parsed, validated by the filter form and
    rebuilt from the known filters only, so a path, a URL or a stray parameter never survives
    into a redirect. Invalid filters fall back to the default queue. ``brokers``: the active
    brokers when the caller has them already.
    """
    raw = raw or ""
    if len(raw) > Q_LIMIT or raw.startswith(("/", "\\")) or "://" in raw:
        raw = ""
    brokers = queue.brokers() if brokers is None else brokers
    form = QueueFilterForm(brokers, MultiDict(parse_qsl(raw.lstrip("?"))))
    if not form.validate():
        return QueueFilters(), ""
    return form.to_filters(), urlencode(form.query_args())


def queue_url(q: str) -> str:
    """The review queue with the filters of ``q`` (a canonical query string)."""
    return url_for("queue.index") + (f"?{q}" if q else "")


# The list a pair page was opened from (``via``), when it is not the review queue: its back
# link returns there and "next" walks the same list.
ORIGINS = ("table", "board")


def origin(raw: str | None) -> str | None:
    """``via`` of a request, one of ORIGINS or None (the review queue); anything else is None."""
    return raw if raw in ORIGINS else None


def origin_links(via: str | None, q: str, next_id: int | None) -> tuple[str, str]:
    """(back, next) links of a pair page opened from ``via`` with the list's filters ``q``."""
    if via == "board":  # the board has no order to walk: both lead back to it
        back = url_for("pipeline.board")
        return back, back
    back = url_for("pipeline.table") + (f"?{q}" if q else "") if via == "table" else queue_url(q)
    if next_id is None:
        return back, back
    return back, url_for("queue.pair", match_id=next_id, q=q or None, via=via)


def filtered_page(default_status: str, template: str, with_q: bool = False,
                  via: str | None = None, **extra):
    """Render a filtered, paginated list of pairs (the queue and the pipeline table).

    ``with_q``: the pair links carry the list's query string (``q``), so the pair page can
    go on to the next pair of the same list and back to it with the filters kept; ``via``
    names a list other than the review queue (``ORIGINS``).
    """
    brokers = queue.brokers()
    form = QueueFilterForm(brokers, request.args, default_status=default_status)
    valid = form.validate()
    filters = form.to_filters() if valid else QueueFilters()
    page_no = page_number(request.args)
    pending = None  # the review queue's header (待审, mine) and its default view's total
    if with_q and via is None:
        pending = figures.pending_counts(current_user)
    page = queue.queue_page(current_user, filters, page_no, current_app.config["PAGE_SIZE"],
                            total=pending[1] if pending else None)
    args = form.query_args()
    if via is not None and valid:  # another default status than the queue's: say it
        args_q = {"status": form.status.data, **args}
    else:
        args_q = args
    q = urlencode(args_q) if with_q and valid and args_q else None
    return render_template(
        template, form=form, page=page, args=args, bulk=BulkForm(brokers),
        now=utcnow(), q=q, via=via, pending_mine_count=pending[0] if pending else None,
        weak=_hidden_weak(filters, pending, args) if valid and pending else None, **extra,
    )


def _hidden_weak(filters: QueueFilters, pending: tuple[int, int], args: dict) -> dict | None:
    """What the review queue's count line says about the weak candidates it hides by default
    (the 待审 figure above counts them, the list does not): ``count`` (None when unknown) and
    ``url``, the same list with them; None when the list hides none.

    The default view (in any order) takes the number from ``figures.pending_counts``, which the
    header needed anyway: all of one's candidates minus the strong ones. Other views say only
    that weak candidates are left out: counting them would cost the page a second capped count.
    """
    if filters.weak or (filters.statuses and MatchStatus.CANDIDATE not in filters.statuses):
        return None
    url = url_for("queue.index", **{**args, "strength": WEAK})
    if replace(filters, sort="score", reverse=False) == QueueFilters():
        hidden = pending[0] - pending[1]
        return {"count": hidden, "url": url} if hidden > 0 else None
    return {"count": None, "url": url}


@bp.get("/")
@roles_required(*WORKERS)
def index():
    """The review queue: candidate pairs by score, with filters and bulk actions."""
    return _queue_page()


def _queue_page():
    return filtered_page(
        "candidate", "queue/index.html", with_q=True,
        saved=saved_views.list_views(current_user), view_form=SavedViewForm(formdata=None),
    )


@bp.post("/bulk")
@roles_required(*WORKERS)
def bulk():
    """Assign or reject the ticked pairs, all or none."""
    form = BulkForm(queue.brokers())
    back = safe_next(request.form.get("next")) or url_for("queue.index")
    # Without JavaScript the "select all" box stands for every pair listed on the page.
    ids = int_list(request.form, "page_ids" if request.form.get("all_on_page") else "ids")
    if not form.validate():
        for errors in form.errors.values():  # form-level errors come under the key None
            for message in errors:
                flash(str(message), "danger")
        return redirect(back)
    try:
        if form.action == "recommend":
            count = review.bulk_recommend(current_user, ids)
            flash(ngettext("%(n)d pair recommended.",
                           "%(n)d pairs recommended.", count, n=count), "success")
        elif form.action == "assign":
            broker = db.session.get(User, int(form.broker.data))
            count = queue_bulk.bulk_assign(current_user, ids, broker, reason=form.note.data,
                                      seen=_seen(ids))
            flash(ngettext("%(n)d pair assigned.",
                           "%(n)d pairs assigned.", count, n=count), "success")
        else:
            count = queue_bulk.bulk_reject(current_user, ids, form.rejection_reason.data, form.note.data,
                                      seen=_seen(ids))
            flash(ngettext("%(n)d pair rejected.",
                           "%(n)d pairs rejected.", count, n=count), "success")
    except ChangedMeanwhile as error:
        db.session.rollback()
        flash(str(error), "danger")
        return _queue_page(), 409
    except (ValidationError, TransitionError, NotFound) as error:
        flash(str(error), "danger")
    return redirect(back)


def _seen(ids: list[int]) -> dict[int, tuple[str | None, int | None]]:
    """The status and broker each ticked pair had on the page (``seen-<id>`` = "status:broker")."""
    seen = {}
    for match_id in ids:
        raw = request.form.get(f"seen-{match_id}")
        if raw is None:
            continue
        status, _sep, broker = raw.partition(":")
        seen[match_id] = (status or None, int(broker) if broker.isdigit() else None)
    return seen


def load_pair(match_id: int, *, whole: bool = True) -> Match:
    """The pair, or 404; 403 when the user may not see it.

    ``whole``: with everything its page shows. A form that changes the pair and redirects
    loads only its need and patent (what the moves check): SQLAlchemy reloads a pair with the
    options it was loaded with each time it is refreshed (after the guarded update, after the
    commit), four queries each for the page's options. Should that form fail, its page loads
    the rest as the template reads it.
    """
    options = [joinedload(Match.need), joinedload(Match.patent)]
    if whole:
        options = [
            joinedload(Match.need).joinedload(Need.enterprise),
            joinedload(Match.patent).joinedload(Patent.owner),
            joinedload(Match.broker),
            selectinload(Match.patent, Patent.ipc_links),
            selectinload(Match.history).joinedload(MatchHistory.actor),
            selectinload(Match.notes).joinedload(MatchNote.author),
        ]
    match = db.session.scalar(select(Match).where(Match.id == match_id).options(*options))
    if match is None:
        abort(404)
    if not access.can_view_match(db.session, current_user, match):
        abort(403)
    return match


def pair_sentences(match: Match, explanation: dict) -> list[dict]:
    """The closest patent sentences, every sentence of the patent considered.

    The stored explanation ranks only the best pre-selected sentence (batch speed); the page
    ranks them all. An engine failure (encoder, index) falls back to the stored ones: the page
    is about the pair, not about the engine.
    """
    stored = explanation.get("closest_sentences") or []
    if len(stored) >= MAX_SENTENCES:
        return stored
    try:
        return matching.pair_sentences(match.need, match.patent) or stored
    except Exception:  # an optional enrichment must not break the page
        log.exception("closest sentences for match %s failed; showing the stored ones", match.id)
        return stored


REVIEW_MOVES = ("recommended", "rejected")  # in the action bar; a decision moves on to the next pair


def render_pair(match: Match, *, failed=None, status: int = 200):
    """The pair page; ``failed`` is a submitted form to show again with its errors."""
    from ..pipeline.forms import AssignForm, MoveForm, NoteForm

    can_work = access.can_work_match(db.session, current_user, match)
    moves, assign_form, note_form = [], None, None
    brokers = queue.brokers()
    if can_work:
        for target in pipeline.allowed_moves(match):
            if failed is not None and getattr(failed, "target", None) is target:
                moves.append(failed)
            else:
                moves.append(MoveForm(target, formdata=None, data={
                    "contract_amount": match.contract_amount, "seen_status": match.status.value}))
        rejecting = [form for form in moves if form.target is MatchStatus.REJECTED]
        if rejecting:
            rejecting[0].tell_cascade(stale.cascade_counts(match))
        assign_form = failed if isinstance(failed, AssignForm) else AssignForm(
            [b for b in brokers if b.id != match.broker_id], formdata=None,
            data={"seen_broker": match.broker_id or ""})
        note_form = failed if isinstance(failed, NoteForm) else NoteForm(formdata=None)
    filters, q = queue_query(request.values.get("q"), brokers)
    via = origin(request.values.get("via"))
    next_id = None if via == "board" else review.next_pair_id(current_user, filters, match.id)
    back_url, next_url = origin_links(via, q, next_id)
    on_to_weak = False
    if next_id is None and via is None and not filters.weak:
        # the strong and medium pairs are done, not the queue: go on with the weak candidates
        weak_filters, weak_q = queue_query(
            urlencode([*[(k, v) for k, v in parse_qsl(q) if k != "strength"],
                       ("strength", WEAK)]), brokers)
        # after this pair in that view, else its first (a weak pair scored above this one)
        weak_next = (review.next_pair_id(current_user, weak_filters, match.id)
                     or review.next_pair_id(current_user, weak_filters, 0))
        if weak_next not in (None, match.id):
            next_url = url_for("queue.pair", match_id=weak_next, q=weak_q)
            on_to_weak = True
    explanation = dict(match.explanation or {})
    explanation["closest_sentences"] = pair_sentences(match, explanation)
    channels = explanation.get("channels") or match.channel_scores or {}
    shares = [(channel_label(s.get("kind", "")), s["share"])
              for s in explanation.get("shares") or [] if isinstance(s, dict) and "share" in s]
    return render_template(
        "queue/pair.html",
        match=match,
        need=match.need,
        patent=match.patent,
        explanation=explanation,
        channels=channels,
        shares=shares,
        show_engine_details=current_user.role is Role.ADMIN,
        terms=as_written(explanation.get("shared_terms") or [], match.need.title,
                         match.need.description, match.patent.title, match.patent.abstract),
        moves=moves,
        assign_form=assign_form,
        note_form=note_form,
        can_work=can_work,
        show_contacts=access.can_see_contacts(current_user),
        split_reason=pipeline.split_history_reason,
        is_assignment=pipeline.is_assignment,
        stale_reason=stale.refusal(match) if match.status in STALE_CHECKED else None,
        q=q,
        next_url=next_url,
        has_next=next_id is not None,
        on_to_weak=on_to_weak,
        back_url=back_url,
        via=via,
        bar_targets=REVIEW_MOVES,
    ), status


@bp.get("/<int:match_id>")
@roles_required(*WORKERS)
def pair(match_id: int):
    """The pair page: both sides, why they match, the allowed actions, notes and history."""
    return render_pair(load_pair(match_id))


@bp.post("/views")
@roles_required(*WORKERS)
def save_view():
    """Save the current queue filters under a name (the same name replaces them)."""
    form = SavedViewForm()
    q = queue_query(request.form.get("q"))[1]
    if not form.validate():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
        return redirect(queue_url(q))
    try:
        saved_views.save_view(current_user, form.name.data, q)
    except ValidationError as error:
        flash(str(error), "danger")
        return redirect(queue_url(q))
    flash(_("View “%(name)s” saved.", name=form.name.data.strip()), "success")
    return redirect(queue_url(q))


@bp.post("/views/<int:view_id>/delete")
@roles_required(*WORKERS)
def delete_view(view_id: int):
    """Delete one of the user's saved views."""
    try:
        saved_views.delete_view(current_user, view_id)
    except NotFound:
        abort(404)
    flash(_("The saved view was deleted."), "success")
    return redirect(url_for("queue.index"))
