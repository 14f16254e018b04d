"""The demo shop's campaigns: past 618 and Double 11 have a baseline and a sold-out lineup SKU
on their peak day, every past burst the stock it started with and its hour-by-hour rows, every
festival an ad budget split by paid channel, the coming Double 12 a plan; seeded and rolled
up, Double 11's review is complete (target, gap split, Pareto, lineup, ROI against the channel
budgets, new buyers, stockout, refunds) and its burst days show their pace without a
refresh."""

import datetime
from io import StringIO

import pandas as pd
import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics.rollups.services import rollup_range
from campaigns.models import Campaign, CampaignHour
from campaigns.monitoring import campaign_pace, default_monitor_day, hourly_facts
from campaigns.plan import plan_breakdown
from campaigns.review import campaign_review
from campaigns.selectors import campaign_lineup
from catalog.models import StockSnapshot
from opsdesk.demo.generate import store_generate
from opsdesk.demo.specs import store_specs
from opsdesk.models import Store

END = datetime.date(2026, 11, 21)
D = datetime.date
DAY = datetime.timedelta(days=1)


@pytest.fixture(scope="module")
def frames():
    return store_generate(store_specs(1)[0], end=END, days=200, orders_per_day=6)


def _day(value) -> datetime.date:
    return pd.Timestamp(value).date()


def test_frames_sell_out_a_lineup_sku_on_the_peak_days_and_chain_baselines(frames):
    campaigns = frames.campaigns.set_index("key")
    snapshots = frames.stock_snapshots
    zero = snapshots[snapshots["stock"] == 0]
    assert {_day(day) for day in zero["day"]} == {D(2026, 6, 18), D(2026, 11, 11)}
    for row in zero.itertuples():
        campaign = campaigns[pd.to_datetime(campaigns["burst_end"]).dt.date == row.day.date()]
        lineup = frames.lineup_items[frames.lineup_items["campaign_key"] == campaign.index[0]]
        assert row.sku_key in set(lineup["sku_key"])
    double_11 = campaigns[campaigns["kind"] == "double_11"].iloc[0]
    assert campaigns.loc[double_11["baseline_key"], "kind"] == "618"


def test_frames_record_the_stock_each_past_burst_started_with(frames):
    snapshots = frames.stock_snapshots.assign(day=lambda f: f["day"].map(_day))
    orders = frames.orders[frames.orders["paid_at"].notna()].set_index("key")
    lines = frames.lines.assign(
        day=orders["paid_at"]
        .dt.tz_convert(frames.spec.time_zone)
        .dt.date.reindex(frames.lines["order_key"])
        .to_numpy()
    )
    started = frames.campaigns[
        frames.campaigns["burst_start"].map(_day).between(frames.first + DAY, END + DAY)
    ]
    assert set(started["kind"]) >= {"618", "double_11"}
    for campaign in started.itertuples():
        eve = _day(campaign.burst_start) - DAY
        lineup = frames.lineup_items[frames.lineup_items["campaign_key"] == campaign.key]
        at_start = snapshots[snapshots["day"] == eve].set_index("sku_key")["stock"]
        assert set(at_start.index) >= set(lineup["sku_key"]), campaign.name
        peak = _day(campaign.burst_end)
        sold_out = set(snapshots[(snapshots["day"] == peak) & (snapshots["stock"] == 0)]["sku_key"])
        burst = lines[lines["day"].between(_day(campaign.burst_start), peak)]
        for sku_key, planned in lineup[["sku_key", "planned_units"]].itertuples(index=False):
            units = int(burst.loc[burst["sku_key"] == sku_key, "quantity"].sum())
            if sku_key in sold_out:
                # Started with exactly what the burst sold up to the peak day: 0 left then.
                assert at_start[sku_key] == units, campaign.name
            else:
                assert at_start[sku_key] >= max(planned, units) * 1.1, campaign.name


