"""The booklet (成果汇编): summaries, content, the PDF with Chinese text, fonts, the HTML page."""

from __future__ import annotations

import io
import os
from datetime import date, timedelta

import pytest
from flask import g, request_started
from pypdf import PdfReader

from matchmaker.booklet import (
    BookletFontMissing,
    booklet_pdf,
    build_booklet,
    plain_summary,
    resolve_font,
)
from matchmaker.booklet import fonts as font_module
from matchmaker.extensions import db
from matchmaker.records import EventPatent, LicenceMode, OrgKind, ReleaseEvent, Role
from tests import factories as f

ABSTRACT = (
    "本发明公开了一种晶界扩散铽的烧结钕铁硼磁体的制备方法，属于稀土永磁材料技术领域。"
    "该方法在毛坯表面涂覆氢化铽浆料后真空扩散。铽用量降低70%以上，矫顽力提高8kOe。"
    "适用于新能源汽车驱动电机。"
)


def _fresh_login_cache(sender, **extra):
    g.pop("_login_user", None)


def _text(page) -> str:
    """A page's text; pypdf reads the embedded CMap of CFF (Noto CJK) fonts one byte at a
    time and puts a NUL before every character (poppler's pdftotext reads it right)."""
    return page.extract_text().replace("\x00", "")


def _font_or_skip(app):
    try:
        return resolve_font(app.config)
    except BookletFontMissing as exc:  # script/setup installs the font; say so instead of failing
        pytest.skip(str(exc))


def _event():
    broker = f.user(Role.BROKER, display_name="王经纪", email="wang@example.org")
    uni = f.org(
        OrgKind.UNIVERSITY,
        name="内蒙古科技大学",
        contact_phone="0472-5951234",
        contact_email="tto@imust.example",
    )
    e = ReleaseEvent(
        number="蒙科聚-2026-第7期",
        name="稀土新材料专场",
        venue="包头市稀土高新区",
        held_on=date.today() + timedelta(days=10),
        created_by_id=broker.id,
    )
    db.session.add(e)
    titles = ["一种晶界扩散铽的烧结钕铁硼磁体", "一种稀土抛光粉的制备方法", "一种储氢合金"]
    for i, title in enumerate(titles):
        p = f.patent(
            title=title,
            abstract=ABSTRACT,
            owner=uni,
            asking_price=120,
            contact_note="联系人张老师 电话 13900001111",
        )
        p.licensing_modes = [LicenceMode.TRANSFER, LicenceMode.OPEN]
        # programme order differs from creation order: position decides
        db.session.add(
            EventPatent(
                event=e,
                patent=p,
                position=len(titles) - i,
                on_stage=i == 0,
                summary="人工撰写的通俗介绍" if i == 1 else None,
            )
        )
    db.session.commit()
    return e, titles


def test_plain_summary_takes_first_sentences_and_drops_boilerplate():
    text = plain_summary(ABSTRACT, limit=80)
    assert text.startswith("该成果提供一种晶界扩散铽")
    assert text.endswith("真空扩散。") and "新能源汽车" not in text
    long = plain_summary("本发明涉及" + "很长的句子" * 60, limit=50)
    assert len(long) == 50 and long.endswith("…") and long.startswith("该成果涉及")
    assert (
        plain_summary("The present invention relates to a magnet. It is cheap. More.", 45)
        == "This result concerns a magnet. It is cheap."
    )
    assert plain_summary(None) == "" and plain_summary("   ") == ""


def test_booklet_content_order_summary_and_contacts(app):
    e, titles = _event()
    booklet = build_booklet(e)
    assert [p.patent.title for p in booklet.pages] == list(reversed(titles))
    by_title = {p.patent.title: p for p in booklet.pages}
    assert by_title[titles[1]].summary == "人工撰写的通俗介绍"
    # the abstract's opening restates the title: the plain words start after it
    assert by_title[titles[0]].summary.startswith("该方法在毛坯表面") and by_title[titles[0]].on_stage
    assert booklet.contact.broker_name == "王经纪"
    facts = dict(booklet.pages[0].facts + booklet.pages[0].terms)
    assert any("120.00" in v for v in facts.values())
    assert not any("13900001111" in v or "0472-5951234" in v for v in facts.values())


