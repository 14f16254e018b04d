"""Playbook pages (运营剧本): list, a new playbook, detail with the day's list, hold-out and
effect, settings, enable/disable, run now (queued as a Celery job whose progress the page
polls), export. Reading needs VIEW; every write, and the new-playbook page, EDIT_CUSTOMERS."""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analytics.rfm import SEGMENTS
from opsdesk.audit import Actor, audit_as
from opsdesk.exports import rows_to_csv_response, rows_to_xlsx_response
from opsdesk.models import AuditSource
from opsdesk.roles import Capability
from opsdesk.views import store_page, store_today

from .models import (
    JOB_ACTIVE,
    Customer,
    JobStatus,
    Playbook,
    PlaybookContact,
    PlaybookJob,
    PlaybookRun,
    Tier,
)
from .playbooks import (
    WEBHOOK_ATTEMPTS,
    contact_rows,
    playbook_effect,
    playbooks_install_ready_made,
)
from .services import EDITABLE, playbook_create, playbook_set_enabled, playbook_update
from .tasks import playbook_run_job

EXPORT_FORMATS = ("csv", "xlsx")
LIST_LIMIT = 500


def _require_edit(request: HttpRequest) -> None:
    if not request.membership.allows(Capability.EDIT_CUSTOMERS):
        raise PermissionDenied


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, source=AuditSource.WEB)


def _playbook(request: HttpRequest, playbook_id: int) -> Playbook:
    return get_object_or_404(
        Playbook.objects.select_related("store"), store=request.store, pk=playbook_id
    )


