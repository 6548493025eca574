"""The booklet as a PDF (fpdf2, CJK font embedded): cover, contents, one full page per patent.

Headings use the font's bold face (synthetic bold when it has none); every patent page has a
QR code opening the patent's public showcase page; section titles and QR codes are tagged
(structure tree, /Lang), which is as far as fpdf2 tags a document.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import segno
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, TextMode, WrapMode, XPos, YPos

from .content import Booklet, BookletPage, clause_separator, colon
from .fonts import FontChoice

FONT = "cjk"
ACCENT = (31, 111, 235)
MUTED = (89, 99, 110)
INK = (31, 35, 40)
WHITE = (255, 255, 255)
PANEL = (238, 241, 244)
TOC_LINES_PER_PAGE = 30
QR_MM = 26
CLAIM_CHARS = 320
COVER_FOOT_MM = 78  # the organiser block sits this far above the cover's bottom edge
ORGANISER_BLOCK_MM = 50  # its rule, name, platform and the QR code with its caption
FIGURES_MM = 16  # the line of figures below the theme, with the space above it


class _BookletPDF(FPDF):
    def __init__(self, booklet: Booklet, font: FontChoice):
        super().__init__(format="A4")
        self.booklet = booklet
        self.synthetic_bold = not font.has_bold
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=20)

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        event = self.booklet.event
        room = self.epw - self.get_string_width("0000") - 4  # the page number keeps its place
        self.cell(room, 6, shorten(self, f"{self.booklet.organiser} · {event.number} · {event.name}",
                                   room), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 6, str(self.page_no()), align="R")

    def use(self, size: float, *, bold: bool = False, color=INK) -> None:
        """Select the font; bold is the real bold face, or the regular one stroked."""
        self.set_font(FONT, "B" if bold and not self.synthetic_bold else "", size)
        self.set_text_color(*color)
        if bold and self.synthetic_bold:
            self.text_mode = TextMode.FILL_STROKE
            self.set_draw_color(*color)
            self.set_line_width(size * 0.025)
        else:
            self.text_mode = TextMode.FILL


@dataclass(frozen=True)
class CoverLayout:
    """Where the cover's flowing text ended and its organiser block begins, as (page, y mm)."""

    text_end: tuple[int, float]
    organiser_top: tuple[int, float]
    theme_page: int | None = None  # the page printing a theme too long for the cover


def render_pdf(booklet: Booklet, font: FontChoice) -> bytes:
    """Render ``booklet`` and return the PDF's bytes."""
    pdf = _new_pdf(booklet, font)
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


def cover_layout(booklet: Booklet, font: FontChoice) -> CoverLayout:
    """Lay out the cover of ``booklet`` alone and say where its parts went."""
    return _cover(_new_pdf(booklet, font), booklet)


def _new_pdf(booklet: Booklet, font: FontChoice) -> _BookletPDF:
    pdf = _BookletPDF(booklet, font)
    pdf.set_title(f"{booklet.event.name} {_('Booklet')}")
    pdf.set_author(booklet.organiser)
    pdf.set_subject(booklet.event.number)
    pdf.set_lang("zh-CN" if str(get_locale() or "zh").startswith("zh") else "en")
    pdf.add_font(FONT, "", font.path, collection_font_number=font.index)
    if font.has_bold:
        pdf.add_font(FONT, "B", font.bold_path, collection_font_number=font.index)
    return pdf


