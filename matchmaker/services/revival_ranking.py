"""The revival list's ranking over every dormant patent of a scope, in numpy.

After a 100k-row university import every imported patent is dormant (docs/import-formats.md),
and the list ranks all of them to show 20. ``revival.assess`` scores one patent with its
factors for the page; this module computes the same totals, revivability and deadline flags
for every patent at once: the same arithmetic in the same order on float64, and rounding to
one decimal exactly as Python's ``round`` does (numpy's rounds a product such as 0.35 x 10 =
3.5 up where Python, reading the binary value 0.34999..., rounds down: such near ties are
rounded by Python). ``tests/test_revival.py`` checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .. import validators

#: The demand of a patent no live pair names: (open needs, best score, score sum, calibrated).
NO_DEMAND = (0, 0.0, 0.0, None)


@dataclass(frozen=True)
class Columns:
    """The scored columns of N dormant patents, one array each (ids ascending or not)."""

    ids: np.ndarray  # int64
    status_share: np.ndarray  # float64, NaN where the status is not revivable
    term_years: np.ndarray  # int64
    filed: np.ndarray  # datetime64[D], NaT when unknown
    fee_due: np.ndarray  # datetime64[D], NaT when none
    open_licence: np.ndarray  # bool
    open_needs: np.ndarray  # int64
    best: np.ndarray  # float64, the best raw score
    calibrated: np.ndarray  # float64, NaN when the best pair has none


@dataclass(frozen=True)
class Ranked:
    order: np.ndarray  # indices into Columns, best first
    total: np.ndarray  # per patent (not ordered)
    revivable: np.ndarray
    urgent: np.ndarray


def columns(rows, demand: dict, open_ids: set, status_shares: dict, term_years: dict) -> Columns:
    """Arrays from the rows (id, legal status, type, filing date, fee date: enum values, and
    dates as ``date`` or ISO text as SQLite stores them) and the demand of
    ``event_suggestions.demand_by_patent``."""
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    shares = {str(status.value): share for status, share in status_shares.items()}
    share = np.fromiter((shares.get(r[1], np.nan) for r in rows), dtype=np.float64, count=n)
    years_of = {str(kind.value): years for kind, years in term_years.items()}
    years = np.fromiter((years_of.get(r[2], 20) for r in rows), dtype=np.int64, count=n)
    wanted = [demand.get(pid, NO_DEMAND) for pid in ids.tolist()]
    return Columns(
        ids=ids, status_share=share, term_years=years,
        filed=_plausible(_dates([r[3] for r in rows])), fee_due=_dates([r[4] for r in rows]),
        open_licence=np.fromiter((pid in open_ids for pid in ids.tolist()), dtype=bool, count=n),
        open_needs=np.fromiter((w[0] for w in wanted), dtype=np.int64, count=n),
        best=np.fromiter((w[1] for w in wanted), dtype=np.float64, count=n),
        calibrated=np.fromiter((np.nan if w[3] is None else w[3] for w in wanted),
                               dtype=np.float64, count=n),
    )


def _dates(values: list) -> np.ndarray:
    return np.array([v if v is None or isinstance(v, date) else str(v)[:10] for v in values],
                    dtype="datetime64[D]").reshape(len(values))


def _plausible(filed: np.ndarray) -> np.ndarray:
    """A filing date outside the accepted years counts as unknown (``revival.term_end``)."""
    year = filed.astype("datetime64[Y]").astype(np.int64) + 1970
    out = filed.copy()
    out[(year < validators.MIN_YEAR) | (year > validators.MAX_YEAR)] = np.datetime64("NaT")
    return out


def term_ends(filed: np.ndarray, years: np.ndarray) -> np.ndarray:
    """``revival.term_end`` for every patent: the same day ``years`` later, 29 February into a
    non-leap year becoming the 28th (NaT stays NaT)."""
    month = filed.astype("datetime64[M]")
    day = (filed - month.astype("datetime64[D]")).astype(np.int64)
    end_month = month + (years * 12).astype("timedelta64[M]")
    month_days = ((end_month + 1).astype("datetime64[D]")
                  - end_month.astype("datetime64[D]")).astype(np.int64)
    end = end_month.astype("datetime64[D]") + np.minimum(day, month_days - 1).astype("timedelta64[D]")
    end[np.isnat(filed)] = np.datetime64("NaT")
    return end


def round1(values: np.ndarray) -> np.ndarray:
    """Python's ``round(x, 1)`` for each value: numpy's, with near ties redone by Python."""
    scaled = values * 10
    out = np.rint(scaled) / 10
    near = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    for i in np.flatnonzero(near):
        out[i] = round(float(values[i]), 1)
    return out


def rank(cols: Columns, today: date, weights: dict, needs_full: int,
         warning_days: int) -> Ranked:
    """Totals, revivability and urgency of every patent, and the list's order: revivable
    first, highest total first, then by id (``revival.rank_dormant``'s order)."""
    today64 = np.datetime64(today, "D")
    end = term_ends(cols.filed, cols.term_years)
    known = ~np.isnat(end)
    days_left = np.where(known, (end - today64).astype("timedelta64[D]").astype(np.int64), 0)
    revivable = ~np.isnan(cols.status_share) & (~known | (days_left > 0))

    strength = np.where(np.isnan(cols.calibrated), np.clip(cols.best, 0.0, 1.0),
                        cols.calibrated / 100.0)
    shares = {
        "demand": 0.5 * np.minimum(cols.open_needs, needs_full) / needs_full + 0.5 * strength,
        "term": np.where(known, np.clip(days_left / (cols.term_years * 365.25), 0.0, 1.0), 0.5),
        "status": np.nan_to_num(cols.status_share, nan=0.0),
        "open_licence": cols.open_licence.astype(np.float64),
    }
    points = [round1(weights[key] * share) for key, share in shares.items()]
    summed = points[0]
    for more in points[1:]:
        summed = summed + more
    total = np.where(revivable, round1(summed), 0.0)

    has_fee = ~np.isnat(cols.fee_due)
    fee_days = np.where(has_fee, (cols.fee_due - today64).astype("timedelta64[D]")
                        .astype(np.int64), 0)
    urgent = revivable & ((known & (days_left >= 0) & (days_left <= warning_days))
                          | (has_fee & (fee_days <= warning_days)))
    order = np.lexsort((cols.ids, -total, ~revivable))
    return Ranked(order=order, total=total, revivable=revivable, urgent=urgent)
