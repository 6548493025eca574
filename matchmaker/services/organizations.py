"""Administration use cases: organizations, user accounts and the audit log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Select, select

from .. import validators
from ..errors import PermissionDenied, ValidationError
from ..extensions import db
from ..records import AuditLog, Organization, OrgKind, Role, User
from ..regions import LEAGUES
from ..security.passwords import password_problem
from .audit import record
from .record_checks import _
from .users import ROLE_ORG_KINDS, create_user

# Editable organization fields and their length limits (the ORM's column sizes).
ORG_FIELDS = {
    "name": 200,
    "region_county": 40,
    "contact_name": 80,
    "contact_phone": 40,
    "contact_email": 200,
    "address": 300,
    "fields": 300,
}


def _clean(value, field: str):
    """A text trimmed (None when nothing is left), refused with control characters in it as
    needs and patents refuse them (NUL cannot even be stored in PostgreSQL)."""
    if isinstance(value, str):
        return validators.plain_text(validators.trim(value), field) or None
    return value


def _check_org(values: dict, org: Organization | None) -> dict:
    """Normalise and validate organization values; raises ValidationError naming the field."""
    out = {key: _clean(values.get(key), key)
           for key in (*ORG_FIELDS, "region_league", "credit_code")}
    if not out["name"]:
        raise ValidationError(_("The name is required."), "name")
    for key, limit in ORG_FIELDS.items():
        if out[key] and len(out[key]) > limit:
            raise ValidationError(_("At most %(n)d characters.", n=limit), key)
    try:
        out["kind"] = OrgKind(values.get("kind"))
    except ValueError as exc:
        raise ValidationError(_("Choose a kind of organization."), "kind") from exc
    if out["region_league"] and out["region_league"] not in LEAGUES:
        raise ValidationError(_("Choose a league or city of Inner Mongolia."), "region_league")
    phone_problem = validators.phone_problem(out["contact_phone"]) if out["contact_phone"] else None
    if phone_problem:
        raise ValidationError(phone_problem, "contact_phone")
    try:
        out["credit_code"] = validators.credit_code(out["credit_code"])
    except ValidationError as exc:
        raise ValidationError(_("Invalid unified social credit code."), "credit_code") from exc
    own_id = org.id if org is not None else -1
    same_name = select(Organization.id).where(
        Organization.name == out["name"], Organization.id != own_id
    )
    if db.session.scalar(same_name) is not None:
        raise ValidationError(_("An organization with this name exists."), "name")
    if out["credit_code"]:
        same_code = select(Organization.id).where(
            Organization.credit_code == out["credit_code"], Organization.id != own_id
        )
        if db.session.scalar(same_code) is not None:
            raise ValidationError(_("Another organization has this credit code."), "credit_code")
    return out


def create_organization(values: dict, *, actor: User) -> Organization:
    """Validate and store a new organization (committed)."""
    org = Organization(**_check_org(values, None))
    db.session.add(org)
    db.session.flush()
    record("org_create", actor, f"organization:{org.id}", name=org.name)
    db.session.commit()
    return org


def update_organization(org: Organization, values: dict, *, actor: User) -> Organization:
    """Validate and apply changes to an organization (committed)."""
    clean = _check_org(values, org)
    if clean["kind"] != org.kind:
        # Members must stay in an organization kind their role allows.
        for member in org.users:
            allowed = ROLE_ORG_KINDS[member.role]
            if allowed is not None and clean["kind"] not in allowed:
                raise ValidationError(
                    _("User %(name)s cannot belong to this kind of organization.",
                      name=member.username),
                    "kind",
                )
    changed = sorted(k for k, v in clean.items() if getattr(org, k) != v)
    for key, value in clean.items():
        setattr(org, key, value)
    record("org_update", actor, f"organization:{org.id}", changed=changed)
    db.session.commit()
    return org


def organizations_query(kind: str | None = None, text: str | None = None) -> Select:
    """Organizations by name, optionally of one kind or containing ``text`` in the name."""
    stmt = select(Organization).order_by(Organization.name)
    if kind in {k.value for k in OrgKind}:
        stmt = stmt.where(Organization.kind == OrgKind(kind))
    if text and text.strip():
        stmt = stmt.where(Organization.name.contains(text.strip(), autoescape=True))
    return stmt


def _scope_list(raw: str | list[str] | None, field: str, *, leagues: bool) -> str | None:
    parts = raw if isinstance(raw, list) else (raw or "").replace("，", ",").split(",")
    parts = list(dict.fromkeys(p.strip() for p in parts if p and p.strip()))
    for part in parts:
        validators.plain_text(part, field)
    if leagues and any(p not in LEAGUES for p in parts):
        raise ValidationError(_("Choose leagues or cities of Inner Mongolia."), field)
    if any(len(p) > 50 for p in parts):
        raise ValidationError(_("Each entry may have at most 50 characters."), field)
    joined = ",".join(parts)
    if len(joined) > 300:
        raise ValidationError(_("At most %(n)d characters.", n=300), field)
    return joined or None


def _check_membership(role: Role, organization: Organization | None) -> None:
    if role in (Role.ENTERPRISE, Role.UNIVERSITY) and organization is None:
        raise ValidationError(
            _("Enterprise and university users must belong to an organization."), "organization"
        )
    allowed = ROLE_ORG_KINDS[role]
    if allowed is not None and organization is not None and organization.kind not in allowed:
        raise ValidationError(_("This role cannot belong to this kind of organization."),
                              "organization")


@dataclass
class Invitation:
    """A new account and its one-time password (shown once, never stored in clear)."""

    user: User
    password: str


def one_time_password(username: str | None = None) -> str:
    """A random password for a new or reset account (the user changes it after logging in)."""
    while True:  # 16 random characters pass the policy all but always; never hand out one that fails
        password = secrets.token_urlsafe(12)
        if password_problem(password, username) is None:
            return password


def invite_user(*, actor: User, username: str, role: Role, display_name: str | None = None,
                organization: Organization | None = None, email: str | None = None,
                broker_fields=None, broker_regions=None) -> Invitation:
    """Create an account with a one-time password (committed)."""
    _check_membership(role, organization)
    fields = _scope_list(broker_fields, "broker_fields", leagues=False)
    regions = _scope_list(broker_regions, "broker_regions", leagues=True)
    password = one_time_password(username)
    user = create_user(
        username=(username or "").strip(),
        role=role,
        password=password,
        display_name=_clean(display_name, "display_name"),
        organization=organization,
        email=_clean(email, "email"),
    )
    user.broker_fields, user.broker_regions = fields, regions
    user.must_change_password = True
    db.session.flush()
    record("user_invite", actor, f"user:{user.id}", username=user.username, role=role.value)
    db.session.commit()
    return Invitation(user, password)


def update_user(user: User, *, actor: User, role: Role, display_name: str | None,
                organization: Organization | None, email: str | None,
                broker_fields=None, broker_regions=None) -> User:
    """Change an account's role, organization, name and broker scope (committed)."""
    if user.id == actor.id and role is not Role.ADMIN:
        raise ValidationError(_("You cannot remove your own administrator role."), "role")
    _check_membership(role, organization)
    name = _clean(display_name, "display_name")
    if not name or len(name) > 80:
        raise ValidationError(_("A display name of at most 80 characters is required."),
                              "display_name")
    email = _clean(email, "email")
    if email and len(email) > 200:
        raise ValidationError(_("At most %(n)d characters.", n=200), "email")
    values = {
        "role": role,
        "display_name": name,
        "organization_id": organization.id if organization else None,
        "email": email,
        "broker_fields": _scope_list(broker_fields, "broker_fields", leagues=False),
        "broker_regions": _scope_list(broker_regions, "broker_regions", leagues=True),
    }
    changed = sorted(k for k, v in values.items() if getattr(user, k) != v)
    for key, value in values.items():
        setattr(user, key, value)
    user.organization = organization
    record("user_update", actor, f"user:{user.id}", changed=changed)
    db.session.commit()
    return user


