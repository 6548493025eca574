"""Pipeline pages: the kanban board, the table, and the POST forms that move pairs.

Every POST checks on the server that the user may work the pair (``access.can_work_match``,
inside the pipeline service); the pair page only mirrors what is allowed.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import inspect

from ...errors import ChangedMeanwhile, PermissionDenied, TransitionError, ValidationError
from ...extensions import db
from ...labels import label
from ...records import MatchStatus, Role, User
from ...records.enums import NEED_LEVEL_REASONS
from ...security.params import int_arg, safe_next
from ...services import pair_lists, pipeline, queue, undo
from ..auth.session import roles_required
from ..queue.views import WORKERS, filtered_page, load_pair, origin, render_pair
from .forms import AssignForm, MoveForm, NoteForm, UndoForm

bp = Blueprint("pipeline", __name__)
BOARD_COLUMN = 30  # cards per column; the table shows the rest
QUICK_MOVES = (MatchStatus.RECOMMENDED, MatchStatus.CONTACTED, MatchStatus.NEGOTIATING)


@bp.get("/")
@roles_required(*WORKERS)
def board():
    """The kanban board of one broker (admins may pick one, or see all)."""
    brokers = queue.brokers()
    chosen = None
    if current_user.role is Role.ADMIN:
        chosen = int_arg(request.args, "broker")
        if chosen is not None and chosen not in {b.id for b in brokers}:
            abort(404)
    else:
        chosen = current_user.id
    columns = pair_lists.board(current_user, chosen, BOARD_COLUMN)
    return render_template(
        "pipeline/board.html",
        columns=columns,
        brokers=brokers,
        chosen=chosen,
        quick_moves=QUICK_MOVES,
        allowed_moves=pipeline.allowed_moves,
    )


@bp.get("/table")
@roles_required(*WORKERS)
def table():
    """Every visible pair of every status, filtered like the queue."""
    return filtered_page("all", "pipeline/table.html", with_q=True, via="table")


def _back(match_id: int) -> str:
    # By id, not through the pair: after the commit reading it would reload it with everything
    # the pair page loads (four queries) only to build this link.
    q = request.form.get("q") or None  # the list's filters; the pair page validates them
    via = origin(request.form.get("via"))
    return safe_next(request.form.get("next")) or url_for("queue.pair", match_id=match_id, q=q,
                                                          via=via)


def _field_error(form, error: ValidationError) -> None:
    """Show a service's validation error next to its field (or above the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))


def _conflict(match_id: int, error: ChangedMeanwhile):
    """The loser of a concurrent edit: the pair as it is now, the message, HTTP 409."""
    db.session.rollback()
    flash(str(error), "danger")
    return render_pair(load_pair(match_id), status=409)


@bp.post("/<int:match_id>/move/<to>")
@roles_required(*WORKERS)
def move(match_id: int, to: str):
    """Move a pair to status ``to`` (the form of that move on the pair page)."""
    match = load_pair(match_id, whole=False)
    try:
        target = MatchStatus(to)
    except ValueError:
        abort(404)
    form = MoveForm(target)
    if not form.validate():
        if target not in pipeline.allowed_moves(match):  # a move this page never offers:
            # its form is not on the page, so its errors would show nowhere
            flash(pipeline.refused_move(match, target), "danger")
            return render_pair(match, status=400)
        return render_pair(match, failed=form, status=400)
    try:
        done = pipeline.move_reported(
            match, target, current_user,
            reason=form.reason.data,
            rejection_reason=form.rejection_reason.data or None,
            note=form.note.data,
            contract_amount=form.contract_amount.data,
            contract_number=form.contract_number.data,
            expected=form.seen_status.data or None,
        )
    except ChangedMeanwhile as error:
        return _conflict(match_id, error)
    except ValidationError as error:
        _field_error(form, error)
        return render_pair(load_pair(match_id), failed=form, status=400)
    except TransitionError as error:
        flash(str(error), "danger")
        return redirect(url_for("queue.pair", match_id=match_id))
    flash(_("The pair is now “%(status)s”.", status=label(target)), "success")
    if done.cascaded:
        flash(_cascade_message(form.rejection_reason.data, len(done.cascaded)), "warning")
        # the next page offers to undo it, once (its id from the identity key: reading
        # ``done.history.id`` after the commit would load the row again)
        session[UNDO_OFFER] = [match_id, inspect(done.history).identity[0]]
    return redirect(_back(match_id))


