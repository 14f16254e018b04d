"""Reads of the promotion calendar for the web pages. Every function takes the store (or the
campaign) it reads, so a campaign of another store is simply not found.

Stock check of a lineup (the calendar's "stock does not cover the planned units" flag): the
stock a lineup SKU is compared with depends on where the campaign is on the store-local
``today``.

- Before the burst starts (upcoming, preparation, pre-heat): the SKU's current stock
  (``Sku.stock``): there is still time to replenish, and today's stock is what the burst will
  start with.
- From the burst start on (burst, wrap-up, review, past): the stock the burst started with,
  the latest ``StockSnapshot`` (stock at the end of a day) from the campaign's preparation
  start to the day before the burst: the eve's snapshot when the nightly task took it, else
  the latest one before. Today's stock says nothing about a burst that has begun (it is what
  the burst left). Without such a snapshot the check is "unknown": not flagged, shown as such.
"""

import datetime
from dataclasses import dataclass
from typing import Literal

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from catalog.models import StockSnapshot
from opsdesk.models import Store

from .models import Campaign, ChannelBudget, LineupItem, Mechanic

StockBasis = Literal["current", "burst_start"]


def _start_snapshot(item_ref: str = "") -> QuerySet[StockSnapshot]:
    """The snapshots a lineup item's burst started with, latest first (``item_ref`` is the
    path from the outer query to the lineup item, "" when it is the lineup item)."""
    return StockSnapshot.objects.filter(
        store_id=OuterRef(f"{item_ref}store_id"),
        sku_id=OuterRef(f"{item_ref}sku_id"),
        day__gte=OuterRef(f"{item_ref}campaign__preparation_start"),
        day__lt=OuterRef(f"{item_ref}campaign__burst_start"),
    ).order_by("-day")


def _checked_stock(today: datetime.date) -> Case:
    """The stock a lineup item is checked against on ``today`` (module docstring); NULL when
    the burst has started and no snapshot says what it started with."""
    return Case(
        When(campaign__burst_start__gt=today, then=F("sku__stock")),
        default=Subquery(_start_snapshot().values("stock")[:1]),
        output_field=IntegerField(),
    )


def _lineup_count(today: datetime.date, condition: Q) -> Coalesce:
    """Per campaign (the outer query): how many of its lineup items meet ``condition`` on
    their ``checked`` stock."""
    items = (
        LineupItem.objects.filter(campaign_id=OuterRef("pk"))
        .annotate(checked=_checked_stock(today))
        .filter(condition)
        .order_by()
        .values("campaign_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(items, output_field=IntegerField()), Value(0))


def campaign_list(*, store: Store, today: datetime.date | None = None) -> QuerySet[Campaign]:
    """The store's campaigns, latest burst first, with ``lineup_count``; with ``today``, also
    the stock check of their lineup on that store-local day: ``stock_short_count`` (checked
    stock below the planned units) and ``stock_unknown_count`` (burst started, no snapshot of
    its start)."""
    campaigns = Campaign.objects.filter(store=store).annotate(
        lineup_count=Count("lineup", distinct=True)
    )
    if today is not None:
        campaigns = campaigns.annotate(
            stock_short_count=_lineup_count(today, Q(checked__lt=F("planned_units"))),
            stock_unknown_count=_lineup_count(
                today, Q(checked__isnull=True, campaign__burst_start__lte=today)
            ),
        )
    return campaigns.order_by("-burst_start", "-pk")


def campaign_get(*, store: Store, campaign_id: int) -> Campaign:
    """The store's campaign ``campaign_id`` with its baseline loaded.

    Raises ``Campaign.DoesNotExist`` when there is none in this store (another store's
    campaign included).
    """
    return Campaign.objects.select_related("baseline").get(store=store, pk=campaign_id)


def stock_basis(campaign: Campaign, today: datetime.date) -> StockBasis:
    """Which stock the campaign's lineup is checked against on ``today`` (module docstring)."""
    return "current" if today < campaign.burst_start else "burst_start"


@dataclass(frozen=True)
class LineupStock:
    """A lineup item and the stock its check compares with the planned units."""

    item: LineupItem
    basis: StockBasis
    stock: int | None  # None: no snapshot of the burst start (unknown)
    as_of: datetime.date | None  # the snapshot's day (basis "burst_start")

    @property
    def sku(self):
        return self.item.sku

    @property
    def planned_units(self) -> int:
        return self.item.planned_units

    @property
    def known(self) -> bool:
        return self.stock is not None

    @property
    def stock_short(self) -> bool:
        """The stock does not cover the planned units (False when unknown)."""
        return self.stock is not None and self.stock < self.item.planned_units


def campaign_lineup(*, campaign: Campaign, today: datetime.date) -> list[LineupStock]:
    """The campaign's lineup (SKUs and who chose them loaded), ordered by SKU code, each with
    its stock check as of the store-local ``today``. One query."""
    basis = stock_basis(campaign, today)
    items = (
        LineupItem.objects.filter(store_id=campaign.store_id, campaign=campaign)
        .select_related("sku", "chosen_by")
        .annotate(
            checked=_checked_stock(today),
            snapshot_day=Subquery(_start_snapshot().values("day")[:1]),
        )
        .order_by("sku__code", "pk")
    )
    return [
        LineupStock(
            item, basis, item.checked, item.snapshot_day if basis == "burst_start" else None
        )
        for item in items
    ]


def campaign_channel_budgets(*, campaign: Campaign) -> QuerySet[ChannelBudget]:
    """The campaign's channel budgets by channel code."""
    return ChannelBudget.objects.filter(store_id=campaign.store_id, campaign=campaign).order_by(
        "channel"
    )


def campaign_mechanics(*, campaign: Campaign) -> QuerySet[Mechanic]:
    """The campaign's mechanics in the order they were added."""
    return Mechanic.objects.filter(store_id=campaign.store_id, campaign=campaign).order_by("pk")
