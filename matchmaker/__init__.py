"""Matchmaker: technology-transfer matchmaking between technical needs and patents."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from .config import ROOT, load_config


def create_app(config: Mapping | None = None) -> Flask:
    """Build the application; ``config`` overrides settings read from the environment."""
    instance = (config or {}).get("INSTANCE_PATH") or os.environ.get(
        "MATCHMAKER_INSTANCE_PATH", str(ROOT / "instance")
    )
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(instance),
        instance_relative_config=True,
    )
    app.config.from_mapping(load_config(app.instance_path))
    if config:
        app.config.from_mapping(config)
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_subscribers(app)
    register_jobs(app)
    return app


def register_extensions(app: Flask) -> None:
    from .extensions import babel, csrf, db, limiter, login_manager, migrate, sqlite_busy_timeout
    from .i18n import select_locale
    from .portal.auth.session import configure_login

    os.makedirs(app.instance_path, exist_ok=True)
    sqlite_busy_timeout(app.config)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=";".join(_translation_dirs()),
    )
    login_manager.init_app(app)
    limiter.init_app(app)
    configure_login(login_manager)


def _translation_dirs() -> list[str]:
    """Every ``translations`` folder in the package; Flask-Babel merges them."""
    found = []
    for dirpath, dirnames, _ in os.walk(ROOT / "matchmaker"):
        if "translations" in dirnames:
            found.append(os.path.join(dirpath, "translations"))
    return sorted(found)


def register_security(app: Flask) -> None:
    from .security import install

    install(app)


def register_blueprints(app: Flask) -> None:
    from .portal import blueprints

    for blueprint, prefix in blueprints():
        app.register_blueprint(blueprint, url_prefix=prefix)
    from .api import register as register_api

    register_api(app)


def register_error_handlers(app: Flask) -> None:
    from .portal.errors import install

    install(app)


def register_template_helpers(app: Flask) -> None:
    from .portal.helpers import install

    install(app)


def register_commands(app: Flask) -> None:
    from .cli import commands
    from .cli.language import AppCommands

    # ``flask`` asks app.cli for the app's commands: this group also makes Flask's own commands
    # and the extensions' (db) speak the run's language (matchmaker/cli/language.py).
    app.cli = AppCommands(app.cli.name, commands=app.cli.commands)
    for command in commands():
        app.cli.add_command(command)


def register_jobs(app: Flask) -> None:
    from .jobs import register_jobs as bind

    bind(app)


def register_subscribers(app: Flask) -> None:
    from .subscribers import connect

    connect(app)
