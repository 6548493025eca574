"""Click's own words in the run's language: ``--help`` screens and usage errors.

What a command prints goes through Flask-Babel (``matchmaker.i18n.select_locale``). Click
formats help and usage errors itself, through the standard library's gettext (its modules
call ``gettext.gettext``, domain ``messages``), which reads its language from ``LANGUAGE``
first. So a run binds that domain to this package's catalogue, which also translates click's
strings, and names the language :func:`~matchmaker.i18n.command_line_locale` chose in
``LANGUAGE``: the error click shows after the command's contexts are closed speaks it too.
Our commands' help texts are English msgids of the same catalogue, looked up each time click
shows them (click keeps them, and its ``--help`` option, from the first run of a process).

Commands use :func:`command`, :func:`group` and :func:`option` instead of click's.
"""

from __future__ import annotations

import functools
import gettext
import inspect
import os
import re
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

CATALOGUE = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"  # the domain click's ``gettext.gettext`` looks in
HELP_OPTION = "Show this message and exit."  # click's msgid for the --help option
SENTENCE_END = re.compile(r"(?<=[。.])\s|(?<=。)")
#: The full stop click puts after "Missing option '--role'" (outside the quoted names).
MISSING_STOP = re.compile(r"^((?:[^'.]|'[^']*')*)\. ?")


def speak(config) -> str:
    """Make click speak this run's language (see the module docstring); returns it."""
    from ..i18n import command_line_locale

    locale = command_line_locale(os.environ, config["LANGUAGES"], config["BABEL_DEFAULT_LOCALE"])
    gettext.bindtextdomain(DOMAIN, str(CATALOGUE))
    os.environ["LANGUAGE"] = locale
    return locale


def translated(text: str | None) -> str | None:
    """A help text in the run's language (the catalogue holds its cleaned-up English)."""
    return gettext.dgettext(DOMAIN, inspect.cleandoc(text)) if text else text


def _app_config(parent: click.Context | None):
    """The app's settings: ``flask`` pushes its context before a command; a test runner
    passes a :class:`ScriptInfo`. None when a command runs outside both."""
    if current_app:
        return current_app.config
    info = parent.find_object(ScriptInfo) if parent is not None else None
    return info.load_app().config if info is not None else None


def _translated_attribute(name: str) -> property:
    """An attribute click sets once (a msgid) and reads each time it shows it: translated."""
    stored = f"_{name}"

    def get(self) -> str | None:
        return translated(getattr(self, stored))

    def put(self, value: str | None) -> None:
        setattr(self, stored, value)

    return property(get, put)


class _Speaking:
    """A command whose help and usage errors speak the run's language."""

    def make_context(self, info_name, args, parent=None, **extra):
        config = _app_config(parent)
        if config is not None:
            speak(config)
        return super().make_context(info_name, args, parent, **extra)

    help = _translated_attribute("help")

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.MissingParameter as error:
            raise _MissingParameter(error.message, error.ctx, error.param, error.param_hint,
                                    error.param_type) from None

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:  # click built it once, in the language of its first run
            option.help = gettext.dgettext(DOMAIN, HELP_OPTION)
        return option

    def get_short_help_str(self, limit: int = 45) -> str:
        """The first sentence; click's own cut looks for spaces, which Chinese has none of."""
        if self.short_help or not self.help or self.help.isascii():
            return super().get_short_help_str(limit)
        first = SENTENCE_END.split(self.help.partition("\n\n")[0].strip(), maxsplit=1)[0]
        first = " ".join(first.split())
        return first if len(first) <= limit else first[: limit - 1] + "…"


class _MissingParameter(click.MissingParameter):
    """Click writes "{Missing option} '--role'." with a full stop of its own after the
    translated words; a Chinese sentence ends in "。" instead."""

    def format_message(self) -> str:
        text = super().format_message()
        stop = MISSING_STOP.match(text)
        if stop is None or stop.group(1).isascii():
            return text
        return f"{stop.group(1)}。{text[stop.end():]}"


class Command(_Speaking, click.Command):
    """A ``flask`` command of this project."""


class Group(_Speaking, AppGroup):
    """A group of ``flask`` commands; its subcommands are :class:`Command` (in the app context)."""

    command_class = Command


class Option(click.Option):
    """An option whose help and prompt are msgids, shown in the run's language."""

    help = _translated_attribute("help")
    prompt = _translated_attribute("prompt")


command = functools.partial(click.command, cls=Command)
group = functools.partial(click.group, cls=Group)
option = functools.partial(click.option, cls=Option)
password_option = functools.partial(click.password_option, cls=Option)
