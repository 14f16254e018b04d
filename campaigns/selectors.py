"""Reads of the promotion calendar for the web pages. Every function takes the store it
reads, so a campaign of another store is simply not found."""

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet

from opsdesk.models import Store

from .models import Campaign, LineupItem, Mechanic


def campaign_list(*, store: Store) -> QuerySet[Campaign]:
    """The store's campaigns, latest burst first, with ``lineup_count`` and
    ``stock_short_count`` (lineup SKUs whose current stock is below their planned units)
    annotated."""
    return (
        Campaign.objects.filter(store=store)
        .annotate(
            lineup_count=Count("lineup", distinct=True),
            stock_short_count=Count(
                "lineup",
                filter=Q(lineup__sku__stock__lt=F("lineup__planned_units")),
                distinct=True,
            ),
        )
        .order_by("-burst_start", "-pk")
    )


def campaign_get(*, store: Store, campaign_id: int) -> Campaign:
    """The store's campaign ``campaign_id`` with its baseline loaded.

    Raises ``Campaign.DoesNotExist`` when there is none in this store (another store's
    campaign included).
    """
    return Campaign.objects.select_related("baseline").get(store=store, pk=campaign_id)


def campaign_lineup(*, campaign: Campaign) -> QuerySet[LineupItem]:
    """The campaign's lineup, SKUs loaded, ordered by SKU code.

    ``stock_short`` is True when the SKU's current stock is below the planned units.
    """
    return (
        LineupItem.objects.filter(store_id=campaign.store_id, campaign=campaign)
        .select_related("sku")
        .annotate(
            stock_short=ExpressionWrapper(
                Q(sku__stock__lt=F("planned_units")), output_field=BooleanField()
            )
        )
        .order_by("sku__code", "pk")
    )


def campaign_mechanics(*, campaign: Campaign) -> QuerySet[Mechanic]:
    """The campaign's mechanics in the order they were added."""
    return Mechanic.objects.filter(store_id=campaign.store_id, campaign=campaign).order_by("pk")
