"""Ad budget per channel (渠道预算): the services' rule (known channels, 0 or more, adding up
to at most the ad budget), who may set them (set_targets: manager, admin), the campaign form
and API, and the review's spend against each channel's budget.

The review numbers are those of the hand-made shop (tests/campaigns/shop.py): ad budget 200,
paid_search spent 150 in pre-heat and burst and brought 600 GMV; search 200 GMV, no spend.
"""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.models import Campaign, ChannelBudget
from campaigns.review import campaign_review
from campaigns.services import campaign_create, campaign_update
from opsdesk.audit import Actor
from opsdesk.models import AuditEntry, AuditSource
from opsdesk.roles import Role
from tests.campaigns.shop import SHANGHAI, D, build_campaign_shop
from tests.factories import (
    CampaignFactory,
    ChannelBudgetFactory,
    MembershipFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DATES = {
    "preparation_start": D(2027, 4, 17),
    "preheat_start": D(2027, 5, 31),
    "burst_start": D(2027, 6, 1),
    "burst_end": D(2027, 6, 18),
    "wrapup_end": D(2027, 6, 21),
}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def budgets_of(campaign):
    return dict(ChannelBudget.objects.filter(campaign=campaign).values_list("channel", "budget"))


@pytest.fixture
def actor():
    return Actor(user=UserFactory(), source=AuditSource.API)


def test_channel_budgets_are_saved_with_the_campaign_and_audited(actor):
    store = StoreFactory()
    campaign = campaign_create(
        store=store,
        actor=actor,
        name="618 2027",
        kind="618",
        ad_budget=Decimal("1000.00"),
        # 600 + 400 = 1000: exactly the ad budget is allowed.
        channel_budgets={"paid_search": Decimal("600.00"), "paid_feed": Decimal("400.00")},
        **DATES,
    )
    assert budgets_of(campaign) == {"paid_feed": Decimal("400.00"), "paid_search": Decimal("600")}
    entry = AuditEntry.objects.get(action="campaign.create")
    assert entry.changes["channel_budgets"] == {"paid_search": "600.00", "paid_feed": "400.00"}


def test_channel_budgets_above_the_ad_budget_are_refused_and_nothing_is_written(actor):
    store = StoreFactory()
    with pytest.raises(ValidationError) as error:
        campaign_create(
            store=store,
            actor=actor,
            name="618 2027",
            kind="618",
            ad_budget=Decimal("1000.00"),
            # 600 + 400.01 = 1000.01 > 1000
            channel_budgets={"paid_search": Decimal("600.00"), "paid_feed": Decimal("400.01")},
            **DATES,
        )
    assert error.value.message_dict == {
        "channel_budgets": [
            "The channel budgets add up to 1000.01, more than the ad budget 1000.00."
        ]
    }
    assert not Campaign.objects.exists() and not ChannelBudget.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("budgets", "ad_budget", "message"),
    [
        (
            {"paid_search": Decimal("10")},
            None,
            "Channel budgets split the ad budget: set the ad budget, or remove the channel "
            "budgets.",
        ),
        ({"tv": Decimal("10")}, Decimal("100"), "Unknown channels: tv."),
        (
            {"paid_feed": Decimal("-1")},
            Decimal("100"),
            "A channel budget is 0 or more (paid_feed).",
        ),
    ],
)
def test_bad_channel_budgets_name_the_problem(actor, budgets, ad_budget, message):
    with pytest.raises(ValidationError) as error:
        campaign_create(
            store=StoreFactory(),
            actor=actor,
            name="x",
            kind="618",
            ad_budget=ad_budget,
            channel_budgets=budgets,
            **DATES,
        )
    assert error.value.message_dict == {"channel_budgets": [message]}


