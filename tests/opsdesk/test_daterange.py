"""The shared date-range picker: presets relative to the store-local today, and bad input
turned into messages (never an exception past the view)."""

import datetime

import pytest
from django.http import QueryDict
from django.utils import translation

from opsdesk.daterange import (
    MAX_DAYS,
    CampaignWindow,
    DateRange,
    DateRangeError,
    parse_date_range,
)

TODAY = datetime.date(2026, 3, 1)  # a 1st: "this month" has no complete day yet
WINDOW = CampaignWindow(7, "38", datetime.date(2026, 2, 20), datetime.date(2026, 3, 11))


def parse(query: str, today: datetime.date = TODAY) -> DateRange:
    return parse_date_range(QueryDict(query), today=today, campaigns={7: WINDOW})


@pytest.mark.parametrize(
    ("query", "start", "end"),
    [
        ("", "2026-02-28", "2026-02-28"),
        ("range=yesterday", "2026-02-28", "2026-02-28"),
        ("range=last_7", "2026-02-22", "2026-02-28"),
        ("range=last_30", "2026-01-30", "2026-02-28"),
        ("range=last_90", "2025-12-01", "2026-02-28"),
        ("range=this_month", "2026-03-01", "2026-03-01"),
        ("range=last_month", "2026-02-01", "2026-02-28"),
        ("range=campaign&campaign=7", "2026-02-20", "2026-03-11"),
        ("range=custom&start=2026-01-05&end=2026-01-09", "2026-01-05", "2026-01-09"),
        ("start=2026-01-05&end=2026-01-05", "2026-01-05", "2026-01-05"),
    ],
)
def test_presets_and_custom_ranges(query, start, end):
    chosen = parse(query)
    assert (chosen.start.isoformat(), chosen.end.isoformat()) == (start, end)


def test_this_month_mid_month_ends_yesterday():
    chosen = parse("range=this_month", today=datetime.date(2026, 3, 15))
    assert (chosen.start, chosen.end) == (datetime.date(2026, 3, 1), datetime.date(2026, 3, 14))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("range=fortnight", "Unknown date range"),
        ("range=custom&start=2026-01-09&end=2026-01-05", "before the start date"),
        ("range=custom&start=yesterday&end=2026-01-05", "is not a date"),
        ("range=custom&start=2026-02-30&end=2026-03-05", "is not a date"),
        ("range=custom&start=2026-01-05", "needs both"),
        ("range=campaign&campaign=8", "Choose a campaign"),
        ("range=campaign&campaign=x", "Choose a campaign"),
        (f"range=custom&start=2024-01-01&end=2026-01-01&n={MAX_DAYS}", "at most"),
    ],
)
def test_bad_input_is_a_message(query, message):
    with translation.override("en"), pytest.raises(DateRangeError, match=message):
        parse(query)


def test_messages_are_translated():
    with translation.override("zh-hans"), pytest.raises(DateRangeError, match="早于开始日期"):
        parse("range=custom&start=2026-01-09&end=2026-01-05")


def test_range_query_round_trips():
    chosen = parse("range=custom&start=2026-01-05&end=2026-01-09")
    assert parse("&".join(f"{k}={v}" for k, v in chosen.query().items())) == chosen
