"""The demo shop's campaigns: past 618 and Double 11 have a baseline and a sold-out lineup SKU
on their peak day, the coming Double 12 a plan; seeded and rolled up, Double 11's review is
complete (target, gap split, Pareto, lineup, ROI, new buyers, stockout, refunds)."""

import datetime
from io import StringIO

import pandas as pd
import pytest
from django.core.management import call_command

from analytics.rollups.services import rollup_range
from campaigns.models import Campaign
from campaigns.plan import plan_breakdown
from campaigns.review import campaign_review
from catalog.models import StockSnapshot
from opsdesk.demo.generate import store_generate
from opsdesk.demo.specs import store_specs
from opsdesk.models import Store

END = datetime.date(2026, 11, 21)


def test_frames_sell_out_a_lineup_sku_on_the_peak_days_and_chain_baselines():
    frames = store_generate(store_specs(1)[0], end=END, days=200, orders_per_day=6)
    campaigns = frames.campaigns.set_index("key")
    snapshots = frames.stock_snapshots
    peaks = {pd.Timestamp(day).date() for day in snapshots["day"]}
    assert peaks == {datetime.date(2026, 6, 18), datetime.date(2026, 11, 11)}
    assert (snapshots["stock"] == 0).all()
    for row in snapshots.itertuples():
        campaign = campaigns[pd.to_datetime(campaigns["burst_end"]).dt.date == row.day.date()]
        lineup = frames.lineup_items[frames.lineup_items["campaign_key"] == campaign.index[0]]
        assert row.sku_key in set(lineup["sku_key"])
    double_11 = campaigns[campaigns["kind"] == "double_11"].iloc[0]
    assert campaigns.loc[double_11["baseline_key"], "kind"] == "618"


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

    coming = Campaign.objects.get(store=store, kind="double_12", burst_start__gt=END)
    plan = plan_breakdown(store=store, campaign=coming, today=END + datetime.timedelta(days=1))
    assert coming.gmv_target and coming.lineup.exists()
    # 40 days hold no Double 12 2025: the baseline is the latest festival, Double 11.
    assert (coming.baseline, plan.source) == (double_11, "baseline")
    assert plan.implied_uv > 0