class PlaybookForm(forms.ModelForm):
    segment = forms.ChoiceField(
        label=gettext_lazy("RFM segment"),
        required=False,
        choices=[("", "-")] + [(s.code, s.name) for s in SEGMENTS],
    )
    webhook_url = forms.URLField(
        label=gettext_lazy("webhook URL"), required=False, assume_scheme="https"
    )
    webhook_secret = forms.CharField(
        label=gettext_lazy("webhook signing secret"),
        required=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("Leave empty to keep the current secret."),
    )

    class Meta:
        model = Playbook
        fields = [name for name in EDITABLE if name != "enabled"]
        help_texts = {
            "cooldown_days": gettext_lazy(
                "Per trigger: a customer this trigger reached through any of the store's "
                "playbooks is not reached again for it within this many days."
            )
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        chinese = get_language().lower().startswith("zh")
        self.fields["segment"].choices = [("", "-")] + [
            (s.code, s.name_zh if chinese else s.name) for s in SEGMENTS
        ]

    def clean_holdout_share(self):
        # Said here, on the field, before the model's range constraint gives its generic text.
        share = self.cleaned_data["holdout_share"]
        if share is not None and not 0 <= share < 1:
            raise ValidationError(_("The hold-out share must be at least 0 and below 1."))
        return share


class PlaybookCreateForm(PlaybookForm):
    """The settings form for a new playbook: the same fields, with the model's defaults
    (hold-out 10%, cool-down 30 days), and whether to enable it at once (off by default)."""

    enabled = forms.BooleanField(
        label=gettext_lazy("enable at once"),
        required=False,
        help_text=gettext_lazy(
            "Leave it off to check the settings first; enable it on the playbook's page."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["webhook_secret"].help_text = gettext_lazy(
            "For a webhook: at least 16 characters; the receiver checks the signature with it."
        )

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put the service's errors on their fields (on the form when it has no such field)."""
        for field, errors in exc.message_dict.items():
            for error in errors:
                self.add_error(field if field in self.fields else None, error)


@require_GET
@store_page
def playbook_list(request: HttpRequest) -> HttpResponse:
    playbooks = list(Playbook.objects.filter(store=request.store).order_by("name", "pk"))
    latest = {}
    for run in PlaybookRun.objects.filter(store=request.store).order_by("playbook_id", "-day"):
        latest.setdefault(run.playbook_id, run)
    codes = {p.code for p in playbooks}
    from .playbooks import READY_MADE

    context = {
        "rows": [{"playbook": p, "latest": latest.get(p.pk)} for p in playbooks],
        "can_edit": request.membership.allows(Capability.EDIT_CUSTOMERS),
        "missing_ready_made": [spec for spec in READY_MADE if spec["code"] not in codes],
        "tier_labels": dict(Tier.choices),
    }
    return render(request, "users/playbook_list.html", context)


@require_http_methods(["GET", "POST"])
@store_page
def playbook_new(request: HttpRequest) -> HttpResponse:
    """Create one of the store's own playbooks (an abandoned-cart reminder, a birthday
    greeting...): the settings form of the playbook page, blank with the defaults. An invalid
    form is shown again with its errors (400) and nothing is written."""
    _require_edit(request)
    if request.method == "POST":
        form = PlaybookCreateForm(request.POST)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in form.Meta.fields}
            values["enabled"] = form.cleaned_data["enabled"]
            try:
                playbook = playbook_create(store=request.store, actor=_actor(request), **values)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if playbook.enabled:
                    text = _("Created the playbook %(name)s; it is enabled.")
                else:
                    text = _(
                        "Created the playbook %(name)s, disabled: enable it when the settings "
                        "are right."
                    )
                messages.success(request, text % {"name": playbook.name})
                return redirect("playbook_detail", playbook_id=playbook.pk)
        status = 400
    else:
        form = PlaybookCreateForm()
        status = 200
    return render(request, "users/playbook_form.html", {"form": form}, status=status)


@require_POST
@store_page
def playbooks_install(request: HttpRequest) -> HttpResponse:
    _require_edit(request)
    created = playbooks_install_ready_made(store=request.store, actor=_actor(request))
    messages.success(
        request,
        _("Added %(count)d ready-made playbooks, disabled until you enable them.")
        % {"count": len(created)},
    )
    return redirect("playbook_list")


def _run_of(request: HttpRequest, playbook: Playbook) -> PlaybookRun | None:
    runs = PlaybookRun.objects.filter(playbook=playbook)
    asked = request.GET.get("run", "")
    if asked.isdigit():
        return runs.filter(pk=int(asked)).first()
    return runs.order_by("-day", "-pk").first()


@require_GET
@store_page
def playbook_detail(request: HttpRequest, playbook_id: int) -> HttpResponse:
    playbook = _playbook(request, playbook_id)
    run = _run_of(request, playbook)
    contacts, cooled = [], []
    if run is not None:
        contacts = list(
            PlaybookContact.objects.filter(run=run)
            .select_related("customer", "customer__member_level")
            .order_by("held_out", "customer__external_id")[:LIST_LIMIT]
        )
        room = LIST_LIMIT - len(contacts)
        if room > 0 and run.cooled_down_customers:
            cooled = list(
                Customer.objects.filter(
                    store=request.store, pk__in=run.cooled_down_customers[:room]
                ).order_by("external_id")
            )
    can_edit = request.membership.allows(Capability.EDIT_CUSTOMERS)
    job = (
        PlaybookJob.objects.filter(playbook=playbook)
        .select_related("run")
        .order_by("-requested_at", "-pk")
        .first()
    )
    context = {
        "playbook": playbook,
        "job": job,
        "job_state": job_state(job) if job is not None else None,
        "run": run,
        "runs": list(PlaybookRun.objects.filter(playbook=playbook).order_by("-day", "-pk")[:30]),
        "contacts": contacts,
        "cooled": cooled,
        "list_limit": LIST_LIMIT,
        "effect": playbook_effect(playbook=playbook),
        "can_edit": can_edit,
        "form": PlaybookForm(instance=playbook) if can_edit else None,
        "run_day": store_today(request) - datetime.timedelta(days=1),
        "tier_labels": dict(Tier.choices),
    }
    return render(request, "users/playbook_detail.html", context)


@require_POST
@store_page
def playbook_edit(request: HttpRequest, playbook_id: int) -> HttpResponse:
    _require_edit(request)
    playbook = _playbook(request, playbook_id)
    form = PlaybookForm(request.POST, instance=Playbook.objects.get(pk=playbook.pk))
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else field
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect("playbook_detail", playbook_id=playbook.pk)
    values = {name: form.cleaned_data[name] for name in form.Meta.fields}
    if not values["webhook_secret"]:
        values.pop("webhook_secret")  # keep the current one
    try:
        playbook_update(playbook=playbook, actor=_actor(request), **values)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            label = (
                PlaybookForm.base_fields[field].label
                if field in PlaybookForm.base_fields
                else field
            )
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect("playbook_detail", playbook_id=playbook.pk)
    messages.success(request, _("Saved the playbook."))
    return redirect("playbook_detail", playbook_id=playbook.pk)


@require_POST
@store_page
def playbook_toggle(request: HttpRequest, playbook_id: int) -> HttpResponse:
    _require_edit(request)
    playbook = _playbook(request, playbook_id)
    enable = request.POST.get("enabled") == "1"
    try:
        playbook_set_enabled(playbook=playbook, enabled=enable, actor=_actor(request))
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            messages.error(request, " ".join(errors))
        return redirect("playbook_detail", playbook_id=playbook.pk)
    messages.success(
        request, _("The playbook is enabled.") if enable else _("The playbook is disabled.")
    )
    return redirect("playbook_detail", playbook_id=playbook.pk)


#: A job queued or running for longer than this is taken as lost (a worker died) and does
#: not block a new "run now".
JOB_STALE_AFTER = datetime.timedelta(minutes=30)


def _active_job(playbook: Playbook) -> PlaybookJob | None:
    return (
        PlaybookJob.objects.filter(
            playbook=playbook,
            status__in=JOB_ACTIVE,
            requested_at__gte=timezone.now() - JOB_STALE_AFTER,
        )
        .order_by("-requested_at", "-pk")
        .first()
    )


@require_POST
@store_page
def playbook_run_now(request: HttpRequest, playbook_id: int) -> HttpResponse:
    """Queue a run of the playbook for the store's yesterday (the latest complete day) and
    return at once; the Celery task ``playbook_run_job`` does the work (in-process without a
    broker) and the page shows the job's progress. A re-run of that day gives the same list
    and hold-out."""
    _require_edit(request)
    playbook = _playbook(request, playbook_id)
    if not playbook.enabled:
        messages.error(request, _("Enable the playbook before running it."))
        return redirect("playbook_detail", playbook_id=playbook.pk)
    day = store_today(request) - datetime.timedelta(days=1)
    with transaction.atomic():
        # Lock the playbook so two clicks cannot queue two jobs.
        Playbook.objects.select_for_update().filter(pk=playbook.pk).first()
        if _active_job(playbook) is not None:
            messages.info(request, _("This playbook is already running; see its progress below."))
            return redirect("playbook_detail", playbook_id=playbook.pk)
        job = PlaybookJob.objects.create(
            store=playbook.store,
            playbook=playbook,
            day=day,
            requested_by=request.user,
            requested_at=timezone.now(),
        )
        audit_as(
            _actor(request),
            store=playbook.store,
            action="playbook.run_requested",
            obj=playbook,
            changes={"day": day, "job": job.pk},
        )
        transaction.on_commit(lambda: playbook_run_job.delay(job.pk))
    messages.success(
        request,
        _("Queued the run for %(day)s; its progress shows below.") % {"day": day.isoformat()},
    )
    return redirect("playbook_detail", playbook_id=playbook.pk)


def job_state(job: PlaybookJob) -> dict:
    """What the page (and its poller) shows of a job: ``text`` is the status line."""
    run = job.run
    stale = job.status in JOB_ACTIVE and job.requested_at < timezone.now() - JOB_STALE_AFTER
    text = str(job.get_status_display())
    if job.status == JobStatus.DELIVERING or (job.attempts and run is not None):
        text += " " + _("(webhook attempt %(attempt)d of %(attempts)d)") % {
            "attempt": job.attempts,
            "attempts": WEBHOOK_ATTEMPTS,
        }
    if job.status == JobStatus.DONE and run is not None:
        text += ": " + _("%(triggered)d triggered, %(contacted)d contacted, %(held)d held out.") % {
            "triggered": run.triggered,
            "contacted": run.contacted,
            "held": run.held_out,
        }
    if job.error:
        text += ": " + job.error
    if stale:
        text += " " + _("(not finished after 30 minutes: the worker may have stopped; run again)")
    return {
        "text": text,
        "id": job.pk,
        "day": job.day.isoformat(),
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "active": job.status in JOB_ACTIVE and not stale,
        "attempts": job.attempts,
        "error": job.error,
        "requested_at": job.requested_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "run": None
        if run is None
        else {
            "id": run.pk,
            "triggered": run.triggered,
            "contacted": run.contacted,
            "held_out": run.held_out,
            "status": run.status,
        },
    }


@require_GET
@store_page
def playbook_job_status(request: HttpRequest, playbook_id: int, job_id: int) -> JsonResponse:
    """The status of a "run now" job as JSON, polled by the playbook page."""
    playbook = _playbook(request, playbook_id)
    job = get_object_or_404(
        PlaybookJob.objects.select_related("run"), store=request.store, playbook=playbook, pk=job_id
    )
    response = JsonResponse(job_state(job))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@store_page
def playbook_export(request: HttpRequest, playbook_id: int, run_id: int) -> HttpResponse:
    """The run's contacted customers with their filled-in message, for the SMS/coupon tool."""
    playbook = _playbook(request, playbook_id)
    run = get_object_or_404(PlaybookRun, store=request.store, playbook=playbook, pk=run_id)
    file_format = request.GET.get("format", "csv")
    if file_format not in EXPORT_FORMATS:
        return HttpResponseBadRequest(_("Choose a format: csv or xlsx."))
    header = [
        str(_("Customer id")),
        str(_("Name")),
        str(_("Member level")),
        str(_("Points")),
        str(_("Coupon value")),
        str(_("Message")),
    ]
    rows = [
        [
            customer.external_id,
            customer.name,
            customer.member_level.name if customer.member_level_id else "",
            customer.points,
            playbook.coupon_value,
            contact.message,
        ]
        for customer, contact in contact_rows(run)
    ]
    stem = f"playbook-{playbook.pk}-{run.day.isoformat()}"
    if file_format == "xlsx":
        return rows_to_xlsx_response(filename=f"{stem}.xlsx", header=header, rows=rows)
    return rows_to_csv_response(filename=f"{stem}.csv", header=header, rows=rows)