def shorten(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut with … to ``width`` millimetres in the current font (one line)."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip(" ·") + "…"


def wrap_mode(text: str) -> WrapMode:
    """How ``text`` breaks across lines: English between words ("electrolysis", never
    "electroly / sis"), Chinese between any two characters. The record decides, not the
    screen: an English patent in a Chinese booklet is still English. A word longer than the
    line is broken anyway, and a Chinese text with a few English words breaks by character
    (breaking it only at its few spaces would leave short ragged lines)."""
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return WrapMode.WORD if latin > 2 * cjk else WrapMode.CHAR


def _text(pdf: _BookletPDF, size: float, text: str, *, color=INK, h: float | None = None,
          align="L", bold: bool = False, w: float = 0) -> None:
    pdf.use(size, bold=bold, color=color)
    pdf.multi_cell(w, h or size * 0.55, text, align=align, wrapmode=wrap_mode(text),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.use(size)


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float, caption: str) -> None:
    """A QR code for ``url`` (also a link), tagged with its caption as alternative text."""
    png = io.BytesIO()
    segno.make(url, error="m").save(png, kind="png", scale=8, border=2)
    png.seek(0)
    pdf.image(png, x=x, y=y, w=size, h=size, link=url, alt_text=f"{caption}: {url}")


def _cover(pdf: _BookletPDF, booklet: Booklet) -> CoverLayout:
    event = booklet.event
    pdf.add_page()
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, pdf.w, 78, style="F")
    pdf.set_y(20)
    _text(pdf, 13, booklet.organiser, color=WHITE, align="C", h=7)
    pdf.ln(2)
    _text(pdf, 12, _("Results release event"), color=WHITE, align="C", h=7)
    pdf.set_y(44)
    _text(pdf, 30, _("Booklet of results"), color=WHITE, h=14, align="C", bold=True)
    pdf.set_y(94)
    _text(pdf, 24, event.name, h=12, align="C", bold=True)
    pdf.ln(3)
    _text(pdf, 12, event.number, color=MUTED, align="C", h=7)
    pdf.ln(10)
    _text(pdf, 20, format_date(event.held_on, "full"), color=ACCENT, h=11, align="C", bold=True)
    pdf.ln(2)
    if event.venue:
        _text(pdf, 13, event.venue, align="C", h=8)
    theme = f"{_('Theme')}{colon()}{event.theme}" if event.theme else ""
    shown = theme
    if theme:
        pdf.ln(2)
        # The cover shows what fits above the figures and the organiser block (the form
        # allows 2000 characters); a longer theme is cut there and printed whole after it.
        room = pdf.h - COVER_FOOT_MM - 8 - FIGURES_MM - pdf.get_y()
        shown = _fit(pdf, theme, 11, 7, room)
        if shown:
            _text(pdf, 11, shown, color=MUTED, align="C", h=7)
    pdf.ln(8)
    figures = f"{_('Listed results')}{colon()}{len(booklet.pages)}    " \
              f"{_('Presented on stage')}{colon()}{len(booklet.on_stage)}"
    _text(pdf, 12, figures, align="C", h=8)
    text_end = (pdf.page_no(), pdf.get_y())
    top = _organiser_top(pdf)
    pdf.set_draw_color(209, 217, 224)
    pdf.line(pdf.l_margin, top, pdf.w - pdf.r_margin, top)
    pdf.set_xy(pdf.l_margin, top + 8)
    _text(pdf, 10, _("Organiser"), color=MUTED, h=6, w=pdf.epw - 44)
    pdf.set_x(pdf.l_margin)
    _text(pdf, 15, booklet.organiser, h=8, bold=True, w=pdf.epw - 44)
    pdf.ln(3)
    pdf.set_x(pdf.l_margin)
    _text(pdf, 10, booklet.contact.platform, color=MUTED, h=6, w=pdf.epw - 44)
    qr_x = pdf.w - pdf.r_margin - 36
    _qr(pdf, booklet.showcase_url, qr_x, top + 6, 36, _("Browse the results showcase"))
    pdf.set_xy(qr_x - 10, top + 44)
    _text(pdf, 8, _("Scan to browse every result"), color=MUTED, h=5, align="C", w=56)
    layout = CoverLayout(text_end, (pdf.page_no(), top))
    if shown != theme:
        pdf.add_page()
        layout = CoverLayout(text_end, layout.organiser_top, theme_page=pdf.page_no())
        _heading(pdf, _("Theme"))
        _text(pdf, 10.5, event.theme, h=6)
    return layout


def _organiser_top(pdf: _BookletPDF) -> float:
    """Where the organiser and the showcase's QR code go: at the foot of the cover, lower
    when the event's name and venue reach further, and at the foot of a page of its own when
    what is left of this one cannot hold the block."""
    top = max(pdf.h - COVER_FOOT_MM, pdf.get_y() + 8)
    if top + ORGANISER_BLOCK_MM > pdf.page_break_trigger:
        pdf.add_page()
        top = pdf.h - COVER_FOOT_MM
    return top


def _toc(pdf: _BookletPDF, outline) -> None:
    pdf.set_xy(pdf.l_margin, pdf.t_margin)  # fpdf2 calls this at output time, x is wherever
    _text(pdf, 20, _("Contents"), h=12, bold=True)
    pdf.ln(4)
    pdf.use(11)
    for section in outline:
        pdf.set_text_color(*INK)
        link = pdf.add_link(page=section.page_number)
        name = section.name if len(section.name) <= 40 else section.name[:39] + "…"
        pdf.cell(pdf.epw - 16, 8, name, link=link)
        pdf.cell(16, 8, str(section.page_number), align="R", link=link,
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: _BookletPDF, text: str) -> None:
    pdf.ln(2.5)
    pdf.set_fill_color(*ACCENT)
    pdf.rect(pdf.l_margin, pdf.get_y() + 1.2, 1.6, 5, style="F")
    pdf.set_x(pdf.l_margin + 4)
    _text(pdf, 12, text, color=ACCENT, h=7.5, bold=True)


