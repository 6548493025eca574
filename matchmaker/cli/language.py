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

Flask's own commands (``run``, ``shell``, ``routes``) and the extensions' (``db``,
``limiter``) are plain click commands: :func:`adopt` makes them speak the same way, their
English help texts being msgids of this catalogue too. Plain ``flask`` writes the first
words of a page before any code of this package runs. The first that runs is its ``flask``
plugin (``cli/plugin.py``, an entry point installed by ``script/setup``), which ``flask``
imports before it looks up any command or lists them: there the run adopts Flask's group, its
own commands (``run``, ``shell``, ``routes``) and the other plugins (``limiter``); a ``--help``
page begun in English is written again in the run's language (:meth:`FlaskGroup.format_epilog`).
Without the plugin installed, the same happens when ``flask`` loads the app to list or find
its commands (``app.cli``, an :class:`AppCommands`), so only Flask's own commands stay English.
``python -m matchmaker`` (:class:`FlaskGroup` from the start, ``matchmaker/__main__.py``)
speaks the run's language from its first word on every screen.
"""

from __future__ import annotations

import functools
import gettext
import inspect
import os
import re
from pathlib import Path

import click
import flask.cli
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

CATALOGUE = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"  # the domain click's ``gettext.gettext`` looks in
HELP_OPTION = "Show this message and exit."  # click's msgid for the --help option
SENTENCE_END = re.compile(r"(?<=[。.])\s|(?<=。)")
#: The full stop click puts after "Missing option '--role'" (outside the quoted names).
MISSING_STOP = re.compile(r"^((?:[^'.]|'[^']*')*)\. ?")
#: ``ctx.meta`` key: Flask's group was adopted in the middle of this run (see the docstring).
ADOPTED_LATE = "matchmaker.cli.adopted_late"


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


def environment_config() -> dict:
    """The settings the environment gives, for a run that has not loaded the app yet."""
    from ..config import ROOT, load_config

    return load_config(os.environ.get("MATCHMAKER_INSTANCE_PATH", str(ROOT / "instance")))


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


class _Formatter(click.HelpFormatter):
    """Click writes a section heading ("选项", "命令") and an ASCII colon of its own; a
    Chinese heading takes "："."""

    def write_heading(self, heading: str) -> None:
        if heading.isascii():
            return super().write_heading(heading)
        self.write(f"{'':>{self.current_indent}}{heading}：\n")


class _Context(click.Context):
    formatter_class = _Formatter


class _Speaking:
    """A command whose help and usage errors speak the run's language."""

    context_class = _Context

    def make_context(self, info_name, args, parent=None, **extra):
        self._speak(parent)
        return super().make_context(info_name, args, parent, **extra)

    def _speak(self, parent: click.Context | None) -> None:
        config = _app_config(parent)
        if config is not None:
            speak(config)

    help = _translated_attribute("help")
    short_help = _translated_attribute("short_help")

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
        if len(first) <= limit:
            return first
        cut = first[: limit - 1]
        if cut.count("``") % 2:  # not in the middle of a ``name``
            cut = cut[: cut.rindex("``")]
        if cut.count("（") > cut.count("）"):  # nor of a remark in brackets
            cut = cut[: cut.rindex("（")]
        return cut.rstrip() + "…"


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


class _Adopted(_Speaking):
    """A command written for plain click (Flask's, an extension's), adopted by :func:`adopt`.
    It does not load the app to choose the language: the group above it has chosen it."""

    def _speak(self, parent: click.Context | None) -> None:
        if current_app:
            speak(current_app.config)


class Group(_Speaking, AppGroup):
    """A group of ``flask`` commands; its subcommands are :class:`Command` (in the app context)."""

    command_class = Command


class _SpeakingParameter:
    """An option whose help and prompt are msgids, shown in the run's language."""

    help = _translated_attribute("help")
    prompt = _translated_attribute("prompt")


class Option(_SpeakingParameter, click.Option):
    """An option of this project's commands (see :class:`_SpeakingParameter`)."""


class FlaskGroup(_Speaking, flask.cli.FlaskGroup):
    """Flask's ``flask`` group speaking the run's language, chosen from the environment as
    :func:`~matchmaker.i18n.command_line_locale` reads it, before the app is loaded; its
    built-in and plugin commands are adopted (``python -m matchmaker`` runs it)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        adopt(self)

    def _speak(self, parent: click.Context | None) -> None:
        speak(current_app.config if current_app else environment_config())

    def _load_plugin_commands(self) -> None:
        super()._load_plugin_commands()
        adopt(self)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The last part of ``--help``; when Flask's own group began this page in English (the
        language was chosen only when listing the commands loaded the app), the whole page
        again, now in the run's language."""
        if ctx.meta.pop(ADOPTED_LATE, False):
            again = _Formatter(width=formatter.width)
            self.format_help(ctx, again)
            formatter.buffer[:] = again.buffer
            return
        super().format_epilog(ctx, formatter)


class AppCommands(Group):
    """The app's ``app.cli``. ``flask`` asks it for the app's commands once it has loaded the
    app, the first moment this package's code runs in a plain ``flask`` run: it chooses the
    run's language there and adopts Flask's group with its commands and the app's."""

    def get_command(self, ctx: click.Context, cmd_name: str):
        self._adopt_run(ctx)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._adopt_run(ctx)
        return super().list_commands(ctx)

    def _adopt_run(self, ctx: click.Context) -> None:
        root = ctx.find_root()
        if type(root.command) is flask.cli.FlaskGroup:
            self._speak(ctx)
            adopt(root.command)
            root.meta[ADOPTED_LATE] = True
        adopt(self)


#: The speaking class of each click class :func:`adopt` met; Flask's group becomes ours.
_ADOPTED: dict[type, type] = {flask.cli.FlaskGroup: FlaskGroup}


def adopt(command: click.Command) -> None:
    """Make a click command, its options and its subcommands speak the run's language: their
    help texts (English) become msgids of this catalogue, kept, looked up when shown."""
    if not isinstance(command, _Speaking):
        _become(command, (_Adopted, type(command)), ("help", "short_help"))
    for param in command.params:
        if isinstance(param, click.Option) and not isinstance(param, _SpeakingParameter):
            # after click's class: Python refuses the other order for an option's class
            _become(param, (type(param), _SpeakingParameter), ("help", "prompt"))
    for sub in getattr(command, "commands", {}).values():
        adopt(sub)


def _become(obj, bases: tuple[type, type], attributes: tuple[str, ...]) -> None:
    """Give ``obj`` a class made of ``bases``, its ``attributes`` kept as msgids."""
    cls = type(obj)
    if cls not in _ADOPTED:
        _ADOPTED[cls] = type(f"Adopted{cls.__name__}", bases, {"__module__": __name__})
    for name in attributes:
        if name in vars(obj):
            vars(obj)[f"_{name}"] = vars(obj).pop(name)
    obj.__class__ = _ADOPTED[cls]


command = functools.partial(click.command, cls=Command)
group = functools.partial(click.group, cls=Group)
option = functools.partial(click.option, cls=Option)
password_option = functools.partial(click.password_option, cls=Option)
