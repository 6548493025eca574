"""The calibrated match score as the portal shows it: 0-100, band 高 / 中 / 低, "strong".

Thresholds come from the app configuration (``SCORE_BAND_HIGH``, ``SCORE_BAND_MEDIUM``,
``STRONG_MATCH_MIN``; defaults in ``matchmaker/config.py``). A pair without a calibrated score
(stored before calibration, or no calibration model: see docs/matching.md) has no band and
counts as strong, so nothing is hidden or silenced that was shown before.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from ..matching.calibration import Thresholds


def thresholds() -> Thresholds:
    config = current_app.config
    return Thresholds(high=int(config["SCORE_BAND_HIGH"]),
                      medium=int(config["SCORE_BAND_MEDIUM"]),
                      strong=int(config["STRONG_MATCH_MIN"]))


def band(calibrated: int | None) -> str | None:
    """"high" | "medium" | "low", or None without a calibrated score."""
    return thresholds().band(calibrated)


def is_strong(calibrated: int | None) -> bool:
    return thresholds().is_strong(calibrated)


def band_label(band_code: str | None) -> str:
    """高 / 中 / 低 (translated), "" for None."""
    if band_code == "high":
        return _("high match")
    if band_code == "medium":
        return _("medium match")
    return _("low match") if band_code == "low" else ""


def no_strong(items) -> bool:
    """True when ``items`` (matches or candidates) have calibrated scores and none is strong:
    the record has no strong candidate (暂无强匹配)."""
    values = [getattr(item, "calibrated", None) for item in items or ()]
    return any(v is not None for v in values) and not any(is_strong(v) for v in values)
