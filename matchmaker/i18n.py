"""Locale selection and catalog compilation (Chinese first, English available)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import click
from flask import current_app, g, has_request_context, request, session
from flask_login import current_user


def select_locale() -> str:
    """The session's choice, then the user's saved choice, then ``?lang=``, then the browser's
    ``Accept-Language`` (the first language it asks for that we have), then the default
    (``MATCHMAKER_LOCALE``, zh_CN).

    The browser's languages come before the default so that a visitor whose session cookie
    expired or was cleared (the 400 page of a form sent after a browser restart) reads the
    language their browser asks for rather than the default. An API call with a token:
    :func:`api_locale`.

    Outside a request: a ``flask`` command speaks its caller's language
    (:func:`command_line_locale`); other work (jobs, mail) the default.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        if click.get_current_context(silent=True) is not None:
            return command_line_locale(os.environ, languages,
                                       current_app.config["BABEL_DEFAULT_LOCALE"])
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.blueprint == "api" and g.get("api_user") is not None:  # a call with a token
        return api_locale(languages, current_app.config["BABEL_DEFAULT_LOCALE"])
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    if request.args.get("lang") in languages:
        return request.args["lang"]
    return asked_language(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def api_locale(languages: list[str], default: str) -> str:
    """An API call's language: ``?lang=`` (zh_CN, en), else what its ``Accept-Language``
    asks for ("en", "zh-CN", "zh"), else the token owner's saved choice, else the default.
    The API has no session and no language switch; before this, a call without ``?lang=``
    got every business message in the default language."""
    if request.args.get("lang") in languages:
        return request.args["lang"]
    chosen = asked_language(languages)
    if chosen:
        return chosen
    user = g.get("api_user")
    if getattr(user, "locale", None) in languages:
        return user.locale
    return default


def asked_language(languages: list[str]) -> str | None:
    """The first of ``languages`` the request's ``Accept-Language`` asks for, by quality
    ("fr-FR, en;q=0.5" -> en, "zh" -> zh_CN); None when it asks for none of them."""
    for value, _quality in request.accept_languages:
        chosen = _language_of(value, languages)
        if chosen:
            return chosen
    return None


def command_line_locale(environ: Mapping[str, str], languages: list[str], default: str) -> str:
    """A command's language: ``MATCHMAKER_LANGUAGE`` (zh_CN, en), else the first locale
    variable set (LC_ALL, LC_MESSAGES, LANG, as POSIX reads them), else ``default``.

    A locale we have no catalogue for (C.UTF-8, de_DE) falls back to the default: the product
    is Chinese first, so only a variable that asks for English gets English.
    """
    chosen = _language_of(environ.get("MATCHMAKER_LANGUAGE") or "", languages)
    if chosen:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return _language_of(value, languages) or default
    return default


def _language_of(value: str, languages: list[str]) -> str | None:
    """The offered language a locale name means: "en_US.UTF-8" -> "en", "zh" -> "zh_CN"."""
    prefix = value.split(".")[0].replace("-", "_").lower()[:2]
    return next((lang for lang in languages if prefix and lang.lower().startswith(prefix)), None)


def compile_catalogs(root: Path) -> int:
    """Compile every ``.po`` under ``root`` into ``.mo`` files; returns the number of catalogs.

    Each catalog is also written under the folder name Babel resolves its locale to:
    Babel 2.x reads ``zh_CN`` as ``zh_Hans_CN``, and gettext then looks in ``zh_Hans_CN/`` and
    ``zh/``, never in ``zh_CN/``.
    """
    from babel import Locale
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    count = 0
    for po_path in sorted(root.rglob("translations/*/LC_MESSAGES/*.po")):
        locale_dir = po_path.parent.parent
        with open(po_path, "rb") as fh:
            catalog = read_po(fh, locale=locale_dir.name)
        targets = {po_path.with_suffix(".mo")}
        resolved = str(Locale.parse(locale_dir.name))
        if resolved != locale_dir.name:
            targets.add(locale_dir.parent / resolved / "LC_MESSAGES" / po_path.with_suffix(".mo").name)
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: a process reading the catalog meanwhile (a running
            # server, a parallel test worker) sees the old file or the new one, never half.
            part = target.with_name(f"{target.name}.{os.getpid()}.part")
            with open(part, "wb") as fh:
                write_mo(fh, catalog)
            os.replace(part, target)
        count += 1
    return count


if __name__ == "__main__":  # python -m matchmaker.i18n: used by script/setup
    package = Path(__file__).resolve().parent
    print(f"compiled {compile_catalogs(package)} catalogs", file=sys.stderr)
