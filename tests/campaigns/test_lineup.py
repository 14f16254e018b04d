"""Lineup suggestion by hand, the 8% rule at exactly 8%, and accepting suggestions.

Today 2026-11-21: the window is the 30 days 10-22 .. 11-20. SKU visitors and buyers:
  HI   3 buyers x 5 units / 25 visitors = 12%       -> in, first
  AT8  2 buyers x 15 units / 25 visitors = 8.0%     -> in (exactly the minimum)
  LO   1 buyer / 13 visitors = 7.69%                -> out
  OFF  1 buyer / 2 visitors = 50%, but off shelf    -> out
Campaign burst 3 days, no baseline (uplift 1): expected units = units / 30 x 3, rounded up:
  HI 15 -> 1.5 -> 2 (stock 100: ok); AT8 30 -> 3 (stock 2: short).
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from analytics.rollups.services import rollup_range
from campaigns.lineup import baseline_uplift, lineup_suggestions
from campaigns.models import LineupItem
from campaigns.services import lineup_accept
from catalog.models import SkuStatus
from opsdesk.audit import Actor
from opsdesk.channels import Channel
from tests.campaigns.shop import D, at, pay, visit
from tests.factories import (
    CampaignFactory,
    CustomerFactory,
    SkuFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Service messages are compared in English; the default language is zh-hans."""
    settings.LANGUAGE_CODE = "en"


TODAY = D(2026, 11, 21)


def _sku_with(store, code, *, buyers, units, visitors, stock=100, **extra):
    sku = SkuFactory(store=store, code=code, stock=stock, **extra)
    day = D(2026, 11, 5)
    for n in range(buyers):
        pay(store, CustomerFactory(store=store), at(day, 10, n), Channel.SEARCH, [(sku, units, 10)])
    visit(store, [f"{code}-{n}" for n in range(visitors)], at(day, 9), sku=sku)
    return sku


@pytest.fixture
def store():
    store = StoreFactory(slug="tea-house")
    _sku_with(store, "HI", buyers=3, units=5, visitors=25)
    _sku_with(store, "AT8", buyers=2, units=15, visitors=25, stock=2)
    _sku_with(store, "LO", buyers=1, units=1, visitors=13)
    _sku_with(store, "OFF", buyers=1, units=1, visitors=2, status=SkuStatus.OFF_SHELF)
    rollup_range(store=store, start=D(2026, 10, 22), end=D(2026, 11, 20))
    return store


def _campaign(store, **extra):
    return CampaignFactory(
        store=store,
        preparation_start=D(2026, 11, 1),
        preheat_start=D(2026, 11, 25),
        burst_start=D(2026, 12, 10),
        burst_end=D(2026, 12, 12),
        wrapup_end=D(2026, 12, 15),
        **extra,
    )


def test_suggestions_at_and_above_8_percent_ranked_with_expected_units(store):
    result = lineup_suggestions(store=store, campaign=_campaign(store), today=TODAY)

    assert (result.start, result.end, result.uplift) == (D(2026, 10, 22), D(2026, 11, 20), 1)
    assert [
        (s.code, s.conversion_rate, s.units_30d, s.expected_units, s.stock_ok)
        for s in result.suggestions
    ] == [
        ("HI", Decimal("0.120000"), 15, 2, True),
        ("AT8", Decimal("0.080000"), 30, 3, False),
    ]


def test_a_higher_store_minimum_drops_the_8_percent_sku(store):
    store.lineup_min_conversion = Decimal("0.081")
    store.save()
    result = lineup_suggestions(store=store, campaign=_campaign(store), today=TODAY)
    assert [s.code for s in result.suggestions] == ["HI"]


def test_uplift_of_the_baseline_burst_over_the_30_days_before_it():
    store = StoreFactory()
    sku = SkuFactory(store=store)
    # 30 days before the baseline's pre-heat (10-01 .. 10-30): 300 -> 10 a day.
    pay(
        store, CustomerFactory(store=store), at(D(2026, 10, 5), 12), Channel.SEARCH, [(sku, 1, 300)]
    )
    # Baseline burst 11-01 (one day): 600 a day -> uplift 60.
    pay(
        store, CustomerFactory(store=store), at(D(2026, 11, 1), 12), Channel.SEARCH, [(sku, 1, 600)]
    )
    rollup_range(store=store, start=D(2026, 10, 1), end=D(2026, 11, 1))
    baseline = CampaignFactory(
        store=store,
        preparation_start=D(2026, 9, 1),
        preheat_start=D(2026, 10, 31),
        burst_start=D(2026, 11, 1),
        burst_end=D(2026, 11, 1),
        wrapup_end=D(2026, 11, 4),
    )
    campaign = _campaign(store, baseline=baseline)
    assert baseline_uplift(store=store, campaign=campaign) == Decimal("60.000")
    assert baseline_uplift(store=store, campaign=_campaign(store)) == 1


