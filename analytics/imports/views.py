"""Import pages under ``/imports/``: upload with a preview (a dry run), the column-mapping
step for generic files whose headers differ, confirm, the error report (shown and as CSV),
the generic templates and the history of runs with their progress.

Every page reads ``request.store``; runs of another store are 404. Viewing needs VIEW,
uploading, mapping and confirming need IMPORT_DATA.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from analytics.models import ImportKind, ImportRun, ImportStatus
from opsdesk.audit import Actor
from opsdesk.exports import rows_to_csv_response
from opsdesk.models import AuditSource
from opsdesk.roles import Capability
from opsdesk.views import paginate, store_page

from .presets import FIELDS, all_presets, get_preset
from .reading import FileError, open_table
from .services import FileGone, confirm_run, create_run, progress_of, retention_days, start

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
ENCODINGS = [
    ("", gettext_lazy("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("gbk", "GBK"),
    ("gb18030", "GB18030"),
]


def _preset_choices():
    groups = []
    for kind, label in ImportKind.choices:
        options = [(p.id, p.label) for p in all_presets().values() if p.kind == kind]
        groups.append((label, options))
    return groups


class UploadForm(forms.Form):
    preset = forms.ChoiceField(label=gettext_lazy("What the file is"), choices=_preset_choices)
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding (CSV)"), choices=ENCODINGS, required=False
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB; use the command line."))
        return upload


def _can_import(request: HttpRequest) -> bool:
    return request.membership.allows(Capability.IMPORT_DATA)


def _require_import(request: HttpRequest) -> None:
    if not _can_import(request):
        raise PermissionDenied


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, source=AuditSource.WEB)


def _run_of(request: HttpRequest, run_id: int) -> ImportRun:
    return get_object_or_404(ImportRun, pk=run_id, store=request.store)


@store_page
def import_list(request: HttpRequest) -> HttpResponse:
    """Upload form and the store's runs, newest first."""
    form = UploadForm()
    if request.method == "POST":
        _require_import(request)
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            preset = all_presets()[form.cleaned_data["preset"]]
            upload = form.cleaned_data["file"]
            run = create_run(
                store=request.store,
                kind=preset.kind,
                source=upload,
                file_name=upload.name,
                user=request.user,
                preset=preset.id,
                dry_run=True,
                encoding=form.cleaned_data["encoding"],
            )
            start(run, actor=_actor(request))
            return redirect("import_detail", run_id=run.pk)
    runs = ImportRun.objects.filter(store=request.store).select_related("created_by")
    page = paginate(request, runs, per_page=25)
    for run in page:
        run.percent = progress_of(run)
    return render(
        request,
        "imports/list.html",
        {
            "form": form,
            "page": page,
            "can_import": _can_import(request),
            "kinds": [(kind, label, FIELDS[kind]) for kind, label in ImportKind.choices],
        },
    )


class MappingForm(forms.Form):
    """One select per field of the kind: which of the file's headers feeds it."""

    def __init__(self, *args, fields, headers, initial_map, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("(not in the file)"))] + [(h, h) for h in headers if h]
        for spec in fields:
            label = f"{spec.name}{' *' if spec.required else ''}"
            self.fields[spec.name] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=spec.required,
                initial=initial_map.get(spec.name, ""),
                help_text=spec.help,
            )


def _headers(run: ImportRun) -> list[str]:
    try:
        with open(run.file_path, "rb") as stream:
            table = open_table(stream, run.encoding or None)
            table.close()
            return table.headers
    except (OSError, FileError):
        return []


def _current_map(run: ImportRun, headers: list[str]) -> dict[str, str]:
    preset = get_preset(run.kind, run.preset)
    lowered = {h.strip().lower(): h for h in headers}
    found = {}
    for spec in preset.fields:
        for name in ([run.mapping[spec.name]] if spec.name in run.mapping else []) + list(
            preset.columns.get(spec.name, ())
        ):
            if name.strip().lower() in lowered:
                found[spec.name] = lowered[name.strip().lower()]
                break
    return found


