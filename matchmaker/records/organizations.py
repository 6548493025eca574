"""Organizations, users and the audit log."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import TimestampMixin, enum_type, utcnow
from .enums import OrgKind, Role


class Organization(TimestampMixin, db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(enum_type(OrgKind, "org_kind"))
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # 统一社会信用代码: 18 characters, checksum validated in matchmaker.validators.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    region_league: Mapped[str | None] = mapped_column(String(40))  # 盟市
    region_county: Mapped[str | None] = mapped_column(String(40))  # 旗县区
    contact_name: Mapped[str | None] = mapped_column(String(80))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    fields: Mapped[str | None] = mapped_column(String(300))  # industries, free text

    users: Mapped[list[User]] = relationship(back_populates="organization")

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name}>"


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_type(Role, "user_role"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A broker's working scope: comma-separated IPC sections / fields and 盟市.
    broker_fields: Mapped[str | None] = mapped_column(String(300))
    broker_regions: Mapped[str | None] = mapped_column(String(300))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime())
    locale: Mapped[str | None] = mapped_column(String(10))
    # A one-time password set by an administrator: every page asks for a new one first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    # Part of the id in every session cookie; raising it ends all sessions of the user.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    organization: Mapped[Organization | None] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return bool(self.active)

    def get_id(self) -> str:
        """Flask-Login's session id: ``id:version``, so old cookies die with the version."""
        return f"{self.id}:{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Invalidate every session of this user (logout, new password, deactivation)."""
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[dict | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()
