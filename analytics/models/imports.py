"""Import runs: one row per file brought in (or previewed) through the UI, the command line or
the API. The facts themselves land in ``facts``; this is the record of what happened."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opsdesk.models import StoreOwned


class ImportKind(models.TextChoices):
    ORDERS = "orders", _("Orders")
    ORDER_LINES = "order_lines", _("Order lines")
    REFUNDS = "refunds", _("Refunds")
    SKUS = "skus", _("SKUs")
    CUSTOMERS = "customers", _("Customers")
    EVENTS = "events", _("Behaviour events")
    AD_SPEND = "ad_spend", _("Ad spend")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    PREVIEWED = "previewed", _("Previewed")
    NEEDS_MAPPING = "needs_mapping", _("Needs column mapping")
    REJECTED = "rejected", _("Rejected")
    SUCCEEDED = "succeeded", _("Imported")
    FAILED = "failed", _("Failed")


class ImportRun(StoreOwned):
    """One import (or dry run) of one file into one store."""

    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    preset = models.CharField(_("preset"), max_length=40)
    file_name = models.CharField(_("file name"), max_length=255)
    file_path = models.CharField(
        _("stored file"), max_length=500, blank=True, help_text=_("Where the upload is kept.")
    )
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    encoding = models.CharField(
        _("encoding"), max_length=20, blank=True, help_text=_("Detected or given.")
    )
    mapping = models.JSONField(
        _("column mapping"), default=dict, blank=True, help_text=_("Field -> file header.")
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=14, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected rows"), default=0)
    errors = models.JSONField(
        _("error report"),
        default=list,
        blank=True,
        help_text=_("List of {row, column, value, reason}."),
    )
    message = models.TextField(_("message"), blank=True)
    price_cuts = models.JSONField(
        _("price cuts with exposure"),
        default=list,
        blank=True,
        help_text=_(
            "SKU price cuts of the file that expose paid orders to price-protection claims: "
            "list of {row, sku_code, old_price, new_price, orders, units, amount}."
        ),
    )
    price_cuts_confirmation = models.TextField(
        _("price cuts confirmation"),
        blank=True,
        help_text=_(
            "A preview's signed confirmation of exactly these exposures: the import of the "
            "file carries it."
        ),
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ImportKind.values), name="importrun_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="importrun_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="importrun_progress_lte100"
            ),
        ]
        indexes = [models.Index(fields=["store", "created_at"], name="importrun_store_time_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.status not in (ImportStatus.PENDING, ImportStatus.RUNNING)
