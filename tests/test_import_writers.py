"""A long import on the embedded default (SQLite) lets the portal's writes in between its
batches: committing and beginning again at once, it kept the write lock from a waiting request
for the whole row stage (a broker's note waited 9.5 s behind 8,000 rows)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.ingest import import_patents
from matchmaker.records import Match, MatchNote, OrgKind, Patent, Role, User
from matchmaker.services import pipeline
from tests import factories as f
from tests.pairs import pair

ROWS = 300


def _file() -> bytes:
    lines = ["公开号,专利名称,摘要"]
    lines += [f"CN12{i:07d}A,一种稀土材料的制备方法{i},本发明公开了第{i}种稀土材料的制备方法。"
              for i in range(ROWS)]
    return "\n".join(lines).encode()


def test_a_request_writes_between_two_batches_of_a_long_import(app_factory):
    app = app_factory({"IMPORT_BATCH_ROWS": 10, "SQLITE_BUSY_TIMEOUT": 60})
    with app.app_context():
        assert db.engine.dialect.name == "sqlite"  # app_factory's own database file
        f.org(OrgKind.UNIVERSITY, name="稀土大学")
        broker = f.user(Role.BROKER, username="b1")
        match_id = pair(broker=broker).id
        broker_id = broker.id
        db.session.commit()
        db.session.remove()
    errors: list[BaseException] = []

    def run_import():
        try:
            with app.app_context():
                import_patents(_file(), "long.csv", owner="稀土大学", notify=False)
        except BaseException as exc:  # reported below
            errors.append(exc)

    importer = threading.Thread(target=run_import)
    importer.start()
    with app.app_context():
        deadline = time.monotonic() + 60
        while not db.session.scalar(select(func.count(Patent.id))) > 1:  # its first batch
            db.session.rollback()
            assert time.monotonic() < deadline and importer.is_alive()
            time.sleep(0.01)
        db.session.remove()
    with app.test_request_context():  # as the note form: a writer's transaction at once
        match = db.session.get(Match, match_id)
        pipeline.add_note(match, db.session.get(User, broker_id), "已电话联系")
        imported_when_noted = db.session.scalar(select(func.count(Patent.id))) - 1
        db.session.remove()
    importer.join(120)
    assert not errors, errors
    assert imported_when_noted < ROWS, "the note waited for the whole import"
    with app.app_context():
        assert db.session.scalar(select(func.count(Patent.id))) == ROWS + 1
        assert db.session.scalar(select(func.count(MatchNote.id))) == 1
