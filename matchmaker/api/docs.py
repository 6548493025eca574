"""The OpenAPI 3.1 document and its offline reference page (server-rendered, no scripts)."""

from __future__ import annotations

import copy
from http import HTTPStatus

from flask import current_app, render_template
from flask_babel import get_locale, gettext, lazy_pgettext
from markupsafe import Markup, escape
from spectree.response import DEFAULT_CODE_DESC

from . import bp, spec
from .docs_spec import finish

METHODS = ("get", "post", "put", "patch", "delete")

#: The answers' standard reason phrases, in the reader's language. A description the code
#: wrote itself is shown as it is.
STATUS_PHRASES = {
    "200": lazy_pgettext("HTTP status", "OK"),
    "201": lazy_pgettext("HTTP status", "Created"),
    "202": lazy_pgettext("HTTP status", "Accepted"),
    "204": lazy_pgettext("HTTP status", "No Content"),
    "400": lazy_pgettext("HTTP status", "Bad Request"),
    "401": lazy_pgettext("HTTP status", "Unauthorized"),
    "403": lazy_pgettext("HTTP status", "Forbidden"),
    "404": lazy_pgettext("HTTP status", "Not Found"),
    "405": lazy_pgettext("HTTP status", "Method Not Allowed"),
    "409": lazy_pgettext("HTTP status", "Conflict"),
    "412": lazy_pgettext("HTTP status", "Precondition Failed"),
    "413": lazy_pgettext("HTTP status", "Request Entity Too Large"),
    "415": lazy_pgettext("HTTP status", "Unsupported Media Type"),
    "422": lazy_pgettext("HTTP status", "Unprocessable Content"),
    "429": lazy_pgettext("HTTP status", "Too Many Requests"),
    "500": lazy_pgettext("HTTP status", "Internal Server Error"),
    "503": lazy_pgettext("HTTP status", "Service Unavailable"),
}


