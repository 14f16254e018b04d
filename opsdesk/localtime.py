"""The store-local calendar day of an instant (DOMAIN.md "Time"): the one conversion every app
uses at the edge of a "day"."""

import datetime
import zoneinfo

from django.utils import timezone


def local_day(zone: zoneinfo.ZoneInfo, instant: datetime.datetime) -> datetime.date:
    """The local calendar day in ``zone`` of an aware instant."""
    if timezone.is_naive(instant):
        raise ValueError("aware datetimes only")
    return instant.astimezone(zone).date()
