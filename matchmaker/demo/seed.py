"""Write the built-in demo data set (organizations, users, patents, needs) into the database.

Everything is deterministic: the same records every time, except the password and the dates
that depend on today (the next annual-fee date of each valid patent is the next anniversary of
its filing date, as in the Chinese fee system).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from ..extensions import db
from ..records import (
    Confidentiality,
    CooperationMode,
    LegalStatus,
    LicenceMode,
    Need,
    NeedStatus,
    Organization,
    OrgKind,
    Patent,
    PatentType,
    Role,
    User,
)
from ..security.passwords import check_password
from ..services.audit import record
from ..services.record_checks import local_today
from ..services.users import create_user
from ..validators import credit_code_check_char
from .content import NEEDS, PATENTS
from .organizations import DIVISIONS, ORGANIZATIONS, TEAMS, USERS
from .spec import NeedSpec, OrgSpec, PatentSpec

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
DEMO_ADMIN = "demo-admin"
#: The demo's need references: DEMO-XQ-001 ... in content order.
NEED_REF = "DEMO-XQ-{:03d}"


def is_seeded() -> bool:
    """True when the demo data set is in the database (its admin account exists)."""
    return db.session.scalar(select(User.id).where(User.username == DEMO_ADMIN)) is not None


def seed_demo(password: str, *, progress: Progress | None = None) -> dict:
    """Write the whole demo data set in one transaction and return counts per kind.

    On any error the transaction is rolled back, so the database never holds half a demo.
    """
    say = progress or (lambda message: None)
    try:
        orgs = _organizations()
        say(f"organizations: {len(orgs)}")
        users = _users(password, orgs)
        say(f"users: {len(users)}")
        today = local_today()
        patents = [_patent(spec, i, orgs, today) for i, spec in enumerate(PATENTS)]
        db.session.add_all(patents)
        say(f"patents: {len(patents)}")
        needs = [_need(spec, i, orgs, users) for i, spec in enumerate(NEEDS)]
        db.session.add_all(needs)
        say(f"needs: {len(needs)}")
        counts = {
            "organizations": len(orgs),
            "users": len(users),
            "patents": len(patents),
            "needs": len(needs),
        }
        record("demo.seed", None, "demo", **counts)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("demo data seeded: %s", counts)
    return counts


def demo_accounts() -> list[dict]:
    """One row per demo account still in the database, in README order; changes nothing."""
    return [_row(user) for user in _demo_users()]


def reset_demo_passwords(password: str) -> list[dict]:
    """Set every demo account to ``password`` (checked by the policy); returns their rows.

    Deactivated accounts stay deactivated: only an administrator turns them back on.
    """
    users = _demo_users()
    if not users:
        return []
    check_password(password)
    hashed = None
    for user in users:
        # One hash for all: they share the password anyway, and hashing is deliberately slow.
        if hashed is None:
            user.set_password(password)
            hashed = user.password_hash
        user.password_hash = hashed
    record("demo.passwords_reset", None, "demo", accounts=len(users))
    db.session.commit()
    return [_row(user) for user in users]


def _demo_users() -> list[User]:
    wanted = [spec.username for spec in USERS]
    found = {
        u.username: u for u in db.session.scalars(select(User).where(User.username.in_(wanted)))
    }
    return [found[name] for name in wanted if name in found]  # deleted by an admin: left gone


def _row(user: User) -> dict:
    return {
        "username": user.username,
        "role": user.role.value,
        "display_name": user.display_name,
        "organization": user.organization.name if user.organization else "",
        "active": bool(user.active),
    }


def demo_usernames() -> list[str]:
    """Every demo account name, the four main ones first."""
    return [spec.username for spec in USERS]


def has_patents() -> bool:
    """True when the database holds any patent (the demo is only loaded into an empty one)."""
    return (db.session.scalar(select(func.count(Patent.id))) or 0) > 0


def credit_code_for(spec: OrgSpec, index: int) -> str | None:
    """A made-up but checksum-valid unified social credit code (GB 32100-2015)."""
    if not spec.credit:
        return None
    # "91" = registered by 工商, an enterprise (nine-character body starting MA, as new codes do);
    # "12" = 机构编制, a public institution (universities, institutes, the agency).
    if spec.kind == OrgKind.ENTERPRISE.value:
        body = f"91{DIVISIONS[spec.county]}MA0B{index:05d}"
    else:
        body = f"12{DIVISIONS[spec.county]}4{index:08d}"
    return body + credit_code_check_char(body)


def _organizations() -> dict[str, Organization]:
    orgs = {}
    for i, spec in enumerate(ORGANIZATIONS, start=1):
        org = Organization(
            kind=OrgKind(spec.kind),
            name=spec.name,
            credit_code=credit_code_for(spec, i),
            region_league=spec.league,
            region_county=spec.county,
            contact_name=spec.contact,
            contact_phone=spec.phone,
            contact_email=f"contact{i:02d}@example.com",
            address=spec.address,
            fields=spec.fields,
        )
        db.session.add(org)
        orgs[spec.key] = org
    db.session.flush()
    return orgs


def _users(password: str, orgs: dict[str, Organization]) -> dict[str, User]:
    users = {}
    for spec in USERS:
        user = create_user(
            username=spec.username,
            role=Role(spec.role),
            password=password,
            display_name=spec.display_name,
            organization=orgs[spec.org] if spec.org else None,
            email=f"{spec.username}@example.com",
        )
        user.broker_fields = spec.broker_fields
        user.broker_regions = spec.broker_regions
        users[spec.username] = user
    db.session.flush()
    return users


def _patent(spec: PatentSpec, index: int, orgs: dict[str, Organization], today: date) -> Patent:
    owner = orgs[spec.owner]
    filed = date.fromisoformat(spec.filed)
    kind = spec.number.rstrip("0123456789")[-1]  # A = published application, B/U = granted
    utility = spec.number.endswith("U")
    status = LegalStatus(spec.status) if spec.status else (
        LegalStatus.PENDING if kind == "A" else LegalStatus.VALID
    )
    granted = None
    if status is not LegalStatus.PENDING:
        # Examination takes two to three years for inventions, months for utility models.
        granted = filed + timedelta(days=(200 if utility else 760) + (index * 37) % 240)
        granted = min(granted, today - timedelta(days=30))
    applicants = [owner.name] + ([orgs[spec.co].name] if spec.co else [])
    patent = Patent(
        publication_number=spec.number,
        application_number=application_number(spec.number, filed),
        patent_type=PatentType.UTILITY if utility else PatentType.INVENTION,
        title=spec.title,
        abstract=spec.abstract,
        claims=spec.claims,
        applicants="；".join(applicants),
        inventors="；".join(_inventors(spec.owner, index)),
        legal_status=status,
        filing_date=filed,
        grant_date=granted,
        fee_due_date=next_fee_due(spec.number, filed, granted, today)
        if status is LegalStatus.VALID
        else None,
        owner=owner,
        technical_field=spec.field,
        asking_price=Decimal(str(spec.price)) if spec.price is not None else None,
        dormant=spec.dormant,
        contact_note=f"{owner.name}技术转移办公室 {owner.contact_name}，电话 {owner.contact_phone}",
    )
    patent.ipc_codes = [code.strip() for code in spec.ipc.split(";")]
    patent.licensing_modes = [LicenceMode(m.strip()) for m in spec.modes.split(",")]
    return patent


def _inventors(owner: str, index: int) -> list[str]:
    team = TEAMS[owner]
    start = (index * 3) % len(team)
    return [team[(start + k) % len(team)] for k in range(2 + index % 3)]


def application_number(publication: str, filed: date) -> str:
    """An application number consistent with the publication number (invented, well formed)."""
    serial = _serial(publication)
    if publication.startswith("CN"):
        kind = "2" if publication.endswith("U") else "1"
        digits = f"{filed.year}{kind}{serial:07d}"
        # CNIPA check digit: weights 2..9,2..5 over the 12 digits, mod 11, 10 written as X.
        weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
        check = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        return f"{digits}.{'X' if check == 10 else check}"
    if publication.startswith("WO"):
        return f"PCT/CN{filed.year}/{serial:06d}"
    series = 16 if filed.year <= 2019 else 17 if filed.year <= 2022 else 18
    return f"{series}/{serial:06d}"


def _serial(publication: str) -> int:
    digits = "".join(ch for ch in publication[2:] if ch.isdigit())
    # The kind code's digit (B2, A1) is not part of the serial.
    if publication[-1].isdigit():
        digits = digits[:-1]
    return 1_000_000 + int(digits[-5:]) if publication.startswith("CN") else int(digits[-6:])


def next_fee_due(publication: str, filed: date, granted: date | None, today: date) -> date | None:
    """The next fee deadline of a valid patent.

    China: an annual fee, due by each anniversary of the filing date. United States:
    maintenance fees 3.5, 7.5 and 11.5 years after grant (none left after that).
    """
    if publication.startswith("CN"):
        due = filed.replace(year=today.year)
        return due if due > today else due.replace(year=today.year + 1)
    if granted is None:
        return None
    for years in (3.5, 7.5, 11.5):
        due = granted + timedelta(days=round(years * 365.25))
        if due > today:
            return due
    return None


def _need(
    spec: NeedSpec, index: int, orgs: dict[str, Organization], users: dict[str, User]
) -> Need:
    enterprise = orgs[spec.enterprise]
    author = next((u for u in users.values() if u.organization is enterprise), None)
    low, high = spec.budget or (None, None)
    return Need(
        external_ref=NEED_REF.format(index + 1),
        enterprise=enterprise,
        title=spec.title,
        description=spec.description,
        technical_field=spec.field,
        keywords=[k.strip() for k in spec.keywords.split(",") if k.strip()],
        budget_min=Decimal(str(low)) if low is not None else None,
        budget_max=Decimal(str(high)) if high is not None else None,
        cooperation_mode=CooperationMode(spec.mode),
        deadline=date.fromisoformat(spec.deadline),
        region_league=enterprise.region_league,
        region_county=enterprise.region_county,
        status=NeedStatus(spec.status),
        confidentiality=Confidentiality.BROKERS if spec.brokers_only else Confidentiality.PUBLIC,
        created_by=author,
        broker=users[spec.broker] if spec.broker else None,
    )
