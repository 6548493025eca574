"""Alert jobs: who hears about a new need or patent (``services.alerts``), then their mail."""

from __future__ import annotations

from flask import current_app

from ..services import alerts
from ..services import jobs as service
from .registry import JobContext, job


def _then_mail(ctx: JobContext, notes: list) -> dict:
    ids = [note.id for note in notes]
    if ids and current_app.config.get("MAIL_ENABLED"):
        ctx.after_commit(lambda: service.submit("mail", {"notification_ids": ids}))
    return {"notifications": len(ids)}


@job("alert_need_posted")
def alert_need_posted(params: dict, ctx: JobContext) -> dict:
    """Notify the owners of matching patents and the brokers about a new need."""
    return _then_mail(ctx, alerts.alert_need_posted(params["need_id"]))


@job("alert_patent_listed")
def alert_patent_listed(params: dict, ctx: JobContext) -> dict:
    """Notify the brokers of open needs that a newly listed patent matches."""
    return _then_mail(ctx, alerts.alert_patent_listed(params["patent_id"]))
