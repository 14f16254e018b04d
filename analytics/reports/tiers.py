"""TierRunner: lifecycle-tier sizes over time, flows between two dates and who entered a tier
on a day, from ``TierDailyCount`` and the ``TierChange`` history (``users.tiers``)."""

import datetime
from dataclasses import dataclass

import pandas as pd
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from analytics.models import TierDailyCount
from users.models import Tier, TierChange
from users.tiers import RECOMMENDED_ACTIONS, TIER_ORDER

from .base import ReportRunner

#: Label of "no tier yet" in flows (not a customer of the store on that date).
NONE = ""


@dataclass(frozen=True)
class TierQuery:
    """Sizes over ``[start, end]``; flows from ``flow_from`` to ``flow_to`` when both are
    given; the customers who entered ``entered_tier`` on ``entered_day`` when both are given."""

    start: datetime.date
    end: datetime.date
    flow_from: datetime.date | None = None
    flow_to: datetime.date | None = None
    entered_day: datetime.date | None = None
    entered_tier: str | None = None
    entered_limit: int = 500

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("end is before start")
        if self.entered_tier is not None and self.entered_tier not in Tier.values:
            raise ValueError(f"unknown tier {self.entered_tier!r}")


@dataclass(frozen=True)
class TierSizes:
    day: datetime.date
    sizes: tuple[tuple[str, int], ...]  # (tier, customers) in TIER_ORDER


@dataclass(frozen=True)
class TierFlow:
    from_tier: str  # "" = not yet a customer
    to_tier: str
    customers: int


@dataclass(frozen=True)
class TierEntry:
    customer_id: int
    external_id: str
    name: str
    previous_tier: str
    tier: str
    recommended_action: str


@dataclass(frozen=True)
class TierResult:
    store_id: int
    sizes: tuple[TierSizes, ...]
    flows: tuple[TierFlow, ...]
    entered: tuple[TierEntry, ...]


def tiers_on(*, store, day: datetime.date) -> pd.Series:
    """customer id -> tier on ``day`` (latest change on or before it), one window query."""
    rows = (
        TierChange.objects.filter(store=store, day__lte=day)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("customer_id")], order_by=F("day").desc())
        )
        .filter(rank=1)
        .values_list("customer_id", "tier")
    )
    frame = pd.DataFrame.from_records(rows, columns=["customer_id", "tier"])
    return frame.set_index("customer_id")["tier"]


class TierRunner(ReportRunner[TierQuery, TierResult]):
    name = "tiers"
    version = 1

    def calculate(self) -> TierResult:
        query, store = self.query, self.store
        counts: dict[datetime.date, dict[str, int]] = {}
        for day, tier, customers in TierDailyCount.objects.filter(
            store=store, day__range=(query.start, query.end)
        ).values_list("day", "tier", "customers"):
            counts.setdefault(day, {})[tier] = customers
        sizes = tuple(
            TierSizes(day, tuple((tier, counts[day].get(tier, 0)) for tier in TIER_ORDER))
            for day in sorted(counts)
        )
        flows: tuple[TierFlow, ...] = ()
        if query.flow_from is not None and query.flow_to is not None:
            before = tiers_on(store=store, day=query.flow_from).rename("from_tier")
            after = tiers_on(store=store, day=query.flow_to).rename("to_tier")
            joined = pd.concat([before, after], axis=1).fillna(NONE)
            table = joined.groupby(["from_tier", "to_tier"]).size()
            flows = tuple(
                TierFlow(from_tier, to_tier, int(count))
                for (from_tier, to_tier), count in sorted(table.items())
            )
        entered: tuple[TierEntry, ...] = ()
        if query.entered_day is not None and query.entered_tier is not None:
            entered = tuple(
                TierEntry(
                    customer_id=customer_id,
                    external_id=external_id,
                    name=name,
                    previous_tier=previous,
                    tier=tier,
                    recommended_action=RECOMMENDED_ACTIONS[tier],
                )
                for customer_id, external_id, name, previous, tier in TierChange.objects.filter(
                    store=store, day=query.entered_day, tier=query.entered_tier
                )
                .order_by("customer__external_id")
                .values_list(
                    "customer_id",
                    "customer__external_id",
                    "customer__name",
                    "previous_tier",
                    "tier",
                )[: query.entered_limit]
            )
        return TierResult(store_id=store.pk, sizes=sizes, flows=flows, entered=entered)
