"""CSV formula escaping (a leading quote; separators inside a quoted cell start no cell), and
demo accounts a restart leaves alone (point 9)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from matchmaker.demo.seed import seed_demo
from matchmaker.extensions import db
from matchmaker.records import User
from matchmaker.services.exports import csv_bytes, escape_cell

SEED_PASSWORD = "Seed-password-4-demo"


@pytest.mark.parametrize(("value", "escaped"), [
    ("x;=1+1", "x;=1+1"), ("a,=HYPERLINK(1)", "a,=HYPERLINK(1)"), ("a\t+1", "a\t+1"),
    ('say "=1+1"', 'say "=1+1"'), ("x; @SUM(A1)", "x; @SUM(A1)"), ("=1;-2", "'=1;-2")])
def test_only_a_leading_formula_is_escaped(value, escaped):
    """A quote inside the text would stay there on import (QA 4, section 3); the CSV quotes the
    cell instead, so its separators start no cell (the test below)."""
    assert escape_cell(value) == escaped


@pytest.mark.parametrize("value", ["稀土永磁; 矫顽力", "2026-01-01", "a=b;c", "1-2, 3-4"])
def test_separators_without_a_formula_stay_unchanged(value):
    assert escape_cell(value) == value


def test_semicolon_csv_opened_by_a_spreadsheet_has_no_formula_cell(app):
    body = csv_bytes(["t"], [["x;=1+1"], ["y\t-2"]]).decode("utf-8-sig")
    for separator in (",", ";", "\t"):
        for row in csv.reader(io.StringIO(body), delimiter=separator):
            for cell in row:
                assert not cell.lstrip().startswith(("=", "+", "-", "@")), (separator, cell)


def _demo_admin() -> User:
    return db.session.scalar(select(User).where(User.username == "demo-admin"))


def test_demo_accounts_never_reactivates_or_resets(app, runner):
    seed_demo(SEED_PASSWORD)
    admin = _demo_admin()
    admin.active = False
    broker = db.session.scalar(select(User).where(User.username == "demo-broker"))
    broker.set_password("Changed-by-the-broker-77")
    db.session.commit()
    result = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo-accounts"])  # what script/server runs at every start
    assert result.exit_code == 0, result.output
    assert "demo-admin" in result.output and "/auth/login" in result.output
    db.session.expire_all()
    assert _demo_admin().active is False
    assert _demo_admin().check_password(SEED_PASSWORD)
    broker = db.session.scalar(select(User).where(User.username == "demo-broker"))
    assert broker.check_password("Changed-by-the-broker-77")


def test_demo_accounts_reset_is_explicit_and_keeps_deactivated_accounts_off(app, runner):
    seed_demo(SEED_PASSWORD)
    _demo_admin().active = False
    db.session.commit()
    result = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo-accounts", "--reset"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    password = app.config["DEMO_PASSWORD"]
    assert password in result.output
    broker = db.session.scalar(select(User).where(User.username == "demo-broker"))
    assert broker.check_password(password)
    assert _demo_admin().active is False


def test_demo_password_must_pass_the_policy(app_factory):
    application = app_factory({"DEMO_PASSWORD": "12345678"})
    with application.app_context():
        seed_demo(SEED_PASSWORD)
        result = application.test_cli_runner().invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo-accounts", "--reset"])
        assert result.exit_code != 0
        db.session.expire_all()
        assert _demo_admin().check_password(SEED_PASSWORD)
