"""Validation of need and patent values, shared by the record services and the forms.

Each ``check_*`` returns normalised values or raises ``ValidationError`` naming the field, so
a form can show the message next to it; nothing here writes.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context
from flask_babel import gettext
from sqlalchemy import func, or_, select

from .. import validators
from ..errors import ValidationError
from ..extensions import db
from ..records import (
    NEED_LIMITS,
    PATENT_LIMITS,
    Confidentiality,
    CooperationMode,
    LegalStatus,
    LicenceMode,
    Need,
    Organization,
    OrgKind,
    Patent,
    PatentType,
    Role,
)
from ..regions import LEAGUES

MAX_AMOUNT = validators.MAX_AMOUNT


def _(message: str, **variables) -> str:
    """Translate for the user of a request; outside one (CLI, jobs) keep the English text.

    The locale selector reads the session, which only exists during a request.
    """
    if has_request_context():
        return gettext(message, **variables)
    return message % variables if variables else message


def local_today() -> date:
    """Today in the portal's time zone (deadlines are calendar dates people typed)."""
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _text(values: dict, key: str, limit: int, *, required: bool = False) -> str | None:
    value = values.get(key)
    value = validators.trim(value) if isinstance(value, str) else value
    if not value:
        if required:
            raise ValidationError(_("This field is required."), key)
        return None
    if len(value) > limit:
        raise ValidationError(_("At most %(n)d characters.", n=limit), key)
    return validators.plain_text(value, key)


