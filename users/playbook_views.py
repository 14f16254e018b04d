"""Playbook pages (运营剧本): list, detail with the day's list, hold-out and effect, settings,
enable/disable, run now, export. Reading needs VIEW; every write needs EDIT_CUSTOMERS."""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from analytics.rfm import SEGMENTS
from opsdesk.audit import Actor
from opsdesk.exports import rows_to_csv_response, rows_to_xlsx_response
from opsdesk.models import AuditSource
from opsdesk.roles import Capability
from opsdesk.views import store_page, store_today

from .models import Playbook, PlaybookContact, PlaybookRun, Tier
from .playbooks import contact_rows, playbook_effect, playbook_run, playbooks_install_ready_made
from .services import EDITABLE, playbook_set_enabled, playbook_update

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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        chinese = get_language().lower().startswith("zh")
        self.fields["segment"].choices = [("", "-")] + [
            (s.code, s.name_zh if chinese else s.name) for s in SEGMENTS
        ]


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
    contacts = []
    if run is not None:
        contacts = list(
            PlaybookContact.objects.filter(run=run)
            .select_related("customer", "customer__member_level")
            .order_by("held_out", "customer__external_id")[:LIST_LIMIT]
        )
    can_edit = request.membership.allows(Capability.EDIT_CUSTOMERS)
    context = {
        "playbook": playbook,
        "run": run,
        "runs": list(PlaybookRun.objects.filter(playbook=playbook).order_by("-day", "-pk")[:30]),
        "contacts": contacts,
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


@require_POST
@store_page
def playbook_run_now(request: HttpRequest, playbook_id: int) -> HttpResponse:
    """Run the playbook for the store's yesterday (the latest complete day) now; a re-run of
    that day gives the same list and hold-out."""
    _require_edit(request)
    playbook = _playbook(request, playbook_id)
    if not playbook.enabled:
        messages.error(request, _("Enable the playbook before running it."))
        return redirect("playbook_detail", playbook_id=playbook.pk)
    day = store_today(request) - datetime.timedelta(days=1)
    run = playbook_run(playbook=playbook, day=day, actor=_actor(request))
    messages.success(
        request,
        _("Ran for %(day)s: %(triggered)d triggered, %(contacted)d contacted, %(held)d held out.")
        % {
            "day": day.isoformat(),
            "triggered": run.triggered,
            "contacted": run.contacted,
            "held": run.held_out,
        },
    )
    return redirect("playbook_detail", playbook_id=playbook.pk)


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
