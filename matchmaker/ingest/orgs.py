"""Owners and enterprises named in rows: found by exact name, created when absent."""

from __future__ import annotations

from sqlalchemy import inspect, select

from ..extensions import db
from ..reasons import reason
from ..records import Organization, OrgKind
from .result import RowProblem


def guess_kind(name: str) -> OrgKind:
    """The kind of a new organization from its name (公司 -> enterprise, 研究院 -> institute ...)."""
    if "公司" in name:  # the legal form wins: "XX研究院有限公司" is a company
        return OrgKind.ENTERPRISE
    if "研究院" in name or "研究所" in name:
        return OrgKind.INSTITUTE
    if "集团" in name or "厂" in name:
        return OrgKind.ENTERPRISE
    return OrgKind.UNIVERSITY


class OrgResolver:
    """Resolves organization names for one import; ``forced`` pins every row to one organization."""

    def __init__(self, field: str, forced: Organization | None, kind: OrgKind | None):
        self.field = field
        self.forced = forced
        self.kind = kind  # None: guess from the name
        self._cache: dict[str, Organization] = {}
        self.created: list[str] = []

    def resolve(self, name: str | None, **attributes) -> Organization | None:
        """The organization for a row; new ones get ``attributes`` (e.g. region) and join the session."""
        if name is None:
            return self.forced
        if self.forced is not None:
            if name != self.forced.name:
                raise RowProblem(self.field, reason(
                    "The organization “%(name)s” is not the chosen one (“%(forced)s”): only its own "
                    "records can be imported", name=name, forced=self.forced.name))
            return self.forced
        org = self._cache.get(name)
        if org is None:
            org = db.session.scalar(select(Organization).where(Organization.name == name))
        if org is None:
            org = Organization(name=name, kind=self.kind or guess_kind(name))
            for key, value in attributes.items():
                if value is not None:
                    setattr(org, key, value)
            db.session.add(org)
            self.created.append(name)
        self._cache[name] = org
        return org

    def forget_unsaved(self) -> None:
        """After a row's savepoint rolled back, drop organizations that went with it."""
        self._cache = {k: o for k, o in self._cache.items() if inspect(o).persistent}
        self.created = [n for n in self.created if n in self._cache]
