"""Reads of the promotion calendar for the web pages. Every function takes the store (or the
campaign) it reads, so a campaign of another store is simply not found.

Stock check of a lineup (the calendar's "stock does not cover the planned units" flag): the
stock a lineup SKU is compared with depends on where the campaign is.

- Before the burst starts (upcoming, preparation, pre-heat): the SKU's current stock
  (``Sku.stock``): there is still time to replenish, and today's stock is what the burst will
  start with.
- From the burst start on (burst, wrap-up, review, past): the stock the burst started with,
  the ``StockSnapshot`` of the day before the burst (stock at the end of that day), or the
  latest snapshot of the ``SNAPSHOT_LOOKBACK_DAYS`` days before it when the nightly snapshot
  missed that night. Today's stock says nothing about a burst that has begun (it is what the
  burst left). Without such a snapshot the check is "unknown": not flagged, and shown as such.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from django.db.models import Count, OuterRef, QuerySet, Subquery

from catalog.models import StockSnapshot
from opsdesk.models import Store

from .models import Campaign, ChannelBudget, LineupItem, Mechanic

SNAPSHOT_LOOKBACK_DAYS = 7

StockBasis = Literal["current", "burst_start"]


def campaign_list(*, store: Store) -> QuerySet[Campaign]:
    """The store's campaigns, latest burst first, with ``lineup_count`` annotated (the stock
    check is ``lineup_stock_checks``)."""
    return (
        Campaign.objects.filter(store=store)
        .annotate(lineup_count=Count("lineup", distinct=True))
        .order_by("-burst_start", "-pk")
    )


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
    def known(self) -> bool:
        return self.stock is not None

    @property
    def short(self) -> bool:
        """The stock does not cover the planned units (False when unknown)."""
        return self.stock is not None and self.stock < self.item.planned_units


def _with_start_stock(items: QuerySet[LineupItem]) -> QuerySet[LineupItem]:
    """Annotate ``start_stock`` and ``start_day``: the SKU's latest snapshot before its
    campaign's burst starts (two correlated subqueries on the (sku, day) unique index)."""
    latest = StockSnapshot.objects.filter(
        store_id=OuterRef("store_id"),
        sku_id=OuterRef("sku_id"),
        day__lt=OuterRef("campaign__burst_start"),
    ).order_by("-day")
    return items.annotate(
        start_stock=Subquery(latest.values("stock")[:1]),
        start_day=Subquery(latest.values("day")[:1]),
    )


def _lineup_stock(item: LineupItem, campaign: Campaign, today: datetime.date) -> LineupStock:
    basis = stock_basis(campaign, today)
    if basis == "current":
        return LineupStock(item, basis, item.sku.stock, None)
    earliest = campaign.burst_start - datetime.timedelta(days=SNAPSHOT_LOOKBACK_DAYS)
    if item.start_day is None or item.start_day < earliest:
        return LineupStock(item, basis, None, None)
    return LineupStock(item, basis, item.start_stock, item.start_day)


def campaign_lineup(*, campaign: Campaign, today: datetime.date) -> list[LineupStock]:
    """The campaign's lineup (SKUs and who chose them loaded), ordered by SKU code, each with
    its stock check as of the store-local ``today``. One query."""
    items = _with_start_stock(
        LineupItem.objects.filter(store_id=campaign.store_id, campaign=campaign)
        .select_related("sku", "chosen_by")
        .order_by("sku__code", "pk")
    )
    return [_lineup_stock(item, campaign, today) for item in items]


@dataclass(frozen=True)
class StockCheck:
    """The stock check of one campaign's lineup."""

    basis: StockBasis
    short: int  # lineup SKUs whose stock is below their planned units
    unknown: int  # lineup SKUs without a snapshot of the burst start


def lineup_stock_checks(
    *, campaigns: Iterable[Campaign], today: datetime.date
) -> dict[int, StockCheck]:
    """The stock check of each campaign's lineup by campaign id (campaigns without a lineup
    are absent). One query, whatever the number of campaigns."""
    by_id = {campaign.pk: campaign for campaign in campaigns}
    if not by_id:
        return {}
    stores = {campaign.store_id for campaign in by_id.values()}
    items = _with_start_stock(
        LineupItem.objects.filter(store_id__in=stores, campaign_id__in=list(by_id)).select_related(
            "sku"
        )
    ).order_by("campaign_id", "pk")
    counts: dict[int, list[int]] = {}
    for item in items:
        campaign = by_id[item.campaign_id]
        check = _lineup_stock(item, campaign, today)
        tally = counts.setdefault(campaign.pk, [0, 0])
        tally[0] += check.short
        tally[1] += not check.known
    return {
        pk: StockCheck(stock_basis(by_id[pk], today), short, unknown)
        for pk, (short, unknown) in counts.items()
    }


def campaign_channel_budgets(*, campaign: Campaign) -> QuerySet[ChannelBudget]:
    """The campaign's channel budgets by channel code."""
    return ChannelBudget.objects.filter(store_id=campaign.store_id, campaign=campaign).order_by(
        "channel"
    )


def campaign_mechanics(*, campaign: Campaign) -> QuerySet[Mechanic]:
    """The campaign's mechanics in the order they were added."""
    return Mechanic.objects.filter(store_id=campaign.store_id, campaign=campaign).order_by("pk")
