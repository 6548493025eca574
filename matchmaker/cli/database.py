"""Database set-up and account commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_migrate import upgrade

from ..errors import MatchmakerError
from ..extensions import db
from ..labels import label
from ..records import Role
from ..services.users import create_user as create_user_service
from .language import command, option, password_option
from .output import CommandError


@command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the schema by applying every migration."""
    upgrade()
    click.echo(_("database ready: %(url)s", url=db.engine.url.render_as_string(hide_password=True)))


@command("create-user")
@click.argument("username")
@option("--role", type=click.Choice([r.value for r in Role]), required=True)
@option("--name", "display_name", default=None, help="Display name (defaults to username).")
@option("--org", "organization", default=None, help="Organization name (must exist).")
@option("--email", default=None)
@password_option()
@with_appcontext
def create_user(username, role, display_name, organization, email, password) -> None:
    """Create a user account."""
    try:
        user = create_user_service(
            username=username,
            role=Role(role),
            password=password,
            display_name=display_name,
            organization_name=organization,
            email=email,
        )
    except MatchmakerError as exc:
        raise CommandError(str(exc)) from exc
    db.session.commit()
    click.echo(_("created %(role)s %(username)s", role=label(user.role), username=user.username))
