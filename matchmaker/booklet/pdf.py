"""The booklet as a PDF (fpdf2, CJK font embedded): cover, contents, one page per patent."""

from __future__ import annotations

import math

from flask_babel import format_date
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from .content import Booklet, BookletPage
from .fonts import FontChoice

FONT = "cjk"
ACCENT = (31, 111, 235)
MUTED = (89, 99, 110)
INK = (31, 35, 40)
TOC_LINES_PER_PAGE = 30


class _BookletPDF(FPDF):
    def __init__(self, booklet: Booklet):
        super().__init__(format="A4")
        self.booklet = booklet
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=20)

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        event = self.booklet.event
        self.cell(0, 6, f"{event.number} · {event.name}", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 6, str(self.page_no()), align="R")


def render_pdf(booklet: Booklet, font: FontChoice) -> bytes:
    """Render ``booklet`` and return the PDF's bytes."""
    pdf = _BookletPDF(booklet)
    pdf.set_title(f"{booklet.event.name} {_('Booklet')}")
    pdf.set_author(booklet.contact.platform)
    pdf.add_font(FONT, "", font.path, collection_font_number=font.index)
    _cover(pdf, booklet)
    if booklet.pages:
        pages = math.ceil(len(booklet.pages) / TOC_LINES_PER_PAGE)
        pdf.add_page()  # the placeholder fills pages from the current one on
        pdf.insert_toc_placeholder(_toc, pages=pages, allow_extra_pages=True)
    for i, page in enumerate(booklet.pages):
        if i:  # the placeholder already opened a fresh page for the first one
            pdf.add_page()
        _patent_page(pdf, booklet, page)
    return bytes(pdf.output())


def _text(
    pdf: FPDF, size: float, text: str, *, color=INK, h: float | None = None, align="L"
) -> None:
    pdf.set_font(FONT, size=size)
    pdf.set_text_color(*color)
    pdf.multi_cell(
        0,
        h or size * 0.55,
        text,
        align=align,
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _cover(pdf: FPDF, booklet: Booklet) -> None:
    event = booklet.event
    pdf.add_page()
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, pdf.w, 70, style="F")
    pdf.set_y(24)
    _text(pdf, 14, _("Results release event"), color=(255, 255, 255), align="C")
    pdf.set_y(48)
    _text(pdf, 26, _("Booklet of results"), color=(255, 255, 255), h=12, align="C")
    pdf.set_y(95)
    _text(pdf, 22, event.name, h=11, align="C")
    pdf.ln(6)
    _text(pdf, 13, event.number, color=MUTED, align="C")
    pdf.ln(18)
    rows = [
        (_("Date"), format_date(event.held_on, "long")),
        (_("Venue"), event.venue or ""),
        (_("Theme"), event.theme or ""),
        (_("Listed results"), str(len(booklet.pages))),
        (_("Presented on stage"), str(len(booklet.on_stage))),
    ]
    for name, value in rows:
        if value:
            _text(pdf, 12, f"{name}：{value}", h=8, align="C")


def _toc(pdf: FPDF, outline) -> None:
    pdf.set_xy(pdf.l_margin, pdf.t_margin)  # fpdf2 calls this at output time, x is wherever
    _text(pdf, 20, _("Contents"), h=12)
    pdf.ln(4)
    pdf.set_font(FONT, size=11)
    for section in outline:
        pdf.set_text_color(*INK)
        link = pdf.add_link(page=section.page_number)
        name = section.name if len(section.name) <= 40 else section.name[:39] + "…"
        pdf.cell(pdf.epw - 16, 8, name, link=link)
        pdf.cell(
            16,
            8,
            str(section.page_number),
            align="R",
            link=link,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )


def _patent_page(pdf: FPDF, booklet: Booklet, page: BookletPage) -> None:
    patent = page.patent
    pdf.start_section(f"{page.number}. {patent.title}")
    pdf.set_fill_color(*ACCENT)
    pdf.rect(pdf.l_margin, pdf.t_margin, 4, 14, style="F")
    pdf.set_x(pdf.l_margin + 7)
    _text(
        pdf,
        10,
        f"{_('Result')} {page.number:02d}"
        + (f" · {_('Presented on stage')}" if page.on_stage else ""),
        color=ACCENT,
        h=6,
    )
    pdf.set_x(pdf.l_margin + 7)
    _text(pdf, 17, patent.title, h=9)
    pdf.ln(5)
    pdf.set_draw_color(209, 217, 224)
    for name, value in page.facts:
        pdf.set_font(FONT, size=10)
        pdf.set_text_color(*MUTED)
        pdf.cell(34, 7, name)
        pdf.set_text_color(*INK)
        pdf.multi_cell(
            0, 7, value or "—", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.ln(4)
    _text(pdf, 13, _("In plain words"), color=ACCENT, h=8)
    _text(pdf, 11, page.summary or "—", h=7)
    pdf.ln(6)
    _contact_box(pdf, booklet)


def _contact_box(pdf: FPDF, booklet: Booklet) -> None:
    contact = booklet.contact
    lines = [_("Contact through the broker"), contact.platform]
    if contact.broker_name:
        broker = contact.broker_name + (
            f" · {contact.broker_email}" if contact.broker_email else ""
        )
        lines.append(_("Event broker: %(broker)s", broker=broker))
    pdf.set_fill_color(238, 241, 244)
    pdf.set_font(FONT, size=10)
    pdf.set_text_color(*INK)
    pdf.multi_cell(
        0,
        6.5,
        "\n".join(lines),
        fill=True,
        padding=3,
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
