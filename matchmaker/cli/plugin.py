"""The ``flask`` plugin of this project (entry point group ``flask.commands``, pyproject.toml).

Plain ``flask`` loads its plugins before it looks up any command, its own ``run``, ``shell``
and ``routes`` included, and before it writes a help page's list of commands; it loads the app
only for the app's commands. So importing this module is the first moment this package's code
runs in every plain ``flask`` run: it chooses the run's language and adopts Flask's group with
its built-in and plugin commands (``cli.language.adopt``), and ``flask --app wsgi run --help``
speaks that language as ``python -m matchmaker run --help`` does. A plugin must name a command:
:func:`language` prints the language chosen.
"""

from __future__ import annotations

from importlib import metadata

import click
import flask.cli

from .language import ADOPTED_LATE, adopt, command, environment_config, speak

GROUP = "flask.commands"


def adopt_running_flask() -> None:
    """Adopt the running ``flask`` group and the plugin commands it is loading, once."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    if root is None or type(root.command) is not flask.cli.FlaskGroup:
        return  # not plain ``flask``, or already adopted (``python -m matchmaker``)
    speak(environment_config())
    adopt(root.command)  # Flask's group with run, shell, routes
    root.meta[ADOPTED_LATE] = True  # its --help page began in English: written again
    # Flask adds the plugins loaded after this one (Flask-Limiter's ``limiter``) as the
    # objects their entry points name: adopted here in place, they speak too.
    for entry in metadata.entry_points(group=GROUP):
        adopt(entry.load())


@command("language")
def language() -> None:
    """Print the language this run speaks: MATCHMAKER_LANGUAGE (zh_CN, en), else the first of
    LC_ALL, LC_MESSAGES and LANG that is set, else the default (zh_CN)."""
    click.echo(speak(environment_config()))


adopt_running_flask()
