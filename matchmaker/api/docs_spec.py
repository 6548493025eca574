"""Response declarations shared by the resources, and the finished OpenAPI document."""

from __future__ import annotations

import copy

from spectree import Response

from .schemas.common import Problem

ALWAYS = (400, 401, 403, 413, 415, 422, 429)
#: The import's body is the file itself (CSV, TSV, XLSX or JSON Lines), not JSON.
IMPORT_BODY = {
    "required": True,
    "content": {media: {"schema": {"type": "string", "format": "binary"}}
                for media in ("text/csv", "application/octet-stream")},
}


def responses(ok: dict, *extra: int) -> Response:
    """Spectree responses: ``ok`` maps a success code to its model; errors are problems."""
    declared = {f"HTTP_{code}": model for code, model in ok.items()}
    for code in (*ALWAYS, *extra):
        declared[f"HTTP_{code}"] = Problem
    return Response(**declared)


def finish(document: dict) -> dict:
    """Spectree's document with errors as ``application/problem+json`` and int64 ids."""
    doc = copy.deepcopy(document)
    for path, item in doc.get("paths", {}).items():
        if path.startswith("/api/v1/imports/") and "post" in item:
            item["post"]["requestBody"] = IMPORT_BODY
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema.get("type") == "integer":
                    schema.update(format="int64", minimum=1)
            for code, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if code.startswith(("4", "5")) and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    return doc