def _amount(value, key: str) -> Decimal | None:
    """An amount in 万元, rounded to 0.01 as the import rounds it (more places would be stored
    as typed, then shown and sent out rounded: 0.001 saved, 0.00 shown)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationError(_("Enter a number."), key) from exc
    if not amount.is_finite() or amount < 0:
        raise ValidationError(_("Enter an amount of zero or more."), key)
    if amount > MAX_AMOUNT:
        raise ValidationError(_("The amount is too large: at most %(max)s (10k yuan).",
                                max=f"{MAX_AMOUNT:,}"), key)
    return validators.cents(amount)


def year_message() -> str:
    """What a date outside ``validators.MIN_YEAR``..``MAX_YEAR`` is told (forms and services)."""
    return _("The year must be between %(low)d and %(high)d.",
             low=validators.MIN_YEAR, high=validators.MAX_YEAR)


def _date(values: dict, key: str) -> date | None:
    """The date under ``key``, refused outside the years the import accepts: 9999-12-31 is a
    typo, and a stored one would break whatever counts from it (a patent's term)."""
    value = values.get(key)
    if value is not None and not validators.plausible_date(value):
        raise ValidationError(year_message(), key)
    return value


def _enum(enum_cls, value, key: str):
    try:
        return enum_cls(value)
    except ValueError as exc:
        raise ValidationError(_("Choose one of the listed options."), key) from exc


def split_keywords(raw: str | list[str] | None) -> list[str]:
    """Keywords from a list or a string separated by commas, semicolons or 、 (deduplicated)."""
    parts = raw if isinstance(raw, list) else re.split(r"[,;，；、\n]+", raw or "")
    return list(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


def check_need(values: dict, *, need: Need | None = None, today: date | None = None) -> dict:
    """Validate and normalise need values; raises ValidationError naming the field."""
    ref = values.get("external_ref")
    out = {
        "external_ref": _text({"external_ref": validators.need_ref(ref) if isinstance(ref, str)
                               else ref}, "external_ref", NEED_LIMITS["external_ref"]),
        "title": _text(values, "title", NEED_LIMITS["title"], required=True),
        "description": _text(values, "description", NEED_LIMITS["description"], required=True),
        "technical_field": _text(values, "technical_field", NEED_LIMITS["technical_field"]),
        "region_county": _text(values, "region_county", 40),
        "region_league": _text(values, "region_league", 40),
        "budget_min": _amount(values.get("budget_min"), "budget_min"),
        "budget_max": _amount(values.get("budget_max"), "budget_max"),
        "cooperation_mode": _enum(CooperationMode, values.get("cooperation_mode"),
                                  "cooperation_mode"),
        "confidentiality": _enum(Confidentiality, values.get("confidentiality"),
                                 "confidentiality"),
        "deadline": _date(values, "deadline"),
    }
    keywords = split_keywords(values.get("keywords"))
    if len(keywords) > NEED_LIMITS["keywords"]:
        raise ValidationError(_("At most %(n)d keywords.", n=NEED_LIMITS["keywords"]), "keywords")
    if any(len(k) > NEED_LIMITS["keyword"] for k in keywords):
        raise ValidationError(
            _("Each keyword may have at most %(n)d characters.", n=NEED_LIMITS["keyword"]),
            "keywords",
        )
    out["keywords"] = keywords
    if out["budget_min"] is not None and out["budget_max"] is not None:
        if out["budget_min"] > out["budget_max"]:
            raise ValidationError(_("The minimum budget exceeds the maximum."), "budget_max")
    if out["region_league"] and out["region_league"] not in LEAGUES:
        raise ValidationError(_("Choose a league or city of Inner Mongolia."), "region_league")
    if newly_past(out["deadline"], need, today):
        raise ValidationError(_("The deadline cannot be in the past."), "deadline")
    # A number kept exactly as stored passes: two needs saved with numbers differing only in
    # case (before the import compared them so) must stay editable; a new or changed number
    # must name no other need.
    kept = need is not None and out["external_ref"] == need.external_ref
    if out["external_ref"] and not kept and any(
        other is not need for other in needs_with_ref(out["external_ref"])
    ):
        raise ValidationError(_("Another need has this reference."), "external_ref")
    enterprise = values.get("enterprise", need.enterprise if need else None)
    if not isinstance(enterprise, Organization) or enterprise.kind is not OrgKind.ENTERPRISE:
        raise ValidationError(_("Choose an enterprise."), "enterprise")
    out["enterprise_id"] = enterprise.id
    if "broker" in values:
        broker = values["broker"]
        if broker is not None and broker.role is not Role.BROKER:
            raise ValidationError(_("Choose a broker."), "broker")
        out["broker_id"] = broker.id if broker else None
    return out


def needs_with_ref(ref: str) -> list[Need]:
    """The needs whose number is ``ref`` as ``validators.need_ref_key`` compares them (case
    ignored), an exact match first; the form, the API and the import all look up here."""
    ref = validators.need_ref(ref) or ""
    found = db.session.scalars(
        select(Need)
        .where(or_(func.lower(Need.external_ref) == validators.need_ref_key(ref),
                   # SQLite's lower() folds ASCII letters only: an exact match still counts
                   Need.external_ref == ref))
        .order_by(Need.id)
    ).all()
    return sorted(found, key=lambda n: n.external_ref != ref)


def newly_past(deadline: date | None, need: Need | None, today: date | None = None) -> bool:
    """Whether ``deadline`` is a past date the user sets now (a form, the API or an import
    row; ``need`` is the stored need, None for a new one). A need whose stored deadline has
    passed keeps it while other fields change (it is history, not a typo); moving it, or
    giving a new need one, must look ahead."""
    if deadline is None or (need is not None and deadline == need.deadline):
        return False
    return deadline < (today or local_today())


def future_date_problem(key: str, value: date | None, stored: date | None = None) -> str | None:
    """Why a patent's filing or grant date ``value`` is refused, or None: both lie behind a
    published patent, so a date after today is a typo (2099 for 2009). The annual fee falls
    due ahead, and other keys are not checked. A ``stored`` date kept as it is passes, as a
    need's passed deadline does (``newly_past``): a typo saved before this rule existed must
    not block every other change of its record (or make an export re-import as a failure)."""
    if value is None or key not in ("filing_date", "grant_date") or value == stored:
        return None
    if value <= local_today():
        return None
    if key == "filing_date":
        return _("The filing date cannot be after today.")
    return _("The grant date cannot be after today.")


def check_patent(values: dict, *, patent: Patent | None = None) -> dict:
    """Validate and normalise patent values; raises ValidationError naming the field."""
    lim = PATENT_LIMITS
    out = {
        key: _text(values, key, lim[key], required=key in ("title", "abstract"))
        for key in ("application_number", "title", "abstract", "claims", "applicants",
                    "inventors", "technical_field", "contact_note")
    }
    number = validators.publication_number(values.get("publication_number"))
    taken = select(Patent.id).where(
        Patent.publication_number == number, Patent.id != (patent.id if patent else -1)
    )
    if db.session.scalar(taken) is not None:
        raise ValidationError(_("A patent with this publication number exists."),
                              "publication_number")
    out["publication_number"] = number
    out["patent_type"] = _enum(PatentType, values.get("patent_type"), "patent_type")
    out["legal_status"] = _enum(LegalStatus, values.get("legal_status"), "legal_status")
    for key in ("filing_date", "grant_date", "fee_due_date"):
        out[key] = _date(values, key)
        problem = future_date_problem(key, out[key], getattr(patent, key) if patent else None)
        if problem:
            raise ValidationError(problem, key)
    if out["filing_date"] and out["grant_date"] and out["grant_date"] <= out["filing_date"]:
        raise ValidationError(_("The grant date must be after the filing date."), "grant_date")
    out["asking_price"] = _amount(values.get("asking_price"), "asking_price")
    out["dormant"] = bool(values.get("dormant"))
    out["ipc_codes"] = validators.ipc_codes(values.get("ipc_codes"))
    out["licensing_modes"] = list(dict.fromkeys(
        _enum(LicenceMode, m, "licensing_modes") for m in values.get("licensing_modes") or []
    ))
    owner = values.get("owner", patent.owner if patent else None)
    if owner is not None and not isinstance(owner, Organization):
        raise ValidationError(_("Choose an organization."), "owner")
    out["owner_id"] = owner.id if owner else None
    return out