@store_page
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    """A run: status and progress, counts, the error report, and the next step (confirm a
    preview, map columns)."""
    run = _run_of(request, run_id)
    run.percent = progress_of(run)
    preset = get_preset(run.kind, run.preset)
    mapping_form = None
    if run.status == ImportStatus.NEEDS_MAPPING or (
        run.status == ImportStatus.REJECTED and preset.generic
    ):
        headers = _headers(run)
        if headers:
            mapping_form = MappingForm(
                fields=preset.fields, headers=headers, initial_map=_current_map(run, headers)
            )
    return render(
        request,
        "imports/detail.html",
        {
            "run": run,
            "preset": preset,
            "errors": run.errors[:200],
            "more_errors": max(0, len(run.errors) - 200),
            "mapping_form": mapping_form,
            "can_import": _can_import(request),
            "refresh": not run.finished,
            "retention_days": retention_days(),
        },
    )


@store_page
@require_POST
def import_confirm(request: HttpRequest, run_id: int) -> HttpResponse:
    """Import a previewed file for real (a new run of the same file), with the preview's
    confirmation of its price cuts' exposure when the operator accepted it."""
    _require_import(request)
    preview = _run_of(request, run_id)
    if preview.status != ImportStatus.PREVIEWED:
        messages.error(request, _("Only a preview without errors can be imported."))
        return redirect("import_detail", run_id=preview.pk)
    try:
        run = confirm_run(preview, user=request.user)
    except FileGone as error:
        messages.error(request, str(error))
        return redirect("import_detail", run_id=preview.pk)
    # The preview's confirmation of its price cuts' exposure goes along only when the operator
    # ticked the box that accepts it (the import refuses unconfirmed exposing cuts).
    confirmation = (
        request.POST.get("price_cuts_confirmation") or None
        if request.POST.get("confirm_price_cuts")
        else None
    )
    run = start(run, actor=_actor(request), price_confirmation=confirmation)
    if run.status == ImportStatus.SUCCEEDED:
        messages.success(
            request,
            _("Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
            % {"created": run.created, "updated": run.updated, "unchanged": run.unchanged},
        )
    return redirect("import_detail", run_id=run.pk)


@store_page
@require_POST
def import_mapping(request: HttpRequest, run_id: int) -> HttpResponse:
    """Preview the same file again with the columns chosen by the operator."""
    _require_import(request)
    previous = _run_of(request, run_id)
    preset = get_preset(previous.kind, previous.preset)
    headers = _headers(previous)
    form = MappingForm(request.POST, fields=preset.fields, headers=headers, initial_map={})
    if not form.is_valid():
        messages.error(request, _("Choose a column for every required field (marked *)."))
        return redirect("import_detail", run_id=previous.pk)
    mapping = {name: header for name, header in form.cleaned_data.items() if header}
    try:
        run = confirm_run(previous, user=request.user)
    except FileGone as error:
        messages.error(request, str(error))
        return redirect("import_detail", run_id=previous.pk)
    run.dry_run, run.mapping, run.encoding = True, mapping, previous.encoding
    if run.encoding == "xlsx":
        run.encoding = ""
    run.save(update_fields=["dry_run", "mapping", "encoding"])
    start(run, actor=_actor(request))
    return redirect("import_detail", run_id=run.pk)


@store_page
@require_POST
def import_preview_again(request: HttpRequest, run_id: int) -> HttpResponse:
    """Preview the same file again (same preset, mapping and encoding): after an import was
    refused because the price-protection figures of its price cuts changed, the operator
    checks the current figures and confirms them."""
    _require_import(request)
    previous = _run_of(request, run_id)
    try:
        run = confirm_run(previous, user=request.user)
    except FileGone as error:
        messages.error(request, str(error))
        return redirect("import_detail", run_id=previous.pk)
    run.dry_run = True
    run.save(update_fields=["dry_run"])
    start(run, actor=_actor(request))
    return redirect("import_detail", run_id=run.pk)


@store_page
def import_errors_csv(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run's error report as CSV (row, column, value, reason)."""
    run = _run_of(request, run_id)
    return rows_to_csv_response(
        filename=f"import-{run.pk}-errors.csv",
        header=[_("Row"), _("Column"), _("Value"), _("Reason")],
        rows=([p["row"], p["column"], p["value"], p["reason"]] for p in run.errors),
    )


@store_page
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """The generic template of a kind: the header row and one example row."""
    if kind not in FIELDS:
        raise Http404(_("No such import kind."))
    fields = FIELDS[kind]
    return rows_to_csv_response(
        filename=f"opsdesk-{kind}-template.csv",
        header=[f.name for f in fields],
        rows=[[f.example for f in fields]],
    )
