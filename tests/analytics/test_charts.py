"""Chart builders turn runner results into figures with the runner's numbers, nothing else."""

import datetime
import json
from decimal import Decimal

import pytest

from analytics import charts
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from analytics.reports.funnel import FunnelQuery, FunnelRunner
from analytics.reports.rfm import RfmQuery, RfmRunner
from analytics.reports.tiers import TierQuery, TierRunner
from analytics.rollups.services import rollup_range
from tests.analytics.handworked import D1, D2, D3, build_shop

STEPS = {"view": "View", "add_to_cart": "Cart", "order": "Order", "pay": "Pay"}


@pytest.fixture
def shop(db):
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    return shop


def test_trend_figure_has_gmv_bars_uv_line_and_burst_shade(shop):
    result = DailyMetricsRunner(store=shop.a, query=DailyMetricsQuery(start=D1, end=D3)).run()
    figure = charts.trend_figure(
        result, gmv_label="GMV", uv_label="UV", shades=[charts.Shade("11.11", D2, D2)]
    )
    bars, line = figure.data
    assert (bars.type, line.type) == ("bar", "scatter")
    assert list(bars.x) == ["2026-11-01", "2026-11-02", "2026-11-03"]
    # hand-worked: D1 200, D2 60 + 100, D3 270 + 100 + 50
    assert list(bars.y) == [200.0, 160.0, 420.0]
    assert list(line.y) == [p.metrics.uv for p in result.series]
    assert line.yaxis == "y2"
    assert len(figure.layout.shapes) == 1
    json.dumps(charts.figure_json(figure))  # plain JSON for json_script


def test_funnel_figures_show_the_steps_and_channels(shop):
    result = FunnelRunner(store=shop.a, query=FunnelQuery(start=D1, end=D3, by_channel=True)).run()
    figure = charts.funnel_figure(result, step_labels=STEPS)
    (trace,) = figure.data
    assert trace.type == "funnel"
    assert list(trace.y) == ["View", "Cart", "Order", "Pay"]
    assert list(trace.x) == [step.visitors for step in result.steps]
    grouped = charts.channel_funnel_figure(result, step_labels=STEPS, channel_labels={})
    assert [t.name for t in grouped.data] == ["View", "Cart", "Order", "Pay"]
    assert list(grouped.data[0].x) == [row.channel for row in result.channels]
    assert list(grouped.data[3].y) == [row.steps[3].visitors for row in result.channels]


def test_channel_bars_show_gmv_and_uv_per_channel(shop):
    result = DailyMetricsRunner(
        store=shop.a, query=DailyMetricsQuery(start=D1, end=D3, by_channel=True)
    ).run()
    figure = charts.channel_bars_figure(
        result, gmv_label="GMV", uv_label="UV", channel_labels={"search": "搜索"}
    )
    gmv, uv = figure.data
    assert "搜索" in list(gmv.x)
    assert list(gmv.y) == [float(row.metrics.gmv) for row in result.channels]
    assert list(uv.y) == [row.metrics.uv for row in result.channels]


def test_tier_area_sankey_and_rfm_heatmap(shop):
    tiers = TierRunner(
        store=shop.a, query=TierQuery(start=D1, end=D3, flow_from=D1, flow_to=D3)
    ).run()
    area = charts.tier_area_figure(tiers, tier_labels={})
    assert all(trace.stackgroup == "tiers" for trace in area.data)
    assert [t.name for t in area.data] == [tier for tier, _n in tiers.sizes[0].sizes]
    assert list(area.data[0].y) == [row.sizes[0][1] for row in tiers.sizes]
    sankey = charts.tier_sankey_figure(tiers, tier_labels={}, start_label="a", end_label="b")
    assert sum(sankey.data[0].link.value) == sum(flow.customers for flow in tiers.flows)
    rfm = RfmRunner(store=shop.a, query=RfmQuery(as_of=D3)).run()
    heat = charts.rfm_heatmap_figure(rfm, r_label="R", f_label="F")
    assert [list(row) for row in heat.data[0].z] == [list(row) for row in rfm.grid]
    assert sum(map(sum, heat.data[0].z)) == rfm.scored_customers


def test_timeline_has_one_trace_per_phase_with_day_lengths():
    bars = [
        charts.TimelineBar("A", "preheat", "Pre-heat", D1, D2),
        charts.TimelineBar("A", "burst", "Burst", D3, D3),
        charts.TimelineBar("B", "burst", "Burst", D1, D1),
    ]
    figure = charts.timeline_figure(bars)
    assert [t.name for t in figure.data] == ["Pre-heat", "Burst"]
    day = 24 * 60 * 60 * 1000
    assert list(figure.data[0].x) == [2 * day]
    assert list(figure.data[1].base) == ["2026-11-03", "2026-11-01"]
    assert list(figure.data[1].y) == ["A", "B"]


@pytest.mark.parametrize(
    ("current", "previous", "change"),
    [(160, 200, Decimal("-20.0")), (2, 1, Decimal("100.0")), (1, 0, None), (None, 5, None)],
)
def test_percent_change(current, previous, change):
    assert charts.percent_change(current, previous) == change


def test_empty_results_make_empty_figures(db):
    shop = build_shop()
    result = DailyMetricsRunner(
        store=shop.a, query=DailyMetricsQuery(start=datetime.date(2025, 1, 1), end=D1)
    ).run()
    assert charts.channel_bars_figure(
        result, gmv_label="GMV", uv_label="UV", channel_labels={}
    ).data[0].x in (None, ())


def test_days_not_rolled_up_are_gaps_not_zeros(shop):
    result = DailyMetricsRunner(
        store=shop.a, query=DailyMetricsQuery(start=D1 - datetime.timedelta(days=1), end=D1)
    ).run()
    figure = charts.trend_figure(result, gmv_label="GMV", uv_label="UV")
    assert list(figure.data[0].y) == [None, 200.0]
    assert figure.data[1].y[0] is None
