"""The built-in demo: seeded content, the simulated broker activity and the CLI commands."""

from __future__ import annotations

import re
import sys
import types
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.demo import content
from matchmaker.demo.activity import PATH, simulate_activity
from matchmaker.demo.organizations import USERS
from matchmaker.demo.seed import is_seeded, reset_demo_passwords, seed_demo
from matchmaker.errors import ValidationError
from matchmaker.extensions import db
from matchmaker.records import (
    NEED_LIMITS,
    PATENT_LIMITS,
    Confidentiality,
    LegalStatus,
    LicenceMode,
    Match,
    MatchHistory,
    MatchNote,
    MatchStatus,
    Need,
    NeedStatus,
    Organization,
    OrgKind,
    Patent,
    PatentType,
    RejectionReason,
    Role,
    User,
)
from matchmaker.regions import LEAGUES
from matchmaker.validators import credit_code, ipc_code, publication_number
from tests import factories as f

PASSWORD = "demo-password-123"  # the conftest's DEMO_PASSWORD
FOUR = ["demo-admin", "demo-broker", "demo-enterprise", "demo-university"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _make_candidates(per_need: int = 4) -> int:
    """Stand-in for batch matching: candidate pairs by shared technical field, ranked by id."""
    patents = db.session.scalars(
        select(Patent)
        .where(Patent.legal_status.in_([LegalStatus.VALID, LegalStatus.PENDING]))
        .order_by(Patent.id)
    ).all()
    by_field: dict[str, list[Patent]] = {}
    for patent in patents:
        by_field.setdefault(patent.technical_field, []).append(patent)
    created = 0
    needs = db.session.scalars(
        select(Need).where(Need.status == NeedStatus.OPEN).order_by(Need.id)
    ).all()
    for need in needs:
        for rank, patent in enumerate(by_field.get(need.technical_field, [])[:per_need], 1):
            score = round(0.9 - 0.05 * rank - 0.002 * (need.id % 10), 4)
            db.session.add(
                Match(need=need, patent=patent, score=score, rank=rank, channel_scores={},
                      explanation={}, status=MatchStatus.CANDIDATE)
            )
            created += 1
    db.session.commit()
    return created


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """Cheap hashes: the demo hashes many passwords and scrypt's cost is the point in production."""
    from werkzeug.security import generate_password_hash

    def quick(password: str) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1000")

    monkeypatch.setattr("matchmaker.records.organizations.generate_password_hash", quick)


@pytest.fixture
def stub_matching(monkeypatch):
    """Replace the matching service (written in parallel) by a deterministic stand-in."""
    calls = []
    module = types.ModuleType("matchmaker.services.matching")

    def rebuild_indexes(progress: bool = False) -> dict:
        calls.append("rebuild_indexes")
        return {"patents": _count(Patent), "needs": _count(Need)}

    def run_batch_matching(top_k: int | None = None, progress: bool = False) -> dict:
        calls.append("run_batch_matching")
        return {"created": _make_candidates()}

    def sync_needs(ids, *, compact_later: bool = True) -> None:
        calls.append("sync_needs" if compact_later else "sync_needs(compact_later=False)")

    def compact_indexes() -> dict:
        calls.append("compact_indexes")
        return {}

    module.compact_indexes = compact_indexes
    module.rebuild_indexes = rebuild_indexes
    module.run_batch_matching = run_batch_matching
    module.sync_needs = sync_needs
    monkeypatch.setitem(sys.modules, "matchmaker.services.matching", module)
    return calls


# --- seeding ---------------------------------------------------------------------------------


def test_seed_counts_roles_and_demo_accounts(app):
    assert not is_seeded()
    messages = []
    counts = seed_demo(PASSWORD, progress=messages.append)
    assert is_seeded()
    assert 140 <= counts["patents"] == _count(Patent) <= 160
    assert 45 <= counts["needs"] == _count(Need) <= 60
    assert counts["users"] == _count(User) == len(USERS)
    assert any(m.startswith("patents:") for m in messages)

    roles = {u.role for u in db.session.scalars(select(User))}
    assert roles == set(Role)
    for username in FOUR:
        user = db.session.scalar(select(User).where(User.username == username))
        assert user is not None and user.active and user.check_password(PASSWORD)
    broker = db.session.scalar(select(User).where(User.username == "demo-broker"))
    assert (broker.broker_fields, broker.broker_regions) == ("C,H", "包头市")
    assert db.session.scalar(
        select(func.count(User.id)).where(User.role == Role.BROKER)
    ) >= 4

    enterprise = db.session.scalar(select(User).where(User.username == "demo-enterprise"))
    assert enterprise.organization.kind is OrgKind.ENTERPRISE
    own_needs = db.session.scalar(
        select(func.count(Need.id)).where(Need.enterprise_id == enterprise.organization_id)
    )
    assert own_needs >= 3
    university = db.session.scalar(select(User).where(User.username == "demo-university"))
    assert university.organization.kind is OrgKind.UNIVERSITY
    assert db.session.scalar(
        select(func.count(Patent.id)).where(Patent.owner_id == university.organization_id)
    ) >= 30

    kinds = {o.kind for o in db.session.scalars(select(Organization))}
    assert kinds == set(OrgKind)
    assert db.session.scalar(
        select(func.count(Organization.id)).where(Organization.kind == OrgKind.ENTERPRISE)
    ) >= 28


def test_seeded_patents_are_valid_and_varied(app):
    seed_demo(PASSWORD)
    patents = db.session.scalars(select(Patent)).all()
    numbers = [p.publication_number for p in patents]
    assert len(numbers) == len(set(numbers))
    today = date.today()
    english = 0
    for p in patents:
        assert publication_number(p.publication_number) == p.publication_number
        assert 1 <= len(p.ipc_codes) <= 3
        assert all(ipc_code(code) == code for code in p.ipc_codes), p.ipc_codes
        for field, limit in PATENT_LIMITS.items():
            value = getattr(p, field)
            assert value is None or len(value) <= limit, (p.publication_number, field)
        assert p.owner.kind in (OrgKind.UNIVERSITY, OrgKind.INSTITUTE)
        assert date(2012, 1, 1) <= p.filing_date <= date(2025, 12, 31)
        assert p.claims.startswith("1. ")
        if p.grant_date:
            assert p.filing_date < p.grant_date <= today
        if CJK.search(p.abstract):
            assert 150 <= len(p.abstract) <= 300, p.publication_number
            assert p.claims.startswith("1. 一种") and "其特征在于" in p.claims
            assert p.title.startswith("一种")
        else:
            english += 1
            assert not p.publication_number.startswith("CN")
            assert 80 <= len(p.abstract.split()) <= 200
        # The kind code agrees with the type and the status.
        if p.publication_number.endswith("U"):
            assert p.patent_type is PatentType.UTILITY and p.grant_date is not None
        if p.legal_status is LegalStatus.PENDING:
            assert p.grant_date is None and p.fee_due_date is None
        if p.legal_status is LegalStatus.EXPIRED:  # a utility model's ten years are over
            assert p.patent_type is PatentType.UTILITY
            assert p.filing_date.replace(year=p.filing_date.year + 10) <= today
        if p.legal_status is LegalStatus.VALID and p.publication_number.startswith("CN"):
            assert today < p.fee_due_date <= today + timedelta(days=366)
            assert (p.fee_due_date.month, p.fee_due_date.day) == (
                p.filing_date.month, p.filing_date.day)
        if p.open_licence:  # 开放许可 is declared for granted patents, with a published price
            assert p.legal_status is LegalStatus.VALID
            assert p.asking_price is not None and p.asking_price > 0
        assert len(p.inventors.split("；")) >= 2
    assert 8 <= english <= 12

    statuses = {p.legal_status for p in patents}
    assert statuses == {LegalStatus.VALID, LegalStatus.PENDING, LegalStatus.LAPSED,
                        LegalStatus.EXPIRED}
    invention = sum(p.patent_type is PatentType.INVENTION for p in patents)
    assert invention > len(patents) / 2
    dormant = sum(p.dormant for p in patents) / len(patents)
    assert 0.6 <= dormant <= 0.8
    soon = [p for p in patents if p.fee_due_date and p.fee_due_date <= today + timedelta(180)]
    assert len(soon) >= 10
    assert sum(p.open_licence for p in patents) >= 20
    assert sum(LicenceMode.TRANSFER in p.licensing_modes for p in patents) >= 20
    assert sum(p.asking_price is not None for p in patents) > 0.8 * len(patents)
    sections = {code[:1] for p in patents for code in p.ipc_codes}
    assert {"A", "B", "C", "F", "G", "H"} <= sections


def test_seeded_needs_are_valid(app):
    seed_demo(PASSWORD)
    needs = db.session.scalars(select(Need)).all()
    refs = [n.external_ref for n in needs]
    assert len(refs) == len(set(refs)) and all(refs)
    for n in needs:
        assert n.enterprise.kind is OrgKind.ENTERPRISE
        assert len(n.title) <= NEED_LIMITS["title"]
        assert 150 <= len(n.description) <= 300, n.title
        assert 3 <= len(n.keywords) <= 6
        assert all(len(k) <= NEED_LIMITS["keyword"] for k in n.keywords)
        assert n.budget_min is not None and 0 < n.budget_min < n.budget_max
        assert date(2026, 1, 1) <= n.deadline <= date(2027, 12, 31)
        assert n.region_league in LEAGUES and n.region_county
        assert n.technical_field
        if n.confidentiality is Confidentiality.BROKERS:
            assert n.broker is not None and n.broker.role is Role.BROKER
    assert sum(n.confidentiality is Confidentiality.BROKERS for n in needs) >= 3
    statuses = [n.status for n in needs]
    assert 1 <= statuses.count(NeedStatus.CLOSED) <= 4
    assert statuses.count(NeedStatus.OPEN) == len(needs) - statuses.count(NeedStatus.CLOSED)
    assert len({n.region_league for n in needs}) >= 6


def test_every_need_has_candidates_in_its_field_except_the_weak_ones():
    """The content promise: 2-5 patents in a need's field, but for the few weak-match needs."""
    fields: dict[str, int] = {}
    for p in content.PATENTS:
        if p.status not in ("lapsed", "expired"):
            fields[p.field] = fields.get(p.field, 0) + 1
    without = [n.title for n in content.NEEDS if fields.get(n.field, 0) < 2]
    assert 2 <= len(without) <= 5, without


def test_credit_codes_have_valid_checksums(app):
    seed_demo(PASSWORD)
    codes = db.session.scalars(
        select(Organization.credit_code).where(Organization.credit_code.is_not(None))
    ).all()
    assert len(codes) >= 30
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert credit_code(code) == code
    with pytest.raises(ValidationError):  # the validator really checks: a wrong digit fails
        credit_code(codes[0][:-1] + ("0" if codes[0][-1] != "0" else "1"))
    assert db.session.scalar(
        select(func.count(Organization.id)).where(Organization.credit_code.is_(None))
    ) >= 1


def test_seed_is_deterministic(app_factory):
    def snapshot(application):
        with application.app_context():
            seed_demo("another-password-1")
            patents = [
                (p.publication_number, p.application_number, p.title, p.filing_date,
                 p.grant_date, p.fee_due_date, p.inventors, p.asking_price, p.dormant)
                for p in db.session.scalars(select(Patent).order_by(Patent.publication_number))
            ]
            needs = [
                (n.external_ref, n.title, n.enterprise.name, n.budget_max, n.status)
                for n in db.session.scalars(select(Need).order_by(Need.external_ref))
            ]
            orgs = [(o.name, o.credit_code) for o in db.session.scalars(select(Organization))]
            return patents, needs, sorted(orgs)

    assert snapshot(app_factory()) == snapshot(app_factory())


def test_failed_seed_writes_nothing(app, monkeypatch):
    from matchmaker.demo import seed as seed_module

    broken = content.NEEDS[0].__class__(**{**content.NEEDS[0].__dict__, "mode": "barter"})
    monkeypatch.setattr(seed_module, "NEEDS", [*content.NEEDS[:3], broken])
    with pytest.raises(ValueError):
        seed_demo(PASSWORD)
    db.session.remove()
    for model in (Organization, User, Patent, Need):
        assert _count(model) == 0
    assert not is_seeded()


# --- simulated broker activity -----------------------------------------------------------------


def test_simulated_activity_walks_the_pipeline(app):
    seed_demo(PASSWORD)
    assert _make_candidates() > 60
    now = datetime(2026, 11, 20, 8, 0)
    result = simulate_activity(now=now)
    assert result["pairs"] == 30 and result["notes"] >= 5

    moved = db.session.scalars(select(Match).where(
        Match.status != MatchStatus.CANDIDATE,
        Match.rejection_reason.is_distinct_from(RejectionReason.NEED_MATCHED))).all()
    # the other candidates of a need a pair signed left the queue, dated at the signing
    withdrawn = db.session.scalars(select(Match).where(
        Match.rejection_reason == RejectionReason.NEED_MATCHED)).all()
    assert withdrawn and all(m.need.status is NeedStatus.MATCHED for m in withdrawn)
    assert all(m.status_changed_at <= now for m in withdrawn)
    assert len(moved) == 30
    assert {m.status for m in moved} == set(MatchStatus) - {MatchStatus.CANDIDATE}
    assert len({m.need_id for m in moved}) == 30  # spread over needs, one pair each
    allowed = {(None, MatchStatus.CANDIDATE)}
    chain = [MatchStatus.CANDIDATE, *PATH]
    allowed |= set(zip(chain, chain[1:], strict=False))
    allowed |= {(s, MatchStatus.REJECTED) for s in chain[:-1]}
    for match in moved:
        rows = sorted(match.history, key=lambda h: h.at)
        assert rows[0].from_status is None and rows[0].to_status is MatchStatus.CANDIDATE
        assert rows[-1].to_status is match.status
        for before, after in zip(rows, rows[1:], strict=False):
            assert after.from_status is before.to_status and after.at > before.at
        assert all((h.from_status, h.to_status) in allowed for h in rows)
        assert all(now - timedelta(weeks=12) <= h.at <= now - timedelta(days=1) for h in rows)
        assert match.status_changed_at == rows[-1].at
        assert match.broker is not None and match.broker.role is Role.BROKER
        if match.status in (MatchStatus.SIGNED, MatchStatus.REGISTERED):
            assert match.contract_amount > 0
            assert match.need.status is NeedStatus.MATCHED and not match.patent.dormant
        if match.status is MatchStatus.REGISTERED:
            assert re.fullmatch(r"15\d{13}", match.contract_number)
        if match.status is MatchStatus.REJECTED:
            assert match.rejection_reason is not None and match.rejection_note
    # The one "not relevant" rejection falls on the weakest pair, as a broker's would.
    not_relevant = [m for m in moved if m.rejection_reason is RejectionReason.NOT_RELEVANT]
    assert len(not_relevant) == 1
    assert not_relevant[0].score == min(m.score for m in moved)
    assert _count(MatchHistory) == result["history"] + len(withdrawn)
    assert all(CJK.search(n.body) for n in db.session.scalars(select(MatchNote)))
    # weeks covered by the history, so the dashboard's 12-week trend has shape
    weeks = {(now - h.at).days // 7 for h in db.session.scalars(select(MatchHistory))}
    assert len(weeks) >= 8

    again = simulate_activity(now=now)
    assert again["skipped"] and _count(MatchHistory) == result["history"] + len(withdrawn)


def test_simulated_activity_is_deterministic(app_factory):
    def run(application):
        with application.app_context():
            seed_demo(PASSWORD)
            _make_candidates()
            simulate_activity(now=datetime(2026, 11, 20, 8, 0))
            return sorted(
                (m.need.external_ref, m.patent.publication_number, m.status.value,
                 m.contract_number, str(m.contract_amount), m.status_changed_at)
                for m in db.session.scalars(
                    select(Match).where(Match.status != MatchStatus.CANDIDATE))
            )

    assert run(app_factory()) == run(app_factory())


# --- CLI -----------------------------------------------------------------------------------------


def test_demo_command_seeds_matches_and_simulates(app, runner, stub_matching):
    result = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo"])
    assert result.exit_code == 0, result.output
    assert stub_matching == ["rebuild_indexes", "run_batch_matching",
                            "sync_needs(compact_later=False)", "compact_indexes"]
    assert is_seeded() and _count(Match) > 0 and _count(MatchHistory) > 30
    statuses = set(db.session.scalars(select(Match.status).distinct()))
    assert statuses == set(MatchStatus)
    for username in FOUR:
        assert username in result.output
    assert PASSWORD in result.output and "/auth/login" in result.output

    # Loading twice is refused, not duplicated.
    again = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo"])
    assert again.exit_code != 0 and "already" in again.output


def test_demo_if_empty_is_idempotent(app, runner, stub_matching):
    first = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo", "--if-empty"])
    assert first.exit_code == 0, first.output

    def state():
        db.session.expire_all()
        hashes = sorted(db.session.scalars(select(User.password_hash)))
        return [_count(m) for m in (Organization, User, Patent, Need, Match, MatchHistory,
                                    MatchNote)], hashes

    before = state()
    second = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo", "--if-empty"])
    assert second.exit_code == 0
    assert "nothing loaded" in second.output
    # script/server's later starts list the accounts (once, no password: set at the first load)
    assert "demo-admin" in second.output and "(unchanged)" in second.output
    assert state() == before
    assert stub_matching == ["rebuild_indexes", "run_batch_matching",
                            "sync_needs(compact_later=False)", "compact_indexes"]  # not again


def test_demo_if_empty_leaves_a_database_with_patents_alone(app, runner, stub_matching):
    f.patent()
    db.session.commit()
    result = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo", "--if-empty"])
    assert result.exit_code == 0 and "nothing loaded" in result.output
    assert _count(Patent) == 1 and not is_seeded() and stub_matching == []


def test_demo_resumes_after_matching_failed(app, runner, monkeypatch):
    broken = types.ModuleType("matchmaker.services.matching")  # no functions: import fails
    monkeypatch.setitem(sys.modules, "matchmaker.services.matching", broken)
    failed = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo"])
    assert failed.exit_code != 0 and "run `flask demo` again" in failed.output
    assert is_seeded() and _count(Match) == 0  # the seed itself is committed and complete

    module = types.ModuleType("matchmaker.services.matching")
    module.rebuild_indexes = lambda progress=False: {}
    module.run_batch_matching = lambda top_k=None, progress=False: {"created": _make_candidates()}
    module.sync_needs = lambda ids, compact_later=True: None
    module.compact_indexes = dict
    monkeypatch.setitem(sys.modules, "matchmaker.services.matching", module)
    resumed = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo"])
    assert resumed.exit_code == 0, resumed.output
    assert "continuing" in resumed.output
    assert _count(Patent) == len(content.PATENTS) and _count(MatchHistory) > 0


def test_demo_accounts_reset_sets_passwords_and_prints_them(app, runner):
    seed_demo("old-password-1")
    result = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo-accounts", "--reset"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    for spec in USERS:
        line = next(line for line in result.output.splitlines() if spec.username + " " in line)
        assert PASSWORD in line and spec.role in line.lower()  # "Enterprise user"
        user = db.session.scalar(select(User).where(User.username == spec.username))
        assert user.check_password(PASSWORD) and not user.check_password("old-password-1")
    assert "包头市鹿城稀土永磁科技有限公司" in result.output
    assert "/auth/login" in result.output


def test_demo_accounts_reset_without_configured_password_uses_a_fresh_random_one(app_factory):
    application = app_factory({"DEMO_PASSWORD": None})
    with application.app_context():
        seed_demo("old-password-1")
        outputs = [application.test_cli_runner().invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo-accounts", "--reset"]).output
                   for _ in range(2)]
        passwords = []
        for output in outputs:
            line = next(line for line in output.splitlines() if "demo-admin " in line)
            passwords.append(line.split()[-1])
        assert passwords[0] != passwords[1] and len(passwords[1]) >= 12
        db.session.expire_all()
        admin = db.session.scalar(select(User).where(User.username == "demo-admin"))
        assert admin.check_password(passwords[1])


def test_demo_accounts_when_not_seeded(app, runner):
    f.user(Role.ADMIN, username="someone")
    db.session.commit()
    result = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo-accounts"])
    assert result.exit_code == 0
    assert "no demo accounts" in result.output
    assert reset_demo_passwords("whatever-123-abc") == []
    assert _count(User) == 1


def test_full_demo_command_with_the_matching_engine(app, runner):
    """End to end through the real matching service (fake encoder)."""
    from matchmaker.services.matching import index_status

    result = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["demo"])
    assert result.exit_code == 0, result.output
    assert _count(Match) > 0
    assert _count(MatchHistory) > 30
    statuses = set(db.session.scalars(select(Match.status).distinct()))
    assert statuses == set(MatchStatus)
    # contracts signed by the simulation took their needs out of the index: nothing is stale
    status = index_status()
    assert status["state"] == "built", status["collections"]
    assert status["expected"]["needs"] < _count(Need)
