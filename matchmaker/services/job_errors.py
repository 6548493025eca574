"""What a job's error says: the text stored in ``Job.error`` (a reason as its msgid, so each
reader sees it in their own language), the public sentence that stands for an unexpected error,
and both read back: the message for the job's owner and the technical detail for admins.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from ..errors import MatchmakerError
from ..reasons import Reason, dumps, loads, reason, reason_of, render
from ..records import Job

ERROR_CHARS = 2000
#: what an admin sees of an unexpected error (the log has its traceback)
DETAIL_CHARS = 1500


def public_error(exc: BaseException, *, final: bool) -> str:
    """What a job's error says to the people who read it.

    An error raised with a reason, or a domain error, is a message for people (a reason is
    kept as its msgid: each reader sees it in their own language). Anything else (the
    database busy, a bug) is a translated sentence; its type and text are kept as the reason's
    ``detail`` for the admins (:func:`error_detail`), never shown to the job's owner: they are
    English, name tables and SQL, and say nothing the owner can act on.
    """
    message = reason_of(exc)
    if isinstance(message, Reason) or isinstance(exc, MatchmakerError):
        return message
    detail = f"{type(exc).__name__}: {exc}"[:DETAIL_CHARS]
    # A session broken by a refused write comes here as that refusal (registry.retryable_cause).
    busy = isinstance(exc, OperationalError)
    if not final:
        return (reason("The database was busy; the job will be tried again", detail=detail)
                if busy else
                reason("The job met a temporary problem; it will be tried again", detail=detail))
    if busy:
        return reason("The database stayed busy, so the job failed; please try again later",
                      detail=detail)
    return reason("The job failed because of an unexpected error; the details are in the log",
                  detail=detail)


def error_text(message: str) -> str:
    """What ``Job.error`` stores: a reason as its msgid with parameters (see ``reasons.dumps``),
    rendered now only when that form would not fit; any other message as it is."""
    text = dumps(message)
    if len(text) > ERROR_CHARS and isinstance(message, Reason):
        text = str(message)
    return text[:ERROR_CHARS]


def error_message(job: Job) -> str | None:
    """The job's error in the reader's language; errors stored as plain text, as they are."""
    return render(loads(job.error)) if job.error else None


def error_detail(job: Job) -> str | None:
    """The technical details of an unexpected error (for admins only; see :func:`public_error`)."""
    stored = loads(job.error) if job.error else None
    return (stored.get("params") or {}).get("detail") if isinstance(stored, dict) else None
