"""FunnelRunner: view -> cart -> order -> pay over a range (see ``analytics.funnel``).

Reads the rollup's ``FunnelDay`` rows of the range (each visitor's depth and channel per day of
their first step, for the store's conversion window) and combines them; with a product filter,
another window or a day not rolled up yet, matches the raw behaviour events of the range plus
one conversion window instead (vectorised with pandas). Both give the same answer.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from analytics.funnel import STEPS, combine_days, funnel_depths, load_events, step_counts
from analytics.metrics import rate
from analytics.models import Visitor
from analytics.rollups.funnel import funnel_days_read
from catalog.models import Category, Sku

from .base import ReportRunner

ABANDONED_SAMPLE = 100


@dataclass(frozen=True)
class FunnelQuery:
    """Visitors whose step 1 (a view) is in store-local ``[start, end]``. ``sku_ids`` and
    ``category_id`` (with its sub-categories) restrict every step to those products;
    ``window_hours`` overrides the store's conversion window."""

    start: datetime.date
    end: datetime.date
    by_channel: bool = False
    sku_ids: tuple[int, ...] = ()
    category_id: int | None = None
    window_hours: int | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("end is before start")


@dataclass(frozen=True)
class FunnelStep:
    step: str  # event type: view, add_to_cart, order, pay
    visitors: int
    conversion_from_previous: Decimal | None  # None for step 1
    conversion_from_first: Decimal | None
    drop_off: int  # visitors of the previous step who did not reach this one
    drop_off_rate: Decimal | None


@dataclass(frozen=True)
class ChannelFunnel:
    channel: str  # channel of the step-1 event
    steps: tuple[FunnelStep, ...]


@dataclass(frozen=True)
class FunnelResult:
    store_id: int
    start: datetime.date
    end: datetime.date
    window_hours: int
    steps: tuple[FunnelStep, ...]
    channels: tuple[ChannelFunnel, ...]
    abandoned_cart_visitors: int
    abandoned_cart_sample: tuple[str, ...]  # up to 100 visitor ids, sorted


def build_steps(counts: list[int]) -> tuple[FunnelStep, ...]:
    steps = []
    for position, (step, visitors) in enumerate(zip(STEPS, counts, strict=True)):
        previous = counts[position - 1] if position else None
        steps.append(
            FunnelStep(
                step=str(step),
                visitors=visitors,
                conversion_from_previous=rate(visitors, previous) if position else None,
                conversion_from_first=rate(visitors, counts[0]),
                drop_off=(previous - visitors) if position else 0,
                drop_off_rate=rate(previous - visitors, previous) if position else None,
            )
        )
    return tuple(steps)


class FunnelRunner(ReportRunner[FunnelQuery, FunnelResult]):
    name = "funnel"
    version = 2  # 2: from the FunnelDay rollup

    def _sku_filter(self) -> list[int] | None:
        query = self.query
        if not query.sku_ids and query.category_id is None:
            return None
        sku_ids = set(query.sku_ids)
        if query.category_id is not None:
            categories = {query.category_id}
            frontier = {query.category_id}
            while frontier:
                frontier = (
                    set(
                        Category.objects.filter(
                            store=self.store, parent_id__in=frontier
                        ).values_list("id", flat=True)
                    )
                    - categories
                )
                categories |= frontier
            sku_ids |= set(
                Sku.objects.filter(store=self.store, category_id__in=categories).values_list(
                    "id", flat=True
                )
            )
        return sorted(sku_ids)

    def _depths(self, hours: int) -> tuple[pd.DataFrame, bool]:
        """Each visitor's depth and channel over the range, and whether ``visitor`` holds
        ``Visitor`` ids (from the rollup) rather than the visitor keys (from the events).

        The rollup's ``FunnelDay`` rows answer when every day of the range has one for this
        window and there is no product filter (their rows count every product); otherwise
        the range's raw events are matched. Both give the same depths (``combine_days``)."""
        query, store = self.query, self.store
        sku_ids = self._sku_filter()
        if sku_ids is None:
            days = funnel_days_read(
                store=store, start=query.start, end=query.end, window_hours=hours
            )
            if days is not None:
                return combine_days(days), True
        window = datetime.timedelta(hours=hours)
        events, start, end = load_events(
            store=store, start=query.start, end=query.end, window=window, sku_ids=sku_ids
        )
        return funnel_depths(events, start=start, end=end, window=window), False

    def _abandoned_sample(self, depths: pd.DataFrame, from_rollup: bool) -> list[str]:
        """The visitor keys of the abandoned carts (depth 2), sorted, up to the sample size."""
        ids = depths.loc[depths["depth"] == 2, "visitor"].tolist() if len(depths) else []
        if not from_rollup:
            return sorted(ids)[:ABANDONED_SAMPLE]
        keys: list[str] = []
        for position in range(0, len(ids), 2000):
            chunk = [int(i) for i in ids[position : position + 2000]]
            # By primary key alone: with the store in the WHERE clause SQLite's planner walks
            # the (store, visitor_key) index over every visitor of the store for each chunk
            # (~50 ms a chunk on the demo shop instead of ~10). The store is still checked.
            rows = Visitor.objects.filter(pk__in=chunk).values_list("visitor_key", "store_id")
            keys.extend(key for key, store_id in rows if store_id == self.store.pk)
        return sorted(keys)[:ABANDONED_SAMPLE]

    def calculate(self) -> FunnelResult:
        query, store = self.query, self.store
        hours = query.window_hours or store.funnel_window_hours
        depths, from_rollup = self._depths(hours)
        channels = ()
        if query.by_channel and len(depths):
            channels = tuple(
                ChannelFunnel(channel, build_steps(step_counts(group)))
                for channel, group in depths.groupby("channel", sort=True)
            )
        abandoned = int((depths["depth"] == 2).sum()) if len(depths) else 0
        return FunnelResult(
            store_id=store.pk,
            start=query.start,
            end=query.end,
            window_hours=hours,
            steps=build_steps(step_counts(depths)),
            channels=channels,
            abandoned_cart_visitors=abandoned,
            abandoned_cart_sample=tuple(self._abandoned_sample(depths, from_rollup)),
        )
