"""What the import loop needs from each record type (patents, needs)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..records import Organization, User
from .columns import FieldSpec
from .orgs import OrgResolver


class Importer:
    """One record type's rules: required fields, in-file key, cross-field checks, the upsert."""

    kind: str  # "patents" / "needs"
    model: type  # Patent / Need
    specs: dict[str, FieldSpec]
    org_field: str  # the column naming the organization ("owner" / "enterprise")
    key_field: str  # where an in-file duplicate is reported

    def __init__(self, orgs: OrgResolver, actor: User | None, restricted: bool):
        self.orgs = orgs
        self.actor = actor
        # A university or enterprise user: may only touch records of its own organization.
        self.restricted = restricted

    @property
    def forced(self) -> Organization | None:
        return self.orgs.forced

    def required(self) -> list[str]:
        """Fields every row must fill (the organization column is optional when it is forced)."""
        return [
            s.name
            for s in self.specs.values()
            if s.required and not (s.name == self.org_field and self.forced is not None)
        ]

    def check(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        """Cross-field problems of one parsed row, as (field, reason)."""
        return []

    def key(self, values: dict[str, Any]) -> Hashable | None:
        """The row's identity within the file, for duplicate detection (None: no key)."""
        raise NotImplementedError

    def duplicate_field(self, key: Hashable) -> str:
        """The field an in-file duplicate of ``key`` is reported on."""
        return self.key_field

    def duplicate_reason(self, first_row: int) -> str:
        raise NotImplementedError

    def write(self, values: dict[str, Any]) -> tuple[str, int]:
        """Create or update one record; returns ("created" | "updated" | "unchanged", id)."""
        raise NotImplementedError


def assign(record, values: dict[str, Any], names: tuple[str, ...]) -> bool:
    """Set the given scalar fields that the row fills and that differ; True when any changed.

    An empty cell leaves the stored value alone: a partial export must never wipe data.
    """
    changed = False
    for name in names:
        new = values.get(name)
        if new is not None and getattr(record, name) != new:
            setattr(record, name, new)
            changed = True
    return changed
