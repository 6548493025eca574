"""Creating and managing user accounts."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from ..errors import ValidationError
from ..extensions import db
from ..reasons import reason
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
        raise ValidationError(reason("A username has 3-80 letters, digits or _ . -"), "username")
    check_password(password, username)
    # "DEMO-admin" beside "demo-admin" would be a look-alike of another account
    taken = db.session.scalar(
        select(User.username).where(func.lower(User.username) == username.lower()))
    if taken is not None:
        raise ValidationError(reason("The username is taken: %(name)s", name=taken), "username")
    if organization is None and organization_name:
        organization = db.session.scalar(
            select(Organization).where(Organization.name == organization_name)
        )
        if organization is None:
            raise ValidationError(reason("No such organization: %(name)s", name=organization_name),
                                  "organization")
    allowed = ROLE_ORG_KINDS[role]
    if role in (Role.ENTERPRISE, Role.UNIVERSITY) and organization is None:
        raise ValidationError(reason("Enterprise and university users belong to an organization"),
                              "organization")
    if allowed is not None and organization is not None and organization.kind not in allowed:
        raise ValidationError(reason("This role cannot belong to this kind of organization"),
                              "organization")
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
