"""Stores (tenants) and staff memberships."""

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Capability, Role, role_allows


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def validate_weekdays(value: str) -> None:
    """A comma-separated list of ISO weekdays, 1 = Monday ... 7 = Sunday."""
    try:
        days = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        days = []
    if not days or any(day < 1 or day > 7 for day in days):
        raise ValidationError(
            _("Give weekdays as numbers 1 (Monday) to 7 (Sunday), comma-separated.")
        )


class Store(models.Model):
    """A shop on one platform: the tenant every fact, setting and report belongs to.

    Thresholds of DOMAIN.md are per-store settings with the handbook's defaults.
    """

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    platform = models.CharField(_("platform"), max_length=40, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Lifecycle tiers (用户分层)
    new_customer_days = models.PositiveSmallIntegerField(
        _("new customer window (days)"), default=30
    )
    dormant_after_days = models.PositiveSmallIntegerField(_("dormant after (days)"), default=90)
    churned_after_days = models.PositiveSmallIntegerField(_("churned after (days)"), default=180)
    high_value_min_orders = models.PositiveSmallIntegerField(
        _("high value: minimum paid orders"), default=3
    )
    high_value_min_average = models.DecimalField(
        _("high value: minimum average paid amount"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("200.00"),
    )
    # RFM and funnel
    rfm_window_days = models.PositiveSmallIntegerField(_("RFM window (days)"), default=365)
    funnel_window_hours = models.PositiveSmallIntegerField(
        _("funnel conversion window (hours)"), default=24
    )
    # Catalog
    traffic_share_target = models.DecimalField(
        _("target share of traffic items"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.300"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    delisting_sell_through = models.DecimalField(
        _("delisting sell-through threshold"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.050"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    replenishment_lead_days = models.PositiveSmallIntegerField(
        _("replenishment lead time (days)"), default=7
    )
    overstock_cover_days = models.PositiveSmallIntegerField(_("overstock above (days)"), default=90)
    listing_weekdays = models.CharField(
        _("listing weekdays"),
        max_length=20,
        default="2,5",
        validators=[validate_weekdays],
        help_text=_(
            "ISO weekdays new items are listed on, 1 = Monday; default Tuesday and Friday."
        ),
    )
    price_protection_days = models.PositiveSmallIntegerField(
        _("price protection (days)"), default=30
    )
    # Campaigns and members
    lineup_min_conversion = models.DecimalField(
        _("lineup: minimum 30-day conversion"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.080"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    points_per_yuan = models.DecimalField(
        _("points per paid yuan"), max_digits=6, decimal_places=2, default=Decimal("1.00")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("store")
        verbose_name_plural = _("stores")

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def listing_weekday_numbers(self) -> list[int]:
        return [int(part) for part in self.listing_weekdays.split(",") if part.strip()]


class Membership(models.Model):
    """A staff member's role in one store. A user may belong to several stores."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("store")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "store"], name="membership_user_store_uniq"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.store} ({self.get_role_display()})"

    def allows(self, capability: Capability) -> bool:
        return role_allows(self.role, capability)


def store_key(**options) -> models.ForeignKey:
    """The ``store`` column of a store-owned model. A model whose own indexes all start with
    the store passes ``db_index=False``: its single-column index would be one more index for
    every row written (fact tables take imports of millions of rows) and serve no query
    those indexes do not."""
    return models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"), **options
    )


class StoreOwned(models.Model):
    """Abstract base: every store-owned row carries its store."""

    store = store_key()

    class Meta:
        abstract = True


class ApiToken(models.Model):
    """A personal REST API token (``Authorization: Token <key>`` or ``Bearer <key>``).

    Only the SHA-256 of the key is stored; the key itself is shown once, when the token is
    created (``opsdesk.tokens.token_create``). ``prefix`` (the key's first characters) lets a
    person tell their tokens apart without revealing them. A token reaches the stores in
    ``stores`` (always a subset of the user's memberships); with no store listed it reaches
    every store the user belongs to. Expired or revoked tokens authenticate nobody.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    stores = models.ManyToManyField(
        Store, blank=True, related_name="api_tokens", verbose_name=_("stores")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_revoked_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditSource(models.TextChoices):
    API = "api", _("REST API")
    WEB = "web", _("Web pages")
    ADMIN = "admin", _("Admin site")
    TASK = "task", _("Background task")


class AuditEntry(models.Model):
    """One write to a store's data: who, through what, what changed (append-only).

    ``object_type`` is ``app_label.model``; ``changes`` maps each changed field to
    ``[old, new]`` for updates, or holds the written values / counts for creates and batches.
    """

    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="audit_entries", verbose_name=_("store")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    token = models.ForeignKey(
        ApiToken,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("API token"),
    )
    source = models.CharField(_("source"), max_length=8, choices=AuditSource.choices)
    action = models.CharField(_("action"), max_length=32)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source__in=AuditSource.values), name="auditentry_source_valid"
            )
        ]
        indexes = [
            models.Index(fields=["store", "-created_at"], name="auditentry_store_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"
