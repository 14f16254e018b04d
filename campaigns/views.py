"""Promotion calendar pages (活动)."""

import datetime
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from analytics import charts
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from opsdesk.channels import Channel
from opsdesk.views import paginate, store_page, store_today

from . import selectors
from .calendar import coming_festivals, overlaps
from .models import Campaign, Phase


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
    page = paginate(request, selectors.campaign_list(store=request.store))
    for campaign in page:
        campaign.current_phase = campaign.phase_on(today)
    horizon = today - datetime.timedelta(days=TIMELINE_PAST_DAYS)
    recent = sorted(
        (c for c in selectors.campaign_list(store=request.store) if c.wrapup_end >= horizon),
        key=lambda c: (c.preparation_start, c.pk),
    )
    festivals = coming_festivals(today=today)
    # The chart shows the coming year; the table lists every coming festival.
    within_year = [f for f in festivals if f.day <= today + datetime.timedelta(days=366)]
    bars = timeline_bars(recent, within_year)
    context = {
        "page": page,
        "today": today,
        "festivals": festivals,
        "overlaps": overlaps(recent),
        "timeline": recent,
        "timeline_chart": charts.figure_json(charts.timeline_figure(bars)) if bars else None,
        "has_charts": bool(bars),
    }
    return render(request, "campaigns/campaign_list.html", context)


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


@require_GET
@store_page
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """One campaign: phases, target and budget, lineup with stock flags, mechanics.

    A campaign of another store is a 404, exactly like one that does not exist.
    """
    try:
        campaign = selectors.campaign_get(store=request.store, campaign_id=campaign_id)
    except Campaign.DoesNotExist:
        raise Http404 from None
    today = store_today(request)
    channel_labels = dict(Channel.choices)
    context = {
        "campaign": campaign,
        "today": today,
        "current_phase": campaign.phase_on(today),
        "phases": phase_spans(campaign),
        "channel_names": [channel_labels.get(code, code) for code in campaign.channels or []],
        "lineup": list(selectors.campaign_lineup(campaign=campaign)),
        "mechanics": list(selectors.campaign_mechanics(campaign=campaign)),
        "progress": campaign_progress(request.store, campaign, today),
    }
    return render(request, "campaigns/campaign_detail.html", context)
