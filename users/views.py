"""Customer pages (用户)."""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from analytics import charts
from analytics.dashboards import CUSTOMERS_DEFAULT, customer_runners
from analytics.rfm import SEGMENTS_BY_CODE
from opsdesk.exports import rows_to_csv_response, rows_to_xlsx_response
from opsdesk.views import paginate, picked_range, store_page, store_today, valid_filters

from . import prediction, selectors
from .models import Customer, Tier
from .tiers import TIER_ORDER


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)


@require_GET
@store_page
def customer_list(request: HttpRequest) -> HttpResponse:
    """Customer table with the latest lifecycle tier: search, paginate."""
    form = CustomerFilterForm(request.GET)
    filters = valid_filters(request, form, {"q": ""})
    customers = selectors.customer_list(store=request.store, search=filters["q"])
    context = {
        "form": form,
        "filters": filters,
        "tier_labels": dict(Tier.choices),
        "page": paginate(request, customers),
    }
    return render(request, "users/customer_list.html", context)


#: DOMAIN.md's recommended action per tier, in the operator's language.
TIER_ACTIONS = {
    Tier.NEW: gettext_lazy("New-customer gift pack and first-order guide"),
    Tier.HIGH_VALUE: gettext_lazy("Exclusive coupons, spend-more gifts on repurchase"),
    Tier.DORMANT: gettext_lazy("Time-limited wake-up offer, e.g. ¥30 off within 3 days"),
    Tier.CHURNED: gettext_lazy("Win-back coupon with personal service"),
    Tier.ACTIVE: gettext_lazy("Member day and points"),
    Tier.PROSPECT: gettext_lazy("First-order coupon"),
}
EXPORT_FORMATS = ("csv", "xlsx")


def segment_label(code: str, name: str, name_zh: str) -> str:
    return name_zh if get_language().lower().startswith("zh") else name


def _runners(request: HttpRequest, chosen, *, segment: str | None, tier: str | None):
    runners = customer_runners(
        request.store, start=chosen.start, end=chosen.end, segment=segment, tier=tier
    )
    return runners["tiers"].run(), runners["rfm"].run()


def _choice(request: HttpRequest, name: str, allowed) -> str | None:
    value = request.GET.get(name) or None
    return value if value in allowed else None


@require_GET
@store_page
def customer_insights(request: HttpRequest) -> HttpResponse:
    """用户分层/RFM: tier sizes over the range, tier flows from its first to its last day, the
    recommended actions, the RFM grid and segments as of the last day, and one segment's or
    one tier's customers (exportable). Reads TierRunner and RfmRunner only."""
    chosen, picker, error = picked_range(request, default=CUSTOMERS_DEFAULT)
    segment = _choice(request, "segment", SEGMENTS_BY_CODE)
    tier = _choice(request, "tier", TIER_ORDER)
    tiers, rfm = _runners(request, chosen, segment=segment, tier=tier)
    tier_labels = {str(code): str(label) for code, label in Tier.choices}
    tier_labels[""] = str(_("Not yet a customer"))
    segments = [
        {"summary": row, "label": segment_label(row.code, row.name, row.name_zh)}
        for row in rfm.segments
    ]
    latest = dict(tiers.sizes[-1].sizes) if tiers.sizes else {}
    context = {
        "picker": picker,
        "tiers": tiers,
        "rfm": rfm,
        "segment": segment,
        "segment_name": next((s["label"] for s in segments if s["summary"].code == segment), ""),
        "tier": tier,
        "tier_labels": tier_labels,
        "tier_rows": [
            {
                "code": code,
                "label": tier_labels[code],
                "customers": latest.get(code),
                "action": TIER_ACTIONS.get(code, ""),
            }
            for code in TIER_ORDER
        ],
        "segments": segments,
        "score_range": range(5, 0, -1),
        "grid_rows": [(score, rfm.grid[score - 1]) for score in range(5, 0, -1)],
        "tier_chart": charts.figure_json(charts.tier_area_figure(tiers, tier_labels=tier_labels)),
        "sankey_chart": charts.figure_json(
            charts.tier_sankey_figure(
                tiers,
                tier_labels=tier_labels,
                start_label=chosen.start.isoformat(),
                end_label=chosen.end.isoformat(),
            )
        ),
        "rfm_chart": charts.figure_json(
            charts.rfm_heatmap_figure(rfm, r_label=_("R score"), f_label=_("F score"))
        ),
        "has_charts": True,
    }
    return render(request, "users/insights.html", context, status=400 if error else 200)


