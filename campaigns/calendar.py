"""The promotion calendar as data: fixed-date platform festivals and campaign overlaps.

Pure functions, no queries: the pages pass in the campaigns they read through selectors.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.utils.translation import gettext_lazy

#: Preparation (筹备) starts this many days before the burst (DOMAIN.md: "about 45 days").
PREPARATION_DAYS = 45
#: Wrap-up (返场) is the 3 days after the burst (DOMAIN.md).
WRAPUP_DAYS = 3


@dataclass(frozen=True)
class Festival:
    """A platform festival that ends on the same month/day every year.

    ``kind`` is the ``CampaignKind`` value; the default phases of a year's edition open the
    burst ``burst_days - 1`` days before the festival day and the pre-heat ``preheat_days``
    before the burst (the platforms' usual rhythm: Double 11 pre-sale from 20 October, burst
    1-11 November).
    """

    code: str
    name: str
    month: int
    day: int
    kind: str = ""
    burst_days: int = 1
    preheat_days: int = 5


#: The fixed-date platform festivals (DOMAIN.md, promotion calendar), by date in the year.
FESTIVALS: tuple[Festival, ...] = (
    Festival("38", gettext_lazy("38 Queen's Day"), 3, 8, "queens_day", 8, 5),
    Festival("618", gettext_lazy("618"), 6, 18, "618", 18, 1),
    Festival("double11", gettext_lazy("Double 11"), 11, 11, "double_11", 11, 12),
    Festival("double12", gettext_lazy("Double 12"), 12, 12, "double_12", 3, 4),
)
FESTIVALS_BY_CODE = {festival.code: festival for festival in FESTIVALS}


@dataclass(frozen=True)
class PhaseDates:
    """Default phase dates of a campaign (the ``Campaign`` date fields)."""

    preparation_start: datetime.date
    preheat_start: datetime.date
    burst_start: datetime.date
    burst_end: datetime.date
    wrapup_end: datetime.date


def default_phases(
    *, burst_start: datetime.date, burst_end: datetime.date, preheat_days: int = 5
) -> PhaseDates:
    """Phases around a burst: preparation from ``PREPARATION_DAYS`` before the burst starts,
    pre-heat ``preheat_days`` before it, wrap-up the ``WRAPUP_DAYS`` days after it ends (the
    review follows)."""
    day = datetime.timedelta(days=1)
    return PhaseDates(
        preparation_start=burst_start - PREPARATION_DAYS * day,
        preheat_start=burst_start - preheat_days * day,
        burst_start=burst_start,
        burst_end=burst_end,
        wrapup_end=burst_end + WRAPUP_DAYS * day,
    )


def festival_phases(festival: Festival, year: int) -> PhaseDates:
    """Default phase dates of ``festival`` in ``year`` (Double 11 2027: preparation 17 Sep,
    pre-heat 20 Oct, burst 1-11 Nov, wrap-up to 14 Nov)."""
    end = datetime.date(year, festival.month, festival.day)
    start = end - datetime.timedelta(days=festival.burst_days - 1)
    return default_phases(burst_start=start, burst_end=end, preheat_days=festival.preheat_days)


@dataclass(frozen=True)
class FestivalDate:
    festival: Festival
    day: datetime.date


def coming_festivals(*, today: datetime.date, years: int = 2) -> list[FestivalDate]:
    """Festival days of this year and the next ``years - 1`` years that are on or after
    ``today``, by date."""
    found = [
        FestivalDate(festival, datetime.date(year, festival.month, festival.day))
        for year in range(today.year, today.year + years)
        for festival in FESTIVALS
    ]
    return sorted((f for f in found if f.day >= today), key=lambda f: f.day)


class Windowed(Protocol):
    pk: int
    name: str
    preheat_start: datetime.date
    wrapup_end: datetime.date


@dataclass(frozen=True)
class Overlap:
    first: Windowed
    second: Windowed
    start: datetime.date  # first common day
    end: datetime.date  # last common day


def overlaps(campaigns: Iterable[Windowed]) -> list[Overlap]:
    """Pairs of campaigns whose [preheat_start, wrapup_end] windows share at least one day,
    ordered by the first common day."""
    items: Sequence[Windowed] = sorted(campaigns, key=lambda c: (c.preheat_start, c.pk))
    found = []
    for index, first in enumerate(items):
        for second in items[index + 1 :]:
            if second.preheat_start > first.wrapup_end:
                break
            start = max(first.preheat_start, second.preheat_start)
            end = min(first.wrapup_end, second.wrapup_end)
            if start <= end:
                found.append(Overlap(first, second, start, end))
    return sorted(found, key=lambda o: (o.start, o.first.pk, o.second.pk))
