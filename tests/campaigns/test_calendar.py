import datetime
from types import SimpleNamespace

import pytest

from campaigns.calendar import FESTIVALS_BY_CODE, coming_festivals, festival_phases, overlaps
from campaigns.services import PHASE_DATES


def test_coming_festivals_of_this_and_next_year_from_today():
    found = coming_festivals(today=datetime.date(2026, 6, 18))
    assert [(f.festival.code, f.day.isoformat()) for f in found] == [
        ("618", "2026-06-18"),
        ("double11", "2026-11-11"),
        ("double12", "2026-12-12"),
        ("38", "2027-03-08"),
        ("618", "2027-06-18"),
        ("double11", "2027-11-11"),
        ("double12", "2027-12-12"),
    ]


def campaign(pk, start, end):
    return SimpleNamespace(
        pk=pk,
        name=f"c{pk}",
        preheat_start=datetime.date(2026, *start),
        wrapup_end=datetime.date(2026, *end),
    )


def test_overlaps_are_pairs_sharing_a_day_of_their_windows():
    a = campaign(1, (10, 20), (11, 14))
    b = campaign(2, (11, 14), (11, 20))  # shares 11-14 with a
    c = campaign(3, (11, 21), (11, 30))  # touches b's end + 1: no overlap
    d = campaign(4, (10, 1), (12, 31))  # spans all
    found = overlaps([c, b, a, d])
    assert [(o.first.pk, o.second.pk, o.start.isoformat(), o.end.isoformat()) for o in found] == [
        (4, 1, "2026-10-20", "2026-11-14"),
        (1, 2, "2026-11-14", "2026-11-14"),
        (4, 2, "2026-11-14", "2026-11-20"),
        (4, 3, "2026-11-21", "2026-11-30"),
    ]
    assert overlaps([a, c]) == []


@pytest.mark.parametrize(
    ("code", "year", "expected"),
    [
        # Double 11: preparation 45 days before the 1 Nov burst, pre-sale from 20 Oct,
        # burst 1-11 Nov, 3-day wrap-up.
        ("double11", 2027, ("2027-09-17", "2027-10-20", "2027-11-01", "2027-11-11", "2027-11-14")),
        ("618", 2027, ("2027-04-17", "2027-05-31", "2027-06-01", "2027-06-18", "2027-06-21")),
        ("double12", 2027, ("2027-10-26", "2027-12-06", "2027-12-10", "2027-12-12", "2027-12-15")),
        ("38", 2028, ("2028-01-16", "2028-02-25", "2028-03-01", "2028-03-08", "2028-03-11")),
    ],
)
def test_default_phases_of_a_festival(code, year, expected):
    dates = festival_phases(FESTIVALS_BY_CODE[code], year)
    assert tuple(getattr(dates, name).isoformat() for name in PHASE_DATES) == expected
