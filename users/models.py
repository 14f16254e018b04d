"""The shop's customers (not staff), their member levels and lifecycle-tier history."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opsdesk.models import StoreOwned, store_key

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

    store = store_key(db_index=False)  # the (store, external id) key leads with it
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


class PredictionFit(StoreOwned):
    """The BG/NBD and Gamma-Gamma parameters fitted on one store's purchase history.

    Time is in weeks (the published parameters' unit). Kept as history: the churn warning
    compares a customer's P(alive) with the one of the previous fit. Gamma-Gamma fields are
    null when the store has fewer than 10 repeat buyers.
    """

    as_of = models.DateField(_("as of"))
    fitted_at = models.DateTimeField(_("fitted at"))
    customers = models.PositiveIntegerField(_("customers"))
    repeat_buyers = models.PositiveIntegerField(_("repeat buyers"))
    r = models.FloatField("r")
    alpha = models.FloatField("alpha")
    a = models.FloatField("a")
    b = models.FloatField("b")
    log_likelihood = models.FloatField(_("log-likelihood"))
    p = models.FloatField("p", null=True, blank=True)
    q = models.FloatField("q", null=True, blank=True)
    gamma = models.FloatField("gamma", null=True, blank=True)
    seconds = models.FloatField(_("fit time (seconds)"))

    class Meta:
        ordering = ["-fitted_at"]
        verbose_name = _("prediction fit")
        verbose_name_plural = _("prediction fits")
        indexes = [models.Index(fields=["store", "-fitted_at"], name="predfit_store_time_idx")]


class CustomerPrediction(StoreOwned):
    """A customer's predicted values from the store's latest fit (one row per customer).

    ``previous_p_alive`` is the value of the fit before, so a falling P(alive) is visible.
    Churn risk is 1 - P(alive); CLV is the expected spend of the next 90 days.
    """

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="prediction", verbose_name=_("customer")
    )
    fit = models.ForeignKey(
        PredictionFit, on_delete=models.CASCADE, related_name="+", verbose_name=_("fit")
    )
    repeat_purchases = models.PositiveIntegerField(_("repeat purchases"))
    p_alive = models.FloatField(_("probability active"))
    previous_p_alive = models.FloatField(_("previous probability active"), null=True, blank=True)
    expected_purchases_90d = models.FloatField(_("expected purchases in 90 days"))
    expected_order_value = models.DecimalField(
        _("expected order value"), null=True, blank=True, **MONEY
    )
    clv_90d = models.DecimalField(_("expected spend in 90 days"), null=True, blank=True, **MONEY)

    class Meta:
        verbose_name = _("customer prediction")
        verbose_name_plural = _("customer predictions")
        indexes = [models.Index(fields=["store", "p_alive"], name="custpred_store_alive_idx")]

    @property
    def churn_risk(self) -> float:
        return 1.0 - self.p_alive


class TriggerKind(models.TextChoices):
    ENTERED_TIER = "entered_tier", _("Entered a tier")
    RFM_SEGMENT = "rfm_segment", _("Is in an RFM segment")
    ABANDONED_CART = "abandoned_cart", _("Abandoned a cart")
    CHURN_RISK = "churn_risk", _("Churn risk above a threshold")
    BIRTHDAY = "birthday", _("Birthday")
    MEMBER_DAY = "member_day", _("Member day")


class ActionKind(models.TextChoices):
    EXPORT = "export", _("Exported list (CSV/XLSX)")
    WEBHOOK = "webhook", _("Webhook POST")


class Playbook(StoreOwned):
    """A rule that picks customers every day (the trigger), contacts all but a hold-out share
    of them (the action) and measures the effect against the held-out ones.

    Trigger parameters: ``tier`` (entered_tier), ``segment`` (rfm_segment), ``cart_hours``
    (abandoned_cart), ``churn_threshold`` (churn_risk), ``member_day`` (day of the month,
    member_day). ``message_template`` may use ``{name}``, ``{external_id}``, ``{level}``,
    ``{points}`` and ``{coupon}``.
    """

    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(
        _("ready-made code"),
        max_length=40,
        blank=True,
        help_text=_("Set on the ready-made playbooks; empty for the store's own."),
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=TriggerKind.choices)
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices, blank=True)
    segment = models.CharField(_("RFM segment"), max_length=24, blank=True)
    cart_hours = models.PositiveSmallIntegerField(_("abandoned within (hours)"), default=24)
    churn_threshold = models.DecimalField(
        _("churn risk threshold"), max_digits=4, decimal_places=3, default=Decimal("0.700")
    )
    member_day = models.PositiveSmallIntegerField(_("member day of the month"), default=18)
    action = models.CharField(
        _("action"), max_length=10, choices=ActionKind.choices, default=ActionKind.EXPORT
    )
    message_template = models.TextField(_("message template"), blank=True)
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    webhook_secret = models.CharField(_("webhook signing secret"), max_length=128, blank=True)
    coupon_value = models.DecimalField(_("coupon value"), default=Decimal("0.00"), **MONEY)
    holdout_share = models.DecimalField(
        _("hold-out share"), max_digits=4, decimal_places=3, default=Decimal("0.100")
    )
    cooldown_days = models.PositiveSmallIntegerField(_("cool-down (days)"), default=30)
    enabled = models.BooleanField(_("enabled"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "code"], condition=~Q(code=""), name="playbook_store_code_uniq"
            ),
            models.CheckConstraint(
                condition=Q(trigger__in=TriggerKind.values), name="playbook_trigger_valid"
            ),
            models.CheckConstraint(
                condition=Q(action__in=ActionKind.values), name="playbook_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(holdout_share__gte=0, holdout_share__lt=1),
                name="playbook_holdout_share_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    DONE = "done", _("Done")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Delivery failed")


class PlaybookRun(StoreOwned):
    """One day's run of a playbook: who was triggered — contacted and held out (see
    ``PlaybookContact``) or skipped by the cool-down (``cooled_down_customers``). A re-run of
    the same day replaces it with the same assignment."""

    playbook = models.ForeignKey(
        Playbook, on_delete=models.CASCADE, related_name="runs", verbose_name=_("playbook")
    )
    day = models.DateField(_("day"))
    ran_at = models.DateTimeField(_("ran at"))
    triggered = models.PositiveIntegerField(_("triggered"))
    contacted = models.PositiveIntegerField(_("contacted"))
    held_out = models.PositiveIntegerField(_("held out"))
    cooled_down = models.PositiveIntegerField(_("skipped by cool-down"), default=0)
    cooled_down_customers = models.JSONField(
        _("customers skipped by cool-down"),
        default=list,
        blank=True,
        help_text=_("Ids of the triggered customers the cool-down skipped, ascending."),
    )
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices)
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-day", "-pk"]
        verbose_name = _("playbook run")
        verbose_name_plural = _("playbook runs")
        constraints = [
            models.UniqueConstraint(fields=["playbook", "day"], name="playbookrun_day_uniq")
        ]


class PlaybookContact(StoreOwned):
    """A customer a run triggered: contacted, or held out (deliberately not contacted)."""

    run = models.ForeignKey(
        PlaybookRun, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("run")
    )
    playbook = models.ForeignKey(
        Playbook, on_delete=models.CASCADE, related_name="+", verbose_name=_("playbook")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="playbook_contacts",
        verbose_name=_("customer"),
    )
    day = models.DateField(_("day"))
    trigger_key = models.CharField(
        _("trigger"),
        max_length=64,
        help_text=_("The trigger and its parameters at the time of the run (the cool-down key)."),
    )
    held_out = models.BooleanField(_("held out"))
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["day", "customer_id"]
        verbose_name = _("playbook contact")
        verbose_name_plural = _("playbook contacts")
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="playbookcontact_uniq")
        ]
        indexes = [
            models.Index(
                fields=["store", "trigger_key", "customer", "day"],
                name="playbookcontact_cooldown_idx",
            )
        ]


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DELIVERING = "delivering", _("Delivering the webhook")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


#: Statuses of a job that has not finished.
JOB_ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DELIVERING)


class PlaybookJob(StoreOwned):
    """An operator's "run now": queued by the page, carried out by the Celery task
    ``playbook_run_job``; its status and progress are what the playbook page shows."""

    playbook = models.ForeignKey(
        Playbook, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("playbook")
    )
    day = models.DateField(_("day"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    run = models.ForeignKey(
        PlaybookRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("run"),
    )
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("playbook job")
        verbose_name_plural = _("playbook jobs")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="playbookjob_status_valid"
            )
        ]
        indexes = [
            models.Index(fields=["playbook", "-requested_at"], name="playbookjob_latest_idx")
        ]
