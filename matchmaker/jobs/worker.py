"""The worker's entry point: ``celery -A matchmaker.jobs.worker worker`` (or ``flask worker``).

Building the app loads no model: the engine is built lazily by the first job that needs it.
"""

from __future__ import annotations

from .. import create_app
from .recovery import recover_on_start

# Named ``flask_app``, not ``app``: ``celery -A`` takes a module's ``app`` for the Celery app.
flask_app = create_app()
celery = flask_app.extensions["celery"]
recover_on_start(flask_app)
