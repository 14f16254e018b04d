"""Rolled-up tables (DOMAIN.md "Nightly rollups"): what dashboards and reports read.

Design, so that ANY date range can be answered exactly:

* ``DailyStoreMetrics`` / ``DailyChannelMetrics`` / ``DailySkuMetrics`` hold one row per unit
  (store x day, x channel, x SKU) with numerators and denominators only. Additive measures
  (GMV, orders, refunds, gross profit, PV, spend, new buyers...) are summed over a range;
  ratios are recomputed from the summed parts (``analytics.metrics``), never averaged.
* Distinct counts (UV, cart/order/pay visitors, paying buyers, repeat buyers) are NOT additive.
  Over a range they are the sizes of unions of packed id sets (``analytics.idsets``), one row
  per store x day x channel: ``VisitorSet`` (the day's visitors of the channel, and those who
  carted, ordered, paid) and ``BuyerSet`` (the day's paying customers with their paid orders,
  packed from ``BuyerDay``: one row per store x day x customer x channel, which the rollup's
  own statements join). A range reads a few hundred rows and unites them in numpy.
* ``FunnelDay`` holds each day's funnel progress per visitor, which combines into the funnel
  of any range.
* ``Visitor`` maps the free-form visitor id (cookie/device) to a compact integer per store, so
  the sets hold 8-byte integers.
* Days are store-local calendar days (``Store.time_zone``).
* ``StaleDay`` marks days whose facts changed after they were rolled up.

Every row carries ``computed_at``; a rollup replaces a unit's rows in one transaction, so a
reader sees the old rows or the new ones, never a mix.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opsdesk.channels import Channel
from opsdesk.models import Store, StoreOwned
from users.models import Tier

MONEY = {"max_digits": 16, "decimal_places": 2}


def _store_fk() -> models.ForeignKey:
    # The unique constraints below start with ``store``, so a separate index on store_id would
    # only slow down the bulk inserts of the large tables. No database FK constraint either:
    # these rows are derived from facts that are constrained already, and a per-row FK check
    # on hundreds of thousands of inserted visitor-days doubled the cost of a back-fill.
    # Django still cascades deletes of a store to them.
    return models.ForeignKey(
        Store,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("store"),
    )


class Visitor(models.Model):
    """A visitor id (cookie/device) of a store, as a compact integer for distinct counts."""

    id = models.BigAutoField(primary_key=True)
    store = _store_fk()
    visitor_key = models.CharField(_("visitor id"), max_length=64)

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")
        constraints = [
            models.UniqueConstraint(fields=["store", "visitor_key"], name="visitor_store_key_uniq")
        ]

    def __str__(self) -> str:
        return self.visitor_key


class VisitorSet(models.Model):
    """The visitors of a store-local day through a channel, with the funnel steps they did:
    packed id sets (``analytics.idsets``) of ``Visitor`` ids, one row per store x day x
    channel with any event.

    UV of any range = the size of the union of the range's ``visitors`` blobs (per channel:
    of that channel's rows; per store: of every channel's, so a visitor seen through two
    channels counts once); cart/order/pay visitors the same with ``carted``/``ordered``/
    ``paid``. The counts of the row itself (distinct within the day and channel) are stored
    beside the blobs; PV = SUM(views).
    """

    id = models.BigAutoField(primary_key=True)
    store = _store_fk()
    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    views = models.PositiveBigIntegerField(_("views"), default=0)
    uv = models.PositiveIntegerField(_("UV"), default=0)
    cart_visitors = models.PositiveIntegerField(_("add-to-cart visitors"), default=0)
    order_visitors = models.PositiveIntegerField(_("ordering visitors"), default=0)
    pay_visitors = models.PositiveIntegerField(_("paying visitors"), default=0)
    visitors = models.BinaryField(_("visitors (packed ids)"), null=True)
    carted = models.BinaryField(_("added to cart (packed ids)"), null=True)
    ordered = models.BinaryField(_("ordered (packed ids)"), null=True)
    paid = models.BinaryField(_("paid (packed ids)"), null=True)

    class Meta:
        verbose_name = _("visitor set")
        verbose_name_plural = _("visitor sets")
        constraints = [
            # Also the index of every range query: (store, day BETWEEN ...).
            models.UniqueConstraint(fields=["store", "day", "channel"], name="visitorset_unit_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day} {self.channel}: {self.uv}"


class FunnelDay(models.Model):
    """The funnel progress of the visitors whose step 1 (a view) fell on a store-local day:
    for each such visitor, the deepest step reached from that day's starts within
    ``window_hours`` and the channel of the earliest start that reached it
    (``analytics.funnel.funnel_days``). One row per store and day; the visitors are a packed
    id set (``analytics.idsets``, ascending) with ``depths`` and ``channels`` as one byte per
    visitor, aligned (``channels`` holds indexes into ``analytics.funnel.CHANNEL_CODES``).

    A range's funnel is these rows combined: a visitor's depth over the range is their
    deepest day, and their channel that of the earliest day with that depth — the same
    answer as matching the range's raw events (``FunnelRunner`` reads these rows for the
    store's own window and no product filter). The row of day D depends on events up to one
    window after D, so the nightly rollup of D also rewrites the rows of the days before D
    that the window reaches.
    """

    id = models.BigAutoField(primary_key=True)
    store = _store_fk()
    day = models.DateField(_("day"))
    window_hours = models.PositiveSmallIntegerField(_("conversion window (hours)"))
    visitors = models.BinaryField(_("visitors (packed ids)"), null=True)
    depths = models.BinaryField(_("depth per visitor"), null=True)
    channels = models.BinaryField(_("channel per visitor"), null=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("funnel day")
        verbose_name_plural = _("funnel days")
        constraints = [
            models.UniqueConstraint(fields=["store", "day"], name="funnelday_store_day_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day} ({self.window_hours} h)"


class BuyerDay(models.Model):
    """A customer's paid orders on a store-local day through a channel.

    Paying buyers of any range = COUNT(DISTINCT customer); repeat buyers = customers whose
    SUM(paid_orders) over the range is >= 2. ``first_orders`` is 1 when one of these orders is
    the customer's first-ever paid order (earliest ``paid_at``, ties broken by id).
    """

    id = models.BigAutoField(primary_key=True)
    store = _store_fk()
    day = models.DateField(_("day"))
    customer = models.ForeignKey(
        "users.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    paid_orders = models.PositiveIntegerField(_("paid orders"))
    gmv = models.DecimalField(_("GMV"), **MONEY)
    first_orders = models.PositiveSmallIntegerField(_("first-ever paid orders"), default=0)

    class Meta:
        verbose_name = _("buyer day")
        verbose_name_plural = _("buyer days")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "day", "customer", "channel"], name="buyerday_unit_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.day} {self.channel}"


class BuyerSet(models.Model):
    """The paying buyers of a store-local day through a channel as a packed id set of
    customer ids (``buyers``, ascending) with each buyer's paid orders of the day
    (``orders``, aligned): written from the day's ``BuyerDay`` rows, read by the reports.
    Paying buyers of any range = the number of distinct ids over its rows; repeat buyers =
    the ids whose orders add up to 2 or more."""

    id = models.BigAutoField(primary_key=True)
    store = _store_fk()
    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    paying_buyers = models.PositiveIntegerField(_("paying buyers"), default=0)
    buyers = models.BinaryField(_("buyers (packed ids)"), null=True)
    orders = models.BinaryField(_("paid orders per buyer"), null=True)

    class Meta:
        verbose_name = _("buyer set")
        verbose_name_plural = _("buyer sets")
        constraints = [
            models.UniqueConstraint(fields=["store", "day", "channel"], name="buyerset_unit_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day} {self.channel}: {self.paying_buyers}"


class DailyMeasures(models.Model):
    """The measures of one store-local day (abstract; store level and channel level)."""

    day = models.DateField(_("day"))
    gmv = models.DecimalField(_("GMV"), default=0, **MONEY)
    paid_orders = models.PositiveIntegerField(_("paid orders"), default=0)
    paying_buyers = models.PositiveIntegerField(_("paying buyers"), default=0)
    new_buyers = models.PositiveIntegerField(_("new buyers"), default=0)
    repeat_buyers = models.PositiveIntegerField(_("buyers with 2+ paid orders"), default=0)
    refund_amount = models.DecimalField(_("refund amount"), default=0, **MONEY)
    gross_profit = models.DecimalField(_("gross profit"), default=0, **MONEY)
    pv = models.PositiveBigIntegerField(_("PV"), default=0)
    uv = models.PositiveIntegerField(_("UV"), default=0)
    cart_visitors = models.PositiveIntegerField(_("add-to-cart visitors"), default=0)
    order_visitors = models.PositiveIntegerField(_("ordering visitors"), default=0)
    pay_visitors = models.PositiveIntegerField(_("paying visitors"), default=0)
    ad_spend = models.DecimalField(_("ad spend"), default=0, **MONEY)
    impressions = models.PositiveBigIntegerField(_("impressions"), default=0)
    clicks = models.PositiveBigIntegerField(_("clicks"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        abstract = True


class DailyStoreMetrics(StoreOwned, DailyMeasures):
    """One row per store and store-local day, written for every rolled-up day (zeros included),
    so "has this day been rolled up" is the existence of this row."""

    class Meta:
        ordering = ["day"]
        verbose_name = _("daily store metrics")
        verbose_name_plural = _("daily store metrics")
        constraints = [
            models.UniqueConstraint(fields=["store", "day"], name="dailystore_store_day_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day}"


class DailyChannelMetrics(StoreOwned, DailyMeasures):
    """One row per store, day and channel with any activity. GMV, orders, refunds, gross
    profit, PV, spend and new buyers add up to the store row; the distinct counts do not (a
    visitor may come through two channels)."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)

    class Meta:
        ordering = ["day", "channel"]
        verbose_name = _("daily channel metrics")
        verbose_name_plural = _("daily channel metrics")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "day", "channel"], name="dailychannel_unit_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day} {self.channel}"


