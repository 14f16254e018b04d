"""Promotion calendar pages (活动)."""

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from analytics import charts
from analytics.metrics import rate
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from catalog.models import Sku
from opsdesk.audit import Actor
from opsdesk.channels import Channel
from opsdesk.exports import rows_to_csv_response, rows_to_xlsx_response
from opsdesk.models import AuditSource
from opsdesk.roles import Capability
from opsdesk.views import paginate, picked_range, store_page, store_today

from . import selectors, services
from .calendar import FESTIVALS_BY_CODE, coming_festivals, festival_phases, overlaps
from .charts import gap_figure, pace_figure
from .forms import CampaignForm, LineupAcceptForm, LineupAddForm, MechanicForm, MonitorDayForm
from .lineup import lineup_suggestions
from .models import Campaign, LineupItem, Mechanic, Phase
from .monitoring import campaign_pace, default_monitor_day, monitored_days
from .plan import plan_breakdown
from .review import campaign_review
from .review_export import review_rows
from .services import CAMPAIGN_FIELDS, PHASE_DATES, TARGET_FIELDS
from .targets import preheat_target


@dataclass(frozen=True)
class PhaseSpan:
    """A phase and its first and last store-local day (None for a phase with no days)."""

    phase: Phase
    first_day: datetime.date | None
    last_day: datetime.date | None


def phase_spans(campaign: Campaign) -> list[PhaseSpan]:
    """The dated phases of ``campaign`` with inclusive day ranges, following the half-open
    boundaries of ``Campaign`` (pre-heat ends the day before the burst starts, and so on)."""
    day = datetime.timedelta(days=1)
    bounds = [
        (Phase.PREPARATION, campaign.preparation_start, campaign.preheat_start - day),
        (Phase.PREHEAT, campaign.preheat_start, campaign.burst_start - day),
        (Phase.BURST, campaign.burst_start, campaign.burst_end),
        (Phase.WRAPUP, campaign.burst_end + day, campaign.wrapup_end),
    ]
    return [
        PhaseSpan(phase, first, last) if first <= last else PhaseSpan(phase, None, None)
        for phase, first, last in bounds
    ]


#: The calendar timeline shows campaigns whose window ends after this many days ago.
TIMELINE_PAST_DAYS = 60


def timeline_bars(campaigns, festivals) -> list[charts.TimelineBar]:
    """The calendar timeline's bars: each campaign's dated phases, then festival days."""
    labels = dict(Phase.choices)
    bars = [
        charts.TimelineBar(
            campaign.name, span.phase, str(labels[span.phase]), span.first_day, span.last_day
        )
        for campaign in campaigns
        for span in phase_spans(campaign)
        if span.first_day is not None
    ]
    bars += [
        charts.TimelineBar(
            str(_("Platform festivals")), "festival", str(_("Festival")), f.day, f.day
        )
        for f in festivals
    ]
    return bars


