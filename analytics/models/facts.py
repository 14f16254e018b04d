"""The facts: orders with lines, refunds, behaviour events and ad spend (DOMAIN.md "Facts").

Rolled-up metric tables are added by the analytics engine; these are the raw facts they read.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from opsdesk.channels import Channel
from opsdesk.models import StoreOwned, store_key

MONEY = {"max_digits": 14, "decimal_places": 2}


class OrderStatus(models.TextChoices):
    CREATED = "created", _("Awaiting payment")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class EventType(models.TextChoices):
    VIEW = "view", _("View")
    ADD_TO_CART = "add_to_cart", _("Add to cart")
    ORDER = "order", _("Order")
    PAY = "pay", _("Pay")


class Order(StoreOwned):
    """An order (订单). It counts for GMV on ``paid_at`` (for a deposit pre-sale: when the
    balance is paid); ``paid_at`` is null for an order never paid."""

    store = store_key(db_index=False)  # every index of the table starts with the store
    number = models.CharField(_("order number"), max_length=64)
    customer = models.ForeignKey(
        "users.Customer",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("customer"),
        db_index=False,  # order_customer_paid_idx leads with it
    )
    created_at = models.DateTimeField(_("created at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    goods_amount = models.DecimalField(_("goods amount"), **MONEY)
    discount_amount = models.DecimalField(_("discount"), default=0, **MONEY)
    shipping_amount = models.DecimalField(_("shipping"), default=0, **MONEY)
    paid_amount = models.DecimalField(
        _("paid amount"),
        help_text=_("Goods after discounts plus shipping."),
        **MONEY,
    )
    is_presale = models.BooleanField(_("deposit pre-sale"), default=False)
    deposit_amount = models.DecimalField(_("deposit"), null=True, blank=True, **MONEY)
    deposit_paid_at = models.DateTimeField(_("deposit paid at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="order_store_number_uniq"),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="order_channel_valid"
            ),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="order_paid_gte0"),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True) | Q(paid_at__gte=F("created_at")),
                name="order_paid_after_created",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "paid_at"], name="order_store_paid_idx"),
            models.Index(fields=["store", "created_at"], name="order_store_created_idx"),
            # A customer belongs to one store: the store would add nothing to a customer's
            # orders (first-order probes, a customer's history, the protected delete).
            models.Index(fields=["customer", "paid_at"], name="order_customer_paid_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(StoreOwned):
    """A line of an order: the unit price actually paid and the unit cost at the time."""

    # Lines are looked up by order or by SKU (every query by store names the SKUs too, and a
    # SKU belongs to one store): neither the store's own index nor a (store, SKU) one, which
    # cost more per line written than the rest together (bench/README.md, "Imports").
    store = store_key(db_index=False)
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("SKU")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price paid"), **MONEY)
    unit_cost = models.DecimalField(_("unit cost"), **MONEY)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orderline_quantity_gte1"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_gte0"),
        ]


class Refund(StoreOwned):
    """Money returned on an order; reported on ``refunded_at``, not on the order's day."""

    store = store_key(db_index=False)  # every index of the table starts with the store
    number = models.CharField(_("refund number"), max_length=64)
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="refunds", verbose_name=_("order")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    refunded_at = models.DateTimeField(_("refunded at"))

    class Meta:
        ordering = ["-refunded_at"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="refund_store_number_uniq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_gt0"),
        ]
        indexes = [models.Index(fields=["store", "refunded_at"], name="refund_store_time_idx")]


class BehaviourEvent(StoreOwned):
    """A visitor's action (行为事件). ``visitor_id`` is the cookie/device id; ``customer`` is
    known when logged in. ``client_event_id`` makes pushed batches idempotent."""

    visitor_id = models.CharField(_("visitor id"), max_length=64)
    customer = models.ForeignKey(
        "users.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("customer"),
    )
    event_type = models.CharField(_("event type"), max_length=12, choices=EventType.choices)
    sku = models.ForeignKey(
        "catalog.Sku",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("SKU"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    # NULL, not "", for events without a client id: the unique constraint skips NULLs.
    client_event_id = models.CharField(  # noqa: DJ001
        _("client event id"), max_length=64, null=True, blank=True
    )

    class Meta:
        verbose_name = _("behaviour event")
        verbose_name_plural = _("behaviour events")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "client_event_id"],
                condition=Q(client_event_id__isnull=False),
                name="event_store_client_id_uniq",
            ),
            models.CheckConstraint(
                condition=Q(event_type__in=EventType.values), name="event_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="event_channel_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["store", "occurred_at"], name="event_store_time_idx"),
            models.Index(fields=["store", "sku", "occurred_at"], name="event_store_sku_time_idx"),
        ]


class AdSpend(StoreOwned):
    """Ad spend (推广花费) of a store on a channel for one store-local day."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    day = models.DateField(_("day"))
    spend = models.DecimalField(_("spend"), **MONEY)
    impressions = models.PositiveBigIntegerField(_("impressions"), default=0)
    clicks = models.PositiveBigIntegerField(_("clicks"), default=0)

    class Meta:
        ordering = ["-day", "channel"]
        verbose_name = _("ad spend")
        verbose_name_plural = _("ad spend")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "channel", "day"], name="adspend_store_channel_day_uniq"
            ),
            models.CheckConstraint(condition=Q(spend__gte=0), name="adspend_spend_gte0"),
            models.CheckConstraint(
                condition=Q(clicks__lte=F("impressions")), name="adspend_clicks_lte_impressions"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="adspend_channel_valid"
            ),
        ]
