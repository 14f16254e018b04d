"""The dashboard's flags (DOMAIN.md "Rules the dashboard applies to metrics"), from rollups.

For a store-local day D:

* ``consider_pausing``: a paid channel (``PAID_CHANNELS``) whose ROI over ``[D-6, D]`` (GMV of
  its orders / its spend, summed over the 7 days) is below 1. A channel without spend has no
  ROI and is never flagged.
* ``cpc_above_median``: a channel whose CPC on D (spend / clicks) is above the median of its
  daily CPCs over ``[D-30, D-1]`` by more than 20%. Days without clicks have no CPC and are left
  out; at least ``MIN_CPC_HISTORY`` days of history are needed.
* ``gmv_anomaly``: D's GMV against the same weekday of the previous ``ANOMALY_WEEKS`` weeks
  that are rolled up (at least ``ANOMALY_MIN_WEEKS``). Robust band: median m of those days,
  MAD = median(|x - m|), band = m +/- max(3 x 1.4826 x MAD, 20% of m). 1.4826 x MAD estimates
  a standard deviation without being pulled by a past spike (a previous promotion), and the 20%
  floor keeps a perfectly flat history from flagging every small wobble. The flag names the
  biggest contributors: channels and SKUs ordered by |their GMV on D - their median GMV on
  the comparison days|.
"""

import datetime
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.db.models import Sum

from analytics.metrics import MONEY_PLACES, roi
from analytics.models import DailyChannelMetrics, DailySkuMetrics, DailyStoreMetrics
from opsdesk.channels import PAID_CHANNELS, Channel
from opsdesk.models import Store

ROI_WINDOW_DAYS = 7
CPC_HISTORY_DAYS = 30
CPC_TOLERANCE = Decimal("1.20")
MIN_CPC_HISTORY = 7
ANOMALY_WEEKS = 8
ANOMALY_MIN_WEEKS = 4
ANOMALY_K = Decimal("3")
MAD_TO_SIGMA = Decimal("1.4826")
ANOMALY_MIN_RELATIVE = Decimal("0.20")
TOP_CONTRIBUTORS = 3

FlagKind = Literal["consider_pausing", "cpc_above_median", "gmv_anomaly"]


@dataclass(frozen=True)
class Contributor:
    kind: Literal["channel", "sku"]
    key: str  # channel code or SKU code
    value: Decimal  # GMV on the day
    baseline: Decimal  # median GMV on the comparison days
    delta: Decimal


@dataclass(frozen=True)
class Flag:
    kind: FlagKind
    day: datetime.date
    channel: str | None
    value: Decimal  # the flagged value: ROI, CPC or GMV
    low: Decimal | None  # the band / threshold the value was compared with
    high: Decimal | None
    message: str
    contributors: tuple[Contributor, ...] = ()


def _median(values: list[Decimal]) -> Decimal:
    return Decimal(statistics.median(values))


def consider_pausing(*, store: Store, day: datetime.date) -> list[Flag]:
    """Paid channels with a 7-day ROI below 1."""
    first = day - datetime.timedelta(days=ROI_WINDOW_DAYS - 1)
    rows = (
        DailyChannelMetrics.objects.filter(
            store=store, day__range=(first, day), channel__in=PAID_CHANNELS
        )
        .values("channel")
        .annotate(gmv=Sum("gmv"), spend=Sum("ad_spend"))
        .order_by("channel")
    )
    flags = []
    for row in rows:
        value = roi(row["gmv"], row["spend"])
        if value is not None and value < 1:
            flags.append(
                Flag(
                    kind="consider_pausing",
                    day=day,
                    channel=row["channel"],
                    value=value,
                    low=None,
                    high=Decimal(1),
                    message=(
                        f"{Channel(row['channel']).label}: 7-day ROI {value:.2f} is below 1, "
                        "consider pausing"
                    ),
                )
            )
    return flags