class DailySkuMetrics(models.Model):
    """One row per store, day and SKU with sales or views. ``gmv`` here is the lines' value
    (unit price x quantity, without order-level shipping); ``first_orders`` counts first-ever
    paid orders of a customer that contain the SKU."""

    id = models.BigAutoField(primary_key=True)
    store = _store_fk()
    day = models.DateField(_("day"))
    sku = models.ForeignKey(
        "catalog.Sku",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        verbose_name=_("SKU"),
    )
    units = models.PositiveIntegerField(_("units"), default=0)
    gmv = models.DecimalField(_("GMV of lines"), default=0, **MONEY)
    gross_profit = models.DecimalField(_("gross profit"), default=0, **MONEY)
    paid_orders = models.PositiveIntegerField(_("paid orders"), default=0)
    buyers = models.PositiveIntegerField(_("buyers"), default=0)
    first_orders = models.PositiveIntegerField(_("first orders"), default=0)
    views = models.PositiveIntegerField(_("views"), default=0)
    visitors = models.PositiveIntegerField(_("visitors"), default=0)
    cart_visitors = models.PositiveIntegerField(_("add-to-cart visitors"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["day", "sku"]
        verbose_name = _("daily SKU metrics")
        verbose_name_plural = _("daily SKU metrics")
        constraints = [
            models.UniqueConstraint(fields=["store", "day", "sku"], name="dailysku_unit_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day} {self.sku_id}"


class StaleDay(StoreOwned):
    """A store-local day whose facts changed after it was rolled up (a late refund, an import).

    ``marked_at`` is refreshed by every mark; a rollup deletes the mark only if it is unchanged
    since the rollup started, so a fact that arrives during a rollup is never lost.
    """

    day = models.DateField(_("day"))
    marked_at = models.DateTimeField(_("marked at"))

    class Meta:
        ordering = ["day"]
        verbose_name = _("stale day")
        verbose_name_plural = _("stale days")
        constraints = [
            models.UniqueConstraint(fields=["store", "day"], name="staleday_store_day_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day}"


class TierDailyCount(StoreOwned):
    """How many customers of a store were in each lifecycle tier at the end of a local day."""

    day = models.DateField(_("day"))
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices)
    customers = models.PositiveIntegerField(_("customers"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["day", "tier"]
        verbose_name = _("daily tier count")
        verbose_name_plural = _("daily tier counts")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "day", "tier"], name="tiercount_store_day_tier_uniq"
            ),
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="tiercount_tier_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day} {self.tier}: {self.customers}"


class RfmScore(StoreOwned):
    """The latest RFM snapshot of a store (one row per scored customer, as of ``as_of``).

    Written nightly by ``analytics.rfm.rfm_snapshot_write``; ``RfmRunner`` reads it when the
    requested date is the snapshot's date and computes from the orders otherwise.
    """

    # Rewritten whole every night: no database FK checks (two deferred triggers per row were
    # half the write) and no store-only index (the unique constraint starts with store).
    store = _store_fk()
    customer = models.ForeignKey(
        "users.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        verbose_name=_("customer"),
    )
    as_of = models.DateField(_("as of"))
    recency_days = models.PositiveIntegerField(_("R: days since last paid order"))
    frequency = models.PositiveIntegerField(_("F: paid orders"))
    monetary = models.DecimalField(_("M: paid amount"), **MONEY)
    r_score = models.PositiveSmallIntegerField(_("R score"))
    f_score = models.PositiveSmallIntegerField(_("F score"))
    m_score = models.PositiveSmallIntegerField(_("M score"))
    segment = models.CharField(_("segment"), max_length=24)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("RFM score")
        verbose_name_plural = _("RFM scores")
        constraints = [
            models.UniqueConstraint(fields=["store", "customer"], name="rfmscore_store_cust_uniq")
        ]
        indexes = [models.Index(fields=["store", "segment"], name="rfmscore_store_segment_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.segment} ({self.r_score}{self.f_score}{self.m_score})"


class CustomerStateSnapshot(models.Model):
    """Every customer's paid-order state of a store at the end of local day ``as_of``: the
    running totals the nightly tier and RFM computations start from, so a night reads the
    day's orders instead of the whole order history (``users.tiers``).

    One row per store. ``payload`` is a compressed numpy ``.npz`` of per-customer arrays
    aligned on ``id``: ``first_day``/``last_day`` (date ordinals, 0 = never paid),
    ``paid_orders``/``paid_cents`` (all history up to ``as_of``), ``tier`` (code of
    ``users.tiers.TIER_ORDER``, -1 = not a customer yet) and ``window_orders``/
    ``window_cents`` (paid orders whose local day is in the last ``window_days`` days up to
    ``as_of``: the RFM window). A blob rather than a row per customer: it is read and
    rewritten whole every night, and one row makes that O(customers) in numpy instead of
    hundreds of thousands of row writes.

    It is a cache of the facts, never the source of truth: it is deleted whenever a day on or
    before ``as_of`` is rolled up again or marked stale, and rebuilt from the orders by the
    next tier rollup.
    """

    id = models.BigAutoField(primary_key=True)
    store = _store_fk()
    as_of = models.DateField(_("as of"))
    window_days = models.PositiveSmallIntegerField(_("RFM window (days)"))
    payload = models.BinaryField(_("per-customer arrays (npz)"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("customer state snapshot")
        verbose_name_plural = _("customer state snapshots")
        constraints = [models.UniqueConstraint(fields=["store"], name="customerstate_store_uniq")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.as_of}"
