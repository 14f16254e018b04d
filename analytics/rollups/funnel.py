"""The funnel rollup: ``FunnelDay`` rows from the raw behaviour events (``analytics.funnel``).

``funnel_days_write(store=, first=, last=)`` replaces the rows of ``[first, last]``: it reads
the store's view/cart/order/pay events from the start of ``first`` to one conversion window
after the end of ``last`` (the store's ``funnel_window_hours``), matches them with
``funnel_days`` and writes one row per day, an empty one for a day without views, so "the
funnel of this day is rolled up" is the existence of its row. It runs inside the rollup's
transaction and under its day locks (``services._rollup_run``), which also extend the run by
``window_days_before`` days: a day's row depends on the events of the window after it.
"""

import datetime
import math

import numpy as np
import pandas as pd
from django.db import connection
from django.utils import timezone

from analytics import idsets
from analytics.funnel import CHANNEL_CODES, STEPS, funnel_days
from analytics.models import BehaviourEvent, FunnelDay, Visitor
from opsdesk.models import Store

from .days import chunks, day_bounds, each_day

_CODE = {channel: code for code, channel in enumerate(CHANNEL_CODES)}


def window_days_before(store: Store) -> int:
    """How many days before a day its events can still change the funnel of (a start late on
    day D-1 completes on D when the window reaches into D)."""
    return math.ceil(store.funnel_window_hours / 24)


def _load(store: Store, start: datetime.datetime, end: datetime.datetime) -> pd.DataFrame:
    """The funnel events of ``[start, end)`` with ``visitor`` = the ``Visitor`` id."""
    ops = connection.ops
    event, visitor = BehaviourEvent._meta.db_table, Visitor._meta.db_table
    steps = ", ".join(f"'{step}'" for step in STEPS)
    sql = f"""
        SELECT v.id, e.event_type, e.channel, e.occurred_at
        FROM {event} e
        JOIN {visitor} v ON v.store_id = e.store_id AND v.visitor_key = e.visitor_id
        WHERE e.store_id = %s AND e.occurred_at >= %s AND e.occurred_at < %s
          AND e.event_type IN ({steps})
    """
    params = [store.pk, ops.adapt_datetimefield_value(start), ops.adapt_datetimefield_value(end)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        frame = pd.DataFrame.from_records(
            cursor.fetchall(), columns=["visitor", "event_type", "channel", "at"]
        )
    # SQLite returns the stored UTC text, PostgreSQL aware datetimes: pandas parses both.
    parse = {"format": "ISO8601"} if connection.vendor == "sqlite" else {}
    frame["at"] = pd.to_datetime(frame["at"], utc=True, **parse)
    return frame


#: Days matched per read of the events: a year of a large store's events would not fit in a
#: worker's memory at once (a month of the benchmark store is ~340,000 events, ~400 MB peak).
SLICE_DAYS = 31


def funnel_days_write(*, store: Store, first: datetime.date, last: datetime.date) -> int:
    """Replace the ``FunnelDay`` rows of ``[first, last]``; returns the rows written."""
    FunnelDay.objects.filter(store=store, day__range=(first, last)).delete()
    written = 0
    for slice_first, slice_last in chunks(first, last, SLICE_DAYS):
        objects = _funnel_rows(store, slice_first, slice_last)
        FunnelDay.objects.bulk_create(objects, batch_size=500)
        written += len(objects)
    return written


def _funnel_rows(store: Store, first: datetime.date, last: datetime.date) -> list[FunnelDay]:
    now = timezone.now()
    hours = store.funnel_window_hours
    window = datetime.timedelta(hours=hours)
    days = list(each_day(first, last))
    zone = store.zone
    day_starts = [pd.Timestamp(day_bounds(zone, day)[0]) for day in days]
    day_starts.append(pd.Timestamp(day_bounds(zone, last)[1]))
    events = _load(store, day_starts[0].to_pydatetime(), day_starts[-1].to_pydatetime() + window)
    rows = funnel_days(events, day_starts=day_starts, window=window)
    by_day = dict(tuple(rows.groupby("day", sort=False))) if len(rows) else {}
    objects = []
    for position, day in enumerate(days):
        group = by_day.get(position)
        values = {"visitors": None, "depths": None, "channels": None}
        if group is not None:
            group = group.sort_values("visitor")
            values = {
                "visitors": idsets.pack(group["visitor"].to_numpy(dtype=np.int64)),
                "depths": group["depth"].to_numpy(dtype=np.uint8).tobytes(),
                "channels": group["channel"].map(_CODE).to_numpy(dtype=np.uint8).tobytes(),
            }
        objects.append(
            FunnelDay(store=store, day=day, window_hours=hours, computed_at=now, **values)
        )
    return objects


def funnel_days_read(
    *, store: Store, start: datetime.date, end: datetime.date, window_hours: int
) -> pd.DataFrame | None:
    """The ``funnel_days`` frame of ``[start, end]`` from the rollup (``visitor`` = Visitor id),
    or None when a day of the range has no row for that window (the runner then matches the
    raw events)."""
    rows = list(
        FunnelDay.objects.filter(
            store=store, day__range=(start, end), window_hours=window_hours
        ).values_list("day", "visitors", "depths", "channels")
    )
    if len(rows) != (end - start).days + 1:
        return None
    parts = []
    for day, visitors, depths, channels in rows:
        ids = idsets.unpack(visitors)
        if not len(ids):
            continue
        parts.append(
            pd.DataFrame(
                {
                    "visitor": ids,
                    "day": np.full(len(ids), day.toordinal()),
                    "depth": np.frombuffer(bytes(depths), dtype=np.uint8).astype(np.int64),
                    "channel": np.asarray(CHANNEL_CODES, dtype=object)[
                        np.frombuffer(bytes(channels), dtype=np.uint8)
                    ],
                }
            )
        )
    if not parts:
        return pd.DataFrame({"visitor": [], "day": [], "depth": [], "channel": []})
    return pd.concat(parts, ignore_index=True)
