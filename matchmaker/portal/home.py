"""The landing page: each role goes to its own home, visitors to the public showcase."""

from flask import Blueprint, current_app, redirect, render_template, send_from_directory, url_for
from flask_login import current_user

from ..records import Role
from .showcase.views import render_showcase

bp = Blueprint("home", __name__)

# Where each role starts, best first; an endpoint whose blueprint is not registered is skipped.
HOMES = {
    Role.ADMIN: ("queue.index",),
    Role.BROKER: ("queue.index",),
    Role.ENTERPRISE: ("needs.index", "recommendations.index"),
    Role.UNIVERSITY: ("patents.index", "recommendations.index"),
}


@bp.get("/")
def index():
    """Send each role to its home page; visitors see the public showcase (成果展示)."""
    if not current_user.is_authenticated:
        return render_showcase()
    for endpoint in HOMES.get(current_user.role, ()):
        if endpoint in current_app.view_functions:
            return redirect(url_for(endpoint))
    return render_template("home.html")


@bp.get("/favicon.ico")
def favicon():
    """The icon for what has no page of its own to name it (a PDF the browser shows asks
    here; it was a 404 on every booklet opened)."""
    return send_from_directory(current_app.static_folder, "favicon.svg",
                               mimetype="image/svg+xml", max_age=86400)
