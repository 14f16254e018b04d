"""Reads of the catalog for the web pages. Every function takes the store it reads."""

from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Cast, NullIf

from opsdesk.models import Store

from .models import Sku, SkuStatus

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
