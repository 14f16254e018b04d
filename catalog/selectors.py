"""Reads of the catalog for the web pages. Every function takes the store it reads."""

import dataclasses
import datetime
import zoneinfo
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, F, FloatField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, NullIf

from opsdesk.localtime import local_day
from opsdesk.models import Store

from .models import Sku, SkuStatus, SkuStatusChange
from .services import DELIST_NOTE

#: Sort keys the SKU list accepts, mapped to the fields they order by. A leading "-" on a key
#: reverses it. Anything else falls back to ``SKU_DEFAULT_SORT``.
SKU_SORTS: dict[str, str] = {
    "code": "code",
    "title": "title",
    "category": "category__name",
    "role": "role",
    "price": "price",
    "cost": "cost",
    "margin": "margin_rate",
    "stock": "stock",
    "status": "status",
    "listed_on": "listed_on",
}
SKU_DEFAULT_SORT = "code"


def sku_sort_is_valid(sort: str) -> bool:
    return sort.removeprefix("-") in SKU_SORTS


def sku_list(
    *,
    store: Store,
    search: str = "",
    role: str = "",
    status: str = "",
    sort: str = SKU_DEFAULT_SORT,
) -> QuerySet[Sku]:
    """The store's SKUs with their category loaded and ``margin_rate`` annotated.

    ``margin_rate`` is (price - cost) / price in percent, None for a SKU priced 0 (no value,
    not 0). ``search`` matches the code or title, case-insensitively. ``sort`` must be a key
    of ``SKU_SORTS`` (optionally prefixed "-"); an unknown key sorts by code. Ties break on
    the primary key so pagination is stable.
    """
    skus = (
        Sku.objects.filter(store=store)
        .select_related("category")
        .annotate(
            margin_rate=(
                Cast(F("price") - F("cost"), FloatField())
                * Value(100.0)
                / NullIf(Cast(F("price"), FloatField()), Value(0.0))
            )
        )
    )
    search = search.strip()
    if search:
        skus = skus.filter(Q(code__icontains=search) | Q(title__icontains=search))
    if role:
        skus = skus.filter(role=role)
    if status:
        skus = skus.filter(status=status)
    if not sku_sort_is_valid(sort):
        sort = SKU_DEFAULT_SORT
    field = F(SKU_SORTS[sort.removeprefix("-")])
    ordering = field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True)
    return skus.order_by(ordering, "pk")


def on_shelf_sku_count(*, store: Store) -> int:
    """Number of the store's SKUs currently on shelf."""
    return Sku.objects.filter(store=store, status=SkuStatus.ON_SHELF).count()


# --- Status and listing day as of a moment (from ``SkuStatusChange``) ----------------------


@dataclasses.dataclass(frozen=True)
class ShelfState:
    """A SKU's status, listing day and start of its current on-shelf spell at a moment."""

    status: str
    listed_on: datetime.date | None
    #: Local day the SKU's current on-shelf spell began: the later of its listing day
    #: (creation day when it has none) and its last recorded return to the shelf (a change
    #: from off shelf or delisted to on shelf) before the moment.
    on_shelf_since: datetime.date


def _changes_of_row() -> QuerySet[SkuStatusChange]:
    return SkuStatusChange.objects.filter(sku=OuterRef("pk"))


def with_shelf_state(queryset: QuerySet[Sku], *, before: datetime.datetime | None) -> QuerySet:
    """``queryset`` annotated for ``shelf_state``: one query, correlated subqueries on the
    ``(sku, changed_at)`` index.

    ``before`` None: the state now (status and listing day are the SKU's own fields, only the
    last return to the shelf is looked up). Otherwise the state just before the instant
    ``before`` (e.g. the end of a past local day): the new values of the last change before
    it; for a SKU without one, the old values of its first change at or after it; for a SKU
    never changed, its own fields.
    """
    returns = (
        _changes_of_row()
        .filter(new_status=SkuStatus.ON_SHELF)
        .exclude(old_status=SkuStatus.ON_SHELF)
    )
    if before is not None:
        returns = returns.filter(changed_at__lt=before)
    annotations: dict[str, Any] = {
        "shelf_returned_at": Subquery(
            returns.order_by("-changed_at", "-pk").values("changed_at")[:1]
        )
    }
    if before is not None:
        last = _changes_of_row().filter(changed_at__lt=before).order_by("-changed_at", "-pk")
        following = _changes_of_row().filter(changed_at__gte=before).order_by("changed_at", "pk")
        annotations |= {
            "shelf_last_id": Subquery(last.values("pk")[:1]),
            "shelf_last_status": Subquery(last.values("new_status")[:1]),
            "shelf_last_listed_on": Subquery(last.values("new_listed_on")[:1]),
            "shelf_next_id": Subquery(following.values("pk")[:1]),
            "shelf_next_status": Subquery(following.values("old_status")[:1]),
            "shelf_next_listed_on": Subquery(following.values("old_listed_on")[:1]),
        }
    return queryset.annotate(**annotations)


def _as_date(value: Any) -> datetime.date | None:
    # SQLite hands an annotated date back as text.
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def shelf_state(row: Mapping[str, Any], *, zone: zoneinfo.ZoneInfo) -> ShelfState:
    """The ``ShelfState`` of one ``.values()`` row of a ``with_shelf_state`` queryset (with
    ``status``, ``listed_on`` and ``created_at``)."""
    status, listed_on = row["status"], row["listed_on"]
    if row.get("shelf_last_id") is not None:
        status, listed_on = row["shelf_last_status"], _as_date(row["shelf_last_listed_on"])
    elif row.get("shelf_next_id") is not None:
        status, listed_on = row["shelf_next_status"], _as_date(row["shelf_next_listed_on"])
    since = listed_on or local_day(zone, row["created_at"])
    returned = row.get("shelf_returned_at")
    if returned is not None:
        since = max(since, local_day(zone, returned))
    return ShelfState(status=status, listed_on=listed_on, on_shelf_since=since)


@dataclasses.dataclass(frozen=True)
class DelistingRound:
    """The store's last bulk delisting (the monthly review of delisting candidates)."""

    at: datetime.datetime
    by: str  # user name; empty when unknown
    skus: int


def last_delisting(*, store: Store) -> DelistingRound | None:
    """The store's latest bulk delisting from the status history (one query), or None."""
    row = (
        SkuStatusChange.objects.filter(store=store, note=DELIST_NOTE)
        .values("changed_at", "changed_by__username")
        .annotate(skus=Count("pk"))
        .order_by("-changed_at")
        .first()
    )
    if row is None:
        return None
    return DelistingRound(row["changed_at"], row["changed_by__username"] or "", row["skus"])
