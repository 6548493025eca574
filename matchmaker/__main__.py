"""``python -m matchmaker COMMAND``: the ``flask`` commands of this app, as ``flask --app wsgi``
runs them, every screen in the run's language from the first word on, Flask's own commands
(``run``, ``shell``, ``routes``) and the extensions' (``db``, ``limiter``) included: plain
``flask`` loads the app, and so this package's language choice, only when it needs the app's
commands (matchmaker/cli/language.py)."""

from __future__ import annotations

from . import create_app
from .cli.language import FlaskGroup

HELP = "Matchmaker's ``flask`` commands (as ``flask --app wsgi``), every screen in the run's language."


def main() -> None:
    FlaskGroup(create_app=create_app, help=HELP).main()


if __name__ == "__main__":
    main()
