"""The lineup stock check (campaigns/selectors.py): today's stock before the burst, the stock
snapshot of the burst start from the burst on; on the calendar, the campaign page and the
lineup page.

Campaign "Double 11": burst Nov 10-11 (pre-heat Nov 9). Lineup (planned units):
  A 6: stock now 0 (the burst sold it), snapshot Nov 9 = 8   -> covered at the start
  B 5: stock now 100 (replenished later), snapshot Nov 9 = 3 -> short at the start
  C 5: snapshot Nov 6 = 4 (the nights of Nov 7-9 were missed: the latest before) -> short
  D 5: snapshot Sep 30 = 50 (before the preparation started on Oct 1) and a snapshot Nov 10
       (the burst day itself: after the start) -> unknown
  E 5: no snapshot at all -> unknown
Before Nov 10 the same lineup is checked against the current stock: A (0 < 6) and D and E
(stock 1 < 5) are short, B (100) and C (stock 9) are covered.
"""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from campaigns.selectors import campaign_lineup, campaign_list, stock_basis
from opsdesk.roles import Role
from tests.campaigns.shop import SHANGHAI, D
from tests.factories import (
    CampaignFactory,
    LineupItemFactory,
    MembershipFactory,
    SkuFactory,
    StockSnapshotFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    store = StoreFactory(slug="tea-house")
    campaign = CampaignFactory(
        store=store,
        name="Double 11",
        preparation_start=D(2026, 10, 1),
        preheat_start=D(2026, 11, 9),
        burst_start=D(2026, 11, 10),
        burst_end=D(2026, 11, 11),
        wrapup_end=D(2026, 11, 14),
    )
    rows = {
        "A": (0, 6, [(D(2026, 11, 9), 8)]),
        "B": (100, 5, [(D(2026, 11, 9), 3)]),
        "C": (9, 5, [(D(2026, 11, 6), 4)]),
        "D": (1, 5, [(D(2026, 9, 30), 50), (D(2026, 11, 10), 0)]),
        "E": (1, 5, []),
    }
    for code, (stock, planned, snapshots) in rows.items():
        sku = SkuFactory(store=store, code=code, stock=stock)
        LineupItemFactory(campaign=campaign, sku=sku, planned_units=planned)
        for day, count in snapshots:
            StockSnapshotFactory(sku=sku, day=day, stock=count)
    # Another store's snapshot of a SKU with the same code changes nothing.
    other = SkuFactory(store=StoreFactory(), code="B")
    StockSnapshotFactory(sku=other, day=D(2026, 11, 9), stock=999)
    return campaign


def checks(campaign, today):
    return {
        row.item.sku.code: (row.basis, row.stock, row.as_of, row.stock_short)
        for row in campaign_lineup(campaign=campaign, today=today)
    }


def test_from_the_burst_on_the_lineup_is_checked_against_the_stock_it_started_with(campaign):
    for today in (D(2026, 11, 10), D(2026, 11, 12), D(2027, 3, 1)):  # burst, wrap-up, later
        assert checks(campaign, today) == {
            "A": ("burst_start", 8, D(2026, 11, 9), False),
            "B": ("burst_start", 3, D(2026, 11, 9), True),
            "C": ("burst_start", 4, D(2026, 11, 6), True),
            "D": ("burst_start", None, None, False),
            "E": ("burst_start", None, None, False),
        }, today


def test_before_the_burst_the_lineup_is_checked_against_todays_stock(campaign):
    for today in (D(2026, 10, 20), D(2026, 11, 9)):  # preparation, pre-heat
        assert checks(campaign, today) == {
            "A": ("current", 0, None, True),
            "B": ("current", 100, None, False),
            "C": ("current", 9, None, False),
            "D": ("current", 1, None, True),
            "E": ("current", 1, None, True),
        }, today
    assert stock_basis(campaign, D(2026, 11, 9)) == "current"
    assert stock_basis(campaign, D(2026, 11, 10)) == "burst_start"


def test_the_calendar_list_counts_the_checks_of_every_campaign_in_one_query(
    campaign, django_assert_num_queries
):
    coming = CampaignFactory(
        store=campaign.store,
        name="Double 12",
        preparation_start=D(2026, 11, 1),
        preheat_start=D(2026, 12, 6),
        burst_start=D(2026, 12, 10),
        burst_end=D(2026, 12, 12),
        wrapup_end=D(2026, 12, 15),
    )
    LineupItemFactory(campaign=coming, sku__store=campaign.store, sku__stock=2, planned_units=3)
    CampaignFactory(store=campaign.store, name="Member day")  # no lineup
    with django_assert_num_queries(1):
        found = {
            c.name: (c.lineup_count, c.stock_short_count, c.stock_unknown_count)
            for c in campaign_list(store=campaign.store, today=D(2026, 11, 22))
        }
    # Double 11 (over): B and C short, D and E unknown; Double 12 (coming): 2 < 3 short.
    assert found == {"Double 12": (1, 1, 0), "Double 11": (5, 2, 2), "Member day": (0, 0, 0)}
    before = {
        c.name: c.stock_short_count
        for c in campaign_list(store=campaign.store, today=D(2026, 11, 1))
    }
    assert before == {"Double 12": 1, "Double 11": 3, "Member day": 0}  # A, D, E by today's stock


def login(client, store):
    client.force_login(MembershipFactory(store=store, role=Role.MANAGER).user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def freeze(monkeypatch, day):
    now = datetime.datetime.combine(day, datetime.time(12), tzinfo=SHANGHAI)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)


def test_calendar_flags_a_running_campaign_by_its_stock_at_the_burst_start(
    client, campaign, monkeypatch
):
    freeze(monkeypatch, D(2026, 11, 11))  # the burst's second day
    login(client, campaign.store)
    page = client.get(reverse("campaign_list")).content.decode()
    # 2 SKUs short at the start (B, C), though today B has 100 and only A is at 0.
    assert "Double 11: 2 lineup SKUs have less stock than planned." in page
    assert "(stock at the burst start)" in page
    assert f'data-testid="stock-short-{campaign.pk}"' in page
    assert f'data-testid="stock-unknown-{campaign.pk}"' in page


def test_calendar_flags_a_coming_campaign_by_todays_stock(client, campaign, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 1))
    login(client, campaign.store)
    page = client.get(reverse("campaign_list")).content.decode()
    assert "Double 11: 3 lineup SKUs have less stock than planned." in page  # A, D, E
    assert "(stock at the burst start)" not in page
    assert f'data-testid="stock-unknown-{campaign.pk}"' not in page


def test_the_campaign_and_lineup_pages_show_the_stock_they_check(client, campaign, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 22))
    login(client, campaign.store)
    detail = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert "the stock snapshot of the day before the burst" in detail
    assert '<tr class="row-flagged" data-sku="B">' in detail
    assert '<tr data-sku="A">' in detail
    assert detail.count("No stock snapshot of the burst start") == 2  # D and E
    lineup = client.get(reverse("campaign_lineup", args=[campaign.pk])).content.decode()
    assert "Stock at the burst start" in lineup
