"""The application factory, health endpoint, migrations and the data model's rules."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.records import LegalStatus, LicenceMode, Match, MatchStatus, Patent, Role
from matchmaker.records.base import schema_filter
from tests import factories as f


def test_factory_uses_given_config(app):
    assert app.config["TESTING"] is True
    assert app.config["ENCODER"] == "fake"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_config_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MATCHMAKER_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("MATCHMAKER_MATCH_TOP_K", "7")
    monkeypatch.setenv("MATCHMAKER_ALLOW_GENERATED_SECRET", "1")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst")})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.db")
    assert app.config["MATCH_TOP_K"] == 7
    # a secret key is generated once per instance folder and reused
    again = create_app({"INSTANCE_PATH": str(tmp_path / "inst")})
    assert app.config["SECRET_KEY"] == again.config["SECRET_KEY"] and len(app.config["SECRET_KEY"]) == 64


def test_healthz_reports_counts(client):
    f.patent()
    db.session.commit()
    client.application.config["HEALTH_TOKEN"] = "t0ken"
    body = client.get("/healthz", headers={"X-Health-Token": "t0ken"}).get_json()
    assert body["status"] == "ok"
    assert body["database"] == {"reachable": True, "patents": 1, "needs": 0, "matches": 0}
    assert body["index"]["state"] == "missing"


def test_healthz_reports_unreachable_database(tmp_path):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "i"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such/dir/x.db",
            "SECRET_KEY": "test-secret",
            "HEALTH_TOKEN": "t0ken",
        }
    )
    response = app.test_client().get("/healthz", headers={"X-Health-Token": "t0ken"})
    assert response.status_code == 503
    assert response.get_json()["database"]["reachable"] is False


def test_migrations_apply_on_empty_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "test-secret"})
    result = app.test_cli_runner().invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["init-db"])
    assert result.exit_code == 0, result.output
    tables = set(inspect(create_engine(url)).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_migrating_in_process_keeps_the_application_loggers(tmp_path):
    import logging

    watched = logging.getLogger("matchmaker.services.matching")  # exists before the upgrade
    url = f"sqlite:///{tmp_path / 'logs.sqlite3'}"
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "test-secret"})
    assert app.test_cli_runner().invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["init-db"]).exit_code == 0
    assert not watched.disabled


def test_migrations_match_the_models(tmp_path):
    """Autogenerate against a migrated database finds nothing: no change lacks a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "test-secret"})
    assert app.test_cli_runner().invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["init-db"]).exit_code == 0
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": schema_filter("sqlite")})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_a_postgresql_index_is_created_there_only(tmp_path):
    """The queue-order index needs NULLS LAST, which SQLite has not: PostgreSQL gets it (from
    create_all and from its migration), SQLite does not, and autogenerate misses it on neither."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex

    index = next(i for i in db.metadata.tables["matches"].indexes
                 if i.name == "ix_matches_queue_order")
    ddl = str(CreateIndex(index).compile(dialect=postgresql.dialect()))
    assert "(status, calibrated DESC NULLS LAST, score DESC, id)" in ddl
    assert schema_filter("sqlite")(index, index.name, "index", False, None) is False
    assert schema_filter("postgresql")(index, index.name, "index", False, None) is True
    engine = create_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    db.metadata.create_all(engine)
    names = {i["name"] for i in inspect(engine).get_indexes("matches")}
    assert "ix_matches_status_calibrated" in names and "ix_matches_queue_order" not in names


def test_publication_number_is_unique(db_app):
    f.patent(number="CN114081026A")
    db.session.commit()
    with pytest.raises(IntegrityError):
        f.patent(number="CN114081026A")
    db.session.rollback()


def test_patent_ipc_and_licence_roundtrip(db_app):
    p = f.patent(ipc=["H01F 1/057", "C22C 38/00"], status=LegalStatus.PENDING)
    p.licensing_modes = [LicenceMode.OPEN, LicenceMode.TRANSFER, LicenceMode.OPEN]
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(Patent, p.id)
    assert loaded.ipc_codes == ["H01F 1/057", "C22C 38/00"]
    assert [link.section for link in loaded.ipc_links] == ["H", "C"]
    assert sorted(loaded.licensing_modes) == [LicenceMode.OPEN, LicenceMode.TRANSFER]
    assert loaded.open_licence and loaded.is_enforceable


def test_enum_columns_refuse_unknown_codes(db_app):
    p = f.patent()
    db.session.commit()
    # The CHECK constraint holds even for SQL that bypasses the ORM.
    with pytest.raises(IntegrityError):
        db.session.execute(
            text("UPDATE patents SET legal_status = 'bogus' WHERE id = :id"), {"id": p.id}
        )
        db.session.commit()
    db.session.rollback()


def test_match_pair_is_unique_and_cascades(db_app):
    n, p = f.need(), f.patent()
    m = Match(need=n, patent=p, score=0.5, status=MatchStatus.CANDIDATE)
    db.session.add(m)
    db.session.commit()
    db.session.add(Match(need_id=n.id, patent_id=p.id, score=0.1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_user_password_is_hashed(db_app):
    u = f.user(Role.BROKER, password="s3cret-pass")
    assert u.password_hash != "s3cret-pass"
    assert u.check_password("s3cret-pass") and not u.check_password("wrong")
