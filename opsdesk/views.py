"""The web shell: the page guard every page uses, pagination and sorting helpers, the overview
and the store switcher.

Pages read ``request.store`` (set by ``opsdesk.tenancy.CurrentStoreMiddleware`` to a store the
user belongs to) and nothing else: never a store id from the URL or a form.
"""

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from analytics import charts
from analytics.dashboards import overview_runners
from analytics.metrics import METRICS_BY_KEY
from campaigns import selectors as campaign_selectors
from catalog.compliance import open_findings_summary

from .channels import Channel
from .daterange import (
    PRESETS,
    CampaignWindow,
    DateRange,
    DateRangeError,
    parse_date_range,
    preset_range,
)
from .roles import Capability
from .tenancy import SESSION_KEY

PAGE_SIZE = 50

View = Callable[..., HttpResponse]


def store_page(view: View) -> View:
    """Guard for every store page: sign-in required, a current store required.

    A signed-in user who belongs to no store gets a page saying so (no data, not an error);
    a role without the VIEW capability is refused. The page renders in the store's time zone.
    """

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.store is None:
            return render(request, "opsdesk/no_store.html")
        if not request.membership.allows(Capability.VIEW):
            raise PermissionDenied
        # Dates and times render (and forms parse) in the store's time zone, not the server's.
        with timezone.override(request.store.zone):
            return view(request, *args, **kwargs)

    return guarded


def store_today(request: HttpRequest) -> datetime.date:
    """Today's date in the current store's time zone."""
    return timezone.localdate(timezone=request.store.zone)


def paginate(request: HttpRequest, items: QuerySet | Sequence, per_page: int = PAGE_SIZE) -> Page:
    """The page of ``items`` asked for by ``?page=``.

    A non-numeric page falls back to page 1 and a page past the end to the last page, each
    with a message saying so; never an error.
    """
    paginator = Paginator(items, per_page)
    asked = request.GET.get("page", "")
    page = paginator.get_page(asked)
    if asked and asked != str(page.number):
        messages.info(
            request,
            _("There is no page “%(asked)s”; showing page %(page)d of %(pages)d.")
            % {"asked": asked[:20], "page": page.number, "pages": paginator.num_pages},
        )
    return page


def valid_filters(request: HttpRequest, form: forms.Form, defaults: dict) -> dict:
    """The bound filter ``form``'s valid values laid over ``defaults``.

    Each invalid value is dropped (its default applies) with a message naming the field, so
    a hand-edited URL never causes an error page.
    """
    form.is_valid()
    for field, errors in form.errors.items():
        if field == forms.forms.NON_FIELD_ERRORS:
            for error in errors:
                messages.warning(request, error)
            continue
        label = form.fields[field].label or field
        messages.warning(
            request,
            _("Ignored %(field)s: %(error)s") % {"field": label, "error": " ".join(errors)},
        )
    cleaned = getattr(form, "cleaned_data", {})
    return {**defaults, **{k: v for k, v in cleaned.items() if v not in (None, "")}}


@dataclass(frozen=True)
class SortColumn:
    """A sortable table header: its label, the ``?sort=`` value its link sets, its
    ``aria-sort`` state ("ascending", "descending" or "none") and whether it holds numbers."""

    key: str
    label: str
    link_sort: str
    aria_sort: str
    numeric: bool = False


def sort_columns(
    current: str, columns: Sequence[tuple[str, str]], numeric: Iterable[str] = ()
) -> list[SortColumn]:
    """Headers for ``columns`` ((key, label) pairs) given the ``current`` sort value.

    Clicking the column sorted ascending sorts it descending; any other column sorts it
    ascending. Keys in ``numeric`` are right-aligned number columns.
    """
    numeric = frozenset(numeric)
    headers = []
    for key, label in columns:
        if current == key:
            link_sort, aria_sort = f"-{key}", "ascending"
        elif current == f"-{key}":
            link_sort, aria_sort = key, "descending"
        else:
            link_sort, aria_sort = key, "none"
        headers.append(SortColumn(key, label, link_sort, aria_sort, key in numeric))
    return headers


def picked_range(
    request: HttpRequest, *, default: str = "yesterday"
) -> tuple[DateRange, dict, str | None]:
    """The date range chosen on a dashboard page, the picker's context, and an error message.

    A bad choice (unknown preset, malformed or reversed dates, another store's campaign) gives
    the error and falls back to the ``default`` preset, so the page can still render (as 400).
    """
    today = store_today(request)
    windows = {
        campaign.pk: CampaignWindow(
            campaign.pk, campaign.name, campaign.preheat_start, campaign.wrapup_end
        )
        for campaign in campaign_selectors.campaign_list(store=request.store)[:24]
    }
    error = None
    try:
        chosen = parse_date_range(request.GET, today=today, default=default, campaigns=windows)
    except DateRangeError as exc:
        error = str(exc)
        chosen = preset_range(default, today=today)
    picker = {
        "range": chosen,
        "presets": PRESETS,
        "campaigns": list(windows.values()),
        "error": error,
        "today": today,
    }
    return chosen, picker, error


