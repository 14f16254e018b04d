"""Store-local days and their UTC bounds.

A "day" is the store's local calendar day (DOMAIN.md "Time"). SQL never converts time zones
per row where it can be avoided: a day (or a run of days) becomes the half-open UTC interval
``[local midnight of start, local midnight after end)`` and facts are filtered on their indexed
timestamp columns with it.
"""

import datetime
import zoneinfo
from collections.abc import Iterator

from django.utils import timezone

from opsdesk.localtime import local_day

UTC = datetime.UTC

__all__ = ["day_bounds", "each_day", "local_day", "local_midnight", "local_yesterday"]


def local_midnight(zone: zoneinfo.ZoneInfo, day: datetime.date) -> datetime.datetime:
    """The aware UTC instant at which ``day`` starts in ``zone``."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone).astimezone(UTC)


def day_bounds(
    zone: zoneinfo.ZoneInfo, start: datetime.date, end: datetime.date | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    """``[start 00:00, (end or start) + 1 day 00:00)`` of local days in ``zone``, in UTC."""
    last = end or start
    return local_midnight(zone, start), local_midnight(zone, last + datetime.timedelta(days=1))


def local_yesterday(zone: zoneinfo.ZoneInfo, now: datetime.datetime | None = None) -> datetime.date:
    """The local day before the current local day in ``zone``."""
    return local_day(zone, now or timezone.now()) - datetime.timedelta(days=1)


def each_day(start: datetime.date, end: datetime.date) -> Iterator[datetime.date]:
    """Every date of the inclusive range ``[start, end]``."""
    day = start
    while day <= end:
        yield day
        day += datetime.timedelta(days=1)


def chunks(
    start: datetime.date, end: datetime.date, size: int
) -> Iterator[tuple[datetime.date, datetime.date]]:
    """``[start, end]`` cut into consecutive inclusive runs of at most ``size`` days."""
    if size < 1:
        raise ValueError("size must be >= 1")
    first = start
    while first <= end:
        last = min(end, first + datetime.timedelta(days=size - 1))
        yield first, last
        first = last + datetime.timedelta(days=1)
