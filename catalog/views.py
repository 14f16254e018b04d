"""Catalog pages (商品)."""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analytics.charts import cached_figure_json, result_cache_key
from opsdesk.audit import Actor
from opsdesk.localtime import local_day
from opsdesk.models import AuditSource
from opsdesk.roles import Capability
from opsdesk.views import (
    paginate,
    picked_range,
    sort_columns,
    store_page,
    store_today,
    valid_filters,
)

from . import selectors, services
from .charts import price_margin_figure, role_share_figure
from .compliance import (
    CLEAR_WITHIN,
    NoReplacementError,
    banned_term_delete,
    banned_term_save,
    banned_terms_seed,
    finding_apply_replacement,
    open_findings,
)
from .health import SkuHealth, SkuHealthRunner, first_stock, health_query, listing_calendar
from .matrix import MatrixQuery, ProductMatrixRunner
from .models import BannedTerm, ComplianceFinding, ProductRole, Sku, SkuStatus
from .pricing import PriceCutNotConfirmedError, PriceExposureChangedError, sku_price_change


class SkuFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        required=False,
        choices=[("", gettext_lazy("All roles")), *ProductRole.choices],
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All statuses")), *SkuStatus.choices],
    )
    sort = forms.CharField(required=False, max_length=30)

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"]
        if sort and not selectors.sku_sort_is_valid(sort):
            raise forms.ValidationError(_("Unknown sort order."))
        return sort or selectors.SKU_DEFAULT_SORT


@require_GET
@store_page
def sku_list(request: HttpRequest) -> HttpResponse:
    """SKU table: search by code or title, filter by role and status, sort, paginate."""
    form = SkuFilterForm(request.GET)
    filters = valid_filters(
        request,
        form,
        {"q": "", "role": "", "status": "", "sort": selectors.SKU_DEFAULT_SORT},
    )
    skus = selectors.sku_list(
        store=request.store,
        search=filters["q"],
        role=filters["role"],
        status=filters["status"],
        sort=filters["sort"],
    )
    columns = sort_columns(
        filters["sort"],
        [
            ("code", _("SKU code")),
            ("title", _("Title")),
            ("category", _("Category")),
            ("role", _("Role")),
            ("price", _("Price")),
            ("cost", _("Unit cost")),
            ("margin", _("Margin")),
            ("stock", _("Stock")),
            ("status", _("Status")),
            ("listed_on", _("Listed on")),
        ],
        numeric=("price", "cost", "margin", "stock"),
    )
    context = {
        "form": form,
        "filters": filters,
        "columns": columns,
        "page": paginate(request, skus),
    }
    return render(request, "catalog/sku_list.html", context)


# --- Product matrix, SKU health, compliance, price changes -------------------------------


def _require_edit(request: HttpRequest) -> None:
    """Writes to the catalog need EDIT_CATALOG; a read-only role gets 403, nothing written."""
    if not request.membership.allows(Capability.EDIT_CATALOG):
        raise PermissionDenied


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, source=AuditSource.WEB)


def _role_labels() -> dict[str, str]:
    return {**{role.value: str(role.label) for role in ProductRole}, "": _("Untagged")}


@require_GET
@store_page
def product_matrix(request: HttpRequest) -> HttpResponse:
    """商品矩阵: per role shares of SKUs, GMV, gross profit, views and first orders, the flags,
    the charts with their numbers, and role suggestions to accept or reject. The range comes
    from the shared date-range picker (default the last 30 days); a bad choice is a 400 with
    the picker's message and the default range."""
    chosen, picker, error = picked_range(request, default="last_30")
    start, end = chosen.start, chosen.end
    result = ProductMatrixRunner(store=request.store, query=MatrixQuery(start, end)).run()
    role_labels = _role_labels()
    measure_labels = {
        "sku_share": _("SKUs"),
        "gmv_share": _("GMV"),
        "gross_profit_share": _("Gross profit"),
        "views_share": _("Views"),
        "first_orders_share": _("First orders"),
    }
    # The figures are cached by the result's content (the matrix itself is not cached).
    figure_key = result_cache_key(result)
    share_figure = cached_figure_json(
        figure_key,
        "role_share",
        lambda: role_share_figure(
            result,
            role_labels=role_labels,
            measure_labels=measure_labels,
            target_label=_("Target traffic share"),
        ),
    )
    scatter_figure = cached_figure_json(
        figure_key,
        "price_margin",
        lambda: price_margin_figure(
            result, role_labels=role_labels, price_label=_("Price"), margin_label=_("Margin")
        ),
    )
    context = {
        "picker": picker,
        "start": start,
        "end": end,
        "result": result,
        "role_labels": role_labels,
        "share_figure": share_figure,
        "scatter_figure": scatter_figure,
        "has_charts": True,
        "can_edit": request.membership.allows(Capability.EDIT_CATALOG),
    }
    return render(request, "catalog/matrix.html", context, status=400 if error else 200)