def test_accepting_suggestions_saves_who_chose_them(store):
    campaign = _campaign(store)
    user = UserFactory(username="manager")
    skus = {sku.code: sku for sku in store_skus(store)}
    items = lineup_accept(
        campaign=campaign,
        actor=Actor(user=user),
        picks=[(skus["HI"], 2), (skus["AT8"], 3)],
    )
    assert [(i.sku.code, i.planned_units, i.chosen_by.username) for i in items] == [
        ("HI", 2, "manager"),
        ("AT8", 3, "manager"),
    ]
    result = lineup_suggestions(store=store, campaign=campaign, today=TODAY)
    assert all(s.in_lineup for s in result.suggestions)


def test_accepting_a_sku_twice_writes_nothing(store):
    campaign = _campaign(store)
    skus = {sku.code: sku for sku in store_skus(store)}
    lineup_accept(campaign=campaign, actor=Actor(user=None), picks=[(skus["HI"], 2)])
    with pytest.raises(ValidationError, match="HI is already in the lineup"):
        lineup_accept(
            campaign=campaign, actor=Actor(user=None), picks=[(skus["AT8"], 1), (skus["HI"], 1)]
        )
    assert list(LineupItem.objects.values_list("sku__code", flat=True)) == ["HI"]


def test_accepting_another_stores_sku_is_refused(store):
    campaign = _campaign(store)
    foreign = SkuFactory(store=StoreFactory(slug="other"))
    with pytest.raises(ValidationError, match="another store"):
        lineup_accept(campaign=campaign, actor=Actor(user=None), picks=[(foreign, 1)])
    assert not LineupItem.objects.exists()


def store_skus(store):
    from catalog.models import Sku

    return Sku.objects.filter(store=store)


def test_a_manager_accepts_the_suggested_lineup_on_the_page(store, client, monkeypatch):
    """The lineup page lists HI and AT8 (not LO at 7.69%, not the off-shelf SKU), flags AT8's
    stock (2 < 3 expected); accepting both, AT8 with 4 units typed in and HI with the
    suggested 2, saves who chose them; removing AT8 leaves HI."""
    from django.conf import settings
    from django.urls import reverse

    from opsdesk.roles import Role
    from tests.campaigns.shop import SHANGHAI
    from tests.factories import MembershipFactory

    noon = at(TODAY, 12, zone=SHANGHAI)
    monkeypatch.setattr("django.utils.timezone.now", lambda: noon)
    user = MembershipFactory(store=store, role=Role.MANAGER, user__username="boss").user
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    campaign = _campaign(store)
    skus = {sku.code: sku for sku in store_skus(store)}
    url = reverse("campaign_lineup", args=[campaign.pk])

    page = client.get(url).content.decode()
    assert '<tr data-sku="HI">' in page
    assert '<tr data-sku="AT8" class="row-flagged">' in page
    assert 'data-sku="LO"' not in page and 'data-sku="OFF"' not in page

    response = client.post(
        url,
        {"sku": [skus["HI"].pk, skus["AT8"].pk], f"units-{skus['AT8'].pk}": "4"},
    )
    assert response.status_code == 302
    assert sorted(
        LineupItem.objects.filter(campaign=campaign).values_list(
            "sku__code", "planned_units", "chosen_by__username"
        )
    ) == [("AT8", 4, "boss"), ("HI", 2, "boss")]

    # Accepting a SKU already in the lineup is refused: nothing is written twice.
    again = client.post(url, {"sku": [skus["HI"].pk]})
    assert again.status_code == 400
    assert LineupItem.objects.filter(campaign=campaign).count() == 2

    item = LineupItem.objects.get(campaign=campaign, sku=skus["AT8"])
    client.post(reverse("campaign_lineup_remove", args=[campaign.pk, item.pk]))
    assert list(
        LineupItem.objects.filter(campaign=campaign).values_list("sku__code", flat=True)
    ) == ["HI"]


@pytest.mark.parametrize(
    ("buyers", "visitors", "expected"),
    [
        (2, 25, True),  # 8% exactly
        (8, 100, True),
        (7, 100, False),
        # 7.99995%: 0.080000 when rounded to 6 places, still below 8%.
        (159_999, 2_000_000, False),
        (160_000, 2_000_000, True),
        (1, 0, False),  # no visitors, no conversion
    ],
)
def test_the_minimum_is_compared_exactly(buyers, visitors, expected):
    from campaigns.lineup import meets_minimum

    assert meets_minimum(buyers, visitors, Decimal("0.080")) is expected


def test_expected_units_are_lifted_by_the_baseline_uplift(store, monkeypatch):
    """With an uplift of 2.5 (its own computation is tested above): HI 15 / 30 x 3 x 2.5 =
    3.75 -> 4 (stock 100: ok); AT8 30 / 30 x 3 x 2.5 = 7.5 -> 8 (stock 2: short)."""
    monkeypatch.setattr("campaigns.lineup.baseline_uplift", lambda **_: Decimal("2.500"))
    result = lineup_suggestions(store=store, campaign=_campaign(store), today=TODAY)
    assert result.uplift == Decimal("2.500")
    assert [(s.code, s.expected_units, s.stock_ok) for s in result.suggestions] == [
        ("HI", 4, True),
        ("AT8", 8, False),
    ]