UNDO_OFFER = "undo_offer"  # session key: [pair id, history row id] of a rejection to offer


@bp.app_context_processor
def undo_helpers() -> dict:
    return {"undo_offer": _take_undo_offer}


def _take_undo_offer() -> dict | None:
    """The rejection the page may offer to undo (shown once, like a flashed message)."""
    offer = session.pop(UNDO_OFFER, None)
    if not offer:
        return None
    return {"match_id": offer[0], "history_id": offer[1],
            "minutes": max(1, current_app.config.get("UNDO_SECONDS", 900) // 60)}


@bp.post("/<int:match_id>/undo")
@roles_required(*WORKERS)
def undo_rejection(match_id: int):
    """Undo a patent- or need-level rejection: the pair and the others it closed go back."""
    load_pair(match_id, whole=False)
    form = UndoForm()
    history_id = form.history_id() if form.validate() else None
    if history_id is None:
        abort(400)
    back = url_for("queue.pair", match_id=match_id)  # where the reason can be chosen again
    try:
        done = undo.undo_rejection(match_id, history_id, current_user)
    except PermissionDenied:
        abort(403)
    except TransitionError as error:
        flash(str(error), "danger")
        return redirect(back)
    count = len(done.moves)
    flash(ngettext("Undone: %(num)d pair is back at its stage.",
                   "Undone: %(num)d pairs are back at their stages.", count), "success")
    if done.kept:
        flash(ngettext("%(num)d pair was changed since or can no longer be worked: it stays "
                       "rejected.",
                       "%(num)d pairs were changed since or can no longer be worked: they stay "
                       "rejected.", done.kept), "warning")
    return redirect(back)


def _cascade_message(code: str | None, count: int) -> str:
    """What a need- or patent-level rejection did to the other open pairs."""
    if code in {r.value for r in NEED_LEVEL_REASONS}:
        return ngettext("The same reason rejected %(num)d other open pair of this need.",
                        "The same reason rejected %(num)d other open pairs of this need.", count)
    return ngettext("The same reason rejected %(num)d other open pair of this patent.",
                    "The same reason rejected %(num)d other open pairs of this patent.", count)


@bp.post("/<int:match_id>/assign")
@roles_required(*WORKERS)
def assign(match_id: int):
    """Assign the pair to another broker."""
    match = load_pair(match_id, whole=False)
    brokers = [b for b in queue.brokers() if b.id != match.broker_id]
    form = AssignForm(brokers)
    if not form.validate():
        return render_pair(match, failed=form, status=400)
    broker = db.session.get(User, int(form.broker.data))
    try:
        pipeline.assign(match, broker, current_user, reason=form.reason.data,
                        expected_broker=form.expected_broker())
    except ChangedMeanwhile as error:
        return _conflict(match_id, error)
    except ValidationError as error:
        _field_error(form, error)
        return render_pair(load_pair(match_id), failed=form, status=400)
    flash(_("Assigned to %(name)s.", name=broker.display_name), "success")
    return redirect(_back(match_id))


@bp.post("/<int:match_id>/note")
@roles_required(*WORKERS)
def note(match_id: int):
    """Add an internal note to the pair."""
    match = load_pair(match_id, whole=False)
    form = NoteForm()
    if not form.validate():
        return render_pair(match, failed=form, status=400)
    try:
        added = pipeline.add_note(match, current_user, form.body.data)
    except ValidationError as error:
        _field_error(form, error)
        return render_pair(load_pair(match_id), failed=form, status=400)
    flash(_("Note added."), "success")
    # to the new note, marked (the message at the top of the page is out of sight there);
    # the queue's filters kept, as after a move. Its id from the identity key: ``added.id``
    # would read the row again after the commit
    return redirect(_back(match_id) + f"#note-{inspect(added).identity[0]}")