def test_pdf_opens_and_contains_the_chinese_titles(app):
    _font_or_skip(app)
    e, titles = _event()
    data = booklet_pdf(e, app.config)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2 + len(titles)  # cover, contents, one page per patent
    text = "\n".join(_text(page) for page in reader.pages)
    for title in titles:
        assert title in text
    assert "稀土新材料专场" in text and "wang@example.org" in text
    assert "13900001111" not in text and "0472-5951234" not in text  # owner contacts never


def test_font_configuration(app, tmp_path, monkeypatch):
    monkeypatch.delenv("MATCHMAKER_BOOKLET_FONT", raising=False)
    with pytest.raises(BookletFontMissing, match="does not exist"):
        resolve_font({"BOOKLET_FONT": str(tmp_path / "none.ttf")})
    fake = tmp_path / "font.ttc"
    fake.write_bytes(b"x")
    assert resolve_font({"BOOKLET_FONT": f"{fake}#2"}) == font_module.FontChoice(str(fake), 2)
    # A "Regular" file finds its bold sibling; without one, bold is synthetic.
    regular, bold = tmp_path / "Sans-Regular.ttc", tmp_path / "Sans-Bold.ttc"
    regular.write_bytes(b"x")
    assert not resolve_font({"BOOKLET_FONT": str(regular)}).has_bold
    bold.write_bytes(b"x")
    assert resolve_font({"BOOKLET_FONT": f"{regular}#2"}) == font_module.FontChoice(
        str(regular), 2, str(bold))
    with pytest.raises(BookletFontMissing, match="face index"):
        resolve_font({"BOOKLET_FONT": f"{fake}#two"})
    monkeypatch.setenv("MATCHMAKER_BOOKLET_FONT", str(fake))
    assert resolve_font({}).path == str(fake)
    monkeypatch.delenv("MATCHMAKER_BOOKLET_FONT")
    monkeypatch.setattr(font_module, "FALLBACKS", [(str(tmp_path / "missing.ttc"), 0, None)])
    with pytest.raises(BookletFontMissing, match="MATCHMAKER_BOOKLET_FONT"):
        resolve_font({})


def test_booklet_pages_for_an_invited_enterprise(app):
    e, titles = _event()
    enterprise = f.user(Role.ENTERPRISE)
    db.session.commit()
    request_started.connect(_fresh_login_cache, app)
    client = app.test_client()
    f.login(client, enterprise.username)
    page = client.get(f"/events/{e.id}/booklet")
    assert page.status_code == 200
    assert all(title in page.text for title in titles)
    assert page.text.count('class="booklet-page"') == 3 and "13900001111" not in page.text
    _font_or_skip(app)
    queued = client.get(f"/events/{e.id}/booklet.pdf")
    queued.close()  # the answer is sent: the (eager) job lays the PDF out now
    assert queued.status_code == 302 and queued.headers["Location"].startswith("/jobs/")
    # its page opens the PDF the job made
    assert client.get(queued.headers["Location"]).status_code == 302  # the enterprise's own job
    pdf = client.get(f"/events/{e.id}/booklet.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def _pdf_fonts(reader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font") or {}
        for ref in fonts.values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


def _content(reader) -> bytes:
    return b"".join(page.get_contents().get_data() for page in reader.pages)


