"""CHECK constraints keep impossible facts out of the database whatever writes them."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from campaigns.models import Campaign
from tests import factories as f


def _rejected(factory, **kwargs) -> bool:
    try:
        with transaction.atomic():
            factory(**kwargs)
    except IntegrityError:
        return True
    return False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("factory", "kwargs"),
    [
        pytest.param(f.SkuFactory, {"price": Decimal("-1")}, id="negative price"),
        pytest.param(f.SkuFactory, {"role": "hero"}, id="unknown role"),
        pytest.param(f.SkuFactory, {"status": "sold"}, id="unknown sku status"),
        pytest.param(f.OrderFactory, {"channel": "tv"}, id="unknown channel"),
        pytest.param(f.OrderFactory, {"status": "lost"}, id="unknown order status"),
        pytest.param(f.OrderLineFactory, {"quantity": 0}, id="zero quantity"),
        pytest.param(f.RefundFactory, {"amount": Decimal("0")}, id="zero refund"),
        pytest.param(f.BehaviourEventFactory, {"event_type": "like"}, id="unknown event"),
        pytest.param(f.AdSpendFactory, {"clicks": 11, "impressions": 10}, id="clicks>impr."),
        pytest.param(f.AdSpendFactory, {"spend": Decimal("-5")}, id="negative spend"),
        pytest.param(f.MembershipFactory, {"role": "owner"}, id="unknown role"),
        pytest.param(f.MechanicFactory, {"rate": Decimal("1.5")}, id="rate above 1"),
    ],
)
def test_impossible_rows_are_rejected(factory, kwargs, store):
    assert _rejected(factory, **kwargs)


@pytest.mark.django_db
def test_order_cannot_be_paid_before_it_was_created(store):
    created = datetime.datetime(2026, 11, 10, 23, 50, tzinfo=datetime.UTC)
    assert _rejected(
        f.OrderFactory,
        store=store,
        created_at=created,
        paid_at=created - datetime.timedelta(seconds=1),
    )
    # Paid after midnight of its creation day is fine.
    order = f.OrderFactory(
        store=store, created_at=created, paid_at=created + datetime.timedelta(minutes=20)
    )
    assert order.pk


@pytest.mark.django_db
def test_campaign_phases_must_be_in_order(store):
    assert _rejected(
        f.CampaignFactory,
        store=store,
        burst_start=datetime.date(2026, 11, 11),
        burst_end=datetime.date(2026, 11, 10),
    )
    assert _rejected(
        f.CampaignFactory,
        store=store,
        preheat_start=datetime.date(2026, 9, 1),
        preparation_start=datetime.date(2026, 9, 2),
    )
    assert not Campaign.objects.filter(store=store).exists()


@pytest.mark.django_db
def test_tier_change_must_change_the_tier(store):
    assert _rejected(f.TierChangeFactory, customer__store=store, tier="new", previous_tier="new")
    assert f.TierChangeFactory(customer__store=store, tier="active", previous_tier="new").pk