@require_GET
@store_page
def customer_export(request: HttpRequest) -> HttpResponse:
    """One RFM segment's (``?segment=``) or one tier's entrants on the range's last day
    (``?tier=``) as CSV or XLSX (``?format=``), from the same runners as the page. With
    ``?scope=current`` and a tier: everyone whose current tier on the range's last day is
    that tier (the latest tier change on or before it)."""
    chosen, _picker, error = picked_range(request, default=CUSTOMERS_DEFAULT)
    segment = _choice(request, "segment", SEGMENTS_BY_CODE)
    tier = _choice(request, "tier", TIER_ORDER)
    file_format = request.GET.get("format", "csv")
    if error or file_format not in EXPORT_FORMATS or (segment is None) == (tier is None):
        return HttpResponseBadRequest(
            error or _("Choose one segment or one tier, and a format (csv or xlsx).")
        )
    if request.GET.get("scope") == "current":
        if tier is None:
            return HttpResponseBadRequest(_("The current-members export needs a tier."))
        return _current_tier_export(request, tier, chosen.end, file_format)
    tiers, rfm = _runners(request, chosen, segment=segment, tier=tier)
    if segment:
        header = [
            _("Customer id"),
            _("Name"),
            _("Segment"),
            _("Recency (days)"),
            _("Orders"),
            _("Paid amount"),
            "R",
            "F",
            "M",
        ]
        rows = [
            [
                c.external_id,
                c.name,
                c.segment,
                c.recency_days,
                c.frequency,
                c.monetary,
                c.r_score,
                c.f_score,
                c.m_score,
            ]
            for c in rfm.customers
        ]
        stem = f"rfm-{segment}-{chosen.end.isoformat()}"
    else:
        header = [
            _("Customer id"),
            _("Name"),
            _("Previous tier"),
            _("Tier"),
            _("Recommended action"),
        ]
        rows = [
            [e.external_id, e.name, e.previous_tier, e.tier, str(TIER_ACTIONS.get(e.tier, ""))]
            for e in tiers.entered
        ]
        stem = f"tier-{tier}-{chosen.end.isoformat()}"
    header = [str(cell) for cell in header]
    if file_format == "xlsx":
        return rows_to_xlsx_response(filename=f"{stem}.xlsx", header=header, rows=rows)
    return rows_to_csv_response(filename=f"{stem}.csv", header=header, rows=rows)


def _current_tier_export(request: HttpRequest, tier: str, day, file_format: str) -> HttpResponse:
    rows = selectors.customers_in_tier(store=request.store, tier=tier, day=day)
    header = [
        str(_("Customer id")),
        str(_("Name")),
        str(_("Tier")),
        str(_("In this tier since")),
        str(_("Member level")),
        str(_("Points")),
        str(_("Recommended action")),
    ]
    action = str(TIER_ACTIONS.get(tier, ""))
    body = [
        [r.external_id, r.name, r.tier, r.since, r.member_level, r.points, action] for r in rows
    ]
    stem = f"tier-current-{tier}-{day.isoformat()}"
    if file_format == "xlsx":
        return rows_to_xlsx_response(filename=f"{stem}.xlsx", header=header, rows=body)
    return rows_to_csv_response(filename=f"{stem}.csv", header=header, rows=body)


@require_GET
@store_page
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    """One customer: profile, orders and refunds, tier and member-level history, RFM scores
    and segment, points, predictions and the playbooks that reached them. Another store's
    customer id is a 404."""
    try:
        profile = selectors.customer_profile(store=request.store, customer_id=customer_id)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer in this store.")) from None
    tier_labels = {str(code): str(label) for code, label in Tier.choices}
    segment = SEGMENTS_BY_CODE.get(profile.rfm.segment) if profile.rfm else None
    context = {
        "profile": profile,
        "customer": profile.customer,
        "tier_labels": tier_labels,
        "segment_name": segment_label(segment.code, segment.name, segment.name_zh)
        if segment
        else "",
        "tier_action": TIER_ACTIONS.get(profile.current_tier, "") if profile.current_tier else "",
        "net_spend": profile.paid_total - profile.refunded_total,
        "horizon_days": prediction.HORIZON_DAYS,
    }
    return render(request, "users/customer_detail.html", context)


@require_GET
@store_page
def customer_predictions(request: HttpRequest) -> HttpResponse:
    """流失预测/CLV: the latest fit's parameters, average P(alive), expected purchases and CLV
    per RFM segment and per tier, and the churn warning list."""
    overview = prediction.prediction_overview(store=request.store)
    tier_labels = {str(code): str(label) for code, label in Tier.choices}
    segment_labels = {
        code: segment_label(code, definition.name, definition.name_zh)
        for code, definition in SEGMENTS_BY_CODE.items()
    }
    context = {
        "overview": overview,
        "fit": overview.fit,
        "tier_labels": tier_labels,
        "segment_labels": segment_labels,
        "horizon_days": prediction.HORIZON_DAYS,
        "warning_drop": prediction.WARNING_DROP,
        "today": store_today(request),
    }
    return render(request, "users/predictions.html", context)