def test_pdf_cover_names_organiser_date_and_links_the_showcase(app):
    font = _font_or_skip(app)
    e, titles = _event()
    config = {**app.config, "BASE_URL": "https://mkj.example.org",
              "BOOKLET_ORGANISER": "包头市科学技术局"}
    reader = PdfReader(io.BytesIO(booklet_pdf(e, config)))
    cover = _text(reader.pages[0])
    assert "包头市科学技术局" in cover and "主办单位" in cover
    assert str(e.held_on.year) in cover and f"{e.held_on.month}月{e.held_on.day}日" in cover
    assert "稀土新材料专场" in cover and "包头市稀土高新区" in cover
    # Bold headings: the real bold face when installed, else stroked (synthetic) text.
    fonts = _pdf_fonts(reader)
    if font.has_bold:
        assert any("Bold" in name for name in fonts), fonts
        assert len(fonts) == 2
    else:
        assert b" 2 Tr" in _content(reader)
    # QR codes: one on the cover (the showcase) and one per patent (its public page), each an
    # image carrying a link to the URL.
    links = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action and "/URI" in action:
                links.append(str(action["/URI"]))
    patent_urls = {f"https://mkj.example.org/showcase/patents/{lp.patent_id}" for lp in e.listings}
    assert "https://mkj.example.org/showcase/" in links
    assert patent_urls <= set(links)
    images = [len(page.images) for page in reader.pages]
    assert images[0] == 1 and images[2:] == [1] * len(titles)
    # Tagged as far as fpdf2 goes: a structure tree and the document language.
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and str(root["/Lang"]).startswith("zh")


def test_patent_pages_are_full_and_the_summary_adds_to_the_title(app):
    _font_or_skip(app)
    e, titles = _event()
    reader = PdfReader(io.BytesIO(booklet_pdf(e, app.config)))
    assert len(reader.pages) == 2 + len(titles)  # every patent still fits on one page
    page = _text(reader.pages[2])
    for heading in ("通俗介绍", "技术优势", "应用领域", "成熟度", "合作条件"):
        assert heading in page, heading
    assert "降低70%以上" in page and "矫顽力提高8kOe" in page  # advantages with figures
    assert "新能源汽车驱动电机" in page  # the application field
    terms = page[page.index("合作条件"):]
    assert "转让" in terms and "开放许可" in terms and "120.00" in terms  # cooperation terms


def test_an_english_booklet_has_english_punctuation_and_whole_words(app):
    from flask_babel import force_locale

    _font_or_skip(app)
    e, _titles = _event()
    with force_locale("en"):
        reader = PdfReader(io.BytesIO(booklet_pdf(e, app.config)))
    cover, page = _text(reader.pages[0]), _text(reader.pages[2])
    assert "Listed results: " in cover and "：" not in cover
    terms = page[page.index("Cooperation terms"):]
    assert "Licensing modes: " in terms and "; Asking price: " in terms
    assert not set("：；、") & set(terms)
    assert "Patent type" in page and "Legal status" in page  # labels wrap between words


def test_plain_words_never_restate_the_title(app):
    e, titles = _event()
    booklet = build_booklet(e)
    generated = [p for p in booklet.pages if p.summary != "人工撰写的通俗介绍"]
    assert generated
    for page in generated:
        assert page.patent.title not in page.summary
        assert page.patent.title.removeprefix("一种") not in page.summary
        assert page.summary  # something is left to read
    t = "一种稀土永磁材料的制备方法"
    assert plain_summary(f"{t}。本发明公开了{t}，具有成本低、性能稳定的优点。", title=t) == \
        "该成果具有成本低、性能稳定的优点。"
    assert plain_summary(ABSTRACT, title="一种晶界扩散铽的烧结钕铁硼磁体的制备方法").startswith(
        "该方法在毛坯表面")


def test_maturity_and_highlights(app):
    e, _titles = _event()
    page = build_booklet(e).pages[0]
    assert page.highlights == ["铽用量降低70%以上", "矫顽力提高8kOe"]
    assert page.application == "新能源汽车驱动电机"
    assert page.maturity == "有效" or "专利" in page.maturity


def test_one_weight_fonts_get_a_synthetic_bold(app):
    wqy = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    if not os.path.isfile(wqy):
        pytest.skip("fonts-wqy-microhei is not installed")
    e, _titles = _event()
    reader = PdfReader(io.BytesIO(booklet_pdf(e, {**app.config, "BOOKLET_FONT": wqy})))
    assert len(_pdf_fonts(reader)) == 1  # one face only
    assert b" 2 Tr" in _content(reader)  # headings drawn filled and stroked
