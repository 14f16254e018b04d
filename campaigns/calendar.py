"""The promotion calendar as data: fixed-date platform festivals and campaign overlaps.

Pure functions, no queries: the pages pass in the campaigns they read through selectors.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class Festival:
    """A platform festival that ends on the same month/day every year."""

    code: str
    name: str
    month: int
    day: int


#: The fixed-date platform festivals (DOMAIN.md, promotion calendar), by date in the year.
FESTIVALS: tuple[Festival, ...] = (
    Festival("38", gettext_lazy("38 Queen's Day"), 3, 8),
    Festival("618", gettext_lazy("618"), 6, 18),
    Festival("double11", gettext_lazy("Double 11"), 11, 11),
    Festival("double12", gettext_lazy("Double 12"), 12, 12),
)


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
