"""Saved queue views: each broker's named filter sets (query strings of the review queue)."""

from __future__ import annotations

from sqlalchemy import select

from ..errors import NotFound, ValidationError
from ..extensions import db
from ..records import SavedView, User
from ..records.views import VIEW_NAME_LIMIT, VIEW_QUERY_LIMIT
from .pipeline_checks import tr

VIEWS_PER_USER = 20


def list_views(user: User) -> list[SavedView]:
    """The user's saved views, by name."""
    return list(db.session.scalars(
        select(SavedView).where(SavedView.user_id == user.id).order_by(SavedView.name)
    ))


def save_view(user: User, name: str, query: str) -> SavedView:
    """Save ``query`` under ``name``; the same name again replaces its query.

    ``query`` must already be the queue's own canonical query string (the view rebuilds it from
    the validated filter form), so nothing but known filters is ever stored.
    """
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(tr("Give the view a name."), "name")
    if len(name) > VIEW_NAME_LIMIT:
        raise ValidationError(tr("At most %(n)d characters.", n=VIEW_NAME_LIMIT), "name")
    if len(query) > VIEW_QUERY_LIMIT:
        raise ValidationError(tr("These filters are too long to save."), "query")
    view = db.session.scalar(
        select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name)
    )
    if view is None:
        if len(list_views(user)) >= VIEWS_PER_USER:
            raise ValidationError(
                tr("At most %(n)d saved views; delete one first.", n=VIEWS_PER_USER), "name"
            )
        view = SavedView(user_id=user.id, name=name)
        db.session.add(view)
    view.query = query
    db.session.commit()
    return view


def delete_view(user: User, view_id: int) -> None:
    """Delete one of the user's views; another user's view is as missing as a deleted one."""
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        raise NotFound(tr("This saved view does not exist."))
    db.session.delete(view)
    db.session.commit()
