"""The calendar page: timeline figure, coming festivals, overlaps; the detail page: GMV of the
burst from DailyMetricsRunner against the target. Other stores' campaigns never show."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from analytics.rollups.services import rollup_range
from opsdesk.templatetags.opsdesk_ui import money, share
from tests.analytics.handworked import D1, D3, build_shop
from tests.factories import CampaignFactory, MembershipFactory, StoreFactory

TODAY = timezone.localdate(timezone=datetime.UTC)
DAY = datetime.timedelta(days=1)


def campaign(store, name, burst, **extra):
    return CampaignFactory(
        store=store,
        name=name,
        preparation_start=burst - 30 * DAY,
        preheat_start=burst - 5 * DAY,
        burst_start=burst,
        burst_end=burst + extra.pop("burst_days", 0) * DAY,
        wrapup_end=burst + 3 * DAY,
        **extra,
    )


@pytest.fixture
def shop(db):
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    return shop


@pytest.fixture
def shop_client(client, shop):
    client.force_login(MembershipFactory(store=shop.a, user__username="op").user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_calendar_shows_timeline_festivals_and_overlaps(shop, shop_client):
    campaign(shop.a, "Autumn sale", TODAY + 10 * DAY)
    campaign(shop.a, "Member day", TODAY + 12 * DAY)  # pre-heat starts inside the first window
    foreign = StoreFactory(name="Other Shop", slug="other-shop")
    campaign(foreign, "Foreign campaign", TODAY + 11 * DAY)
    page = shop_client.get(reverse("campaign_list")).content.decode()
    assert 'id="timeline-chart-data"' in page
    assert 'data-testid="overlaps"' in page
    assert "Autumn sale and Member day overlap" in page
    assert 'data-festival="double11"' in page
    assert "Foreign campaign" not in page


def test_campaign_detail_shows_gmv_of_the_burst_against_the_target(shop, shop_client):
    burst = campaign(shop.a, "Nov sale", D1, burst_days=2, gmv_target=Decimal("1000.00"))
    page = shop_client.get(reverse("campaign_detail", args=[burst.pk])).content.decode()
    result = DailyMetricsRunner(store=shop.a, query=DailyMetricsQuery(start=D1, end=D3)).run()
    # hand-worked: 200 + 160 + 420 = 780 of 1000 -> 78.0%
    assert money(result.totals.gmv) == "¥780.00"
    assert re.search(r'data-testid="progress-gmv">¥780.00<', page)
    assert f'data-testid="progress-share">{share(Decimal("0.78"))}<' in page


def test_campaign_detail_before_the_burst_does_not_invent_progress(shop, shop_client):
    coming = campaign(shop.a, "Coming", TODAY + 20 * DAY)
    page = shop_client.get(reverse("campaign_detail", args=[coming.pk])).content.decode()
    assert "The burst has not started yet." in page


def test_another_stores_campaign_detail_is_a_404(shop, shop_client):
    foreign = campaign(StoreFactory(slug="x"), "Foreign", TODAY)
    assert shop_client.get(reverse("campaign_detail", args=[foreign.pk])).status_code == 404
