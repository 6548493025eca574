"""Background jobs: the administrators' list, and each job's page with live progress."""

from flask import Blueprint

bp = Blueprint("jobs", __name__)

from . import views  # noqa: E402,F401  (routes attach to bp)
