"""The booklet's cover after the QA report: however long the event's theme and venue (the form
allows 2000 and 200 characters), the organiser block never prints over them; it moves below
the text, and to a page of its own when the cover has no room left."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from matchmaker.booklet import BookletFontMissing, booklet_pdf, build_booklet, resolve_font
from matchmaker.booklet.pdf import COVER_FOOT_MM, ORGANISER_BLOCK_MM, cover_layout
from matchmaker.extensions import db
from matchmaker.records import EventPatent, ReleaseEvent, Role
from tests import factories as f

A4_MM = 297
PHRASE = "围绕稀土永磁、储氢合金与高端抛光材料，推动高校成果在包头落地转化，"
VENUE = "包头市稀土高新技术产业开发区" + "科技成果转化中心一号报告厅" * 14


def _font(app):
    try:
        return resolve_font(app.config)
    except BookletFontMissing as exc:  # script/setup installs the font
        pytest.skip(str(exc))


def _event(theme: str, venue: str = "包头市稀土高新区", patents: int = 2,
           number: str = "蒙科聚-2026-第8期") -> ReleaseEvent:
    broker = f.user(Role.BROKER, display_name="王经纪", email="wang@example.org")
    event = ReleaseEvent(number=number, name="稀土新材料专场", venue=venue,
                         theme=theme, held_on=date(2026, 9, 18), created_by_id=broker.id)
    db.session.add(event)
    for position in range(1, patents + 1):
        db.session.add(EventPatent(event=event, patent=f.patent(title=f"一种稀土材料{position}"),
                                   position=position))
    db.session.commit()
    return event


def _theme(chars: int) -> str:
    return (PHRASE * (chars // len(PHRASE) + 1))[:chars]


def _lines(page) -> list[tuple[float, str]]:
    """The text pieces of a PDF page with their baseline (points from the bottom edge)."""
    found = []

    def visit(text, _cm, tm, _font, _size):
        if text.strip("\x00 \n"):
            found.append((tm[5], text.replace("\x00", "")))

    page.extract_text(visitor_text=visit)
    return found


def _organiser_is_below_the_text(cover) -> None:
    """On the printed cover, the 主办单位 label sits below every line of the event's text
    (the theme and the figures), a line's height apart at least."""
    lines = _lines(cover)
    organiser = next(y for y, text in lines if text.startswith("主办单位"))
    figures = next(y for y, text in lines if text.startswith("发布成果数"))
    theme = [y for y, text in lines if y > figures and "高校成果" in text]
    assert organiser < figures - 20 and all(organiser < y - 20 for y in theme)


def test_a_short_theme_keeps_the_organiser_at_the_foot_of_the_cover(app):
    font = _font(app)
    event = _event("推动高校成果在包头落地转化")
    layout = cover_layout(build_booklet(event, app.config), font)
    assert layout.organiser_top == (1, pytest.approx(A4_MM - COVER_FOOT_MM))
    assert layout.text_end[0] == 1 and layout.text_end[1] < layout.organiser_top[1]
    assert layout.theme_page is None
    reader = PdfReader(io.BytesIO(booklet_pdf(event, app.config)))
    assert len(reader.pages) == 1 + 1 + 2  # cover, contents, one page per patent
    _organiser_is_below_the_text(reader.pages[0])


@pytest.mark.parametrize("chars, venue", [(465, "包头市稀土高新区"), (2000, VENUE)])
def test_a_long_theme_never_runs_under_the_organiser(app, chars, venue):
    font = _font(app)
    theme = _theme(chars)
    event = _event(theme, venue[:200])
    layout = cover_layout(build_booklet(event, app.config), font)
    # the cover keeps its one page: the block at its foot, below where the text ended
    assert layout.organiser_top == (1, pytest.approx(A4_MM - COVER_FOOT_MM))
    assert layout.text_end[0] == 1 and layout.text_end[1] + 8 <= layout.organiser_top[1]
    assert layout.organiser_top[1] + ORGANISER_BLOCK_MM <= A4_MM - 20  # above the margin
    # the theme, cut on the cover, is printed whole on the page after it
    assert layout.theme_page == 2
    reader = PdfReader(io.BytesIO(booklet_pdf(event, app.config)))
    _organiser_is_below_the_text(reader.pages[0])
    after = "".join(page.extract_text().replace("\x00", "") for page in reader.pages[1:])
    assert "".join(theme.split())[-60:] in "".join(after.split())
    text = "".join(page.extract_text().replace("\x00", "") for page in reader.pages)
    assert "一种稀土材料1" in text and "一种稀土材料2" in text


def test_a_name_and_venue_filling_the_cover_still_end_above_the_block(app):
    font = _font(app)
    event = _event(_theme(300), VENUE[:200])
    event.name = ("稀土新材料与先进制造专场" * 20)[:200]  # 200 characters, as the form allows
    layout = cover_layout(build_booklet(event, app.config), font)
    assert layout.organiser_top > layout.text_end
    if layout.organiser_top[0] == layout.text_end[0]:
        assert layout.organiser_top[1] >= layout.text_end[1] + 8


def test_english_text_breaks_between_words_chinese_between_characters(app):
    """English abstracts in the booklet were cut mid-word ("electroly / sis")."""
    from fpdf.enums import MethodReturnValue, WrapMode

    from matchmaker.booklet.pdf import _new_pdf, wrap_mode

    assert wrap_mode("A proton exchange membrane electrolyser stack") is WrapMode.WORD
    assert wrap_mode("一种用于PEM电解槽的双极板") is WrapMode.CHAR
    assert wrap_mode("稀土永磁 H01F 1/057 烧结钕铁硼磁体") is WrapMode.CHAR
    font = _font(app)
    with app.test_request_context("/"):
        booklet = build_booklet(_event(_theme(40)))
        pdf = _new_pdf(booklet, font)
        pdf.add_page()
        pdf.use(11)
        english = ("A proton exchange membrane electrolyser stack with titanium bipolar plates "
                   "coated by physical vapour deposition, for hydrogen production from wind "
                   "power in Inner Mongolia, with a degradation rate below two microvolts")
        lines = pdf.multi_cell(60, 6, english, wrapmode=wrap_mode(english), dry_run=True,
                               output=MethodReturnValue.LINES)
    assert len(lines) > 3
    words = set(english.split())
    assert all(word in words for line in lines for word in line.split())  # no word cut


def test_the_page_footer_stays_on_the_page_with_a_long_event_name(app):
    """A 200-character event name ran the footer of every page off its right edge."""
    _font(app)  # skips without a CJK font
    with app.test_request_context("/"):
        event = _event(_theme(40))
        event.name = "稀土新材料与高端装备制造科技成果专场" * 11  # 200 characters, the form's limit
        db.session.commit()
        reader = PdfReader(io.BytesIO(booklet_pdf(event, app.config)))
    footer = [text for y, text in _lines(reader.pages[1]) if y < 60]  # points from the bottom
    assert footer and any(text.rstrip().endswith("…") for text in footer)
    page_width = float(reader.pages[1].mediabox.width)
    found = []
    reader.pages[1].extract_text(visitor_text=lambda text, cm, tm, fnt, size: found.append(
        (tm[4], tm[5], text)) if text.strip() else None)
    assert all(x < page_width for x, y, text in found)