def test_frames_split_the_ad_budget_by_paid_channel_near_the_real_spend(frames):
    campaigns = frames.campaigns.set_index("key")
    budgets = frames.channel_budgets
    for key, rows in budgets.groupby("campaign_key"):
        campaign = campaigns.loc[key]
        assert set(rows["channel"]) <= {"paid_search", "paid_feed", "content"}
        assert set(rows["channel"]) <= set(campaign["channels"])
        assert rows["budget"].sum() <= 0.9 * campaign["ad_budget"]
        assert (rows["budget"] % 10_00 == 0).all() and (rows["budget"] > 0).all()
    double_11 = campaigns[campaigns["kind"] == "double_11"].iloc[0]
    assert set(budgets[budgets["campaign_key"] == double_11.name]["channel"]) == {
        "paid_search",
        "paid_feed",
        "content",
    }
    days = frames.ad_spend["day"].map(_day)
    window = days.between(_day(double_11["preheat_start"]), _day(double_11["burst_end"]))
    spend = frames.ad_spend.loc[window, "spend"].sum()
    # Sized from the shop's spend per GMV: the review's spend lands near the budget.
    assert 0.5 < spend / double_11["ad_budget"] < 2


def test_frames_hold_every_pre_heat_and_burst_hour_inside_the_data(frames):
    hours = frames.campaign_hours
    zone = frames.spec.time_zone
    campaigns = frames.campaigns.set_index("key")
    paid = frames.orders[frames.orders["paid_at"].notna()]
    paid_day = paid["paid_at"].dt.tz_convert(zone).dt.date
    events_day = frames.events["occurred_at"].dt.tz_convert(zone).dt.date
    for key, rows in hours.groupby("campaign_key"):
        campaign = campaigns.loc[key]
        first = max(_day(campaign["preheat_start"]), frames.first)
        last = min(_day(campaign["burst_end"]), END)
        days = rows["local_day"].map(_day)
        assert set(days) == {first + n * DAY for n in range((last - first).days + 1)}
        assert (rows.groupby(days).size() == 24).all()  # Shanghai: no daylight saving
    double_11 = campaigns[campaigns["kind"] == "double_11"].index[0]
    peak = hours[
        (hours["campaign_key"] == double_11) & (hours["local_day"].map(_day) == END - 10 * DAY)
    ]
    assert D(2026, 11, 11) == END - 10 * DAY
    # The day's hours add up to the day's paid orders and GMV; the last hour's day UV is the
    # day's distinct visitors.
    assert peak["gmv"].sum() == paid.loc[paid_day == D(2026, 11, 11), "paid_amount"].sum()
    assert peak["paid_orders"].sum() == (paid_day == D(2026, 11, 11)).sum()
    visitors = frames.events.loc[events_day == D(2026, 11, 11), "visitor_id"].nunique()
    assert peak.sort_values("hour")["day_uv"].iloc[-1] == visitors
    assert (peak["computed_at"] == peak["hour"].max() + pd.Timedelta(hours=1)).all()
    upcoming = campaigns[campaigns["burst_start"].map(_day) > END].index
    assert not hours["campaign_key"].isin(upcoming).any()


