import datetime
from types import SimpleNamespace

from campaigns.calendar import coming_festivals, overlaps


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
