"""The overview, traffic/funnel and metric dictionary pages show the runners' numbers, scoped
to the current store; bad date ranges are a 400 with a message, never a 500."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from analytics.metrics import METRICS
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from analytics.reports.funnel import FunnelQuery, FunnelRunner
from analytics.rollups.services import rollup_range
from opsdesk.templatetags.opsdesk_ui import money, number, share
from tests.analytics.handworked import D1, D2, D3, SHANGHAI, at, build_shop
from tests.factories import CustomerFactory, MembershipFactory, OrderFactory, StoreFactory

D2_ONLY = {"range": "custom", "start": D2.isoformat(), "end": D2.isoformat()}
WHOLE = {"range": "custom", "start": D1.isoformat(), "end": D3.isoformat()}
FOREIGN_AMOUNT = Decimal("98765.43")


def kpi(page: str, key: str, suffix: str = "") -> str:
    match = re.search(rf'data-testid="kpi-{key}{suffix}">([^<]*)<', page)
    assert match, f"no KPI {key}{suffix}"
    return match.group(1)


@pytest.fixture
def shop(db):
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    # Another store with a number that must never show on store A's pages.
    other = StoreFactory(name="Other Shop", slug="other-shop")
    OrderFactory(
        store=other,
        customer=CustomerFactory(store=other, external_id="foreign-buyer"),
        created_at=at(SHANGHAI, D2, 9),
        paid_at=at(SHANGHAI, D2, 9),
        goods_amount=FOREIGN_AMOUNT,
    )
    rollup_range(store=other, start=D1, end=D3)
    shop.other = other
    return shop


@pytest.fixture
def shop_client(client, shop):
    user = MembershipFactory(store=shop.a, user__username="op").user
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_overview_kpi_card_and_change_vs_previous_day_hand_worked(shop_client):
    page = shop_client.get(reverse("overview"), D2_ONLY).content.decode()
    # D2: O2 60 (bob) + O3 100 (alice) = 160; D1: O1 200 (alice) -> -20.0%
    assert kpi(page, "gmv") == "¥160.00"
    assert kpi(page, "gmv", "-prev") == "-20.0%"
    # paying buyers: D2 bob + alice = 2, D1 alice = 1 -> +100.0%
    assert kpi(page, "paying_buyers") == "2"
    assert kpi(page, "paying_buyers", "-prev") == "+100.0%"
    # the week before (2026-10-26) is not rolled up: no value, not 0
    assert kpi(page, "gmv", "-week") == "-"


def test_overview_shows_exactly_the_runners_numbers(shop, shop_client):
    page = shop_client.get(reverse("overview"), WHOLE).content.decode()
    result = DailyMetricsRunner(
        store=shop.a, query=DailyMetricsQuery(start=D1, end=D3, by_channel=True)
    ).run()
    totals = result.totals
    assert kpi(page, "gmv") == money(totals.gmv)
    assert kpi(page, "uv") == number(totals.uv)
    assert kpi(page, "conversion_rate") == share(totals.conversion_rate)
    assert kpi(page, "spend_per_buyer") == money(totals.spend_per_buyer)
    assert kpi(page, "refund_rate") == share(totals.refund_rate)
    assert kpi(page, "ad_spend") == money(totals.ad_spend)
    assert kpi(page, "roi") == number(totals.roi, 2)
    for row in result.channels:
        assert f'data-channel="{row.channel}"' in page
        assert money(row.metrics.gmv) in page
    assert 'id="trend-chart-data"' in page
    assert "Data as of" in page
    assert money(FOREIGN_AMOUNT) not in page


def test_overview_of_a_range_without_rollups_says_so_and_shows_no_zeros(shop_client):
    response = shop_client.get(
        reverse("overview"), {"range": "custom", "start": "2025-01-01", "end": "2025-01-01"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "rollup --all --if-needed" in page
    assert kpi(page, "gmv") == "-"
    assert "¥0.00" not in page


@pytest.mark.parametrize("name", ["overview", "traffic", "customer_insights"])
@pytest.mark.parametrize(
    "query",
    [
        {"range": "custom", "start": "2026-11-03", "end": "2026-11-01"},
        {"range": "custom", "start": "not-a-date", "end": "2026-11-01"},
        {"range": "fortnight"},
        {"range": "campaign", "campaign": "999999"},
    ],
)
def test_bad_date_range_is_a_400_with_a_message(shop_client, name, query):
    response = shop_client.get(reverse(name), query)
    assert response.status_code == 400
    assert 'data-testid="range-error"' in response.content.decode()


def test_default_range_is_yesterday_in_the_store_time_zone(shop_client):
    page = shop_client.get(reverse("overview")).content.decode()
    yesterday = timezone.localdate(timezone=SHANGHAI) - datetime.timedelta(days=1)
    assert f'data-testid="range-now">{yesterday.isoformat()} ·' in page


def test_traffic_page_shows_the_funnel_runners_numbers(shop, shop_client):
    page = shop_client.get(reverse("traffic"), WHOLE).content.decode()
    funnel = FunnelRunner(store=shop.a, query=FunnelQuery(start=D1, end=D3, by_channel=True)).run()
    for step in funnel.steps:
        row = re.search(rf'data-step="{step.step}">(.*?)</tr>', page, re.S).group(1)
        assert f'<td class="num">{number(step.visitors)}</td>' in row
        if step.conversion_from_previous is not None:
            assert share(step.conversion_from_previous) in row
    assert f'data-testid="abandoned-count">{funnel.abandoned_cart_visitors}<' in page
    for chart in ("funnel-chart-data", "channel-funnel-chart-data", "channel-chart-data"):
        assert f'id="{chart}"' in page
    assert money(FOREIGN_AMOUNT) not in page


def funnel_cells(page: str) -> list[str]:
    """The visitors column of the funnel table, step by step."""
    table = page.split('id="funnel-table"')[1].split("</table>")[0]
    return [
        re.search(r'<td class="num">([^<]*)</td>', row).group(1)
        for row in re.findall(r'data-step="[^"]+">(.*?)</tr>', table, re.S)
    ]


def test_traffic_filters_narrow_the_funnel_and_reject_other_stores_skus(shop, shop_client):
    from tests.factories import CategoryFactory

    whole = shop_client.get(reverse("traffic"), WHOLE).content.decode()
    by_sku = shop_client.get(reverse("traffic"), {**WHOLE, "sku": "CUP"}).content.decode()
    cups = CategoryFactory(store=shop.a, name="Cups")
    shop.skus["cup"].category = cups
    shop.skus["cup"].save()
    by_category = shop_client.get(reverse("traffic"), {**WHOLE, "category": cups.pk})

    # Cup events only: v2 view (D1 11:05), v3 view + cart, v5 D1 view, cart, order, pay (D2),
    # v5 D3 view, order, pay (no cart): 3 viewers, 2 carts, 1 order, 1 pay.
    assert funnel_cells(by_sku) == ["3", "2", "1", "1"]
    assert funnel_cells(by_category.content.decode()) == ["3", "2", "1", "1"]
    assert funnel_cells(whole) != funnel_cells(by_sku)
    # The conversion window goes to the runner: the page shows the 1-hour funnel's numbers.
    one_hour = shop_client.get(reverse("traffic"), {**WHOLE, "window": "1"}).content.decode()
    funnel = FunnelRunner(
        store=shop.a, query=FunnelQuery(start=D1, end=D3, by_channel=True, window_hours=1)
    ).run()
    assert funnel_cells(one_hour) == [number(step.visitors) for step in funnel.steps]
    assert f'data-testid="abandoned-count">{funnel.abandoned_cart_visitors}<' in one_hour
    # Another store's SKU code is not this store's: refused with a message.
    response = shop_client.get(reverse("traffic"), {**WHOLE, "sku": "NOPE"})
    assert response.status_code == 200
    assert "No SKU with this code in this store." in response.content.decode()


def test_metric_dictionary_lists_every_metric_with_an_anchor(shop_client):
    page = shop_client.get(reverse("metric_dictionary")).content.decode()
    for metric in METRICS:
        assert f'id="metric-{metric.key}"' in page
        assert metric.name_zh in page
    overview = shop_client.get(reverse("overview"), WHOLE).content.decode()
    assert f"{reverse('metric_dictionary')}#metric-gmv" in overview


def test_cached_pages_stay_within_their_query_budget(shop_client, django_assert_max_num_queries):
    for name in ("overview", "traffic", "customer_insights", "metric_dictionary"):
        shop_client.get(reverse(name), WHOLE)  # warms the runners' cache
        with django_assert_max_num_queries(8):
            assert shop_client.get(reverse(name), WHOLE).status_code == 200


def channel_row(page: str, channel: str) -> str:
    return re.search(rf'<tr data-channel="{channel}">(.*?)</tr>', page, re.S).group(1)


def test_overview_channel_table_flags_the_channel_to_pause(shop_client):
    page = shop_client.get(reverse("overview"), {**WHOLE, "start": D3.isoformat()}).content.decode()
    # 7 days to D3: paid_feed ROI 270 / 300 = 0.9 < 1 -> "Consider pausing";
    # paid_search 300 / 150 = 2 -> not; content has no spend -> no ROI, never flagged.
    assert "Consider pausing" in channel_row(page, "paid_feed")
    assert "Consider pausing" not in channel_row(page, "paid_search")
    assert "Consider pausing" not in channel_row(page, "content")


MONDAY = datetime.date(2026, 11, 30)


@pytest.fixture
def anomaly_client(db, client):
    """A store whose Monday GMV (¥400) is far above its 8 previous Mondays (the hand-worked
    case of tests/analytics/test_flags.py): median 100, MAD 5 -> usual range ¥77.76-¥122.24;
    paid_feed (no history) +¥300 and SKU CUP +¥300 are the biggest contributors."""
    from analytics.models import DailyChannelMetrics, DailySkuMetrics, DailyStoreMetrics
    from tests.factories import SkuFactory

    store = StoreFactory(slug="anomaly")
    tea, cup = SkuFactory(store=store, code="TEA"), SkuFactory(store=store, code="CUP")
    now = timezone.now()

    def day_rows(day, gmv, channels, skus):
        DailyStoreMetrics.objects.create(store=store, day=day, gmv=Decimal(gmv), computed_at=now)
        for channel, value in channels.items():
            DailyChannelMetrics.objects.create(
                store=store, day=day, channel=channel, gmv=Decimal(value), computed_at=now
            )
        for sku, value in skus.items():
            DailySkuMetrics.objects.create(
                store=store, day=day, sku=sku, gmv=Decimal(value), computed_at=now
            )

    for week, gmv in enumerate([100, 110, 90, 100, 105, 95, 100, 2000], start=1):
        day_rows(MONDAY - datetime.timedelta(weeks=week), gmv, {"search": gmv}, {tea: gmv})
    day_rows(MONDAY, 400, {"search": 100, "paid_feed": 300}, {cup: 300, tea: 100})
    client.force_login(MembershipFactory(store=store, user__username="boss").user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_overview_anomaly_note_names_the_biggest_contributors(anomaly_client):
    day = {"range": "custom", "start": MONDAY.isoformat(), "end": MONDAY.isoformat()}

    page = anomaly_client.get(reverse("overview"), day).content.decode()

    note = re.search(r'data-testid="anomaly">(.*?)</div>', page, re.S).group(1)
    assert "GMV on 2026-11-30 was ¥400.00, outside the usual range ¥77.76 – ¥122.24" in note
    assert "Paid feed ¥300.00" in note
    assert "SKU CUP ¥300.00" in note
    # Against the Monday before (¥100): +300.0%; the Sunday before has no rollup: no value.
    assert kpi(page, "gmv", "-week") == "+300.0%"
    assert kpi(page, "gmv", "-prev") == "-"


def test_overview_day_without_anomaly_says_so(shop_client):
    page = shop_client.get(reverse("overview"), D2_ONLY).content.decode()
    assert 'data-testid="anomaly"' not in page
    assert "No anomaly on this day." in page


@pytest.mark.parametrize(("trend", "days"), [("30", 30), ("90", 90), ("365", 365), ("7", 30)])
def test_overview_trend_spans_the_chosen_30_90_or_365_days(shop_client, trend, days):
    response = shop_client.get(reverse("overview"), {**D2_ONLY, "trend": trend})

    series = response.context["trend"].series
    assert len(series) == days
    assert (series[-1].start, series[-1].end) == (D2, D2)  # one point a day
    assert series[0].start == D2 - datetime.timedelta(days=days - 1)
