"""Creating and managing user accounts."""

from __future__ import annotations

import re

from sqlalchemy import select

from ..errors import ValidationError
from ..extensions import db
from ..records import Organization, OrgKind, Role, User
from ..security.passwords import check_password

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,80}$")
# Which organization kinds each role may belong to.
ROLE_ORG_KINDS = {
    Role.ENTERPRISE: {OrgKind.ENTERPRISE},
    Role.UNIVERSITY: {OrgKind.UNIVERSITY, OrgKind.INSTITUTE},
    Role.BROKER: {OrgKind.AGENCY, OrgKind.UNIVERSITY, OrgKind.INSTITUTE, None},
    Role.ADMIN: None,  # any
}


def create_user(
    *,
    username: str,
    role: Role,
    password: str,
    display_name: str | None = None,
    organization_name: str | None = None,
    organization: Organization | None = None,
    email: str | None = None,
) -> User:
    """Validate and add a user to the session (the caller commits)."""
    if not _USERNAME.match(username or ""):
        raise ValidationError("用户名须为3-80位字母、数字或 _ . -", "username")
    check_password(password, username)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError(f"用户名已存在: {username}", "username")
    if organization is None and organization_name:
        organization = db.session.scalar(
            select(Organization).where(Organization.name == organization_name)
        )
        if organization is None:
            raise ValidationError(f"机构不存在: {organization_name}", "organization")
    allowed = ROLE_ORG_KINDS[role]
    if role in (Role.ENTERPRISE, Role.UNIVERSITY) and organization is None:
        raise ValidationError("企业用户和高校用户必须属于一个机构", "organization")
    if allowed is not None and organization is not None and organization.kind not in allowed:
        raise ValidationError("该角色不能属于此类机构", "organization")
    user = User(
        username=username,
        role=role,
        display_name=display_name or username,
        email=email,
        organization=organization,
        active=True,
    )
    user.set_password(password)
    db.session.add(user)
    return user
