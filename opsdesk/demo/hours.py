"""The hour-by-hour monitoring rows (``campaigns.CampaignHour``) of a demo shop's campaigns, so
the monitoring page of a past burst shows its pace without anyone pressing "Refresh now".

Computed from the generated frames with ``campaigns.monitoring.hour_buckets``, the function
``campaign_hours_refresh`` runs on the database's facts: the rows are those the refresh would
write, not a second implementation.
"""

import datetime
import zoneinfo

import numpy as np
import pandas as pd

from campaigns.monitoring import HOUR, day_hours, hour_buckets

COLUMNS = [
    "key",
    "campaign_key",
    "hour",
    "local_day",
    "local_hour",
    "gmv",
    "paid_orders",
    "paying_buyers",
    "uv",
    "day_buyers",
    "day_uv",
    "computed_at",
]


def _utc_naive(series: pd.Series) -> np.ndarray:
    """Aware instants as naive UTC ``datetime64[ns]`` (``hour_buckets`` reads them as UTC)."""
    return pd.to_datetime(series, utc=True).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def campaign_hours_generate(
    *,
    campaigns: pd.DataFrame,
    orders: pd.DataFrame,
    events: pd.DataFrame,
    time_zone: str,
    first: datetime.date,
    last: datetime.date,
) -> pd.DataFrame:
    """One row per store-local hour of every pre-heat and burst day of every campaign that lies
    inside the data (``first..last``): orders and events already in aware UTC (after the
    generator's wall-clock conversion). ``computed_at`` is the end of the day, as if the
    refresh had run at midnight. GMV in cents, like every money column of the frames.

    Contract: the same numbers as ``campaign_hours_refresh`` on the written rows; days after
    ``last`` (a campaign still to come) have no rows.
    """
    zone = zoneinfo.ZoneInfo(time_zone)
    paid = orders[orders["paid_at"].notna()]
    paid_frame = pd.DataFrame(
        {
            "at": _utc_naive(paid["paid_at"]),
            "cents": paid["paid_amount"].to_numpy(dtype=np.int64),
            "customer": paid["customer_key"].to_numpy(),
        }
    ).sort_values("at", kind="stable", ignore_index=True)
    event_frame = pd.DataFrame(
        {"at": _utc_naive(events["occurred_at"]), "visitor": events["visitor_id"].to_numpy()}
    ).sort_values("at", kind="stable", ignore_index=True)
    order_at = paid_frame["at"].to_numpy().astype(np.int64)
    event_at = event_frame["at"].to_numpy().astype(np.int64)
    rows = []
    for campaign in campaigns.itertuples(index=False):
        first_day = max(pd.Timestamp(campaign.preheat_start).date(), first)
        last_day = min(pd.Timestamp(campaign.burst_end).date(), last)
        days = [
            first_day + datetime.timedelta(days=offset)
            for offset in range((last_day - first_day).days + 1)
        ]
        if not days:
            continue
        by_day = {day: day_hours(zone, day) for day in days}
        day_end = {day: day_hours_[-1] + HOUR for day, day_hours_ in by_day.items()}
        hours = [hour for day in days for hour in by_day[day]]
        start_ns, end_ns = pd.Timestamp(hours[0]).value, pd.Timestamp(hours[-1] + HOUR).value
        o0, o1 = np.searchsorted(order_at, [start_ns, end_ns], side="left")
        e0, e1 = np.searchsorted(event_at, [start_ns, end_ns], side="left")
        facts = hour_buckets(
            zone=zone,
            hours=hours,
            orders=paid_frame.iloc[o0:o1],
            events=event_frame.iloc[e0:e1],
        )
        local_days = [day for day in days for _hour in by_day[day]]
        for fact, day in zip(facts, local_days, strict=True):
            rows.append(
                (
                    campaign.key,
                    fact.hour,
                    day,
                    fact.local_hour,
                    int(fact.gmv * 100),
                    fact.paid_orders,
                    fact.paying_buyers,
                    fact.uv,
                    fact.day_buyers,
                    fact.day_uv,
                    day_end[day],
                )
            )
    frame = pd.DataFrame(rows, columns=COLUMNS[1:])
    frame.insert(0, "key", np.arange(len(frame), dtype=np.int64))
    frame["local_day"] = np.array(list(frame["local_day"]), dtype="datetime64[D]")
    for column in ("hour", "computed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.astype(
        {
            "campaign_key": np.int64,
            "local_hour": np.int64,
            "gmv": np.int64,
            "paid_orders": np.int64,
            "paying_buyers": np.int64,
            "uv": np.int64,
            "day_buyers": np.int64,
            "day_uv": np.int64,
        }
    )
