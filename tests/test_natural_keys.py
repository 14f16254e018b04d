"""Natural keys are unique per store: a duplicate in the same store is rejected by the
database, the same key in another store is allowed."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from tests import factories as f

NATURAL_KEYS = [
    pytest.param(f.SkuFactory, {"code": "TEA-001"}, id="sku code"),
    pytest.param(f.CategoryFactory, {"name": "绿茶"}, id="category name"),
    pytest.param(f.CustomerFactory, {"external_id": "tb_buyer_1"}, id="customer external id"),
    pytest.param(f.OrderFactory, {"number": "202611110001"}, id="order number"),
    pytest.param(f.MemberLevelFactory, {"code": "V1"}, id="member level code"),
    pytest.param(f.BannedTermFactory, {"term": "最佳"}, id="banned term"),
    pytest.param(
        f.AdSpendFactory,
        {"channel": "paid_search", "day": datetime.date(2026, 11, 1)},
        id="ad spend channel-day",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("factory", "key"), NATURAL_KEYS)
def test_duplicate_natural_key_in_one_store_is_rejected(factory, key, store):
    factory(store=store, **key)

    with pytest.raises(IntegrityError), transaction.atomic():
        factory(store=store, **key)

    assert factory._meta.model.objects.filter(store=store, **key).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("factory", "key"), NATURAL_KEYS)
def test_same_natural_key_in_two_stores_is_allowed(factory, key, store, other_store):
    factory(store=store, **key)
    factory(store=other_store, **key)

    model = factory._meta.model
    assert model.objects.filter(**key).count() == 2
    assert set(model.objects.filter(**key).values_list("store_id", flat=True)) == {
        store.id,
        other_store.id,
    }


@pytest.mark.django_db
def test_refund_number_is_unique_per_store(store, other_store):
    order = f.OrderFactory(store=store)
    f.RefundFactory(order=order, number="R1")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.RefundFactory(order=order, number="R1")

    f.RefundFactory(order=f.OrderFactory(store=other_store), number="R1")
    assert f.RefundFactory._meta.model.objects.filter(number="R1").count() == 2


@pytest.mark.django_db
def test_client_event_id_is_unique_per_store_but_optional(store, other_store):
    f.BehaviourEventFactory(store=store, client_event_id="evt-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.BehaviourEventFactory(store=store, client_event_id="evt-1")
    f.BehaviourEventFactory(store=other_store, client_event_id="evt-1")
    # Events without a client id never collide.
    f.BehaviourEventFactory(store=store, client_event_id=None)
    f.BehaviourEventFactory(store=store, client_event_id=None)

    model = f.BehaviourEventFactory._meta.model
    assert model.objects.filter(store=store).count() == 3


@pytest.mark.django_db
def test_membership_is_unique_per_user_and_store(store, other_store):
    membership = f.MembershipFactory(store=store)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.MembershipFactory(store=store, user=membership.user)
    f.MembershipFactory(store=other_store, user=membership.user)
    assert membership.user.memberships.count() == 2


@pytest.mark.django_db
def test_store_slug_is_globally_unique(store):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.StoreFactory._meta.model.objects.create(name="Copy", slug=store.slug)


@pytest.mark.django_db
def test_lineup_sku_once_per_campaign_and_snapshot_once_per_day(store):
    item = f.LineupItemFactory(campaign__store=store)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.LineupItemFactory(campaign=item.campaign, sku=item.sku)

    snapshot = f.StockSnapshotFactory(sku__store=store)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.StockSnapshotFactory(sku=snapshot.sku, day=snapshot.day)
