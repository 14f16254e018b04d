"""The demo shop's catalog as an operator finds it: not every SKU tagged the way it sells.

The generator gives every SKU the role it sells as (traffic items cheap and popular, profit
items with fat margins, image items at the top of the range), which is a matrix with nothing
to check. A real catalog lags behind: the newest listings are not tagged yet, and now and then
a SKU is tagged wrongly. ``demo_role_tags_apply`` rewrites the role column of a written demo
store that way, deterministically (no random numbers: it reads the written SKUs), so the
product-matrix page has flags and role suggestions to show:

- the newest traffic listings are untagged, just enough of them that the traffic share of SKUs
  falls below the store's target minus the tolerance (``traffic_share_off_target``); the
  suggestion for each is "traffic" (their price is in the lowest third);
- the two newest profit listings are untagged (suggested from their price band and margin);
- one profit item, the newest priced below the highest profit price, is tagged as an image
  item (``image_below_profit_band``).

Sales and views stay what the generator made them: only the tags change.
"""

import math

from django.db import transaction

from catalog.matrix import TRAFFIC_SHARE_TOLERANCE
from catalog.models import ProductRole, Sku, SkuStatus
from opsdesk.models import Store

UNTAGGED = ""
UNTAGGED_PROFIT_ITEMS = 2


def demo_role_tags_apply(*, store: Store) -> dict[str, list[str]]:
    """Untag and mis-tag a few SKUs of the demo ``store`` as described in the module; returns
    the codes changed per new tag (``""`` = untagged)."""
    skus = list(
        Sku.objects.filter(store=store)
        .exclude(status=SkuStatus.DELISTED)
        .order_by("-listed_on", "-code")
        .values("pk", "code", "role", "price")
    )
    traffic = [sku for sku in skus if sku["role"] == ProductRole.TRAFFIC]
    profit = [sku for sku in skus if sku["role"] == ProductRole.PROFIT]
    # The largest traffic count whose share is below target - tolerance.
    below = (store.traffic_share_target - TRAFFIC_SHARE_TOLERANCE) * len(skus)
    keep = max(0, math.ceil(below) - 1)
    untag = traffic[: max(0, len(traffic) - keep)] + profit[:UNTAGGED_PROFIT_ITEMS]
    changes: dict[str, list[str]] = {UNTAGGED: [sku["code"] for sku in untag]}
    rest = profit[UNTAGGED_PROFIT_ITEMS:]
    if rest:
        top = max(sku["price"] for sku in rest)
        cheaper = [sku for sku in rest if sku["price"] < top]
        if cheaper:
            changes[ProductRole.IMAGE] = [cheaper[0]["code"]]
    with transaction.atomic():
        for role, codes in changes.items():
            Sku.objects.filter(store=store, code__in=codes).update(role=role)
    return changes
