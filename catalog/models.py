"""The product matrix: categories, SKUs with their role, price history, stock snapshots and
Advertising-Law compliance."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opsdesk.models import StoreOwned

MONEY = {"max_digits": 14, "decimal_places": 2}


class ProductRole(models.TextChoices):
    TRAFFIC = "traffic", _("Traffic item")
    PROFIT = "profit", _("Profit item")
    IMAGE = "image", _("Image item")


class SkuStatus(models.TextChoices):
    ON_SHELF = "on_shelf", _("On shelf")
    OFF_SHELF = "off_shelf", _("Off shelf")
    DELISTED = "delisted", _("Delisted")


class Category(StoreOwned):
    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="category_store_name_uniq")
        ]

    def __str__(self) -> str:
        return self.name


class Sku(StoreOwned):
    """A sellable item. ``code`` is the shop's own SKU code (商家编码), unique per store."""

    code = models.CharField(_("SKU code"), max_length=64)
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="skus",
        verbose_name=_("category"),
    )
    role = models.CharField(
        _("role"), max_length=10, choices=ProductRole.choices, blank=True, default=""
    )
    price = models.DecimalField(_("price"), **MONEY)
    cost = models.DecimalField(_("unit cost"), **MONEY)
    stock = models.IntegerField(_("stock"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=SkuStatus.choices, default=SkuStatus.ON_SHELF
    )
    listed_on = models.DateField(_("listed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="sku_store_code_uniq"),
            models.CheckConstraint(condition=Q(price__gte=0), name="sku_price_nonnegative"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="sku_cost_nonnegative"),
            models.CheckConstraint(
                condition=Q(role__in=["", *ProductRole.values]), name="sku_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SkuStatus.values), name="sku_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["store", "role"], name="sku_store_role_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class PriceChange(StoreOwned):
    """Every change of a SKU's price: who, when, old, new (for price protection 保价)."""

    sku = models.ForeignKey(
        Sku, on_delete=models.CASCADE, related_name="price_changes", verbose_name=_("SKU")
    )
    old_price = models.DecimalField(_("old price"), **MONEY)
    new_price = models.DecimalField(_("new price"), **MONEY)
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["-changed_at"]
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")
        indexes = [
            models.Index(fields=["store", "sku", "changed_at"], name="pricechange_sku_time_idx")
        ]


class StockSnapshot(StoreOwned):
    """Stock of a SKU at the end of a store-local day, so cover and turnover have a past."""

    sku = models.ForeignKey(
        Sku, on_delete=models.CASCADE, related_name="stock_snapshots", verbose_name=_("SKU")
    )
    day = models.DateField(_("day"))
    stock = models.IntegerField(_("stock"))

    class Meta:
        verbose_name = _("stock snapshot")
        verbose_name_plural = _("stock snapshots")
        constraints = [
            models.UniqueConstraint(fields=["sku", "day"], name="stocksnapshot_sku_day_uniq")
        ]
        indexes = [models.Index(fields=["store", "day"], name="stocksnapshot_store_day_idx")]


class SkuStatusChange(StoreOwned):
    """A change of a SKU's status or listing day (上下架记录), so SKU health of a past day uses
    the status and the on-shelf day of that day.

    Append-only, written in the same transaction as the change by
    ``catalog.services.sku_status_history_record``, which every writer of ``Sku.status`` and
    ``Sku.listed_on`` calls (SKU edits in the pages, API and admin, bulk delisting, imports).
    A SKU's first status (its creation) is not a change; before its first change a SKU had the
    change's ``old_*`` values.
    """

    sku = models.ForeignKey(
        Sku, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("SKU")
    )
    changed_at = models.DateTimeField(_("status changed at"))
    old_status = models.CharField(_("old status"), max_length=10, choices=SkuStatus.choices)
    new_status = models.CharField(_("new status"), max_length=10, choices=SkuStatus.choices)
    old_listed_on = models.DateField(_("old listing day"), null=True, blank=True)
    new_listed_on = models.DateField(_("new listing day"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("status changed by"),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("SKU status change")
        verbose_name_plural = _("SKU status changes")
        constraints = [
            models.CheckConstraint(
                condition=Q(old_status__in=SkuStatus.values) & Q(new_status__in=SkuStatus.values),
                name="skustatuschange_status_valid",
            )
        ]
        indexes = [
            # The as-of lookups: a SKU's last change before, or first change after, a moment.
            models.Index(fields=["sku", "changed_at"], name="skustatuschange_sku_time_idx"),
            models.Index(fields=["store", "changed_at"], name="skustatuschange_store_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} {self.old_status} -> {self.new_status}"


class BannedTerm(StoreOwned):
    """A word the Advertising Law forbids in titles and descriptions (广告法极限词)."""

    term = models.CharField(_("term"), max_length=40)
    replacement = models.CharField(_("neutral replacement"), max_length=40, blank=True)
    allowed_phrases = models.CharField(
        _("allowed phrases"),
        max_length=255,
        blank=True,
        help_text=_(
            "Comma-separated phrases containing the term that are not findings, e.g. 最近."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["term"]
        verbose_name = _("banned term")
        verbose_name_plural = _("banned terms")
        constraints = [
            models.UniqueConstraint(fields=["store", "term"], name="bannedterm_store_term_uniq")
        ]

    def __str__(self) -> str:
        return self.term


class ComplianceFinding(StoreOwned):
    """A banned term found in a SKU's text; open until the text no longer contains it."""

    class Field(models.TextChoices):
        TITLE = "title", _("title")
        DESCRIPTION = "description", _("description")

    sku = models.ForeignKey(
        Sku, on_delete=models.CASCADE, related_name="findings", verbose_name=_("SKU")
    )
    field = models.CharField(_("field"), max_length=12, choices=Field.choices)
    term = models.CharField(_("term"), max_length=40)
    position = models.PositiveIntegerField(_("position"))
    first_seen_at = models.DateTimeField(_("first seen at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["first_seen_at"]
        verbose_name = _("compliance finding")
        verbose_name_plural = _("compliance findings")
        constraints = [
            models.UniqueConstraint(
                fields=["sku", "field", "term", "position"],
                condition=Q(resolved_at__isnull=True),
                name="finding_open_uniq",
            )
        ]
        indexes = [models.Index(fields=["store", "resolved_at"], name="finding_store_resolved_idx")]


class RoleSuggestionDecision(StoreOwned):
    """An operator's answer to a suggested role (商品角色建议): accepted or rejected.

    History, append-only. A rejected suggestion is not offered again for the same SKU and
    role, so the matrix page does not nag; an accepted one has already changed ``Sku.role``.
    """

    sku = models.ForeignKey(
        Sku, on_delete=models.CASCADE, related_name="role_decisions", verbose_name=_("SKU")
    )
    suggested_role = models.CharField(
        _("suggested role"), max_length=10, choices=ProductRole.choices
    )
    previous_role = models.CharField(
        _("previous role"), max_length=10, choices=ProductRole.choices, blank=True
    )
    accepted = models.BooleanField(_("accepted"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    decided_at = models.DateTimeField(_("decided at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("role suggestion decision")
        verbose_name_plural = _("role suggestion decisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(suggested_role__in=ProductRole.values),
                name="roledecision_role_valid",
            )
        ]
        indexes = [models.Index(fields=["store", "sku", "accepted"], name="roledecision_sku_idx")]

    def __str__(self) -> str:
        verdict = "accepted" if self.accepted else "rejected"
        return f"{self.sku_id} {self.suggested_role} {verdict}"
