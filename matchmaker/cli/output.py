"""What every command prints goes through the catalogue, in the language the caller chose
(``matchmaker.i18n.command_line_locale``); this holds the pieces the commands share."""

from __future__ import annotations

import click
from flask_babel import gettext as _


class CommandError(click.ClickException):
    """A command's failure; click's own "Error:" prefix is English whatever the language."""

    def show(self, file=None) -> None:
        click.echo(_("Error: %(message)s", message=self.format_message()), file=file, err=True)
