"""The funnel (漏斗) of DOMAIN.md: view -> add to cart -> order -> pay.

Definition implemented here (``funnel_depths``):

* A visitor's candidate starts are their view events whose time is inside the report range.
* From a start at ``t1``, step k (k = 2..4) is the visitor's earliest step-k event at or after
  the time of step k-1 (events at the same instant count as "in order"), and it counts only if
  it happened within the conversion window after ``t1`` (``t_k - t1 <= window``). Taking the
  earliest event at each step is optimal for a given start.
* A visitor's depth is the deepest step reached over all their starts; the start that reaches
  it (the earliest one on ties) gives the visitor's channel (the channel of the step-1 event).
  So each visitor is counted once, in one channel, and channel funnels add up to the total.
* Abandoned carts (加购未下单) are visitors whose depth is exactly 2.
* With a product filter every step only counts events of those SKUs (order and pay events
  must carry the SKU to count).

Computation is vectorised with ``pandas.merge_asof`` (one pass per step over the range's
events), per store and bounded by the range plus one window.
"""

import datetime

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import CharField, F
from django.db.models.functions import Cast

from analytics.models import BehaviourEvent, EventType
from analytics.rollups.days import day_bounds
from opsdesk.channels import Channel
from opsdesk.models import Store

#: The channels' one-byte codes in ``FunnelDay.channels``: the index in this tuple. New
#: channels must be appended (an index, once written, keeps its channel).
CHANNEL_CODES: tuple[str, ...] = tuple(Channel.values)

STEPS: tuple[str, ...] = (
    EventType.VIEW,
    EventType.ADD_TO_CART,
    EventType.ORDER,
    EventType.PAY,
)

_COLUMNS = ["visitor", "event_type", "channel", "at"]


def load_events(
    *,
    store: Store,
    start: datetime.date,
    end: datetime.date,
    window: datetime.timedelta,
    sku_ids: list[int] | None = None,
) -> tuple[pd.DataFrame, pd.Timestamp, pd.Timestamp]:
    """The store's funnel events from the start of ``start`` to one window after ``end``, and
    the UTC bounds of the range (step-1 events must fall inside them)."""
    range_start, range_end = day_bounds(store.zone, start, end)
    events = BehaviourEvent.objects.filter(
        store=store,
        occurred_at__gte=range_start,
        occurred_at__lt=range_end + window,
        event_type__in=STEPS,
    )
    if sku_ids is not None:
        events = events.filter(sku_id__in=sku_ids)
    # The ORM's per-row converters (a datetime made aware per event) were half the time of a
    # 90-day funnel; the database's own values go to pandas, which parses them in one pass.
    if connection.vendor == "sqlite":
        # SQLite keeps "YYYY-MM-DD HH:MM:SS[.ffffff]" text in UTC; read as text (a datetime
        # column would go through the driver's per-row converter) and parse it in pandas.
        occurred = Cast("occurred_at", output_field=CharField())
        parse = {"format": "ISO8601"}
    else:
        occurred, parse = F("occurred_at"), {}
    sql, params = (
        events.annotate(at=occurred)
        .values_list("visitor_id", "event_type", "channel", "at")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=_COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True, **parse)
    return frame, pd.Timestamp(range_start), pd.Timestamp(range_end)


