"""FunnelRunner: view -> cart -> order -> pay over a range (see ``analytics.funnel``).

Reads the raw behaviour events of the range plus one conversion window (the funnel needs event
order and timing, which no daily rollup keeps), vectorised with pandas, per store.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from analytics.funnel import STEPS, funnel_depths, load_events, step_counts
from analytics.metrics import rate
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
    version = 1

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

    def calculate(self) -> FunnelResult:
        query, store = self.query, self.store
        hours = query.window_hours or store.funnel_window_hours
        window = datetime.timedelta(hours=hours)
        events, start, end = load_events(
            store=store, start=query.start, end=query.end, window=window, sku_ids=self._sku_filter()
        )
        depths = funnel_depths(events, start=start, end=end, window=window)
        channels = ()
        if query.by_channel and len(depths):
            channels = tuple(
                ChannelFunnel(channel, build_steps(step_counts(group)))
                for channel, group in depths.groupby("channel", sort=True)
            )
        abandoned = sorted(depths.loc[depths["depth"] == 2, "visitor"]) if len(depths) else []
        return FunnelResult(
            store_id=store.pk,
            start=query.start,
            end=query.end,
            window_hours=hours,
            steps=build_steps(step_counts(depths)),
            channels=channels,
            abandoned_cart_visitors=len(abandoned),
            abandoned_cart_sample=tuple(abandoned[:ABANDONED_SAMPLE]),
        )
