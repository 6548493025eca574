"""The release event's booklet (成果汇编): content, print-styled HTML and PDF.

``build_booklet(event)`` gathers the content once; the HTML page renders it with the template
``booklet/booklet.html``, :func:`booklet_pdf` with fpdf2 and an embedded CJK font.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..records import ReleaseEvent
from .content import Booklet, BookletPage, build_booklet, plain_summary
from .fonts import BookletFontMissing, FontChoice, resolve_font

__all__ = [
    "Booklet",
    "BookletFontMissing",
    "BookletPage",
    "FontChoice",
    "booklet_pdf",
    "build_booklet",
    "plain_summary",
    "resolve_font",
]


def booklet_pdf(event: ReleaseEvent, config: Mapping | None = None) -> bytes:
    """The booklet of ``event`` as PDF bytes (raises BookletFontMissing without a CJK font)."""
    from .pdf import render_pdf  # fpdf2 is only imported when a PDF is wanted

    font = resolve_font(config)
    return render_pdf(build_booklet(event, config), font)