def _start_depths(
    events: pd.DataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    window: datetime.timedelta,
) -> pd.DataFrame:
    """One row per candidate start (a view in ``[start, end)``): ``visitor``, ``channel``,
    ``t1`` and the ``depth`` (1..4) it reaches (see the module docstring)."""
    empty = pd.DataFrame({"visitor": [], "channel": [], "t1": [], "depth": []})
    if events.empty:
        return empty
    events = events.sort_values("at", kind="stable")
    views = events[
        (events["event_type"] == STEPS[0]) & (events["at"] >= start) & (events["at"] < end)
    ]
    if views.empty:
        return empty
    limit = pd.Timedelta(window)
    # Series, not .to_numpy(): a time-zone-aware column would become an object array of
    # Timestamps (over a second for a 90-day range).
    starts = pd.DataFrame(
        {
            "visitor": views["visitor"].reset_index(drop=True),
            "channel": views["channel"].reset_index(drop=True),
            "t1": views["at"].reset_index(drop=True),
        }
    )
    starts["start_id"] = np.arange(len(starts))
    starts["depth"] = 1
    alive = starts[["start_id", "visitor", "t1"]].assign(previous=starts["t1"])
    for step_number, step in enumerate(STEPS[1:], start=2):
        step_events = events.loc[events["event_type"] == step, ["visitor", "at"]]
        if alive.empty or step_events.empty:
            break
        matched = pd.merge_asof(
            alive.sort_values("previous"),
            step_events.rename(columns={"at": "found"}),
            left_on="previous",
            right_on="found",
            by="visitor",
            direction="forward",
            allow_exact_matches=True,
        )
        reached = matched["found"].notna() & (matched["found"] - matched["t1"] <= limit)
        matched = matched[reached]
        starts.loc[starts["start_id"].isin(matched["start_id"]), "depth"] = step_number
        alive = matched[["start_id", "visitor", "t1"]].assign(previous=matched["found"])
    return starts[["visitor", "channel", "t1", "depth"]]


def funnel_depths(
    events: pd.DataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    window: datetime.timedelta,
) -> pd.DataFrame:
    """One row per visitor with a view in ``[start, end)``: ``visitor``, ``depth`` (1..4) and
    ``channel`` (of the step-1 event that reached that depth). Pure; see the module docstring.
    """
    starts = _start_depths(events, start=start, end=end, window=window)
    if starts.empty:
        return pd.DataFrame({"visitor": [], "depth": [], "channel": []})
    best = starts.sort_values(["visitor", "depth", "t1"], ascending=[True, False, True])
    best = best.drop_duplicates("visitor", keep="first")
    return best[["visitor", "depth", "channel"]].reset_index(drop=True)


def funnel_days(
    events: pd.DataFrame,
    *,
    day_starts: list[pd.Timestamp],
    window: datetime.timedelta,
) -> pd.DataFrame:
    """The funnel of each day separately: one row per visitor and day on which they had a
    view, with ``day`` (index into the days whose UTC starts are ``day_starts``; the last
    entry is the end of the last day), the deepest ``depth`` reached from that day's starts
    and the ``channel`` of the earliest start that reached it. Combining the days of a range
    with ``combine_days`` gives exactly ``funnel_depths`` of the range: a start belongs to
    one day, so the deepest start of the range is the deepest of its days, and the earliest
    start with that depth is on the earliest day with that depth."""
    starts = _start_depths(events, start=day_starts[0], end=day_starts[-1], window=window)
    if starts.empty:
        return pd.DataFrame({"visitor": [], "day": [], "depth": [], "channel": []})
    bounds = pd.DatetimeIndex(day_starts[:-1])
    starts["day"] = bounds.searchsorted(pd.DatetimeIndex(starts["t1"]), side="right") - 1
    best = starts.sort_values(
        ["visitor", "day", "depth", "t1"], ascending=[True, True, False, True], kind="stable"
    )
    best = best.drop_duplicates(["visitor", "day"], keep="first")
    return best[["visitor", "day", "depth", "channel"]].reset_index(drop=True)


def combine_days(days: pd.DataFrame) -> pd.DataFrame:
    """``funnel_depths`` of a range from the ``funnel_days`` rows of its days (columns
    ``visitor``, ``day``, ``depth``, ``channel``; ``day`` orders the days)."""
    if days.empty:
        return pd.DataFrame({"visitor": [], "depth": [], "channel": []})
    best = days.sort_values(
        ["visitor", "depth", "day"], ascending=[True, False, True], kind="stable"
    ).drop_duplicates("visitor", keep="first")
    return best[["visitor", "depth", "channel"]].reset_index(drop=True)


def step_counts(depths: pd.DataFrame) -> list[int]:
    """Visitors at each of the 4 steps (a visitor at depth d counts at steps 1..d)."""
    values = depths["depth"].to_numpy() if len(depths) else np.array([], dtype=int)
    return [int((values >= step).sum()) for step in range(1, len(STEPS) + 1)]
