"""DailyMetricsRunner: a store's metrics over [start, end] from the rolled-up tables only.

Totals, a series by day/week/month, an optional channel breakdown, an optional series per
channel (the channel trends of the traffic page) and an optional SKU table.
Additive measures are summed from ``DailyStoreMetrics`` / ``DailyChannelMetrics`` /
``DailySkuMetrics``; distinct counts (UV, buyers...) of every period are counted distinct over
the period from the packed ``VisitorSet`` and ``BuyerSet`` rows (read once per report,
united in numpy); every ratio is recomputed by ``analytics.metrics.compute`` from the period's
parts.

SKU table: units, line GMV, gross profit, orders, views and first orders are summed; buyers and
visitors of a SKU over more than one day are counted distinct from the facts of the range (the
rollups do not keep per-SKU visitor-days), limited to the SKUs shown.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.db.models import Count, Q, Sum

from analytics.metrics import ZERO, Measures, MetricValues, compute, rate
from analytics.models import (
    BehaviourEvent,
    DailyChannelMetrics,
    DailySkuMetrics,
    DailyStoreMetrics,
    EventType,
    OrderLine,
)
from analytics.rollups.days import day_bounds, each_day

from .base import ReportRunner
from .distinct import DistinctCounts, RangeSets

Interval = Literal["day", "week", "month"]

_ADDITIVE = (
    "gmv",
    "paid_orders",
    "new_buyers",
    "refund_amount",
    "gross_profit",
    "pv",
    "ad_spend",
    "impressions",
    "clicks",
)
_DISTINCT = (
    "paying_buyers",
    "repeat_buyers",
    "uv",
    "cart_visitors",
    "order_visitors",
    "pay_visitors",
)
_MONEY = {"gmv", "refund_amount", "gross_profit", "ad_spend"}


@dataclass(frozen=True)
class DailyMetricsQuery:
    """Store-local dates ``start..end`` inclusive; ``interval`` buckets the series (weeks start
    on Monday, months on the 1st, both clipped to the range)."""

    start: datetime.date
    end: datetime.date
    interval: Interval = "day"
    by_channel: bool = False
    by_sku: bool = False
    sku_limit: int = 100
    #: Also a series per channel (one point per bucket and channel; the channel trends).
    channel_series: bool = False

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("end is before start")
        if self.interval not in ("day", "week", "month"):
            raise ValueError(f"unknown interval {self.interval!r}")


@dataclass(frozen=True)
class SeriesPoint:
    start: datetime.date
    end: datetime.date
    measures: Measures
    metrics: MetricValues


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    measures: Measures
    metrics: MetricValues


@dataclass(frozen=True)
class ChannelSeries:
    """One channel's points, one per bucket of the range (zeros where the channel had no
    activity on a rolled-up day; a bucket with no rolled-up day is in ``missing_days``)."""

    channel: str
    points: tuple[SeriesPoint, ...]


@dataclass(frozen=True)
class SkuRow:
    sku_id: int
    code: str
    title: str
    units: int
    gmv: Decimal
    gross_profit: Decimal
    paid_orders: int
    buyers: int
    first_orders: int
    views: int
    visitors: int
    cart_visitors: int
    conversion_rate: Decimal | None  # buyers / visitors of the SKU


@dataclass(frozen=True)
class DailyMetricsResult:
    store_id: int
    start: datetime.date
    end: datetime.date
    interval: Interval
    measures: Measures
    totals: MetricValues
    series: tuple[SeriesPoint, ...]
    channels: tuple[ChannelRow, ...]
    skus: tuple[SkuRow, ...]
    missing_days: tuple[datetime.date, ...]  # days of the range not rolled up yet
    computed_at: datetime.datetime | None  # the oldest rollup the result reads
    channel_series: tuple[ChannelSeries, ...] = ()  # with ``channel_series``; by GMV desc


def bucket_ranges(
    start: datetime.date, end: datetime.date, interval: Interval
) -> list[tuple[datetime.date, datetime.date]]:
    """Consecutive inclusive buckets covering ``[start, end]``, clipped to it."""
    buckets: list[tuple[datetime.date, datetime.date]] = []
    first = start
    while first <= end:
        if interval == "day":
            last = first
        elif interval == "week":
            last = first + datetime.timedelta(days=6 - first.weekday())
        else:
            next_month = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
            last = next_month - datetime.timedelta(days=1)
        last = min(last, end)
        buckets.append((first, last))
        first = last + datetime.timedelta(days=1)
    return buckets


def _measures(additive: dict, distinct: DistinctCounts | None, spend_channel_gmv) -> Measures:
    values = {name: additive.get(name) or (ZERO if name in _MONEY else 0) for name in _ADDITIVE}
    for name in _DISTINCT:
        values[name] = getattr(distinct, name) if distinct else 0
    values["spend_channel_gmv"] = spend_channel_gmv
    return Measures(**values)


def _spend_gmv(sums: dict) -> Decimal:
    """The ROI numerator of one channel's sums: its GMV when it had ad spend, else 0."""
    return (sums.get("gmv") or ZERO) if sums.get("ad_spend") else ZERO


