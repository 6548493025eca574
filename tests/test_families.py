"""Patent families (issue 9, point 5): one family takes one slot, shown as "+N 同族/相似".

Grouping by an imported family or priority number, and without one by near-duplicate texts of
the same owner and main IPC code, also across languages (families.group); the import accepts
the field in every format.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from matchmaker.extensions import db
from matchmaker.ingest import import_patents
from matchmaker.matching.families import group
from matchmaker.matching.rules import PatentFacts, title_language
from matchmaker.records import OrgKind, Patent
from matchmaker.services import matching
from tests import factories as f
from tests.pairs import cast, client_as

# -- the grouping rule, on vectors with the cosines measured on the demo ---------------------


def _unit(cosine: float, dims: int = 4, axis: int = 1) -> np.ndarray:
    """A unit vector at ``cosine`` with e0 (in the plane of e0 and e_axis)."""
    v = np.zeros(dims)
    v[0], v[axis] = cosine, np.sqrt(1 - cosine ** 2)
    return v


def _facts(pid, owner=1, ipc="H01F 1/057", language="zh", family=None):
    return PatentFacts(pid, owner_id=owner, main_ipc=ipc, language=language, family_id=family)


def _vectors(table):
    return lambda ids: {i: table[i] for i in ids if i in table}


def test_a_bilingual_twin_joins_the_slot_of_its_chinese_original():
    # 1: Chinese original; 2: its English filing (cosine 0.725, the lowest twin of the demo);
    # 3: another patent; 4: same owner and IPC but another invention (cosine 0.60)
    facts = {1: _facts(1), 2: _facts(2, language="en"), 3: _facts(3, owner=2),
             4: _facts(4, language="en")}
    vectors = {1: _unit(1.0), 2: _unit(0.725), 4: _unit(0.60, axis=2)}
    slots = group([1, 2, 3, 4], facts, _vectors(vectors), k=5)
    assert [(s.head, s.members) for s in slots] == [(1, [2]), (3, []), (4, [])]


def test_same_language_needs_a_near_identical_text():
    # two Chinese patents of one owner and IPC at 0.719 (demo: rail steel vs electrical steel)
    facts = {1: _facts(1), 2: _facts(2)}
    slots = group([1, 2], facts, _vectors({1: _unit(1.0), 2: _unit(0.719)}), k=5)
    assert [s.head for s in slots] == [1, 2]
    slots = group([1, 2], facts, _vectors({1: _unit(1.0), 2: _unit(0.95)}), k=5)
    assert [(s.head, s.members) for s in slots] == [(1, [2])]


def test_another_owner_or_main_ipc_never_groups_even_when_identical():
    facts = {1: _facts(1), 2: _facts(2, owner=2, language="en"),
             3: _facts(3, ipc="C22C 38/00", language="en"), 4: _facts(4, owner=None)}
    same = {i: _unit(1.0) for i in facts}
    assert [s.head for s in group([1, 2, 3, 4], facts, _vectors(same), k=5)] == [1, 2, 3, 4]


def test_a_family_number_groups_without_vectors_and_members_below_k_are_counted():
    facts = {1: _facts(1, family="CN2021100001"), 2: _facts(2, owner=2),
             3: _facts(3, owner=3, family="CN2021100001"), 4: _facts(4, owner=4)}
    slots = group([1, 2, 4, 3], facts, _vectors({}), k=2)
    assert [(s.head, s.members) for s in slots] == [(1, [3]), (2, [])]


def test_language_of_a_title():
    assert title_language("一种钕铁硼磁体") == "zh"
    assert title_language("Method for NdFeB magnets") == "en"


# -- through the engine (fake encoder) -------------------------------------------------------

MAGNET = ("一种烧结钕铁硼磁体的晶界扩散方法",
          "本发明公开了一种烧结钕铁硼磁体的晶界扩散方法。在磁体表面涂覆镝粉后热处理，"
          "显著提高矫顽力并减少重稀土用量。")


@pytest.fixture
def shelf(db_app):
    uni = f.org(OrgKind.UNIVERSITY, region_league="包头市")
    other = f.org(OrgKind.UNIVERSITY, region_league="包头市")
    patents = {
        "original": f.patent(*MAGNET, owner=uni),
        "copy": f.patent(*MAGNET, owner=uni),  # near-identical text, same owner and IPC
        "family": f.patent("一种钕铁硼磁体晶界扩散用镝粉涂覆装置",
                           "本发明公开了一种钕铁硼磁体晶界扩散的涂覆装置，减少重稀土用量。",
                           owner=other, family_id="CN202110000001"),
        "same_family": f.patent("一种钕铁硼晶界扩散热处理炉", "本发明公开了一种晶界扩散热处理炉，"
                                "用于钕铁硼磁体矫顽力提升。", owner=other,
                                family_id="CN202110000001", ipc=["F27B 5/04"]),
        "stranger": f.patent(*MAGNET, owner=other, ipc=["C22C 38/00"]),
    }
    need = f.need("烧结钕铁硼磁体矫顽力提升", "希望采用晶界扩散技术减少重稀土镝的用量，"
                  "提高钕铁硼磁体矫顽力。", keywords=["钕铁硼", "晶界扩散"])
    db.session.commit()
    matching.rebuild_indexes()
    return patents, need


def test_one_family_takes_one_slot_in_a_ranked_list(shelf):
    patents, need = shelf
    found = matching.match_need(need, 5)
    ids = [c.patent_id for c in found]
    slots = {c.patent_id: c.explanation["family"] for c in found}
    assert [c.rank for c in found] == list(range(1, len(found) + 1))
    # the near-identical copy and the second family member do not take slots of their own
    assert (patents["original"].id in ids) != (patents["copy"].id in ids)
    assert (patents["family"].id in ids) != (patents["same_family"].id in ids)
    grouped = [m for members in slots.values() for m in members]
    assert sorted(grouped) == sorted(
        [patents["copy"].id if patents["original"].id in ids else patents["original"].id,
         patents["same_family"].id if patents["family"].id in ids else patents["family"].id])
    assert patents["stranger"].id in ids  # identical text, other IPC: a patent of its own


def test_the_batch_stores_no_pair_for_a_folded_family_member(shelf):
    from sqlalchemy import select

    from matchmaker.records import Match

    patents, need = shelf
    matching.match_and_store_need(need.id, 5)
    stored = set(db.session.scalars(select(Match.patent_id).where(Match.need_id == need.id)))
    assert len(stored & {patents["original"].id, patents["copy"].id}) == 1
    assert len(stored & {patents["family"].id, patents["same_family"].id}) == 1


def test_the_pair_page_shows_the_family_expandable(db_app):
    people = cast()
    twin = f.patent("Sintered NdFeB magnet by grain boundary diffusion", number="US11900101B2")
    match = people["match"]
    match.explanation = {**match.explanation, "family": [twin.id]}
    db.session.commit()
    page = client_as(db_app, "broker1").get(f"/queue/{match.id}").get_data(as_text=True)
    assert '<details class="family">' in page and "US11900101B2" in page
    assert "+1 同族/相似" in page
    queue_page = client_as(db_app, "broker1").get("/queue/").get_data(as_text=True)
    assert "+1 同族/相似" in queue_page


# -- import ----------------------------------------------------------------------------------


def test_csv_and_jsonl_imports_accept_a_family_or_priority_number(db_app):
    csv = ("公开号,专利名称,摘要,专利权人,同族号\n"
           "CN114081026A,一种稀土永磁材料,本发明公开了一种稀土永磁材料。,内蒙古科技大学,cn 2021 1001.5\n")
    assert import_patents(io.BytesIO(csv.encode()), "p.csv").created == 1
    line = {"publication_number": "US11900101B2", "title": "Magnet", "abstract": "A magnet.",
            "owner": "内蒙古科技大学", "priority": "CN20211001.5"}
    assert import_patents(io.BytesIO(json.dumps(line).encode()), "p.jsonl").created == 1
    numbers = dict(db.session.query(Patent.publication_number, Patent.family_id))
    assert numbers == {"CN114081026A": "CN20211001.5", "US11900101B2": "CN20211001.5"}


def test_a_too_long_family_number_is_a_row_error_and_nothing_is_written(db_app):
    csv = ("公开号,专利名称,摘要,同族号\n"
           f"CN114081026A,一种稀土永磁材料,本发明公开了一种稀土永磁材料。,{'9' * 41}\n")
    result = import_patents(io.BytesIO(csv.encode()), "p.csv")
    assert result.created == 0 and [e.field for e in result.errors] == ["family_id"]
    assert db.session.query(Patent).count() == 0