class RoleDecisionForm(forms.Form):
    sku = forms.IntegerField(min_value=1)
    suggested_role = forms.ChoiceField(choices=ProductRole.choices)
    decision = forms.ChoiceField(choices=[("accept", "accept"), ("reject", "reject")])
    reason = forms.CharField(required=False, max_length=255)


@require_POST
@store_page
def role_suggestion_decision(request: HttpRequest) -> HttpResponse:
    """Accept (sets the role) or reject (not suggested again) one role suggestion."""
    _require_edit(request)
    form = RoleDecisionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Invalid role decision."))
    sku = get_object_or_404(Sku, store=request.store, pk=form.cleaned_data["sku"])
    accepted = form.cleaned_data["decision"] == "accept"
    services.role_suggestion_decide(
        sku=sku,
        suggested_role=form.cleaned_data["suggested_role"],
        accepted=accepted,
        actor=_actor(request),
        reason=form.cleaned_data["reason"],
    )
    role = ProductRole(form.cleaned_data["suggested_role"]).label
    if accepted:
        messages.success(
            request, _("%(code)s is now a %(role)s.") % {"code": sku.code, "role": role}
        )
    else:
        messages.info(
            request,
            _("%(role)s will not be suggested again for %(code)s.")
            % {"code": sku.code, "role": role},
        )
    return redirect("product_matrix")


#: Delisting candidates are reviewed monthly (DOMAIN.md: 每月淘汰动销率 < 5% 的商品).
DELISTING_REVIEW_DAYS = 30


#: The sortable columns of the SKU health page's table of every SKU (SkuHealth attributes, and
#: "findings" for the SKU's open compliance findings).
HEALTH_SORT_KEYS = (
    "code",
    "title",
    "status",
    "units_30d",
    "stock",
    "sell_through",
    "days_of_cover",
    "turnover",
    "findings",
)
HEALTH_DEFAULT_SORT = "code"


def _health_rows(
    skus: tuple[SkuHealth, ...], *, findings: dict[int, int], search: str, sort: str
) -> list[SkuHealth]:
    """The SKUs whose code or title contains ``search`` (case-insensitive), sorted by
    ``sort`` (a key of HEALTH_SORT_KEYS, "-" for descending); a SKU without a value (no
    sell-through, no cover) sorts last either way, then by code."""
    needle = search.strip().casefold()
    rows = [
        row
        for row in skus
        if not needle or needle in row.code.casefold() or needle in row.title.casefold()
    ]
    key = sort.removeprefix("-")

    def value(row: SkuHealth):
        return findings.get(row.sku_id, 0) if key == "findings" else getattr(row, key)

    rows.sort(key=lambda row: row.code)
    present = [row for row in rows if value(row) is not None]
    present.sort(key=value, reverse=sort.startswith("-"))
    return present + [row for row in rows if value(row) is None]


