"""The time between a citing and a cited work's publication, as OpenCitations writes it (``P2Y9M6D``).

Format: ``P<years>Y`` always, ``<months>M`` only when both dates have a month, ``<days>D`` only when both have a
day; zeros kept; a leading ``-`` when the cited work is newer. The span is calendar arithmetic (whole years,
then whole months, then days, as ``dateutil.relativedelta`` counts them). Two rules fill a date's missing parts:

- ``API`` (the live OpenCitations API v1/v2, and the service upstream doc 001 wraps): a missing month is January
  and a missing day the 1st;
- ``INDEX`` (the Index build that wrote the COCI dumps and the legacy COCI API): a missing part is borrowed from
  the other date.

An impossible 29 February falls back to the 28th, as upstream does.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Final, Literal

Rule = Literal["api", "index"]
#: The live API's rule: what the v1/v2 dialects serve.
API: Final[Rule] = "api"
#: The Index build's rule: what the legacy COCI dialect serves.
INDEX: Final[Rule] = "index"

#: A publication date at the precision known (what ``creation`` holds).
_DATE: Final = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
#: A valid timespan (OpenCitations' own check).
TIMESPAN: Final = re.compile(r"-?P[0-9]+Y(?:[0-9]+M(?:[0-9]+D)?)?")


class DateError(ValueError):
    """Text that is not a date at year, month or day precision."""


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None


def parse_date(text: str) -> PartialDate:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a longer timestamp is cut at the day); raises DateError."""
    m = _DATE.fullmatch(text.strip()[:10])
    if m is None:
        raise DateError(f"{text[:40]!r} is not a date like 2016, 2016-03 or 2016-03-25")
    year = int(m[1])
    month = int(m[2]) if m[2] else None
    day = int(m[3]) if m[3] else None
    if year == 0 or (month is not None and not 1 <= month <= 12):
        raise DateError(f"{text[:40]!r} is not a date: no such year or month")
    if day is not None:
        assert month is not None
        # 29 February of a common year is kept: the timespan rule maps it to the 28th, as upstream does
        if not 1 <= day <= (29 if month == 2 else calendar.monthrange(year, month)[1]):
            raise DateError(f"{text[:40]!r} is not a date: {year}-{month:02d} has no day {day}")
    return PartialDate(year, month, day)


def _clamp(year: int, month: int, day: int) -> tuple[int, int, int]:
    """An impossible 29 February becomes the 28th (upstream's fallback)."""
    last = calendar.monthrange(year, month)[1]
    return year, month, min(day, last)


def _add_months(date: tuple[int, int, int], months: int) -> tuple[int, int, int]:
    """``date`` moved by ``months`` calendar months, the day cut to the month's length (relativedelta's rule)."""
    y, m, d = date
    total = y * 12 + (m - 1) + months
    year, month = divmod(total, 12)
    return _clamp(year, month + 1, d)


def _ordinal(date: tuple[int, int, int]) -> int:
    import datetime
    return datetime.date(*date).toordinal()


def calendar_delta(later: tuple[int, int, int], earlier: tuple[int, int, int]) -> tuple[int, int, int]:
    """(years, months, days) from ``earlier`` to ``later`` (negative when ``later`` is earlier), as relativedelta."""
    months = (later[0] - earlier[0]) * 12 + (later[1] - earlier[1])
    moved = _add_months(earlier, months)
    later_ord = _ordinal(later)
    if later_ord < _ordinal(earlier):
        while later_ord > _ordinal(moved):  # overshot backwards: step one month towards zero
            months += 1
            moved = _add_months(earlier, months)
    else:
        while later_ord < _ordinal(moved):
            months -= 1
            moved = _add_months(earlier, months)
    days = later_ord - _ordinal(moved)
    sign = -1 if months < 0 else 1
    years, rest = divmod(abs(months), 12)
    return sign * years, sign * rest, days


def _fill(date: PartialDate, other: PartialDate, rule: Rule) -> tuple[int, int, int]:
    if rule == API:
        month, day = date.month or 1, date.day or 1
    else:
        month = date.month if date.month is not None else (other.month or 1)
        day = date.day if date.day is not None else (other.day or 1)
        if date.month is None and other.month is None:
            day = 1  # only a year on both sides: the days play no part
    return _clamp(date.year, month, day)


def timespan(citing: str | None, cited: str | None, rule: Rule = API) -> str | None:
    """The timespan of a citation from the two works' publication dates; None when either date is unknown.

    Raises DateError for text that is not a date.
    """
    if not citing or not cited:
        return None
    a, b = parse_date(citing), parse_date(cited)
    with_months = a.month is not None and b.month is not None
    with_days = with_months and a.day is not None and b.day is not None
    years, months, days = calendar_delta(_fill(a, b, rule), _fill(b, a, rule))
    negative = years < 0 or (years == 0 and with_months and (months < 0 or (months == 0 and with_days and days < 0)))
    out = f"{'-' if negative else ''}P{abs(years)}Y"
    if with_months:
        out += f"{abs(months)}M"
        if with_days:
            out += f"{abs(days)}D"
    return out


def is_timespan(text: str) -> bool:
    """Is ``text`` a timespan as OpenCitations writes them (``P15Y``, ``-P0Y7M0D``)?"""
    return TIMESPAN.fullmatch(text) is not None


__all__ = ["API", "INDEX", "DateError", "PartialDate", "calendar_delta", "is_timespan", "parse_date", "timespan"]