def document() -> dict:
    """The finished document, built once per application."""
    cached = current_app.extensions.get("matchmaker.openapi")
    if cached is None:
        spec.app = current_app._get_current_object()
        if hasattr(spec, "_spec"):
            del spec._spec
        # spectree lifts the nested models' "$defs" out of its (process-wide) model table and
        # deletes them there: the next application's document would point at schemas it no
        # longer has (seen with two apps in one process: EventQuery.EventStatus missing)
        models = copy.deepcopy(spec.models)
        try:
            cached = finish(spec.spec)
        finally:
            spec.models = models
        current_app.extensions["matchmaker.openapi"] = cached
    return cached


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of this API."""
    return current_app.json.response(document())


def _schema_name(ref: dict | None) -> str | None:
    ref = (ref or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else None


def status_phrase(code: str, description: str) -> tuple[str, bool]:
    """An answer's description for the page, and whether it is in the reader's language:
    a standard reason phrase ("Bad Request") is translated, any other text stays English."""
    phrase = STATUS_PHRASES.get(str(code))
    try:
        standard = {HTTPStatus(int(code)).phrase, DEFAULT_CODE_DESC.get(f"HTTP_{code}")}
    except ValueError:
        return description, False
    if phrase is None or description not in standard:
        return description, False
    return str(phrase), True


def reader_text(text: str) -> tuple[str, bool]:
    """A summary or description of the (English) document in the reader's language, and
    whether it is in it: the API catalog translates each (``matchmaker/api/translations``;
    ``tests/test_api_docs_page.py`` finds any left out); one it lacks stays English."""
    if not text or str(get_locale() or "").startswith("en"):
        return text, True
    translated = gettext(text)
    return translated, translated != text


def code_spans(text: str) -> Markup:
    """``text`` with its `backticked` names (headers, fields, values, file types) as code,
    the rest escaped: names stay as they are in either language."""
    parts = str(text or "").split("`")
    return Markup("").join(Markup("<code>{}</code>").format(part) if i % 2 else escape(part)
                           for i, part in enumerate(parts))


def _number(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _bounds(schema: dict, low: str, high: str) -> list[str]:
    """``minimum``/``maximum`` (or the lengths) as "1–100", "≥ 1", "≤ 200"."""
    least, most = schema.get(low), schema.get(high)
    if least is not None and most is not None and least >= 0:
        words = [f"{_number(least)}–{_number(most)}"]
    else:
        words = [f"≥ {_number(least)}"] if least is not None else []
        if most is not None:
            words.append(f"≤ {_number(most)}")
    if low == "minimum":
        if schema.get("exclusiveMinimum") is not None:
            words.append(f"> {_number(schema['exclusiveMinimum'])}")
        if schema.get("exclusiveMaximum") is not None:
            words.append(f"< {_number(schema['exclusiveMaximum'])}")
    return words


def _is_null(schema: dict) -> bool:
    return schema.get("type") == "null"


def is_nullable(schema: dict | None) -> bool:
    """Whether ``null`` is allowed: ``anyOf``/``oneOf`` with a null branch, or a type list."""
    schema = schema or {}
    types = schema.get("type")
    if isinstance(types, list) and "null" in types:
        return True
    return any(_is_null(branch) for branch in schema.get("anyOf") or schema.get("oneOf") or ())


def type_label(schema: dict | None, components: dict | None = None, *,
               nullable: bool = True) -> str:
    """A JSON schema as a short readable type: "string (≤ 200)", "integer (1–100)",
    "planned | held | cancelled" (an enum's values, also behind a ``$ref``), "MatchStatus[]";
    "… | null" when null is allowed, unless ``nullable`` is False (a query parameter, whose
    table says whether it is required). ``components`` resolves ``$ref``s to enums."""
    schema = schema or {}
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        parts = [type_label(branch, components, nullable=False)
                 for branch in branches if not _is_null(branch)]
        text = " | ".join(dict.fromkeys(part for part in parts if part))
    else:
        text = _single(schema, components or {})
    if nullable and is_nullable(schema):
        return f"{text} | null" if text else "null"
    return text


def _single(schema: dict, components: dict) -> str:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        target = components.get(name)
        if target and "enum" in target:
            return _single(target, components)
        return name
    if "enum" in schema:
        return " | ".join(str(value) for value in schema["enum"])
    if "const" in schema:
        return str(schema["const"])
    types = schema.get("type")
    if isinstance(types, list):
        return " | ".join(t for t in types if t != "null")
    if types == "array":
        items = type_label(schema.get("items"), components, nullable=False) or "any"
        return f"({items})[]" if " | " in items else f"{items}[]"
    if not types:
        return ""
    details = [schema["format"]] if schema.get("format") else []
    if types == "string":
        details += _bounds(schema, "minLength", "maxLength")
        if schema.get("pattern"):
            details.append(f"/{schema['pattern']}/")
    elif types in ("integer", "number"):
        details += _bounds(schema, "minimum", "maximum")
    return f"{types} ({', '.join(details)})" if details else types


@bp.get("/docs")
def docs():
    """A reference page rendered from the OpenAPI document."""
    doc = document()
    schemas = doc.get("components", {}).get("schemas", {})
    operations = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            body = op.get("requestBody", {}).get("content", {})
            body_schema = next(iter(body.values()), {}).get("schema") if body else None
            operations.append({
                "method": method.upper(), "path": path,
                "summary": reader_text(op.get("summary", "")),
                "description": reader_text(op.get("description", "")), "tags": op.get("tags", []),
                "parameters": [{**p, "type": type_label(p.get("schema"), schemas, nullable=False)}
                               for p in op.get("parameters", [])],
                "body": _schema_name(body_schema),
                "responses": [(code, *status_phrase(code, answer.get("description", "")),
                               _schema_name(next(iter(answer.get("content", {}).values()),
                                                 {}).get("schema")))
                              for code, answer in sorted(op.get("responses", {}).items())],
            })
    return render_template("api/docs.html", doc=doc, operations=operations, schemas=schemas,
                           type_label=lambda schema: type_label(schema, schemas),
                           reader_text=reader_text, code_spans=code_spans)
