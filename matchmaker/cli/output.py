"""What every command prints goes through the catalogue, in the language the caller chose
(``matchmaker.i18n.command_line_locale``); this holds the pieces the commands share."""

from __future__ import annotations

import click


class CommandError(click.ClickException):
    """A command's failure, shown by click as "Error: ..." in the run's language
    (``cli.language``); the message is translated where it is raised."""