def metric_label(key: str) -> str:
    """The metric's name in the active language (the dictionary keeps both)."""
    definition = METRICS_BY_KEY[key]
    return definition.name_zh if get_language().lower().startswith("zh") else definition.name


OVERVIEW_KPIS = (
    "gmv",
    "uv",
    "paying_buyers",
    "conversion_rate",
    "spend_per_buyer",
    "refund_rate",
    "ad_spend",
    "roi",
)
TREND_DAYS = (30, 90, 365)
CHANNEL_METRICS = ("uv", "paying_buyers", "conversion_rate", "gmv", "ad_spend", "roi")


@dataclass(frozen=True)
class KpiCard:
    key: str
    label: str
    unit: str
    value: object
    vs_previous: object
    vs_last_week: object


@require_GET
@store_page
def overview(request: HttpRequest) -> HttpResponse:
    """经营概况: KPI cards for the chosen range (default yesterday) against the period before
    and the same period a week earlier, the GMV/UV trend with campaign bursts shaded, the
    channel table with its flags, and anomaly notes. Every number comes from a runner."""
    store = request.store
    chosen, picker, error = picked_range(request)
    try:
        trend_days = int(request.GET.get("trend", "30"))
    except ValueError:
        trend_days = 30
    if trend_days not in TREND_DAYS:
        trend_days = 30
    trend_start = chosen.end - datetime.timedelta(days=trend_days - 1)
    runners = overview_runners(store, start=chosen.start, end=chosen.end, trend_days=trend_days)
    current = runners["current"].run(use_cache=True)
    previous = runners["previous"].run(use_cache=True)
    last_week = runners["last_week"].run(use_cache=True)
    trend_runner = runners["trend"]
    trend = trend_runner.run(use_cache=True)
    bursts = [
        charts.Shade(campaign.name, campaign.burst_start, campaign.burst_end)
        for campaign in campaign_selectors.campaign_list(store=store)
        if campaign.burst_end >= trend_start and campaign.burst_start <= chosen.end
    ]
    flags = runners["flags"].run(use_cache=True)
    rolled_up = len(current.missing_days) < chosen.days

    def available(result, key):
        # A period with no rolled-up day has no value, not zero.
        return (
            getattr(result.totals, key)
            if len(result.missing_days) < ((result.end - result.start).days + 1)
            else None
        )

    cards = []
    for key in OVERVIEW_KPIS:
        value = available(current, key)
        cards.append(
            KpiCard(
                key=key,
                label=metric_label(key),
                unit=METRICS_BY_KEY[key].unit,
                value=value,
                vs_previous=charts.percent_change(value, available(previous, key)),
                vs_last_week=charts.percent_change(value, available(last_week, key)),
            )
        )
    channel_labels = dict(Channel.choices)
    channel_flags: dict[str, list] = {}
    for flag in flags.flags:
        if flag.channel:
            channel_flags.setdefault(flag.channel, []).append(flag)
    channels = [
        {
            "code": row.channel,
            "label": channel_labels.get(row.channel, row.channel),
            "metrics": row.metrics,
            "flags": channel_flags.get(row.channel, []),
        }
        for row in current.channels
    ]
    trend_chart = charts.cached_figure_json(
        trend_runner.cache_key(),
        "trend",
        lambda: charts.trend_figure(
            trend, gmv_label=metric_label("gmv"), uv_label=metric_label("uv"), shades=bursts
        ),
        extra=bursts,
    )
    context = {
        "picker": picker,
        "range": chosen,
        "cards": cards,
        "current": current,
        "rolled_up": rolled_up,
        "trend": trend,
        "trend_days": trend_days,
        "trend_choices": TREND_DAYS,
        "trend_rolled_up": len(trend.missing_days) < len(trend.series),
        "trend_chart": trend_chart,
        "channels": channels,
        "channel_columns": [
            (key, metric_label(key), METRICS_BY_KEY[key].unit) for key in CHANNEL_METRICS
        ],
        "anomalies": [flag for flag in flags.flags if flag.kind == "gmv_anomaly"],
        "findings": open_findings_summary(store=store),
        "channel_labels": channel_labels,
        "bursts": bursts,
        "currency": store.currency,
        "has_charts": True,
    }
    return render(request, "overview.html", context, status=400 if error else 200)


@require_POST
@login_required
def switch_store(request: HttpRequest) -> HttpResponse:
    """Make one of the user's stores the current store.

    Only a store the user has a membership in is accepted: a malformed id is a 400 and any
    other store (existing or not) a 404; either way the session is left unchanged.
    """
    raw = request.POST.get("store", "")
    try:
        store_id = int(raw)
    except ValueError:
        return HttpResponseBadRequest(_("Choose a store from the list."))
    membership = next((m for m in request.memberships if m.store_id == store_id), None)
    if membership is None:
        raise Http404(_("You do not belong to that store."))
    request.session[SESSION_KEY] = membership.store_id
    messages.success(
        request, _("You are now working in %(store)s.") % {"store": membership.store.name}
    )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("overview")
    return HttpResponseRedirect(target)