def cpc_above_median(*, store: Store, day: datetime.date) -> list[Flag]:
    """Channels whose CPC on ``day`` is more than 20% above their own 30-day median CPC."""
    first = day - datetime.timedelta(days=CPC_HISTORY_DAYS)
    rows = DailyChannelMetrics.objects.filter(
        store=store, day__range=(first, day), clicks__gt=0
    ).values_list("channel", "day", "ad_spend", "clicks")
    history: dict[str, list[Decimal]] = {}
    today: dict[str, Decimal] = {}
    for channel, row_day, spend, clicks in rows:
        cpc = Decimal(spend) / clicks
        if row_day == day:
            today[channel] = cpc
        else:
            history.setdefault(channel, []).append(cpc)
    flags = []
    for channel in sorted(today):
        past = history.get(channel, [])
        if len(past) < MIN_CPC_HISTORY:
            continue
        median = _median(past)
        if today[channel] > median * CPC_TOLERANCE:
            value = today[channel].quantize(MONEY_PLACES)
            flags.append(
                Flag(
                    kind="cpc_above_median",
                    day=day,
                    channel=channel,
                    value=value,
                    low=None,
                    high=(median * CPC_TOLERANCE).quantize(MONEY_PLACES),
                    message=(
                        f"{Channel(channel).label}: CPC {value} is more than 20% above its "
                        f"30-day median {median.quantize(MONEY_PLACES)}"
                    ),
                )
            )
    return flags


def _contributors(
    rows: list[tuple[str, datetime.date, Decimal]], day: datetime.date, kind: str
) -> list[Contributor]:
    on_day: dict[str, Decimal] = {}
    before: dict[str, dict[datetime.date, Decimal]] = {}
    comparison_days = {row_day for _key, row_day, _gmv in rows if row_day != day}
    for key, row_day, gmv in rows:
        if row_day == day:
            on_day[key] = on_day.get(key, Decimal(0)) + gmv
        else:
            before.setdefault(key, {})[row_day] = gmv
    result = []
    for key in set(on_day) | set(before):
        series = [before.get(key, {}).get(d, Decimal(0)) for d in comparison_days]
        baseline = _median(series) if series else Decimal(0)
        value = on_day.get(key, Decimal(0))
        result.append(Contributor(kind, key, value, baseline, value - baseline))
    result.sort(key=lambda c: (-abs(c.delta), c.key))
    return result[:TOP_CONTRIBUTORS]


def gmv_anomaly(*, store: Store, day: datetime.date) -> list[Flag]:
    """``day``'s GMV outside the robust band of the same weekday of previous weeks."""
    comparison = [day - datetime.timedelta(weeks=week) for week in range(1, ANOMALY_WEEKS + 1)]
    gmv_by_day = dict(
        DailyStoreMetrics.objects.filter(store=store, day__in=[day, *comparison]).values_list(
            "day", "gmv"
        )
    )
    if day not in gmv_by_day:
        return []
    past = [gmv_by_day[d] for d in comparison if d in gmv_by_day]
    if len(past) < ANOMALY_MIN_WEEKS:
        return []
    median = _median(past)
    mad = _median([abs(value - median) for value in past])
    tolerance = max(ANOMALY_K * MAD_TO_SIGMA * mad, ANOMALY_MIN_RELATIVE * median)
    low, high = median - tolerance, median + tolerance
    value = gmv_by_day[day]
    if low <= value <= high:
        return []
    used_days = [day, *(d for d in comparison if d in gmv_by_day)]
    channels = _contributors(
        list(
            DailyChannelMetrics.objects.filter(store=store, day__in=used_days).values_list(
                "channel", "day", "gmv"
            )
        ),
        day,
        "channel",
    )
    skus = _contributors(
        list(
            DailySkuMetrics.objects.filter(store=store, day__in=used_days).values_list(
                "sku__code", "day", "gmv"
            )
        ),
        day,
        "sku",
    )
    direction = "above" if value > high else "below"
    return [
        Flag(
            kind="gmv_anomaly",
            day=day,
            channel=None,
            value=value,
            low=low.quantize(MONEY_PLACES),
            high=high.quantize(MONEY_PLACES),
            message=(
                f"GMV {value} is {direction} the usual range "
                f"{low.quantize(MONEY_PLACES)}-{high.quantize(MONEY_PLACES)} of the same weekday"
            ),
            contributors=(*channels, *skus),
        )
    ]


def flags_for_day(*, store: Store, day: datetime.date) -> list[Flag]:
    """Every flag of ``day``: pausing, CPC, GMV anomaly, in that order."""
    return [
        *consider_pausing(store=store, day=day),
        *cpc_above_median(store=store, day=day),
        *gmv_anomaly(store=store, day=day),
    ]
