"""The OpenAPI 3.1 document and its offline reference page (server-rendered, no scripts)."""

from __future__ import annotations

from flask import current_app, render_template

from . import bp, spec
from .docs_spec import finish

METHODS = ("get", "post", "put", "patch", "delete")


def document() -> dict:
    """The finished document, built once per application."""
    cached = current_app.extensions.get("matchmaker.openapi")
    if cached is None:
        spec.app = current_app._get_current_object()
        if hasattr(spec, "_spec"):
            del spec._spec
        cached = finish(spec.spec)
        current_app.extensions["matchmaker.openapi"] = cached
    return cached


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of this API."""
    return current_app.json.response(document())


def _schema_name(ref: dict | None) -> str | None:
    ref = (ref or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else None


@bp.get("/docs")
def docs():
    """A reference page rendered from the OpenAPI document."""
    doc = document()
    operations = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            body = op.get("requestBody", {}).get("content", {})
            body_schema = next(iter(body.values()), {}).get("schema") if body else None
            operations.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""), "tags": op.get("tags", []),
                "parameters": op.get("parameters", []),
                "body": _schema_name(body_schema),
                "responses": [(code, answer.get("description", ""),
                               _schema_name(next(iter(answer.get("content", {}).values()),
                                                 {}).get("schema")))
                              for code, answer in sorted(op.get("responses", {}).items())],
            })
    schemas = doc.get("components", {}).get("schemas", {})
    return render_template("api/docs.html", doc=doc, operations=operations, schemas=schemas)
