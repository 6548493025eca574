"""Patent rows: keyed by the normalised publication number."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..reasons import reason
from ..records import Patent, PatentType
from ..services.record_checks import future_date_problem
from .base import Importer, assign
from .columns import PATENT_FIELDS
from .result import RowProblem

SCALARS = (
    "application_number",
    "title",
    "abstract",
    "claims",
    "applicants",
    "inventors",
    "legal_status",
    "patent_type",
    "filing_date",
    "grant_date",
    "fee_due_date",
    "technical_field",
    "asking_price",
    "dormant",
    "contact_note",
    "family_id",
)
# CNIPA kind codes: A/B/C invention, U/Y utility model, S/D design.
_CN_KIND_TYPES = {"A": PatentType.INVENTION, "B": PatentType.INVENTION, "C": PatentType.INVENTION,
                  "U": PatentType.UTILITY, "Y": PatentType.UTILITY,
                  "S": PatentType.DESIGN, "D": PatentType.DESIGN}


def _future_date(key: str, value) -> str:
    if key == "filing_date":
        return reason("The filing date %(value)s is after today", value=value.isoformat())
    return reason("The grant date %(value)s is after today", value=value.isoformat())


def type_from_number(number: str) -> PatentType:
    """The patent type a Chinese publication number implies (CN...U is a utility model)."""
    kind = number.rstrip("0123456789")[-1:]
    if number.startswith("CN") and kind in _CN_KIND_TYPES:
        return _CN_KIND_TYPES[kind]
    return PatentType.INVENTION


class PatentImporter(Importer):
    kind = "patents"
    model = Patent
    specs = PATENT_FIELDS
    org_field = "owner"
    key_field = "publication_number"

    def check(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        filed, granted = values.get("filing_date"), values.get("grant_date")
        if filed and granted and granted <= filed:
            return [("grant_date", reason("The grant date %(granted)s is not after the filing date %(filed)s",
                                          granted=str(granted), filed=str(filed)))]
        return []

    def key(self, values: dict[str, Any]) -> Hashable | None:
        return values.get("publication_number")

    def duplicate_reason(self, first_row: int) -> str:
        return reason("Same publication number as row %(row)d; this row was not imported", row=first_row)

    def write(self, values: dict[str, Any]) -> tuple[str, int]:
        number = values["publication_number"]
        patent = db.session.scalar(select(Patent).where(Patent.publication_number == number))
        owner = self.orgs.resolve(values.get("owner"))
        if patent is not None and self.restricted and (
            self.forced is None or patent.owner_id != self.forced.id
        ):
            raise RowProblem("publication_number", reason(
                "Patent %(number)s belongs to another organization; an import cannot change it",
                number=number))
        # Dates behind a published patent: a later one is refused, unless the patent stores
        # it already (as the form lets it: an export imported back stays unchanged).
        for key in ("filing_date", "grant_date"):
            if future_date_problem(key, values.get(key), getattr(patent, key, None)):
                raise RowProblem(key, _future_date(key, values[key]))
        created = patent is None
        if created:
            patent = Patent(
                publication_number=number,
                patent_type=values.get("patent_type") or type_from_number(number),
            )
            db.session.add(patent)
        changed = assign(patent, values, SCALARS)
        codes = values.get("ipc_codes")
        if codes is not None and patent.ipc_codes != codes:
            if patent.ipc_links:
                # (patent, code) is unique: old links must be deleted before equal codes return.
                patent.ipc_links.clear()
                db.session.flush()
            patent.ipc_codes = codes
            changed = True
        modes = values.get("licensing_modes")
        if modes is not None and set(patent.licensing_modes) != set(modes):
            patent.licensing_modes = modes
            changed = True
        if owner is not None and patent.owner is not owner:
            patent.owner = owner
            changed = True
        db.session.flush()
        if created:
            return "created", patent.id
        return ("updated" if changed else "unchanged"), patent.id
