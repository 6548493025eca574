"""Issue 9 points 4 and 5 on a database with the demo loaded: preferences and families.

For every need: the top-5 set by relevance alone, with the old score deltas (relevance plus
every rule's delta, the behaviour before issue 9) and with the bounded tie-break
(``rules.prefer``); and the top-5 slots a family twin of a higher-ranked patent takes, before
(no grouping) and after (``Engine.match`` groups families). Run with the app's settings:

    MATCHMAKER_DATABASE_URL=sqlite:///demo.db MATCHMAKER_INDEX_DIR=... \\
        .venv/bin/python bench/demo_preferences.py
"""

from __future__ import annotations

from sqlalchemy import select

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.matching.families import group
from matchmaker.matching.rows import load_patent_facts, need_facts, prepare_need_row
from matchmaker.matching.rules import excluded, flags, points, prefer
from matchmaker.records import Need
from matchmaker.services.matching import engine

K = 5


def main() -> None:
    app = create_app()
    with app.app_context():
        eng = engine()
        margin = eng.rules.margin
        needs = db.session.scalars(select(Need).order_by(Need.id)).all()
        changed_old = changed_new = twins_before = twins_after = 0
        for need in needs:
            facts = need_facts(need)
            fused, _ = eng.retrieve("patents", prepare_need_row(need))
            known = load_patent_facts([f.id for f in fused])
            items = []
            for item in fused:
                other = known.get(item.id)
                if other is None or excluded(facts, other, set(), direction="need"):
                    continue
                items.append((item.id, item.score, points(flags(facts, other, eng.rules))))
            relevance = [i for i, _, _ in sorted(items, key=lambda t: (-t[1], t[0]))]
            old = [i for i, _, _ in sorted(items, key=lambda t: (-(t[1] + t[2]), t[0]))]
            new = prefer(items, margin)
            changed_old += set(relevance[:K]) != set(old[:K])
            changed_new += set(relevance[:K]) != set(new[:K])
            # twins: slots of the old top 5 taken by a member of a higher-ranked slot's family
            slots = group(old[:K], known, lambda ids: _vectors(eng, ids), K,
                          eng.family_threshold)
            twins_before += sum(len(s.members) for s in slots)
            ranked = eng.match("need", facts, prepare_need_row(need), K,
                               facts=load_patent_facts, explain=False)
            heads = [r.id for r in ranked]
            after = group(heads, known, lambda ids: _vectors(eng, ids), K, eng.family_threshold)
            twins_after += sum(len(s.members) for s in after)
        print(f"needs: {len(needs)}  margin: {margin}")
        print(f"top-5 set changed by preferences: old deltas {changed_old}, tie-break "
              f"{changed_new}")
        print(f"top-5 slots taken by a family twin: before {twins_before}, after {twins_after}")


def _vectors(eng, ids):
    out = {}
    for i in ids:
        found = eng.primary.stored("patents", [i])
        if found is not None and len(found):
            out[i] = found[0]
    return out


if __name__ == "__main__":
    main()
