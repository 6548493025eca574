"""Locale selection and catalog compilation (Chinese first, English available)."""

from __future__ import annotations

import sys
from pathlib import Path

from flask import current_app, request, session
from flask_login import current_user


def select_locale() -> str:
    """The session's choice, then the user's saved choice, then zh_CN."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    if request and request.args.get("lang") in languages:
        return request.args["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def compile_catalogs(root: Path) -> int:
    """Compile every ``.po`` under ``root`` into the ``.mo`` beside it; returns the count."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    count = 0
    for po_path in sorted(root.rglob("translations/*/LC_MESSAGES/*.po")):
        with open(po_path, "rb") as fh:
            catalog = read_po(fh)
        with open(po_path.with_suffix(".mo"), "wb") as fh:
            write_mo(fh, catalog)
        count += 1
    return count


if __name__ == "__main__":  # python -m matchmaker.i18n: used by script/setup
    package = Path(__file__).resolve().parent
    print(f"compiled {compile_catalogs(package)} catalogs", file=sys.stderr)