def test_update_replaces_the_set_and_a_lower_ad_budget_is_checked(actor):
    campaign = CampaignFactory(ad_budget=Decimal("1000.00"))
    ChannelBudgetFactory(campaign=campaign, channel="paid_search", budget=Decimal("700.00"))
    ChannelBudgetFactory(campaign=campaign, channel="paid_feed", budget=Decimal("300.00"))

    campaign_update(
        campaign=campaign, actor=actor, channel_budgets={"paid_search": Decimal("800.00")}
    )
    assert budgets_of(campaign) == {"paid_search": Decimal("800.00")}
    entry = AuditEntry.objects.get(action="campaign.update")
    assert entry.changes == {
        "channel_budgets": [
            {"paid_feed": "300.00", "paid_search": "700.00"},
            {"paid_search": "800.00"},
        ]
    }

    # Lowering the ad budget below the channels' 800 names the ad budget, and writes nothing.
    with pytest.raises(ValidationError) as error:
        campaign_update(campaign=campaign, actor=actor, ad_budget=Decimal("799.99"))
    assert error.value.message_dict == {
        "ad_budget": ["The ad budget 799.99 is below the channel budgets, which add up to 800.00."]
    }
    campaign.refresh_from_db()
    assert campaign.ad_budget == Decimal("1000.00")

    # Moving budget between channels in one write is fine; {} removes them all.
    campaign_update(
        campaign=campaign,
        actor=actor,
        ad_budget=Decimal("500.00"),
        channel_budgets={"paid_feed": Decimal("500.00")},
    )
    assert budgets_of(campaign) == {"paid_feed": Decimal("500.00")}
    campaign_update(campaign=campaign, actor=actor, channel_budgets={})
    assert budgets_of(campaign) == {}
    # The same set again is no change: no audit entry.
    count = AuditEntry.objects.count()
    campaign_update(campaign=campaign, actor=actor, channel_budgets={})
    assert AuditEntry.objects.count() == count


# --- API ---------------------------------------------------------------------------------------


def api(store, role):
    client = APIClient()
    client.force_authenticate(MembershipFactory(store=store, role=role).user)
    return client


def detail_url(campaign):
    return reverse(
        "v1:campaign-detail", kwargs={"store_slug": campaign.store.slug, "pk": campaign.pk}
    )