class HealthForm(forms.Form):
    """The SKU health page's choices: the day (stock from that day's snapshots when it is
    before yesterday) and, for a new SKU's first stock, the comparable SKU."""

    as_of = forms.DateField(
        label=gettext_lazy("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    comparable = forms.TypedChoiceField(
        label=gettext_lazy("Comparable SKU"), required=False, coerce=int, empty_value=None
    )
    week = forms.DateField(label=gettext_lazy("Week of"), required=False)
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort"),
        required=False,
        choices=[(f"{sign}{key}", key) for key in HEALTH_SORT_KEYS for sign in ("", "-")],
    )

    def __init__(self, *args, store, latest: datetime.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.latest = latest
        self.fields["as_of"].widget.attrs["max"] = latest.isoformat()
        # Only this store's SKUs are offered (and accepted): another store's id is invalid.
        self.fields["comparable"].choices = [
            ("", gettext_lazy("Choose a SKU")),
            *(
                (pk, f"{code} {title}")
                for pk, code, title in Sku.objects.filter(store=store)
                .exclude(status=SkuStatus.DELISTED)
                .order_by("code")
                .values_list("pk", "code", "title")
            ),
        ]

    def clean_as_of(self) -> datetime.date | None:
        day = self.cleaned_data["as_of"]
        if day is not None and day > self.latest:
            raise forms.ValidationError(
                _("choose %(day)s or earlier; later days have no rolled-up sales yet.")
                % {"day": self.latest.isoformat()}
            )
        return day


@require_GET
@store_page
def sku_health(request: HttpRequest) -> HttpResponse:
    """SKU health: sell-through, cover, stock flags, delisting candidates (bulk delist),
    replenishment suggestions, inventory turnover, the listing calendar of a week (``?week=``
    any day of it, default this week) and a new SKU's first stock from a comparable SKU.
    ``?as_of=`` shows a past day: each SKU's stock from that day's snapshot, its status and
    on-shelf day from the status history."""
    today = store_today(request)
    yesterday = today - datetime.timedelta(days=1)
    form = HealthForm(request.GET, store=request.store, latest=yesterday)
    filters = valid_filters(
        request,
        form,
        {"as_of": yesterday, "comparable": None, "week": today, "q": "", "sort": ""},
    )
    as_of = filters["as_of"]
    result = SkuHealthRunner(
        store=request.store, query=health_query(store=request.store, as_of=as_of)
    ).run()
    suggestion = None
    if filters["comparable"]:
        comparable = get_object_or_404(Sku, store=request.store, pk=filters["comparable"])
        suggestion = first_stock(comparable=comparable, as_of=as_of)
    can_edit = request.membership.allows(Capability.EDIT_CATALOG)
    last_round = selectors.last_delisting(store=request.store)
    last_day = None if last_round is None else local_day(request.store.zone, last_round.at)
    # 每月淘汰: the candidates are due for review when nothing was delisted for a month.
    review_due = bool(result.delisting_candidates) and (
        last_day is None or (today - last_day).days >= DELISTING_REVIEW_DAYS
    )
    week_start = filters["week"] - datetime.timedelta(days=filters["week"].weekday())
    calendar = listing_calendar(store=request.store, week_of=week_start)
    # Every SKU's row: searchable, sortable, paginated, with its open compliance findings.
    findings = dict(
        ComplianceFinding.objects.filter(store=request.store, resolved_at__isnull=True)
        .values("sku_id")
        .annotate(open=Count("pk"))
        .values_list("sku_id", "open")
    )
    sort = filters["sort"] or HEALTH_DEFAULT_SORT
    rows = _health_rows(result.skus, findings=findings, search=filters["q"], sort=sort)
    columns = sort_columns(
        sort,
        [
            ("code", _("SKU code")),
            ("title", _("Title")),
            ("status", _("Status")),
            ("units_30d", _("Units (30 days)")),
            ("stock", _("Stock")),
            ("sell_through", _("Sell-through rate")),
            ("days_of_cover", _("Days of cover")),
            ("turnover", _("Inventory turnover")),
            ("findings", _("Open compliance findings")),
        ],
        numeric=("units_30d", "stock", "sell_through", "days_of_cover", "turnover", "findings"),
    )
    context = {
        "form": form,
        "result": result,
        "page": paginate(request, rows),
        "columns": columns,
        "filters": filters,
        "findings": findings,
        "first_stock": suggestion,
        "calendar": calendar,
        "week_start": week_start,
        "previous_week": (week_start - datetime.timedelta(days=7)).isoformat(),
        "next_week": (week_start + datetime.timedelta(days=7)).isoformat(),
        "is_this_week": week_start <= today < week_start + datetime.timedelta(days=7),
        "listing_day_names": ", ".join(
            str(WEEKDAYS[number - 1]) for number in request.store.listing_weekday_numbers
        ),
        "today": today,
        "last_delisting": last_round,
        "last_delisting_day": last_day,
        "delisting_review_due": review_due and not result.stock_from_snapshots,
        "delisting_review_days": DELISTING_REVIEW_DAYS,
        "status_labels": {status.value: str(status.label) for status in SkuStatus},
        "can_edit": can_edit,
        # Delisting acts on today's catalogue: not from a past day's figures.
        "can_delist": can_edit and not result.stock_from_snapshots,
    }
    return render(request, "catalog/health.html", context, status=400 if form.errors else 200)


@require_POST
@store_page
def sku_delist(request: HttpRequest) -> HttpResponse:
    """Delist the checked SKUs. Every id must be a SKU of the current store: an id of another
    store (or none at all) is a 404 and nothing is delisted."""
    _require_edit(request)
    try:
        ids = {int(value) for value in request.POST.getlist("sku")}
    except ValueError:
        return HttpResponseBadRequest(_("Invalid SKU."))
    if not ids:
        messages.warning(request, _("Choose at least one SKU to delist."))
        return redirect("sku_health")
    if Sku.objects.filter(store=request.store, pk__in=ids).count() != len(ids):
        raise Http404(_("No such SKU."))
    delisted = services.sku_delist_bulk(store=request.store, sku_ids=ids, actor=_actor(request))
    messages.success(request, _("Delisted %(count)d SKU(s).") % {"count": len(delisted)})
    return redirect("sku_health")


class BannedTermForm(forms.Form):
    term = forms.CharField(label=gettext_lazy("Term"), max_length=40)
    replacement = forms.CharField(
        label=gettext_lazy("Neutral replacement"), max_length=40, required=False
    )
    allowed_phrases = forms.CharField(
        label=gettext_lazy("Allowed phrases"), max_length=255, required=False
    )


@require_GET
@store_page
def compliance(request: HttpRequest) -> HttpResponse:
    """广告法极限词: open findings with the oldest's age against the 24-hour rule, one-click
    replacement, and the store's term list."""
    report = open_findings(store=request.store)
    terms = list(BannedTerm.objects.filter(store=request.store).order_by("term"))
    replacements = {term.term: term.replacement for term in terms}
    context = {
        "report": report,
        "terms": terms,
        "replacements": replacements,
        "clear_within_hours": int(CLEAR_WITHIN.total_seconds() // 3600),
        "term_form": BannedTermForm(),
        "can_edit": request.membership.allows(Capability.EDIT_CATALOG),
    }
    return render(request, "catalog/compliance.html", context)


@require_POST
@store_page
def finding_apply(request: HttpRequest, finding_id: int) -> HttpResponse:
    """Replace the finding's term in its SKU text with the neutral replacement."""
    _require_edit(request)
    finding = get_object_or_404(ComplianceFinding, store=request.store, pk=finding_id)
    try:
        sku = finding_apply_replacement(finding=finding, actor=_actor(request))
    except NoReplacementError:
        messages.error(
            request,
            _("“%(term)s” has no replacement; edit the text or add one.") % {"term": finding.term},
        )
    else:
        messages.success(
            request,
            _("Replaced “%(term)s” in %(code)s.") % {"term": finding.term, "code": sku.code},
        )
    return redirect("compliance")


@require_POST
@store_page
def banned_term_save_view(request: HttpRequest) -> HttpResponse:
    """Add a banned term or update one; every SKU is re-scanned after the change."""
    _require_edit(request)
    form = BannedTermForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a term of at most 40 characters."))
        return redirect("compliance")
    banned_term_save(store=request.store, actor=_actor(request), **form.cleaned_data)
    messages.success(
        request,
        _("Saved “%(term)s”; all SKUs are being re-scanned.") % {"term": form.cleaned_data["term"]},
    )
    return redirect("compliance")


@require_POST
@store_page
def banned_term_delete_view(request: HttpRequest, term_id: int) -> HttpResponse:
    _require_edit(request)
    term = get_object_or_404(BannedTerm, store=request.store, pk=term_id)
    banned_term_delete(term=term, actor=_actor(request))
    messages.success(
        request, _("Removed “%(term)s”; all SKUs are being re-scanned.") % {"term": term.term}
    )
    return redirect("compliance")


@require_POST
@store_page
def banned_terms_seed_view(request: HttpRequest) -> HttpResponse:
    _require_edit(request)
    added = banned_terms_seed(store=request.store, actor=_actor(request))
    messages.success(request, _("Added %(count)d default term(s).") % {"count": added})
    return redirect("compliance")


class PriceChangeForm(forms.Form):
    new_price = forms.DecimalField(
        label=gettext_lazy("New price"), min_value=0, max_digits=14, decimal_places=2
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)
    #: The confirmation token of the exposure the page showed (``PriceExposure.confirmation``).
    confirmation = forms.CharField(required=False, max_length=2000)


@require_http_methods(["GET", "POST"])
@store_page
def sku_price(request: HttpRequest, sku_id: int) -> HttpResponse:
    """Change a SKU's price. A cut that exposes recent orders to price-protection claims (保价)
    shows the exposure first and needs a second, confirming submit bound to that exposure:
    when orders were paid (or refunded) in between, the new exposure is shown instead and
    must be confirmed afresh."""
    sku = get_object_or_404(Sku.objects.select_related("store"), store=request.store, pk=sku_id)
    refused = None
    if request.method == "POST":
        _require_edit(request)
        form = PriceChangeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                change = sku_price_change(
                    sku=sku,
                    new_price=data["new_price"],
                    actor=_actor(request),
                    confirmation=data["confirmation"] or None,
                    note=data["note"],
                )
            except PriceCutNotConfirmedError as error:
                refused = error
                sku.refresh_from_db()
            else:
                if change is None:
                    messages.info(request, _("The price is unchanged."))
                else:
                    messages.success(
                        request,
                        _("Price of %(code)s changed from %(old)s to %(new)s.")
                        % {"code": sku.code, "old": change.old_price, "new": change.new_price},
                    )
                return redirect("sku_price", sku_id=sku.pk)
    else:
        form = PriceChangeForm(initial={"new_price": sku.price})
    context = {
        "sku": sku,
        "form": form,
        "exposure": refused.exposure if refused else None,
        "exposure_changed": isinstance(refused, PriceExposureChangedError),
        "seen": refused.seen if refused else None,
        "changes": sku.price_changes.select_related("changed_by").order_by("-changed_at")[:20],
        "can_edit": request.membership.allows(Capability.EDIT_CATALOG),
    }
    return render(request, "catalog/price_change.html", context)
