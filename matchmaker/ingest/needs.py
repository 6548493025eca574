"""Need rows: keyed by 需求编号 when given (case ignored, as in the form), otherwise by
(enterprise, title)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import select

from .. import validators
from ..extensions import db
from ..reasons import reason
from ..records import Need
from ..services.record_checks import needs_with_ref, newly_past
from .base import Importer, assign
from .columns import NEED_FIELDS
from .result import RowProblem

SCALARS = (
    "title",
    "description",
    "technical_field",
    "keywords",
    "budget_min",
    "budget_max",
    "cooperation_mode",
    "deadline",
    "region_league",
    "region_county",
    "status",
    "confidentiality",
)


def _merge_budget(values: dict[str, Any]) -> None:
    """Fold a "预算" range into budget_min/budget_max; explicit 预算下限/上限 columns win."""
    budget = values.pop("budget", None)
    if budget:
        low, high = budget
        if values.get("budget_min") is None:
            values["budget_min"] = low
        if values.get("budget_max") is None:
            values["budget_max"] = high


class NeedImporter(Importer):
    kind = "needs"
    model = Need
    specs = NEED_FIELDS
    org_field = "enterprise"
    key_field = "external_ref"

    def check(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        _merge_budget(values)
        low, high = values.get("budget_min"), values.get("budget_max")
        if low is not None and high is not None and low > high:
            return [("budget_min", reason("The lowest budget %(low)s is above the highest %(high)s "
                                          "(10k yuan)", low=str(low), high=str(high)))]
        return []

    def key(self, values: dict[str, Any]) -> Hashable | None:
        if values.get("external_ref"):
            return ("ref", validators.need_ref_key(values["external_ref"]))
        enterprise = values.get("enterprise") or getattr(self.forced, "name", None)
        if enterprise is None or values.get("title") is None:
            return None
        return ("title", enterprise, values["title"])

    def duplicate_field(self, key: Hashable) -> str:
        return "external_ref" if key[0] == "ref" else "title"

    def duplicate_reason(self, first_row: int) -> str:
        return reason("The same need as row %(row)d (same need number, or enterprise and title); "
                      "this row was not imported", row=first_row)

    def write(self, values: dict[str, Any]) -> tuple[str, int]:
        _merge_budget(values)
        enterprise = self.orgs.resolve(
            values.get("enterprise"),
            region_league=values.get("region_league"),
            region_county=values.get("region_county"),
        )
        need = self._existing(values, enterprise)
        if newly_past(values.get("deadline"), need):  # as the form and the API refuse it
            raise RowProblem("deadline", reason(
                "The deadline %(value)s has passed: a deadline set now must be today or later",
                value=values["deadline"].isoformat()))
        created = need is None
        if created:
            need = Need(
                enterprise=enterprise,
                external_ref=values.get("external_ref"),
                created_by=self.actor,
                keywords=[],
                # A need sits where its enterprise is unless the row says otherwise.
                region_league=enterprise.region_league,
                region_county=enterprise.region_county,
            )
            db.session.add(need)
        low, high = values.get("budget_min"), values.get("budget_max")
        low = need.budget_min if low is None else low
        high = need.budget_max if high is None else high
        if low is not None and high is not None and low > high:
            raise RowProblem("budget_min", reason(
                "The lowest budget %(low)s would be above the saved highest %(high)s (10k yuan)",
                low=str(low), high=str(high)))
        changed = assign(need, values, SCALARS)
        db.session.flush()
        if created:
            return "created", need.id
        return ("updated" if changed else "unchanged"), need.id

    def _existing(self, values: dict[str, Any], enterprise) -> Need | None:
        ref = values.get("external_ref")
        if ref:
            found = needs_with_ref(ref)
            need = found[0] if found else None
            if len(found) > 1 and need.external_ref != ref:
                # Two stored numbers differing only in case (saved before they were compared
                # so): neither is "the" need of this row.
                raise RowProblem("external_ref", reason(
                    "Several needs have the need number %(ref)s in other upper and lower case "
                    "(%(found)s): write it exactly as one of them to update that one",
                    ref=ref, found=[n.external_ref for n in found]))
            if need is not None and need.enterprise is not enterprise:
                raise RowProblem(
                    "external_ref", reason("The need number %(ref)s belongs to “%(owner)s”; it cannot "
                                           "move to another enterprise", ref=ref,
                                           owner=need.enterprise.name)
                )
            return need
        if enterprise.id is None:  # created by this row: it has no needs yet
            return None
        found = db.session.scalars(
            select(Need)
            .where(Need.enterprise_id == enterprise.id, Need.title == values["title"])
            .limit(2)
        ).all()
        if len(found) > 1:
            raise RowProblem("title", reason("The enterprise has several needs of this title: fill in "
                                             "the need number to say which to update"))
        return found[0] if found else None