def _add(total: dict, row: dict) -> None:
    for name in _ADDITIVE:
        total[name] = total.get(name, 0) + (row[name] or 0)


class DailyMetricsRunner(ReportRunner[DailyMetricsQuery, DailyMetricsResult]):
    name = "daily_metrics"
    version = 2  # 2: channel_series

    def calculate(self) -> DailyMetricsResult:
        query, store = self.query, self.store
        days = (query.start, query.end)
        daily = list(
            DailyStoreMetrics.objects.filter(store=store, day__range=days).values(
                "day", "computed_at", *_ADDITIVE, *_DISTINCT
            )
        )
        by_day = {row["day"]: row for row in daily}
        channel_days = list(
            DailyChannelMetrics.objects.filter(store=store, day__range=days).values(
                "day", "channel", *_ADDITIVE, *_DISTINCT
            )
        )
        buckets = bucket_ranges(query.start, query.end, query.interval)

        # Additive sums per bucket and per channel (small: at most days x channels rows).
        bucket_of = {}
        for position, (first, last) in enumerate(buckets):
            for day in each_day(first, last):
                bucket_of[day] = position
        bucket_sums: list[dict] = [{} for _ in buckets]
        total_sums: dict = {}
        for row in daily:
            _add(bucket_sums[bucket_of[row["day"]]], row)
            _add(total_sums, row)
        channel_sums: dict[str, dict] = defaultdict(dict)
        bucket_channel: dict[tuple[int, str], dict] = defaultdict(dict)
        for row in channel_days:
            _add(channel_sums[row["channel"]], row)
            _add(bucket_channel[(bucket_of[row["day"]], row["channel"])], row)

        total_spend_gmv = sum((_spend_gmv(s) for s in channel_sums.values()), ZERO)
        bucket_spend_gmv = [ZERO for _ in buckets]
        for (position, _channel), sums in bucket_channel.items():
            bucket_spend_gmv[position] += _spend_gmv(sums)

        # Distinct counts: once for the whole range, once per bucket, once per channel, from
        # the range's visitor sets read once.
        sets = RangeSets(store_id=store.pk, start=query.start, end=query.end)
        totals_distinct = sets.counts()
        if query.interval == "day":
            bucket_distinct = {
                (bucket_of[row["day"]], None): DistinctCounts(**{n: row[n] for n in _DISTINCT})
                for row in daily
            }
        else:
            bucket_distinct = sets.counts(bucket_ends=[last for _first, last in buckets])
        series = []
        for position, (first, last) in enumerate(buckets):
            measures = _measures(
                bucket_sums[position],
                bucket_distinct.get((position, None)),
                bucket_spend_gmv[position],
            )
            series.append(SeriesPoint(first, last, measures, compute(measures)))

        channels: list[ChannelRow] = []
        if query.by_channel:
            channel_distinct = sets.counts(by_channel=True)
            for channel in sorted(channel_sums):
                sums = channel_sums[channel]
                measures = _measures(sums, channel_distinct.get((None, channel)), _spend_gmv(sums))
                channels.append(ChannelRow(channel, measures, compute(measures)))
            channels.sort(key=lambda row: (-row.measures.gmv, row.channel))

        channel_series: tuple[ChannelSeries, ...] = ()
        if query.channel_series:
            channel_series = self._channel_series(
                buckets, bucket_channel, channel_days, bucket_of, channel_sums, sets
            )

        measures = _measures(total_sums, totals_distinct.get((None, None)), total_spend_gmv)
        missing = tuple(day for day in each_day(query.start, query.end) if day not in by_day)
        computed_at = min((row["computed_at"] for row in daily), default=None)
        return DailyMetricsResult(
            store_id=store.pk,
            start=query.start,
            end=query.end,
            interval=query.interval,
            measures=measures,
            totals=compute(measures),
            series=tuple(series),
            channels=tuple(channels),
            skus=self._skus() if query.by_sku else (),
            missing_days=missing,
            computed_at=computed_at,
            channel_series=channel_series,
        )

    def _channel_series(
        self,
        buckets: list[tuple[datetime.date, datetime.date]],
        bucket_channel: dict[tuple[int, str], dict],
        channel_days: list[dict],
        bucket_of: dict[datetime.date, int],
        channel_sums: dict[str, dict],
        sets: RangeSets,
    ) -> tuple[ChannelSeries, ...]:
        """Per channel, one point per bucket. Additive measures are the bucket's sums; the
        distinct counts of a one-day bucket are the channel-day row's own (distinct within
        the day and channel), of a longer bucket counted distinct over the bucket in one
        query for every bucket and channel."""
        query = self.query
        if query.interval == "day":
            distinct = {
                (bucket_of[row["day"]], row["channel"]): DistinctCounts(
                    **{name: row[name] for name in _DISTINCT}
                )
                for row in channel_days
            }
        else:
            distinct = sets.counts(bucket_ends=[last for _first, last in buckets], by_channel=True)

        ordered = sorted(
            channel_sums, key=lambda code: (-(channel_sums[code].get("gmv") or ZERO), code)
        )
        series = []
        for channel in ordered:
            points = []
            for position, (first, last) in enumerate(buckets):
                sums = bucket_channel.get((position, channel), {})
                measures = _measures(sums, distinct.get((position, channel)), _spend_gmv(sums))
                points.append(SeriesPoint(first, last, measures, compute(measures)))
            series.append(ChannelSeries(channel, tuple(points)))
        return tuple(series)

    def _skus(self) -> tuple[SkuRow, ...]:
        query, store = self.query, self.store
        rows = list(
            DailySkuMetrics.objects.filter(store=store, day__range=(query.start, query.end))
            .values("sku_id", "sku__code", "sku__title")
            .annotate(
                units=Sum("units"),
                gmv=Sum("gmv"),
                gross_profit=Sum("gross_profit"),
                paid_orders=Sum("paid_orders"),
                first_orders=Sum("first_orders"),
                views=Sum("views"),
                buyers=Sum("buyers"),
                visitors=Sum("visitors"),
                cart_visitors=Sum("cart_visitors"),
            )
            .order_by("-gmv", "-views", "sku__code")[: query.sku_limit]
        )
        if query.start != query.end and rows:
            # A SKU's buyers and visitors are distinct over the range: count them from the facts
            # of the range, for the SKUs shown only.
            sku_ids = [row["sku_id"] for row in rows]
            start, end = day_bounds(store.zone, query.start, query.end)
            buyers = dict(
                OrderLine.objects.filter(
                    store=store,
                    sku_id__in=sku_ids,
                    order__paid_at__gte=start,
                    order__paid_at__lt=end,
                )
                .values("sku_id")
                .annotate(n=Count("order__customer_id", distinct=True))
                .values_list("sku_id", "n")
            )
            visitors = {
                sku_id: (n, cart)
                for sku_id, n, cart in BehaviourEvent.objects.filter(
                    store=store, sku_id__in=sku_ids, occurred_at__gte=start, occurred_at__lt=end
                )
                .values("sku_id")
                .annotate(
                    n=Count("visitor_id", distinct=True),
                    cart=Count(
                        "visitor_id", distinct=True, filter=Q(event_type=EventType.ADD_TO_CART)
                    ),
                )
                .values_list("sku_id", "n", "cart")
            }
            for row in rows:
                row["buyers"] = buyers.get(row["sku_id"], 0)
                row["visitors"], row["cart_visitors"] = visitors.get(row["sku_id"], (0, 0))
        return tuple(
            SkuRow(
                sku_id=row["sku_id"],
                code=row["sku__code"],
                title=row["sku__title"],
                units=row["units"],
                gmv=row["gmv"],
                gross_profit=row["gross_profit"],
                paid_orders=row["paid_orders"],
                buyers=row["buyers"],
                first_orders=row["first_orders"],
                views=row["views"],
                visitors=row["visitors"],
                cart_visitors=row["cart_visitors"],
                conversion_rate=rate(row["buyers"], row["visitors"]),
            )
            for row in rows
        )
