"""Promotion calendar: campaigns with their phase dates, targets, lineups and mechanics."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from opsdesk.channels import Channel
from opsdesk.localtime import local_day
from opsdesk.models import StoreOwned

MONEY = {"max_digits": 14, "decimal_places": 2}


class CampaignKind(models.TextChoices):
    FESTIVAL_618 = "618", _("618")
    DOUBLE_11 = "double_11", _("Double 11")
    DOUBLE_12 = "double_12", _("Double 12")
    QUEENS_DAY = "queens_day", _("38 Queen's Day")
    NEW_YEAR = "new_year", _("New Year goods festival")
    MEMBER_DAY = "member_day", _("Member day")
    ANNIVERSARY = "anniversary", _("Anniversary")
    FLASH_SALE = "flash_sale", _("Flash sale")


class Phase(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    PREPARATION = "preparation", _("Preparation")
    PREHEAT = "preheat", _("Pre-heat")
    BURST = "burst", _("Burst")
    WRAPUP = "wrapup", _("Wrap-up")
    REVIEW = "review", _("Review")


class Campaign(StoreOwned):
    """A campaign and its phases as store-local dates.

    preparation: [preparation_start, preheat_start); pre-heat: [preheat_start, burst_start);
    burst: [burst_start, burst_end]; wrap-up: (burst_end, wrapup_end]; review afterwards.
    """

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=CampaignKind.choices)
    preparation_start = models.DateField(_("preparation starts"))
    preheat_start = models.DateField(_("pre-heat starts"))
    burst_start = models.DateField(_("burst starts"))
    burst_end = models.DateField(_("burst ends"))
    wrapup_end = models.DateField(_("wrap-up ends"))
    gmv_target = models.DecimalField(_("GMV target"), null=True, blank=True, **MONEY)
    #: GMV paid during the pre-heat days (deposits count when their balance is paid, in the
    #: burst); empty: derived, see ``campaigns.targets.preheat_target``.
    preheat_gmv_target = models.DecimalField(
        _("pre-heat GMV target"), null=True, blank=True, **MONEY
    )
    ad_budget = models.DecimalField(_("ad budget"), null=True, blank=True, **MONEY)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    baseline = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("baseline campaign"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-burst_start"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(preparation_start__lte=F("preheat_start"))
                & Q(preheat_start__lte=F("burst_start"))
                & Q(burst_start__lte=F("burst_end"))
                & Q(burst_end__lte=F("wrapup_end")),
                name="campaign_phases_in_order",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CampaignKind.values), name="campaign_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(gmv_target__isnull=True) | Q(gmv_target__gte=0),
                name="campaign_target_gte0",
            ),
            models.CheckConstraint(
                condition=Q(ad_budget__isnull=True) | Q(ad_budget__gte=0),
                name="campaign_budget_gte0",
            ),
            models.CheckConstraint(
                condition=Q(preheat_gmv_target__isnull=True) | Q(preheat_gmv_target__gte=0),
                name="campaign_preheat_target_gte0",
            ),
        ]
        indexes = [models.Index(fields=["store", "burst_start"], name="campaign_store_burst_idx")]

    def __str__(self) -> str:
        return self.name

    def phase_on(self, day: datetime.date) -> Phase:
        """The campaign's phase on a store-local date."""
        if day < self.preparation_start:
            return Phase.UPCOMING
        if day < self.preheat_start:
            return Phase.PREPARATION
        if day < self.burst_start:
            return Phase.PREHEAT
        if day <= self.burst_end:
            return Phase.BURST
        if day <= self.wrapup_end:
            return Phase.WRAPUP
        return Phase.REVIEW

    def phase_at(self, instant: datetime.datetime) -> Phase:
        """The campaign's phase at an aware instant: its store-local day decides (a store in
        Asia/Shanghai is on the next day from 16:00 UTC)."""
        return self.phase_on(local_day(self.store.zone, instant))