def set_user_active(user: User, active: bool, *, actor: User) -> User:
    """Deactivate or reactivate an account; an admin cannot deactivate themself."""
    if user.id == actor.id and not active:
        raise PermissionDenied(_("You cannot deactivate your own account."))
    if user.active != active:
        user.active = active
        user.end_sessions()
        record("user_reactivate" if active else "user_deactivate", actor, f"user:{user.id}",
               username=user.username)
        db.session.commit()
    return user


def reset_password(user: User, *, actor: User) -> str:
    """Give an account a new one-time password and return it (committed)."""
    password = one_time_password(user.username)
    user.set_password(password)
    user.must_change_password = True
    user.end_sessions()
    record("user_password_reset", actor, f"user:{user.id}", username=user.username)
    db.session.commit()
    return password


def users_query(role: str | None = None, active: str | None = None,
                text: str | None = None) -> Select:
    """Accounts by username, filtered by role, active state and a name fragment."""
    stmt = select(User).order_by(User.username)
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    if active in ("1", "0"):
        stmt = stmt.where(User.active.is_(active == "1"))
    if text and text.strip():
        fragment = text.strip()
        stmt = stmt.where(
            User.username.contains(fragment, autoescape=True)
            | User.display_name.contains(fragment, autoescape=True)
        )
    return stmt


def audit_query(action: str | None = None, actor_id: int | None = None) -> Select:
    """Audit entries, newest first, optionally of one action and one actor."""
    stmt = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if actor_id:
        stmt = stmt.where(AuditLog.actor_id == actor_id)
    return stmt


def audit_actions() -> list[str]:
    """Every action name present in the audit log (for the filter)."""
    return list(db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