def test_a_manager_sets_channel_budgets_through_the_api():
    campaign = CampaignFactory(ad_budget=Decimal("1000.00"))
    client = api(campaign.store, Role.MANAGER)
    response = client.patch(
        detail_url(campaign),
        {"channel_budgets": [{"channel": "paid_feed", "budget": "250.50"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["channel_budgets"] == [{"channel": "paid_feed", "budget": "250.50"}]
    assert budgets_of(campaign) == {"paid_feed": Decimal("250.50")}
    listed = client.get(
        reverse("v1:campaign-list", kwargs={"store_slug": campaign.store.slug})
    ).json()
    assert listed["results"][0]["channel_budgets"] == [{"channel": "paid_feed", "budget": "250.50"}]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            [
                {"channel": "paid_feed", "budget": "600"},
                {"channel": "paid_search", "budget": "401"},
            ],
            "channel_budgets",
            "The channel budgets add up to 1001.00, more than the ad budget 1000.00.",
        ),
        (
            [{"channel": "paid_feed", "budget": "1"}, {"channel": "paid_feed", "budget": "2"}],
            "channel_budgets",
            "A channel appears twice: paid_feed.",
        ),
    ],
)
def test_bad_channel_budgets_through_the_api_are_400s(body, field, message):
    campaign = CampaignFactory(ad_budget=Decimal("1000.00"))
    response = api(campaign.store, Role.ADMIN).patch(
        detail_url(campaign), {"channel_budgets": body}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]
    assert not ChannelBudget.objects.exists()


def test_an_operator_cannot_set_channel_budgets_but_may_send_them_unchanged():
    campaign = CampaignFactory(ad_budget=Decimal("1000.00"))
    ChannelBudgetFactory(campaign=campaign, channel="paid_search", budget=Decimal("100.00"))
    client = api(campaign.store, Role.OPERATOR)
    refused = client.patch(
        detail_url(campaign),
        {"channel_budgets": [{"channel": "paid_search", "budget": "200.00"}]},
        format="json",
    )
    assert refused.status_code == 403
    assert "channel_budgets" in refused.json()["detail"]
    assert budgets_of(campaign) == {"paid_search": Decimal("100.00")}
    allowed = client.patch(
        detail_url(campaign),
        {"notes": "lineup done", "channel_budgets": [{"channel": "paid_search", "budget": "100"}]},
        format="json",
    )
    assert allowed.status_code == 200
    assert Campaign.objects.get(pk=campaign.pk).notes == "lineup done"


# --- the campaign form -------------------------------------------------------------------------


def login(client, store, role):
    client.force_login(MembershipFactory(store=store, role=role).user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def form_data(**extra):
    return {
        "name": "618 2027",
        "kind": "618",
        **{name: day.isoformat() for name, day in DATES.items()},
        "ad_budget": "1000",
        **extra,
    }


def test_the_campaign_form_saves_channel_budgets(client):
    store = StoreFactory(slug="tea-house")
    login(client, store, Role.MANAGER)
    form = client.get(reverse("campaign_new")).content.decode()
    assert 'name="budget_paid_search"' in form and 'id="channel-budgets"' in form
    response = client.post(
        reverse("campaign_new"), form_data(budget_paid_search="700", budget_content="300")
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get(store=store)
    assert budgets_of(campaign) == {"content": Decimal("300"), "paid_search": Decimal("700")}

    edit = client.get(reverse("campaign_edit", args=[campaign.pk])).content.decode()
    assert 'name="budget_paid_search" value="700.00"' in edit
    detail = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert 'Paid search</th><td class="num">¥700.00</td><td class="num">70.0%' in detail


def test_the_campaign_form_shows_the_budget_rule_as_an_error(client):
    store = StoreFactory(slug="tea-house")
    login(client, store, Role.MANAGER)
    response = client.post(
        reverse("campaign_new"), form_data(budget_paid_search="700", budget_content="300.01")
    )
    assert response.status_code == 400
    assert (
        "The channel budgets add up to 1000.01, more than the ad budget 1000.00."
        in response.content.decode()
    )
    assert not Campaign.objects.exists()


def test_an_operators_channel_budgets_on_the_form_are_ignored(client):
    store = StoreFactory(slug="tea-house")
    login(client, store, Role.OPERATOR)
    page = client.get(reverse("campaign_new")).content.decode()
    assert 'name="budget_paid_search" min="0" step="0.01" disabled' in page
    client.post(reverse("campaign_new"), form_data(budget_paid_search="700"))
    campaign = Campaign.objects.get(store=store)
    assert campaign.ad_budget is None and budgets_of(campaign) == {}


# --- the review ----------------------------------------------------------------------------------


def test_review_sets_each_channels_spend_against_its_budget(client, monkeypatch):
    shop = build_campaign_shop()
    ChannelBudgetFactory(campaign=shop.camp, channel="paid_search", budget=Decimal("120.00"))
    ChannelBudgetFactory(campaign=shop.camp, channel="paid_feed", budget=Decimal("50.00"))
    review = campaign_review(store=shop.store, campaign=shop.camp, today=D(2026, 12, 12))

    channels = {c.channel: c for c in review.channels}
    # paid_search: spend 150 of its 120 -> 125%, over budget; of the 200 total -> 75%.
    paid = channels["paid_search"]
    assert (paid.budget, paid.budget_used, paid.over_budget, paid.budget_share) == (
        Decimal("120.00"),
        Decimal("1.250000"),
        True,
        Decimal("0.750000"),
    )
    # paid_feed: budgeted, no GMV and no spend in the window -> listed with zeros, 0% used.
    feed = channels["paid_feed"]
    assert (feed.gmv, feed.ad_spend, feed.roi, feed.budget_used, feed.over_budget) == (
        Decimal("0.00"),
        Decimal("0.00"),
        None,
        Decimal("0.000000"),
        False,
    )
    # search: no budget of its own.
    assert (channels["search"].budget, channels["search"].budget_used) == (None, None)
    assert [c.channel for c in review.channels] == ["paid_search", "search", "paid_feed"]
    assert review.channel_budget_total == Decimal("170.00")  # 120 + 50 of the 200

    noon = datetime.datetime(2026, 12, 12, 12, tzinfo=SHANGHAI)
    monkeypatch.setattr("django.utils.timezone.now", lambda: noon)
    login(client, shop.store, Role.ANALYST)
    page = client.get(reverse("campaign_review", args=[shop.camp.pk])).content.decode()
    assert '<tr data-channel="paid_search" class="row-flagged">' in page
    assert '125.0% <span class="flag flag-warning">Over budget</span>' in page
    assert "¥170.00 of it split by channel." in page
