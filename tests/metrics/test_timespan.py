"""Timespans: the spec's vectors for both rules, signs, the leap day, and relativedelta's arithmetic."""

from __future__ import annotations

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from citegraph.metrics.timespan import API, INDEX, DateError, calendar_delta, is_timespan, parse_date, timespan

# spec §3.6: (citing, cited, API rule, Index-build rule)
VECTORS = [
    ("2025-10", "2013-08-19", "P12Y1M", "P12Y2M"),
    ("2024-07", "2013-08-19", "P10Y10M", "P10Y11M"),
    ("2016-03", "2013-08-19", "P2Y6M", "P2Y7M"),
    ("2016-05-25", "2013-08-19", "P2Y9M6D", "P2Y9M6D"),
    ("2015-08-01", "2013-08-19", "P1Y11M13D", "P1Y11M13D"),
    ("2013-08-19", "1998", "P15Y", "P15Y"),
    ("2014", "2013-06-15", "P0Y", "P1Y"),
    ("2012-06-01", "2013-01-01", "-P0Y7M0D", "-P0Y7M0D"),
]


@pytest.mark.parametrize(("citing", "cited", "api", "index"), VECTORS)
def test_spec_vectors(citing: str, cited: str, api: str, index: str) -> None:
    assert timespan(citing, cited, API) == api
    assert timespan(citing, cited, INDEX) == index
    assert is_timespan(api) and is_timespan(index)


def test_unknown_dates_give_no_timespan() -> None:
    assert timespan(None, "2013") is None
    assert timespan("2013", "") is None


def test_leap_day_of_a_common_year_falls_back_to_the_28th() -> None:
    assert parse_date("2019-02-29").day == 29  # kept as written …
    assert timespan("2019-02-29", "2019-02-28") == "P0Y0M0D"  # … and read as the 28th


def test_a_negative_span_of_days_only() -> None:
    assert timespan("2013-01-01", "2013-01-11") == "-P0Y0M10D"


def test_zeros_are_kept() -> None:
    assert timespan("2019-06-10", "2013-06-09") == "P6Y0M1D"


@pytest.mark.parametrize("bad", ["20", "2013-13", "2013-02-30", "2013/01/01", "abcd", "0000", "2013-1-1"])
def test_bad_dates_raise(bad: str) -> None:
    with pytest.raises(DateError):
        timespan(bad, "2013")


dates = st.dates(min_value=datetime.date(1000, 1, 1), max_value=datetime.date(2100, 12, 31))


@given(dates, dates)
def test_calendar_delta_is_relativedelta(a: datetime.date, b: datetime.date) -> None:
    rd = relativedelta(a, b)
    assert calendar_delta((a.year, a.month, a.day), (b.year, b.month, b.day)) == (rd.years, rd.months, rd.days)
