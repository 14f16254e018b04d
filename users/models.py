"""The shop's customers (not staff), their member levels and lifecycle-tier history."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opsdesk.models import StoreOwned

MONEY = {"max_digits": 14, "decimal_places": 2}


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown")


class Tier(models.TextChoices):
    """Lifecycle tiers in DOMAIN.md's decision order; prospects have no paid order."""

    NEW = "new", _("New")
    CHURNED = "churned", _("Churned")
    DORMANT = "dormant", _("Dormant")
    HIGH_VALUE = "high_value", _("High value")
    ACTIVE = "active", _("Active")
    PROSPECT = "prospect", _("Prospect")


class MemberLevel(StoreOwned):
    """A member level (会员等级) reached at a cumulative spend."""

    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=60)
    min_spend = models.DecimalField(_("cumulative spend from"), **MONEY)
    benefits = models.TextField(_("benefits"), blank=True)

    class Meta:
        ordering = ["min_spend"]
        verbose_name = _("member level")
        verbose_name_plural = _("member levels")
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="memberlevel_store_code_uniq"),
            models.UniqueConstraint(
                fields=["store", "min_spend"], name="memberlevel_store_spend_uniq"
            ),
            models.CheckConstraint(condition=Q(min_spend__gte=0), name="memberlevel_spend_gte0"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Customer(StoreOwned):
    """A buyer of the store. ``external_id`` is the platform's buyer id, unique per store."""

    external_id = models.CharField(_("external id"), max_length=64)
    name = models.CharField(_("name"), max_length=120, blank=True)
    region = models.CharField(_("region"), max_length=60, blank=True)
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN
    )
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    member_level = models.ForeignKey(
        MemberLevel,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        verbose_name=_("member level"),
    )
    points = models.IntegerField(_("points"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["external_id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "external_id"], name="customer_store_external_uniq"
            ),
            models.CheckConstraint(
                condition=Q(gender__in=Gender.values), name="customer_gender_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id


class TierChange(StoreOwned):
    """A customer entered ``tier`` on store-local ``day`` (from ``previous_tier``).

    The tier of a customer on a date is the latest change on or before it; "who entered a tier
    on a day" and tier-to-tier flows read this table.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="tier_changes", verbose_name=_("customer")
    )
    day = models.DateField(_("day"))
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices)
    previous_tier = models.CharField(
        _("previous tier"), max_length=12, choices=Tier.choices, blank=True
    )

    class Meta:
        ordering = ["day"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "day"], name="tierchange_customer_day_uniq"
            ),
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="tierchange_tier_valid"),
            models.CheckConstraint(
                condition=~Q(tier=models.F("previous_tier")), name="tierchange_is_a_change"
            ),
        ]
        indexes = [models.Index(fields=["store", "day", "tier"], name="tierchange_store_day_idx")]


class MemberLevelChange(StoreOwned):
    """History of member-level changes."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="level_changes",
        verbose_name=_("customer"),
    )
    day = models.DateField(_("day"))
    level = models.ForeignKey(
        MemberLevel, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("level")
    )
    previous_level = models.ForeignKey(
        MemberLevel,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("previous level"),
    )

    class Meta:
        ordering = ["day"]
        verbose_name = _("member level change")
        verbose_name_plural = _("member level changes")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "day"], name="levelchange_customer_day_uniq"
            )
        ]
