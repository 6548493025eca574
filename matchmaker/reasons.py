"""What an import says about a row or a file, as an English msgid with parameters.

An import often runs in a job, where nobody is looking: the words must be chosen when the
report is read, in the reader's language, not when the row is checked. A :class:`Reason` is
therefore a string (rendered in the current locale, so the CLI, logs and ``in`` tests read it
as text) that also remembers its msgid and parameters; a stored report keeps those
(:func:`stored`) and every screen renders them again (:func:`render`). Reports stored before
this, as plain Chinese strings, are shown as they are.
"""

from __future__ import annotations

import json
from typing import Any

from flask import has_app_context
from flask_babel import gettext, pgettext


class Reason(str):
    """A message rendered now that can be rendered again in another locale."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Reason:
        text = super().__new__(cls, _translate(msgid, params))
        text.msgid, text.params = msgid, params
        return text

    def __reduce__(self):  # pickles (job results, exceptions) keep the msgid
        return (_rebuild, (self.msgid, self.params))

    def to_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "params": {k: stored(v) for k, v in self.params.items()}}


def _rebuild(msgid: str, params: dict[str, Any]) -> Reason:
    return Reason(msgid, **params)


def reason(msgid: str, **params: Any) -> Reason:
    """``reason("Row %(row)d is empty", row=3)``: mark a msgid, render it when shown."""
    return Reason(msgid, **params)


def _translate(msgid: str, params: dict[str, Any]) -> str:
    separator = list_separator()
    values = {key: _value(value, separator) for key, value in params.items()}
    if not has_app_context():  # a library caller without Flask: the English msgid
        return msgid % values if values else msgid
    return gettext(msgid, **values) if values else gettext(msgid)


def list_separator() -> str:
    """Between the items of a list: "、" in Chinese, ", " in English (and without Flask)."""
    return pgettext("list separator", ", ") if has_app_context() else ", "


def listing(items: Any) -> str:
    """Items (labels, names, reasons) joined the current locale's way: "甲、乙" / "a, b"."""
    return list_separator().join(render(item) for item in items)


def _value(value: Any, separator: str) -> Any:
    """A parameter as shown: lists joined the locale's way ("a、b" / "a, b"), reasons rendered."""
    if isinstance(value, list | tuple):
        return separator.join(render(item) for item in value)
    return render(value) if isinstance(value, str | dict) else value


def render(value: Any) -> str:
    """A reason in the current locale: a :class:`Reason` or its stored form translated again,
    any other value (a plain string stored by an older version) shown as it is."""
    if isinstance(value, Reason):
        return _translate(value.msgid, value.params)
    if isinstance(value, dict) and isinstance(value.get("msgid"), str):
        return _translate(value["msgid"], dict(value.get("params") or {}))
    return "" if value is None else str(value)


def stored(value: Any) -> Any:
    """The JSON form of a reason for a job's report (plain values unchanged)."""
    if isinstance(value, list | tuple):
        return [stored(item) for item in value]
    return value.to_json() if isinstance(value, Reason) else value


def reason_of(exc: BaseException) -> str:
    """The message of an exception, keeping a :class:`Reason` (``str(exc)`` would flatten it)."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, Reason) else str(exc)


def dumps(value: Any) -> str:
    """A reason as text for a text column (a job's error): its msgid and parameters as JSON;
    any other value as its text."""
    if isinstance(value, Reason):
        return json.dumps(value.to_json(), ensure_ascii=False)
    return str(value)


def loads(text: str | None) -> Any:
    """The reason :func:`dumps` stored, for :func:`render`; older plain text as it is."""
    if text and text.startswith('{"msgid"'):
        try:
            return json.loads(text)
        except ValueError:  # cut short, or a plain message that happens to look like one
            return text
    return text