@require_GET
@store_page
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The store's campaigns with their phase dates and the phase they are in today, a
    timeline of recent and coming campaigns with the platform festivals, and overlaps."""
    today = store_today(request)
    campaigns = selectors.campaign_list(store=request.store, today=today)
    page = paginate(request, campaigns)
    # Without a chosen range the timeline shows the last TIMELINE_PAST_DAYS days and every
    # coming campaign with the coming year's festivals; the shared picker (any preset, a
    # campaign's window, a custom range, past or coming) narrows it to the campaigns and
    # festivals of that range.
    chosen, picker, error = picked_range(request, default="last_90")
    if not any(request.GET.get(key) for key in ("range", "start", "end", "campaign")):
        chosen, picker = None, {**picker, "range": None}
    if chosen is None:
        horizon = today - datetime.timedelta(days=TIMELINE_PAST_DAYS)
        shown = campaigns.filter(wrapup_end__gte=horizon)
        festivals = coming_festivals(today=today)
        # The chart shows the coming year; the table lists every coming festival.
        charted = [f for f in festivals if f.day <= today + datetime.timedelta(days=366)]
    else:
        shown = campaigns.filter(wrapup_end__gte=chosen.start, preparation_start__lte=chosen.end)
        festivals = coming_festivals(today=today)
        charted = [
            f
            for f in coming_festivals(
                today=chosen.start, years=chosen.end.year - chosen.start.year + 1
            )
            if f.day <= chosen.end
        ]
    recent = sorted(shown, key=lambda c: (c.preparation_start, c.pk))
    for campaign in [*page, *recent]:
        campaign.current_phase = campaign.phase_on(today)
        campaign.stock_basis = selectors.stock_basis(campaign, today)
    bars = timeline_bars(recent, charted)
    context = {
        "picker": picker,
        "page": page,
        "today": today,
        "festivals": festivals,
        "overlaps": overlaps(recent),
        "timeline": recent,
        "timeline_chart": charts.figure_json(charts.timeline_figure(bars)) if bars else None,
        "has_charts": bool(bars),
        "can_edit": request.membership.allows(Capability.EDIT_CAMPAIGNS),
        "timeline_past_days": TIMELINE_PAST_DAYS,
        # Coming and running campaigns: the ones a manager can still act on.
        "stock_short": [c for c in recent if c.stock_short_count and c.burst_end >= today],
    }
    return render(request, "campaigns/campaign_list.html", context, status=400 if error else 200)


@dataclass(frozen=True)
class Progress:
    """GMV of the burst days rolled up so far against the target."""

    gmv: object
    target: object
    share: object  # gmv / target as a fraction, None without a target
    days_rolled_up: int
    days: int


def campaign_progress(store, campaign: Campaign, today: datetime.date) -> Progress | None:
    """The burst window's GMV from DailyMetricsRunner; None before the burst starts."""
    if campaign.burst_start >= today:
        return None
    end = min(campaign.burst_end, today - datetime.timedelta(days=1))
    result = DailyMetricsRunner(
        store=store, query=DailyMetricsQuery(start=campaign.burst_start, end=end)
    ).run(use_cache=True)
    days = (end - campaign.burst_start).days + 1
    rolled = days - len(result.missing_days)
    gmv = result.totals.gmv if rolled else None
    share = None
    if gmv is not None and campaign.gmv_target:
        share = gmv / campaign.gmv_target
    return Progress(gmv, campaign.gmv_target, share, rolled, days)


@dataclass(frozen=True)
class ChannelBudgetRow:
    channel: str
    label: str
    budget: object
    share: object  # of the campaign's ad budget


def _channel_budget_rows(campaign: Campaign) -> list[ChannelBudgetRow]:
    labels = dict(Channel.choices)
    return [
        ChannelBudgetRow(
            row.channel,
            str(labels.get(row.channel, row.channel)),
            row.budget,
            rate(row.budget, campaign.ad_budget) if campaign.ad_budget else None,
        )
        for row in selectors.campaign_channel_budgets(campaign=campaign)
    ]


@require_GET
@store_page
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """One campaign: phases, target and budget, lineup with stock flags, mechanics.

    A campaign of another store is a 404, exactly like one that does not exist.
    """
    campaign = _campaign_or_404(request, campaign_id)
    today = store_today(request)
    channel_labels = dict(Channel.choices)
    context = {
        "campaign": campaign,
        "today": today,
        "current_phase": campaign.phase_on(today),
        "phases": phase_spans(campaign),
        "channel_names": [channel_labels.get(code, code) for code in campaign.channels or []],
        "lineup": selectors.campaign_lineup(campaign=campaign, today=today),
        "stock_basis": selectors.stock_basis(campaign, today),
        "mechanics": list(selectors.campaign_mechanics(campaign=campaign)),
        "channel_budgets": _channel_budget_rows(campaign),
        "progress": campaign_progress(request.store, campaign, today),
        "plan": plan_breakdown(store=request.store, campaign=campaign, today=today),
        "preheat": preheat_target(store=request.store, campaign=campaign, today=today),
        "can_edit": request.membership.allows(Capability.EDIT_CAMPAIGNS),
        "mechanic_form": MechanicForm(),
        "monitor_open": campaign.preheat_start <= today,
        "review_open": today > campaign.burst_end,
    }
    return render(request, "campaigns/campaign_detail.html", context)


# --- planning: create / edit from the calendar ------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, source=AuditSource.WEB)


def _require(request: HttpRequest, capability: Capability) -> None:
    """A role without ``capability`` gets 403 and nothing is written."""
    if not request.membership.allows(capability):
        raise PermissionDenied


def _campaign_or_404(request: HttpRequest, campaign_id: int) -> Campaign:
    try:
        return selectors.campaign_get(store=request.store, campaign_id=campaign_id)
    except Campaign.DoesNotExist:
        raise Http404 from None


