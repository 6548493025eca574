"""The calibrated score on the demo with the real encoders: off-topic needs and band counts.

Run: PYTHONPATH=. .venv/bin/python bench/calibration_on_demo.py
     (``MATCHMAKER_CALIBRATION_FILE=old.json`` to compare another model file)

Seeds the demo into a temporary SQLite database, adds the off-topic fixture needs of
``tests/test_strong_matches.py`` (needs no demo patent is about), builds the indexes with the
configured encoders (USE + MiniLM by default) and prints: the first five calibrated scores of
each off-topic need and of two demo needs with a patent made for them, and the bands of every
demo need's top 10, and the same for every demo patent's top 10 needs (patent -> needs,
scored by the file's "needs" model when it has one) (docs/matching.md section 10, "On the demo
with the real encoders").
"""

from __future__ import annotations

import collections
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import select  # noqa: E402

from matchmaker import create_app  # noqa: E402
from matchmaker.demo.seed import seed_demo  # noqa: E402
from matchmaker.extensions import db  # noqa: E402
from matchmaker.records import Need, OrgKind, Patent  # noqa: E402
from matchmaker.services import matching, scores  # noqa: E402
from tests import factories as f  # noqa: E402
from tests.test_strong_matches import OFF_TOPIC, OFF_TOPIC_GAP, ON_TOPIC  # noqa: E402


def main() -> None:
    instance = tempfile.mkdtemp(prefix="calibration-demo-")
    app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "bench", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/db.sqlite3",
                      "INDEX_DIR": f"{instance}/indexes"})
    with app.app_context():
        db.create_all()
        seed_demo("Demo-pass-for-calibration-7")
        enterprise = f.org(OrgKind.ENTERPRISE, name="无关企业")
        off_topic = [f.need(title, text, keywords=words, enterprise=enterprise)
                     for title, text, words in OFF_TOPIC + OFF_TOPIC_GAP]
        db.session.commit()
        matching.rebuild_indexes()
        for need in off_topic:
            print("off-topic", need.title, [c.calibrated for c in matching.match_need(need, 5)])
        for title in ON_TOPIC:
            need = db.session.scalar(select(Need).where(Need.title == title))
            print("made for", title, [c.calibrated for c in matching.match_need(need, 5)])
        bands, firsts = collections.Counter(), []
        for need in db.session.scalars(select(Need)):
            if need in off_topic:
                continue
            found = matching.match_need(need, 10)
            if found:
                firsts.append(found[0].calibrated)
                bands.update(scores.band(c.calibrated) for c in found)
        strong = scores.thresholds().strong
        print(f"demo needs {len(firsts)}; bands of their top-10 candidates {dict(bands)}; "
              f"needs whose first candidate reaches {strong}: "
              f"{sum(1 for s in firsts if s is not None and s >= strong)}")
        bands, firsts = collections.Counter(), []
        for patent in db.session.scalars(select(Patent)):
            found = [c for c in matching.match_patent(patent, 10)
                     if c.need_id not in {n.id for n in off_topic}]
            if found:
                firsts.append(found[0].calibrated)
                bands.update(scores.band(c.calibrated) for c in found)
        print(f"demo patents with candidate needs {len(firsts)}; bands of their top-10 needs "
              f"{dict(bands)}; patents whose first need reaches {strong}: "
              f"{sum(1 for s in firsts if s is not None and s >= strong)}")


if __name__ == "__main__":
    main()
