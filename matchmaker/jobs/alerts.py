"""Alert jobs: who hears about a new need or patent (``services.alerts``), then their mail."""

from __future__ import annotations

from ..services import alerts
from ..services import jobs as service
from ..services.notify import mail_job
from .registry import JobContext, job


def _then_mail(ctx: JobContext, notes: list) -> dict:
    job = mail_job(notes)
    if job is not None:
        ctx.after_commit(lambda: service.submit(*job))
    return {"notifications": len(notes)}


@job("alert_need_posted", interactive=True)
def alert_need_posted(params: dict, ctx: JobContext) -> dict:
    """Notify the owners of matching patents and the brokers about a new need."""
    return _then_mail(ctx, alerts.alert_need_posted(params["need_id"]))


@job("alert_needs_posted", interactive=True)
def alert_needs_posted(params: dict, ctx: JobContext) -> dict:
    """Notify each recipient once about the new needs (an import) that match."""
    return _then_mail(ctx, alerts.alert_needs_posted(params["need_ids"]))


@job("alert_patent_listed", interactive=True)
def alert_patent_listed(params: dict, ctx: JobContext) -> dict:
    """Notify the brokers of open needs that a newly listed patent matches."""
    return _then_mail(ctx, alerts.alert_patent_listed(params["patent_id"]))


@job("alert_patents_listed", interactive=True)
def alert_patents_listed(params: dict, ctx: JobContext) -> dict:
    """Notify each broker once about the newly listed patents (an import) that match."""
    return _then_mail(ctx, alerts.alert_patents_listed(params["patent_ids"]))