def _festival_initial(request: HttpRequest, today: datetime.date) -> dict:
    """Form values for "plan <festival> <year>" (?festival=double11&year=2027): the
    festival's name, kind and default phase dates; {} without (or with an unknown) festival."""
    festival = FESTIVALS_BY_CODE.get(request.GET.get("festival", ""))
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = None
    if festival is None or year is None or not today.year - 1 <= year <= today.year + 5:
        return {}
    dates = festival_phases(festival, year)
    return {
        "name": f"{festival.name} {year}",
        "kind": festival.kind,
        **{name: getattr(dates, name) for name in PHASE_DATES},
    }


def _save_campaign(request, form: CampaignForm, campaign: Campaign | None) -> Campaign | None:
    """Create or update from a valid form; service errors go back onto the form."""
    data = form.campaign_values()
    can_set = request.membership.allows(Capability.SET_TARGETS)
    if not can_set:
        for name in TARGET_FIELDS:
            data.pop(name, None)
    try:
        if campaign is None:
            return services.campaign_create(store=request.store, actor=_actor(request), **data)
        return services.campaign_update(campaign=campaign, actor=_actor(request), **data)
    except ValidationError as error:
        for field, messages_ in error.message_dict.items():
            form.add_error(None if field not in form.fields else field, messages_)
        return None


@store_page
def campaign_new(request: HttpRequest) -> HttpResponse:
    """Plan a campaign; from the calendar a festival arrives with its default phase dates, so
    "plan Double 11 2027" is one click on the calendar and one on Save."""
    _require(request, Capability.EDIT_CAMPAIGNS)
    can_set = request.membership.allows(Capability.SET_TARGETS)
    if request.method == "POST":
        form = CampaignForm(request.POST, store=request.store, can_set_targets=can_set)
        if form.is_valid():
            campaign = _save_campaign(request, form, None)
            if campaign is not None:
                messages.success(request, _("Campaign %(name)s planned.") % {"name": campaign.name})
                return redirect("campaign_detail", campaign.pk)
        status = 400
    else:
        form = CampaignForm(
            initial=_festival_initial(request, store_today(request)),
            store=request.store,
            can_set_targets=can_set,
        )
        status = 200
    return render(
        request, "campaigns/campaign_form.html", {"form": form, "campaign": None}, status=status
    )


@store_page
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Edit a campaign's phases, target, budget, channels, baseline and notes."""
    _require(request, Capability.EDIT_CAMPAIGNS)
    campaign = _campaign_or_404(request, campaign_id)
    can_set = request.membership.allows(Capability.SET_TARGETS)
    if request.method == "POST":
        form = CampaignForm(
            request.POST, store=request.store, campaign=campaign, can_set_targets=can_set
        )
        if form.is_valid() and _save_campaign(request, form, campaign) is not None:
            messages.success(request, _("Campaign saved."))
            return redirect("campaign_detail", campaign.pk)
        status = 400
    else:
        initial = {name: getattr(campaign, name) for name in CAMPAIGN_FIELDS}
        initial.update(CampaignForm.budget_initial(services.channel_budgets_of(campaign)))
        form = CampaignForm(
            initial=initial, store=request.store, campaign=campaign, can_set_targets=can_set
        )
        status = 200
    return render(
        request,
        "campaigns/campaign_form.html",
        {"form": form, "campaign": campaign},
        status=status,
    )


# --- lineup ------------------------------------------------------------------------------------