@pytest.mark.django_db
def test_seeded_double_11_has_a_full_review_and_double_12_a_plan(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command(
        "seed_demo",
        stores=1,
        days=40,
        end=END.isoformat(),
        orders_per_day=6,
        no_progress=True,
        stdout=StringIO(),
    )
    store = Store.objects.get()
    rollup_range(store=store, start=END - datetime.timedelta(days=39), end=END)
    double_11 = Campaign.objects.get(store=store, kind="double_11")
    assert StockSnapshot.objects.filter(store=store, day=datetime.date(2026, 11, 11)).count() == 1

    review = campaign_review(store=store, campaign=double_11, today=datetime.date(2026, 11, 22))

    assert review.stage == "final" and not review.missing_days
    assert review.gmv > 0 and review.target > 0
    plan = review.vs_plan
    assert plan.traffic + plan.conversion + plan.spend_per_buyer == plan.gap
    assert review.pareto and review.lineup and review.channels
    assert review.new_buyers > 0
    (stockout,) = review.stockouts
    assert stockout.lost_sales > 0 and stockout.hours_out > 0
    assert review.refund_amount is not None

    # ROI by channel against the channel budgets the demo split the ad budget into.
    budgeted = {c.channel: c for c in review.channels if c.budget is not None}
    assert set(budgeted) == {"paid_search", "paid_feed", "content"}
    assert review.channel_budget_total <= review.ad_budget
    assert all(c.budget_used is not None for c in budgeted.values())

    # The hour-by-hour page of the burst shows its pace without a refresh: the rows are those
    # the refresh computes from the facts.
    peak = datetime.date(2026, 11, 11)
    stored = list(CampaignHour.objects.filter(campaign=double_11, local_day=peak).order_by("hour"))
    fresh = hourly_facts(store=store, day=peak, until=timezone.now())
    assert [
        (h.hour, h.gmv, h.paid_orders, h.paying_buyers, h.uv, h.day_buyers, h.day_uv)
        for h in stored
    ] == [
        (f.hour, f.gmv, f.paid_orders, f.paying_buyers, f.uv, f.day_buyers, f.day_uv) for f in fresh
    ]
    pace = campaign_pace(
        store=store,
        campaign=double_11,
        day=default_monitor_day(double_11, END + datetime.timedelta(days=1)),
        now=timezone.now(),
    )
    assert pace.day == peak and len(pace.hours) == 24 and pace.complete_hours == 24
    assert pace.gmv == sum(h.gmv for h in stored) and pace.gmv > 0
    assert pace.day_target and pace.projected_gmv == pace.gmv  # a whole day: its own finish
    preheat = campaign_pace(
        store=store, campaign=double_11, day=double_11.preheat_start, now=timezone.now()
    )
    assert len(preheat.hours) == 24 and preheat.target_source in ("baseline", "recent")

    # The past burst's lineup is checked against the stock it started with.
    lineup = campaign_lineup(campaign=double_11, today=END)
    assert {row.basis for row in lineup} == {"burst_start"}
    assert all(row.known for row in lineup)

    coming = Campaign.objects.get(store=store, kind="double_12", burst_start__gt=END)
    plan = plan_breakdown(store=store, campaign=coming, today=END + datetime.timedelta(days=1))
    assert coming.gmv_target and coming.lineup.exists()
    # 40 days hold no Double 12 2025: the baseline is the latest festival, Double 11.
    assert (coming.baseline, plan.source) == (double_11, "baseline")
    assert plan.implied_uv > 0


@pytest.mark.django_db
def test_seeded_618_has_a_full_review_against_its_baseline(settings):
    """Data from 2026-02-24 (Queen's Day's pre-heat, 618's baseline) to 2026-07-20 (618's new
    buyers' 30 days are over on 07-19): the review of 618 is final and complete, its gap split
    against the plan and the baseline."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    end, days = D(2026, 7, 20), 147
    call_command(
        "seed_demo",
        stores=1,
        days=days,
        end=end.isoformat(),
        orders_per_day=4,
        no_progress=True,
        stdout=StringIO(),
    )
    store = Store.objects.get()
    rollup_range(store=store, start=end - (days - 1) * DAY, end=end)
    festival = Campaign.objects.get(store=store, kind="618", burst_end__lt=end)
    assert festival.baseline.kind == "queens_day"

    review = campaign_review(store=store, campaign=festival, today=end)

    assert review.stage == "final" and not review.missing_days
    assert review.gmv > 0 and review.target > 0
    for effects in (review.vs_plan, review.vs_baseline):
        assert effects.traffic + effects.conversion + effects.spend_per_buyer == effects.gap
    assert review.vs_baseline.reference_gmv > 0
    assert review.pareto and review.lineup and review.new_buyers > 0
    assert review.new_buyers_returned is not None
    assert {c.channel for c in review.channels if c.budget is not None}
    (stockout,) = review.stockouts
    assert stockout.lost_sales > 0 and stockout.hours_out > 0
    assert review.refund_amount is not None
    peak = CampaignHour.objects.filter(campaign=festival, local_day=festival.burst_end)
    assert peak.count() == 24
