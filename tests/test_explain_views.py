"""The explanation and the search as pages show them (issue 9 point 6, issue 10 point 5)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import Role, User
from matchmaker.services import matching
from matchmaker.services.keyword_search import query_words
from tests import factories as f
from tests.pairs import EXPLANATION, cast, client_as, pair

# --- the pair page ------------------------------------------------------------------------


@pytest.fixture
def people(app):
    return cast()


def test_pair_page_shows_channel_shares_and_admins_see_the_engine_details(people, app):
    url = f"/queue/{people['match'].id}"
    broker = client_as(app, "broker1").get(url).get_data(as_text=True)
    shares = broker[broker.index("得分构成"):broker.index("规则调整") if "规则调整" in broker
                    else len(broker)]
    assert "语义相似" in shares and "62%" in shares and "关键词" in shares and "38%" in shares
    assert "9.200" not in broker and "bm25" not in broker  # no raw BM25 value, no model id
    admin = client_as(app, "admin1").get(url).get_data(as_text=True)
    details = admin[admin.index('class="engine-details"'):]
    details = details[:details.index("</details>")]
    assert "use-multilingual" in details and "9.200" in details


def test_the_channel_hint_names_only_the_channels_of_the_pair(people, app):
    """QA, stop 35: every pair page explained the English channel, also where it took no
    part; the heading read 推荐理由 on rejected pairs too."""
    client = client_as(app, "broker1")
    html = client.get(f"/queue/{people['match'].id}").get_data(as_text=True)
    assert "语义相似比较两段文字的含义，关键词比较共同的词语。" in html
    assert "英文语义" not in html and "推荐理由" not in html and "匹配依据" in html
    english = pair(need=people["need"], patent=f.patent("Magnet rotor", owner=people[
        "university_org"]), explanation={**EXPLANATION, "shares": [
            {"channel": "sentence-transformers:all-MiniLM-L6-v2", "kind": "extra", "share": 40},
            {"channel": "bm25", "kind": "lexical", "share": 60}]})
    db.session.commit()
    html = client.get(f"/queue/{english.id}").get_data(as_text=True)
    assert "英文语义比较两段英文文字" in html


def test_pair_page_in_english_names_the_channels(people, app):
    client = client_as(app, "broker1")
    with client.session_transaction() as session:
        session["locale"] = "en"
    html = client.get(f"/queue/{people['match'].id}").get_data(as_text=True)
    assert "Semantic similarity" in html and "Keywords" in html and "语义相似" not in html


def test_pair_page_without_shares_says_so(people, app):
    bare = pair(need=people["need"], explanation={k: v for k, v in EXPLANATION.items()
                                                   if k != "shares"})
    db.session.commit()
    html = client_as(app, "broker1").get(f"/queue/{bare.id}").get_data(as_text=True)
    assert "此配对未记录各通道占比" in html and "<svg" not in html.split("得分构成")[1][:400]


def test_english_terms_are_highlighted_on_word_boundaries_on_the_pair_page(people, app):
    patent = f.patent("Rotor for permanent magnet machines",
                      "The rotor operates per unit at high speed. Magnets are glued.",
                      owner=people["university_org"])
    english = pair(need=people["need"], patent=patent, explanation={
        **EXPLANATION, "shared_terms": ["per", "magnet"],
        "closest_sentences": [{"text": "The rotor operates per unit at high speed.",
                               "source": "abstract", "score": 0.6}] * 3})
    db.session.commit()
    html = client_as(app, "broker1").get(f"/queue/{english.id}").get_data(as_text=True)
    assert "o<mark>per</mark>ates" not in html and "operates <mark>per</mark> unit" in html
    assert "<mark>Magnets</mark>" in html


# --- search -------------------------------------------------------------------------------


@pytest.fixture
def library(app):
    people = cast()
    uni = people["university_org"]
    f.patent("一种风电机组齿轮箱故障诊断方法", "采集振动信号，诊断风电齿轮箱的故障。", owner=uni)
    f.patent("一种风电叶片回收方法", "热解回收风电叶片中的玻璃纤维。", owner=uni)
    f.patent("一种矿用卡车故障预警系统", "监测矿用卡车发动机的故障。", owner=uni)
    f.need("风电场运维需求", "风电机组故障多，希望远程诊断。", enterprise=people["enterprise_org"])
    f.need("矿卡维修需求", "矿用卡车故障频发。", enterprise=people["enterprise_org"])
    db.session.commit()
    return people


def rows(html: str, kind: str) -> list[str]:
    body = html[html.find("<tbody"):html.find("</tbody>")]
    return re.findall(rf'<a href="/{kind}/\d+">(.*?)</a>', body, re.S)


def plain(text: str) -> str:
    return re.sub(r"</?mark>", "", text)


def test_query_words_use_the_engine_tokenizer():
    assert query_words("风电 故障") == ["风电", "故障"]
    assert query_words("风电故障") == ["风电", "故障"]
    assert query_words("风电的故障") == ["风电", "故障"]  # stop words dropped
    assert query_words("Wind turbine, gearboxes") == ["wind", "turbine", "gearboxes"]
    assert query_words("%") == ["%"]  # nothing but punctuation: searched as typed


def test_keyword_search_needs_every_word_and_counts_each(library, app):
    html = client_as(app, "broker1").get("/patents/?q=风电 故障").get_data(as_text=True)
    assert [plain(t) for t in rows(html, "patents")] == ["一种风电机组齿轮箱故障诊断方法"]
    assert "关键词搜索：1 条记录包含全部关键词" in html
    broker = db.session.scalar(select(User).where(User.username == "broker1"))
    broker.locale = "en"
    db.session.commit()
    html_en = client_as(app, "broker1").get("/patents/?q=风电 故障").get_data(as_text=True)
    assert 'lang="en"' in html_en and "Keyword search: 1 record holds every word." in html_en
    broker.locale = "zh_CN"
    db.session.commit()
    counts = html[html.index('class="word-counts"'):]
    counts = re.sub(r"<[^>]+>", " ", counts[:counts.index("</p>")])
    assert re.search(r"风电\s+2\b", counts) and re.search(r"故障\s+2\b", counts)
    # the words are highlighted where they stand, not the query as one string
    assert "<mark>风电</mark>机组齿轮箱<mark>故障</mark>" in html
    # the same for needs, keywords in any field
    html = client_as(app, "broker1").get("/needs/?q=风电 故障").get_data(as_text=True)
    assert [plain(t) for t in rows(html, "needs")] == ["风电场运维需求"]


def test_no_keyword_hit_falls_back_to_semantic_search_with_a_count(library, app):
    matching.rebuild_indexes()
    html = client_as(app, "broker1").get("/patents/?q=风电 冶炼").get_data(as_text=True)
    found = rows(html, "patents")
    assert found  # no patent holds both words: the closest in meaning are listed instead
    assert f"以下为 {len(found)} 条语义搜索结果" in html
    assert 'class="score"' in html  # similarity column
    # a ticked semantic search says how many it found
    html = client_as(app, "broker1").get("/patents/?q=风电叶片&semantic=1").get_data(
        as_text=True)
    assert f"语义搜索：{len(rows(html, 'patents'))} 条结果" in html


def _hits_scored(monkeypatch, scores: list[int]) -> None:
    """The engine's search answers the library's patents, in order, with these calibrated
    scores (what matters to the page: which are strong)."""
    from matchmaker.portal.patents.filters import PatentFilters
    from matchmaker.records import Patent
    from matchmaker.services.matching import SearchHit

    def scored(self, user):
        patents = db.session.scalars(select(Patent).order_by(Patent.id)).all()
        return [(p, SearchHit(p.id, 0.9 - i / 10, c))
                for i, (p, c) in enumerate(zip(patents, scores, strict=False))]

    monkeypatch.setattr(PatentFilters, "semantic_results", scored)


def test_the_fallback_lists_only_strong_hits_and_links_the_rest(library, app, monkeypatch):
    """Nonsense ("zzqqxxyy") is in no row: the fallback shows no record "close in meaning"
    unless the calibrated score is strong; the weaker ones are one link away."""
    _hits_scored(monkeypatch, [81, 30, 12])
    client = client_as(app, "broker1")
    html = client.get("/patents/?q=zzqqxxyy").get_data(as_text=True)
    assert len(rows(html, "patents")) == 1 and "以下为 1 条语义搜索结果" in html
    assert "仅列出匹配度不低于 50 的结果" in html
    assert 'href="/patents/?q=zzqqxxyy&amp;semantic=1">查看 2 条较弱的语义结果</a>' in html
    assert '<strong class="score">81</strong>' in html  # the calibrated score, not 0.900
    # asked for, semantic search lists every hit with its score
    html = client.get("/patents/?q=zzqqxxyy&semantic=1").get_data(as_text=True)
    assert len(rows(html, "patents")) == 3 and "较弱的语义结果" not in html
    _hits_scored(monkeypatch, [30, 12])
    html = client.get("/patents/?q=zzqqxxyy").get_data(as_text=True)
    assert rows(html, "patents") == []
    assert "没有记录包含全部关键词，也没有含义相近的强匹配。" in html


def test_fallback_without_an_engine_keeps_the_empty_keyword_page_quietly(library, app,
                                                                         monkeypatch):
    from matchmaker.portal.patents.filters import PatentFilters

    def broken(self, user):
        raise RuntimeError("index missing")

    monkeypatch.setattr(PatentFilters, "semantic_results", broken)
    html = client_as(app, "broker1").get("/patents/?q=风电 冶炼").get_data(as_text=True)
    assert rows(html, "patents") == [] and "语义搜索暂不可用" not in html
    assert "关键词搜索：0 条记录包含全部关键词" in html


def test_enterprise_keyword_search_sees_only_what_it_may(library, app):
    f.need("另一企业的风电故障需求", "风电故障。", enterprise=f.org())
    f.user(Role.ENTERPRISE, username="ent9")
    db.session.commit()
    html = client_as(app, "ent1").get("/needs/?q=风电 故障").get_data(as_text=True)
    assert [plain(t) for t in rows(html, "needs")] == ["风电场运维需求"]
