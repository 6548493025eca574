"""Template filters and globals shared by every page."""

from __future__ import annotations

from flask import request
from flask_babel import get_locale
from markupsafe import Markup, escape

from ..labels import label
from ..records import Role
from ..services.audit import action_label
from .charts import bar_chart, funnel_chart, line_chart
from .preferences import family_patents, flag_label, shown_flags


def highlight(text: str | None, terms: list[str] | None) -> Markup:
    """Escape ``text`` and wrap every occurrence of ``terms`` in ``<mark>``."""
    if not text:
        return Markup("")
    if not terms:
        return escape(text)
    # Longest terms first so "永磁材料" wins over "永磁".
    ordered = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    out, i, lowered = [], 0, text.lower()
    while i < len(text):
        for term in ordered:
            if lowered.startswith(term.lower(), i):
                out.append(Markup("<mark>") + escape(text[i : i + len(term)]) + Markup("</mark>"))
                i += len(term)
                break
        else:
            out.append(escape(text[i]))
            i += 1
    return Markup("").join(out)


def install(app) -> None:
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["highlight"] = highlight
    app.jinja_env.filters["audit_label"] = action_label
    app.jinja_env.globals.update(
        Role=Role,
        bar_chart=bar_chart,
        line_chart=line_chart,
        funnel_chart=funnel_chart,
        current_locale=lambda: str(get_locale()),
        nav_endpoints=app.view_functions,  # live: links only to registered views
        flag_label=flag_label,
        shown_flags=shown_flags,
        family_patents=family_patents,
    )

    @app.context_processor
    def request_path():
        return {"request_path": request.full_path.rstrip("?")}
