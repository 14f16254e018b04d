"""The effect report as the operator reads it: the playbook page and the playbooks API show the
numbers of ``users.playbooks.playbook_effect`` for the small example worked out by hand in
tests/users/test_playbooks.py::test_effect_report_by_hand, and the churn page lists the
high-value customers whose probability active fell.

One run 40 days ago (T0), coupon ¥30. Contacted c1..c4, held out h1..h3. Paid orders after T0:
c1 ¥100 at +2d; c2 ¥50 at +10d; c3 none; c4 ¥30 at +1h and ¥20 at +3d; h1 ¥40 at +20d;
h2 none; h3 ¥10 one hour BEFORE T0 (does not count).

7 days:  contacted 2/4 converted = 50.0%, GMV ¥150.00, ¥37.50 per customer; held out 0/3,
         ¥0.00. Conversion uplift 0.5 ± 1.96 x 0.25 = [1.0%, 99.0%]; coupon cost ¥30 x 2 = ¥60.
30 days: contacted 3/4 = 75.0%, ¥50.00 per customer; held out 1/3 = 33.3%, ¥13.33;
         GMV uplift 50 - 40/3 = ¥36.67; coupon cost ¥90.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from opsdesk.roles import Role
from tests.factories import (
    MembershipFactory,
    StoreFactory,
    TierChangeFactory,
)
from tests.users.effect_example import seed_effect_example
from users.models import (
    CustomerPrediction,
    Playbook,
    PredictionFit,
    Tier,
    TriggerKind,
)


@pytest.fixture
def shop(db):
    store = StoreFactory(slug="tea")
    t0 = timezone.now().replace(microsecond=0) - datetime.timedelta(days=40)
    playbook = Playbook.objects.create(
        store=store,
        name="Wake-up",
        trigger=TriggerKind.ENTERED_TIER,
        tier=Tier.DORMANT,
        coupon_value=Decimal("30.00"),
    )
    people = seed_effect_example(
        store=store, playbook=playbook, t0=t0, trigger_key="entered_tier:dormant"
    )
    return store, playbook, people


def cells(page: str, window: str) -> list[str]:
    row = re.search(rf'data-window="{window}">(.*?)</tr>', page, re.S)
    assert row, window
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]


def test_the_playbook_page_shows_the_effect_worked_out_by_hand(shop, client):
    store, playbook, _people = shop
    client.force_login(MembershipFactory(store=store, role=Role.ANALYST).user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("playbook_detail", args=[playbook.pk])).content.decode()

    assert cells(page, "7-contacted") == ["Contacted", "4", "2", "50.0%", "¥37.50"]
    assert cells(page, "7-held") == ["Held out", "3", "0", "0.0%", "¥0.00"]
    uplift = cells(page, "7-uplift")
    assert uplift[:2] == ["Uplift", "coupon cost ¥60.00"]
    assert uplift[2] == "50.0% [1.0%, 99.0%]"
    assert uplift[3].startswith("¥37.50 [")
    assert cells(page, "30-contacted") == ["Contacted", "4", "3", "75.0%", "¥50.00"]
    assert cells(page, "30-held") == ["Held out", "3", "1", "33.3%", "¥13.33"]
    thirty = cells(page, "30-uplift")
    assert thirty[1] == "coupon cost ¥90.00"
    assert thirty[2].startswith("41.7% [")
    assert thirty[3].startswith("¥36.67 [")


def test_the_playbooks_api_reports_the_same_effect(shop):
    store, playbook, _people = shop
    api = APIClient()
    api.force_authenticate(MembershipFactory(store=store, role=Role.ANALYST).user)
    body = api.get(f"/api/v1/stores/{store.slug}/playbooks/").json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    (row,) = rows
    assert row["id"] == playbook.pk and row["effect"]["runs"] == 1
    seven, thirty = row["effect"]["windows"]
    assert seven["days"] == 7
    assert seven["contacted"] == {
        "customers": 4,
        "converted": 2,
        "conversion": 0.5,
        "gmv": "150.00",
        "gmv_per_customer": "37.50",
    }
    assert seven["held_out"] == {
        "customers": 3,
        "converted": 0,
        "conversion": 0.0,
        "gmv": "0.00",
        "gmv_per_customer": "0.00",
    }
    assert seven["conversion_uplift"]["estimate"] == pytest.approx(0.5)
    assert seven["conversion_uplift"]["low"] == pytest.approx(0.5 - 1.959964 * 0.25)
    assert seven["conversion_uplift"]["high"] == pytest.approx(0.5 + 1.959964 * 0.25)
    assert seven["gmv_uplift"]["estimate"] == pytest.approx(37.5)
    assert seven["coupon_cost"] == "60.00"
    assert (thirty["days"], thirty["contacted"]["converted"], thirty["held_out"]["converted"]) == (
        30,
        3,
        1,
    )
    assert thirty["held_out"]["gmv_per_customer"] == "13.33"
    assert thirty["gmv_uplift"]["estimate"] == pytest.approx(50 - 40 / 3)
    assert thirty["coupon_cost"] == "90.00"


def test_the_churn_page_lists_falling_high_value_customers(shop, client):
    """Of c1..c3 in the high-value tier: c1 fell 0.90 -> 0.40 (listed), c2 0.90 -> 0.88 (a drop
    under 5 points, not listed), c3 has no previous fit (not listed); h1 fell but is active."""
    store, _playbook, people = shop
    fit = PredictionFit.objects.create(
        store=store,
        as_of=datetime.date(2026, 11, 5),
        fitted_at=timezone.now(),
        customers=7,
        repeat_buyers=2,
        r=0.2,
        alpha=4,
        a=0.8,
        b=2.4,
        log_likelihood=-1,
        seconds=0.1,
    )
    for name, tier, previous, now in [
        ("c1", Tier.HIGH_VALUE, 0.90, 0.40),
        ("c2", Tier.HIGH_VALUE, 0.90, 0.88),
        ("c3", Tier.HIGH_VALUE, None, 0.30),
        ("h1", Tier.ACTIVE, 0.90, 0.10),
    ]:
        TierChangeFactory(customer=people[name], tier=tier, day=datetime.date(2026, 11, 1))
        CustomerPrediction.objects.create(
            store=store,
            customer=people[name],
            fit=fit,
            repeat_purchases=1,
            p_alive=now,
            previous_p_alive=previous,
            expected_purchases_90d=1.0,
            clv_90d=Decimal("100.00"),
        )
    client.force_login(MembershipFactory(store=store, role=Role.ANALYST).user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("customer_predictions")).content.decode()
    warnings = re.search(r'id="churn-warnings">(.*?)</table>', page, re.S).group(1)
    assert re.findall(r"<a [^>]*>([^<]+)</a>", warnings) == ["c1"]
    assert "90.0%" in warnings and "40.0%" in warnings