def _facts(pdf: _BookletPDF, rows: list[tuple[str, str]]) -> None:
    """Label/value pairs, two per line."""
    pdf.use(9.5)
    pdf.set_fill_color(*WHITE)
    # Chinese breaks between any two characters; English between words, in wider labels
    # ("Publication / number", never "Publication num / ber").
    chinese = str(get_locale()).startswith("zh")
    with pdf.table(col_widths=(20, 67, 20, 67) if chinese else (25, 62, 25, 62),
                   borders_layout="NONE", line_height=5.6, text_align="LEFT",
                   first_row_as_headings=False, padding=(0.8, 1, 0.8, 0),
                   wrapmode=WrapMode.CHAR if chinese else WrapMode.WORD) as table:
        for i in range(0, len(rows), 2):
            row = table.row()
            for name, value in rows[i:i + 2]:
                row.cell(name, style=_label_style())
                row.cell(value or "—")


def _label_style():
    from fpdf.fonts import FontFace

    return FontFace(color=MUTED)


def _fit(pdf: _BookletPDF, text: str, size: float, h: float, room: float) -> str:
    """``text`` cut (with …) to the lines that fit in ``room`` millimetres."""
    if room <= h:
        return ""
    pdf.use(size)
    lines = pdf.multi_cell(0, h, text, wrapmode=wrap_mode(text), dry_run=True,
                           output=MethodReturnValue.LINES)
    keep = int(room // h)
    if len(lines) <= keep:
        return text
    joiner = " " if wrap_mode(text) is WrapMode.WORD else ""  # English lines lost a space
    return joiner.join(line.strip() for line in lines[:keep]).rstrip("，,、；; ")[:-1] + "…"


def _patent_page(pdf: _BookletPDF, booklet: Booklet, page: BookletPage) -> None:
    patent = page.patent
    top = pdf.t_margin
    qr_x = pdf.w - pdf.r_margin - QR_MM
    _qr(pdf, page.url, qr_x, top, QR_MM, _("Details on the results showcase"))
    pdf.set_xy(qr_x - 4, top + QR_MM + 0.5)
    _text(pdf, 7.5, _("Scan for details"), color=MUTED, h=4, align="C", w=QR_MM + 8)
    title_w = pdf.epw - QR_MM - 6
    pdf.set_fill_color(*ACCENT)
    pdf.rect(pdf.l_margin, top, 3, 15, style="F")
    pdf.set_xy(pdf.l_margin + 6, top)
    kicker = f"{_('Result')} {page.number:02d}"
    if page.on_stage:
        kicker += f" · {_('Presented on stage')}"
    _text(pdf, 10, kicker, color=ACCENT, h=6, bold=True, w=title_w - 6)
    pdf.set_x(pdf.l_margin + 6)
    pdf.start_section(f"{page.number}. {patent.title}")
    pdf.set_x(pdf.l_margin + 6)
    _text(pdf, 16, patent.title, h=8, bold=True, w=title_w - 6)
    pdf.set_y(max(pdf.get_y() + 3, top + QR_MM + 7))
    _facts(pdf, page.facts)
    _heading(pdf, _("In plain words"))
    _text(pdf, 10.5, page.summary or "—", h=6)
    if page.highlights:
        _heading(pdf, _("Advantages in figures"))
        _text(pdf, 10.5, "\n".join(f"▪ {item}" for item in page.highlights), h=6)
    _heading(pdf, _("Application field"))
    _text(pdf, 10.5, page.application or "—", h=6)
    _heading(pdf, _("Maturity"))
    _text(pdf, 10.5, page.maturity, h=6)
    _heading(pdf, _("Cooperation terms"))
    _text(pdf, 10.5, clause_separator().join(f"{name}{colon()}{value}" for name, value in page.terms),
          h=6)
    # The main claim fills the room left above the contact box, never a second page.
    claim = " ".join((patent.claims or "").split())[:CLAIM_CHARS]
    room = pdf.page_break_trigger - pdf.get_y() - 10 - 34
    claim = _fit(pdf, claim, 9.5, 5.2, room)
    if claim:
        _heading(pdf, _("Core technical solution"))
        _text(pdf, 9.5, claim, h=5.2, color=MUTED)
    pdf.ln(4)
    _contact_box(pdf, booklet)


def _contact_box(pdf: _BookletPDF, booklet: Booklet) -> None:
    contact = booklet.contact
    lines = [contact.platform]
    if contact.broker_name:
        broker = contact.broker_name + (
            f" · {contact.broker_email}" if contact.broker_email else ""
        )
        lines.append(_("Event broker: %(broker)s", broker=broker))
    pdf.set_fill_color(*PANEL)
    _text(pdf, 10, _("Contact through the broker"), h=6.5, bold=True)
    pdf.use(10)
    text = "\n".join(lines)
    pdf.multi_cell(0, 6, text, fill=True, padding=3, wrapmode=wrap_mode(text),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
