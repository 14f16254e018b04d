"""The dashboards' cache warm-up: after it, the overview, the traffic page and the customers
page of the default range, in either language, compute nothing (their runners are the warmed
ones)."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from analytics.dashboards import dashboard_cache_warm
from analytics.reports.daily import DailyMetricsRunner
from analytics.reports.flags import FlagsRunner
from analytics.reports.funnel import FunnelRunner
from analytics.reports.rfm import RfmRunner
from analytics.reports.tiers import TierRunner
from analytics.rollups.services import mark_days_stale, rollup_generation
from analytics.tasks import rollup_nightly, rollup_store_stale
from tests.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db
RUNNERS = (DailyMetricsRunner, FlagsRunner, FunnelRunner, TierRunner, RfmRunner)
PAGES = ("overview", "traffic", "customer_insights")


@pytest.fixture
def shop(db):
    return StoreFactory(name="Tea House", slug="tea-house", time_zone="Asia/Shanghai")


@pytest.fixture
def member_client(client, shop):
    client.force_login(MembershipFactory(store=shop, user__username="op").user)
    return client


def forbid_computing(monkeypatch) -> None:
    def refuse(self):
        raise AssertionError(f"{type(self).__name__} computed {self.query}")

    for runner in RUNNERS:
        monkeypatch.setattr(runner, "calculate", refuse)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_default_views_are_served_from_the_warmed_cache(member_client, shop, monkeypatch, language):
    today = timezone.localdate(timezone=shop.zone)
    # overview: range, previous day, a week earlier, 30-day trend, flags; traffic: funnel and
    # daily metrics with the channel series; customers: tiers and RFM -> 9 results per
    # language, 2 languages.
    assert dashboard_cache_warm(store=shop, today=today) == 18
    assert dashboard_cache_warm(store=shop, today=today) == 0  # already cached

    forbid_computing(monkeypatch)
    member_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for page in PAGES:
        assert member_client.get(reverse(page)).status_code == 200, page


def test_another_range_is_not_warmed(member_client, shop, monkeypatch):
    dashboard_cache_warm(store=shop, today=timezone.localdate(timezone=shop.zone))
    forbid_computing(monkeypatch)
    with pytest.raises(AssertionError, match="computed"):
        member_client.get(reverse("traffic"), {"range": "last_30"})


def test_the_nightly_rollup_ends_by_warming_the_dashboards(member_client, shop, monkeypatch):
    rollup_nightly()  # Celery runs eagerly in tests: the whole chain, warm-up included

    forbid_computing(monkeypatch)
    for page in PAGES:
        assert member_client.get(reverse(page)).status_code == 200, page


@pytest.mark.django_db(transaction=True)  # real commits: the re-roll moves the generation
def test_a_reroll_of_stale_days_warms_the_dashboards_again(member_client, shop, monkeypatch):
    rollup_nightly()
    yesterday = timezone.localdate(timezone=shop.zone) - datetime.timedelta(days=1)
    mark_days_stale(store=shop, days=[yesterday])  # a late refund, say
    generation = rollup_generation(shop.pk)
    assert rollup_store_stale(shop.pk) == 1
    assert rollup_generation(shop.pk) != generation  # the night's cache entries are dead

    forbid_computing(monkeypatch)
    for page in PAGES:
        assert member_client.get(reverse(page)).status_code == 200, page