@store_page
def campaign_lineup(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Suggested SKUs (30-day conversion at least the store's minimum) with expected units and
    the stock check; POST accepts the checked ones with their planned units."""
    campaign = _campaign_or_404(request, campaign_id)
    today = store_today(request)
    result = lineup_suggestions(store=request.store, campaign=campaign, today=today)
    status = 200
    if request.method == "POST":
        _require(request, Capability.EDIT_CAMPAIGNS)
        open_ids = [s.sku_id for s in result.suggestions if not s.in_lineup]
        form = LineupAcceptForm(request.POST, sku_ids=open_ids)
        if form.is_valid():
            chosen = form.cleaned_data["sku"]
            skus = {sku.pk: sku for sku in Sku.objects.filter(store=request.store, pk__in=chosen)}
            expected = {s.sku_id: s.expected_units for s in result.suggestions}
            picks, errors = [], []
            for sku_id in chosen:
                raw = request.POST.get(f"units-{sku_id}", "") or str(expected[sku_id])
                try:
                    units = int(raw)
                    if units < 0:
                        raise ValueError
                except ValueError:
                    errors.append(
                        _("%(code)s: planned units must be a whole number, 0 or more.")
                        % {"code": skus[sku_id].code}
                    )
                    continue
                picks.append((skus[sku_id], units))
            if not errors:
                try:
                    items = services.lineup_accept(
                        campaign=campaign, actor=_actor(request), picks=picks
                    )
                except ValidationError as error:
                    errors = [m for ms in error.message_dict.values() for m in ms]
                else:
                    messages.success(
                        request,
                        ngettext(
                            "%(count)d SKU added to the lineup.",
                            "%(count)d SKUs added to the lineup.",
                            len(items),
                        )
                        % {"count": len(items)},
                    )
                    return redirect("campaign_lineup", campaign.pk)
        else:
            errors = [_("Tick at least one suggested SKU that is not in the lineup yet.")]
        for error in errors:
            messages.error(request, error)
        status = 400
    context = {
        "campaign": campaign,
        "result": result,
        "lineup": selectors.campaign_lineup(campaign=campaign, today=today),
        "stock_basis": selectors.stock_basis(campaign, today),
        "add_form": LineupAddForm(),
        "can_edit": request.membership.allows(Capability.EDIT_CAMPAIGNS),
    }
    return render(request, "campaigns/campaign_lineup.html", context, status=status)


@require_POST
@store_page
def campaign_lineup_add(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Add a SKU the suggestion did not list, by its code."""
    _require(request, Capability.EDIT_CAMPAIGNS)
    campaign = _campaign_or_404(request, campaign_id)
    form = LineupAddForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else field
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect("campaign_lineup", campaign.pk)
    sku = Sku.objects.filter(store=request.store, code=form.cleaned_data["code"]).first()
    if sku is None:
        messages.error(
            request,
            _("No SKU with code %(code)s in this store.") % {"code": form.cleaned_data["code"]},
        )
        return redirect("campaign_lineup", campaign.pk)
    try:
        services.lineup_item_add(
            campaign=campaign,
            actor=_actor(request),
            sku=sku,
            planned_units=form.cleaned_data["planned_units"],
        )
    except ValidationError as error:
        for message in (m for ms in error.message_dict.values() for m in ms):
            messages.error(request, f"{sku.code}: {message}")
    else:
        messages.success(request, _("%(code)s added to the lineup.") % {"code": sku.code})
    return redirect("campaign_lineup", campaign.pk)


@require_POST
@store_page
def campaign_lineup_remove(request: HttpRequest, campaign_id: int, item_id: int) -> HttpResponse:
    """Take a SKU out of the lineup."""
    _require(request, Capability.EDIT_CAMPAIGNS)
    campaign = _campaign_or_404(request, campaign_id)
    item = get_object_or_404(
        LineupItem.objects.select_related("sku", "store"),
        store=request.store,
        campaign=campaign,
        pk=item_id,
    )
    services.lineup_item_remove(item=item, actor=_actor(request))
    messages.success(request, _("%(code)s removed from the lineup.") % {"code": item.sku.code})
    return redirect("campaign_lineup", campaign.pk)


# --- mechanics -----------------------------------------------------------------------------------


@require_POST
@store_page
def campaign_mechanic_add(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Add a mechanic (coupon, full reduction, discount, deposit pre-sale) to the campaign."""
    _require(request, Capability.EDIT_CAMPAIGNS)
    campaign = _campaign_or_404(request, campaign_id)
    form = MechanicForm(request.POST)
    if form.is_valid():
        try:
            services.mechanic_create(campaign=campaign, actor=_actor(request), **form.cleaned_data)
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, _("Mechanic added."))
            return redirect(f"{reverse('campaign_detail', args=[campaign.pk])}#mechanics-title")
    else:
        errors = form.errors
    for field, field_errors in errors.items():
        label = form.fields[field].label if field in form.fields else field
        messages.error(request, f"{label}: {' '.join(field_errors)}")
    return redirect(f"{reverse('campaign_detail', args=[campaign.pk])}#mechanics-title")


@require_POST
@store_page
def campaign_mechanic_remove(
    request: HttpRequest, campaign_id: int, mechanic_id: int
) -> HttpResponse:
    """Take a mechanic off the campaign."""
    _require(request, Capability.EDIT_CAMPAIGNS)
    campaign = _campaign_or_404(request, campaign_id)
    mechanic = get_object_or_404(
        Mechanic.objects.select_related("store"),
        store=request.store,
        campaign=campaign,
        pk=mechanic_id,
    )
    services.mechanic_delete(mechanic=mechanic, actor=_actor(request))
    messages.success(request, _("Mechanic removed."))
    return redirect(f"{reverse('campaign_detail', args=[campaign.pk])}#mechanics-title")


# --- day-of monitoring -------------------------------------------------------------------------


def _monitor_labels() -> dict[str, str]:
    return {
        "gmv": _("GMV per hour"),
        "cumulative": _("Cumulative GMV"),
        "target": _("Target pace (cumulative)"),
    }


@require_GET
@store_page
def campaign_monitor(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """One pre-heat or burst day hour by hour against the target pace (实时盯盘)."""
    campaign = _campaign_or_404(request, campaign_id)
    today = store_today(request)
    status = 200
    day = default_monitor_day(campaign, today)
    if "day" in request.GET:
        form = MonitorDayForm(request.GET, campaign=campaign)
        if form.is_valid():
            day = form.cleaned_data["day"]
        else:
            for error in form.errors.get("day", []):
                messages.error(request, error)
            status = 400
    pace = campaign_pace(store=request.store, campaign=campaign, day=day, now=timezone.now())
    figure = None
    if pace.hours:
        figure = charts.figure_json(
            pace_figure(pace, zone=request.store.zone, labels=_monitor_labels())
        )
    context = {
        "campaign": campaign,
        "day": day,
        "days": monitored_days(campaign),
        "pace": pace,
        "pace_chart": figure,
        "has_charts": figure is not None,
        "can_edit": request.membership.allows(Capability.EDIT_CAMPAIGNS),
        "is_future": day > today,
    }
    return render(request, "campaigns/campaign_monitor.html", context, status=status)


@require_POST
@store_page
def campaign_monitor_refresh(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Recompute a day's hours now (the Celery task does it every 15 minutes)."""
    _require(request, Capability.EDIT_CAMPAIGNS)
    campaign = _campaign_or_404(request, campaign_id)
    form = MonitorDayForm(request.POST, campaign=campaign)
    if not form.is_valid():
        for error in form.errors.get("day", [_("Choose a day.")]):
            messages.error(request, error)
        return redirect("campaign_monitor", campaign.pk)
    day = form.cleaned_data["day"]
    written = services.campaign_hours_refresh(campaign=campaign, day=day, actor=_actor(request))
    messages.success(
        request,
        ngettext(
            "%(count)d hour of %(day)s refreshed.",
            "%(count)d hours of %(day)s refreshed.",
            written,
        )
        % {"count": written, "day": day.isoformat()},
    )
    return redirect(f"{reverse('campaign_monitor', args=[campaign.pk])}?day={day.isoformat()}")


# --- review ------------------------------------------------------------------------------------


def _gap_labels(reference: str) -> dict[str, str]:
    return {
        "reference": reference,
        "traffic": _("Traffic effect"),
        "conversion": _("Conversion effect"),
        "spend_per_buyer": _("Spend-per-buyer effect"),
        "actual": _("Actual GMV"),
    }


@require_GET
@store_page
def campaign_review_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The review (复盘): target vs actual, the gap split, Pareto, lineup, ROI, new buyers,
    stockouts and refunds."""
    campaign = _campaign_or_404(request, campaign_id)
    review = campaign_review(store=request.store, campaign=campaign, today=store_today(request))
    charts_ = {}
    if review is not None:
        if review.vs_plan is not None:
            charts_["plan"] = charts.figure_json(
                gap_figure(review.vs_plan, labels=_gap_labels(_("Target (plan)")))
            )
        if review.vs_baseline is not None:
            charts_["baseline"] = charts.figure_json(
                gap_figure(review.vs_baseline, labels=_gap_labels(_("Baseline GMV")))
            )
    context = {
        "campaign": campaign,
        "review": review,
        "plan_chart": charts_.get("plan"),
        "baseline_chart": charts_.get("baseline"),
        "has_charts": bool(charts_),
        "channel_labels": dict(Channel.choices),
    }
    return render(request, "campaigns/campaign_review.html", context)


@require_GET
@store_page
def campaign_review_export(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The review as CSV (default) or XLSX (?format=xlsx)."""
    campaign = _campaign_or_404(request, campaign_id)
    chosen = request.GET.get("format", "csv")
    if chosen not in ("csv", "xlsx"):
        return HttpResponseBadRequest(_("Choose format csv or xlsx."))
    review = campaign_review(store=request.store, campaign=campaign, today=store_today(request))
    if review is None:
        return HttpResponseBadRequest(_("The review is available once the burst is over."))
    header, rows = review_rows(review)
    filename = f"campaign-review-{request.store.slug}-{campaign.pk}.{chosen}"
    if chosen == "xlsx":
        return rows_to_xlsx_response(filename=filename, header=header, rows=rows, sheet="review")
    return rows_to_csv_response(filename=filename, header=header, rows=rows)