class LineupItem(StoreOwned):
    """A SKU in a campaign's lineup with the units planned for it; who chose it."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="lineup", verbose_name=_("campaign")
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="lineups", verbose_name=_("SKU")
    )
    planned_units = models.PositiveIntegerField(_("planned units"), default=0)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("chosen by"),
    )
    chosen_at = models.DateTimeField(_("chosen at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lineup item")
        verbose_name_plural = _("lineup items")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "sku"], name="lineup_campaign_sku_uniq")
        ]


class ChannelBudget(StoreOwned):
    """The part of a campaign's ad budget planned for one channel (渠道预算). Optional; the
    budgets of a campaign add up to at most its ``ad_budget`` (``campaigns.services``
    refuses more), and the review sets each channel's spend against its budget."""

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="channel_budgets",
        verbose_name=_("campaign"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    budget = models.DecimalField(_("budget"), **MONEY)

    class Meta:
        ordering = ["channel"]
        verbose_name = _("channel budget")
        verbose_name_plural = _("channel budgets")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "channel"], name="channelbudget_campaign_channel_uniq"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="channelbudget_channel_valid"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="channelbudget_budget_gte0"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.channel}: {self.budget}"


class MechanicKind(models.TextChoices):
    COUPON = "coupon", _("Coupon")
    FULL_REDUCTION = "full_reduction", _("Full reduction")
    DISCOUNT = "discount", _("Discount")
    DEPOSIT = "deposit", _("Deposit pre-sale")


class Mechanic(StoreOwned):
    """A promotion mechanic (玩法).

    coupon / full reduction: ``amount`` off at ``threshold`` spend (满 threshold 减 amount);
    discount: ``rate`` (0.85 = 15% off); deposit: pay ``amount`` up front, worth
    ``inflated_amount`` at the balance (定金膨胀).
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="mechanics", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MechanicKind.choices)
    threshold = models.DecimalField(_("threshold"), null=True, blank=True, **MONEY)
    amount = models.DecimalField(_("amount"), null=True, blank=True, **MONEY)
    rate = models.DecimalField(_("rate"), max_digits=4, decimal_places=3, null=True, blank=True)
    inflated_amount = models.DecimalField(
        _("inflated deposit value"), null=True, blank=True, **MONEY
    )
    description = models.CharField(_("description"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("mechanic")
        verbose_name_plural = _("mechanics")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MechanicKind.values), name="mechanic_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(rate__isnull=True) | (Q(rate__gt=0) & Q(rate__lte=1)),
                name="mechanic_rate_range",
            ),
        ]


class CampaignHour(StoreOwned):
    """One store-local hour of a campaign's pre-heat or burst day (实时盯盘), from the raw facts.

    ``hour`` is the instant the local hour starts (aware, stored in UTC); ``local_day`` and
    ``local_hour`` are that instant on the store's clock. Per hour: GMV and paid orders of
    orders whose ``paid_at`` falls in the hour, paying buyers and UV distinct within the hour;
    ``day_buyers`` and ``day_uv`` are distinct from the local day's start to the hour's end (UV
    is not additive, so the cumulative conversion needs them). Upserted on (campaign, hour) by
    ``campaigns.services.campaign_hours_refresh``; a re-run changes nothing but
    ``computed_at``.
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="hours", verbose_name=_("campaign")
    )
    hour = models.DateTimeField(_("hour starts"))
    local_day = models.DateField(_("store-local day"))
    local_hour = models.PositiveSmallIntegerField(_("store-local hour"))
    gmv = models.DecimalField(_("GMV"), default=0, **MONEY)
    paid_orders = models.PositiveIntegerField(_("paid orders"), default=0)
    paying_buyers = models.PositiveIntegerField(_("paying buyers"), default=0)
    uv = models.PositiveIntegerField(_("UV"), default=0)
    day_buyers = models.PositiveIntegerField(_("paying buyers of the day so far"), default=0)
    day_uv = models.PositiveIntegerField(_("UV of the day so far"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["hour"]
        verbose_name = _("campaign hour")
        verbose_name_plural = _("campaign hours")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "hour"], name="campaignhour_uniq"),
            models.CheckConstraint(
                condition=Q(local_hour__lte=23), name="campaignhour_local_hour_range"
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "local_day"], name="campaignhour_campaign_day_idx")
        ]
