"""Batch pushes: events are idempotent on client_event_id, ad spend upserts on (channel, day),
a batch above the maximum is a 413 with a clear message, and nothing is half-written."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.ingest import MAX_BATCH_SIZE
from analytics.models import AdSpend, BehaviourEvent, StaleDay
from catalog.models import Sku
from opsdesk.models import AuditEntry

EVENTS = "/api/v1/stores/tea-house/events/"
AD_SPEND = "/api/v1/stores/tea-house/ad-spend/"


def _event(n: int, **extra) -> dict:
    return {
        "client_event_id": f"e{n}",
        "visitor_id": f"v{n % 7}",
        "event_type": "view",
        "channel": "search",
        "occurred_at": "2026-11-01T10:00:00+08:00",
        **extra,
    }


def _events(store) -> int:
    return BehaviourEvent.objects.filter(store=store).count()


def test_a_batch_is_stored_and_resending_it_stores_nothing_more(world, client_for):
    client = client_for("operator")
    batch = [_event(n, sku=world.a[Sku].pk) for n in range(5)]
    before = _events(world.store)

    first = client.post(EVENTS, batch, format="json")
    again = client.post(EVENTS, batch, format="json")

    assert first.status_code == again.status_code == 200, first.content
    assert first.json() == {"received": 5, "created": 5, "duplicates": 0}
    assert again.json() == {"received": 5, "created": 0, "duplicates": 5}
    assert _events(world.store) == before + 5
    assert AuditEntry.objects.filter(store=world.store, action="events.ingest").count() == 2


def test_duplicates_inside_one_batch_and_events_without_client_id(world, client_for):
    batch = [_event(1), _event(1), _event(2, client_event_id=None), _event(3, client_event_id="")]
    before = _events(world.store)

    body = client_for("operator").post(EVENTS, batch, format="json").json()

    assert body == {"received": 4, "created": 3, "duplicates": 1}
    assert _events(world.store) == before + 3


def test_the_same_client_id_in_another_store_is_not_a_duplicate(world, client_for):
    BehaviourEvent.objects.create(
        store=world.b.store,
        visitor_id="v",
        event_type="view",
        channel="search",
        occurred_at=timezone.now(),
        client_event_id="e1",
    )
    body = client_for("operator").post(EVENTS, [_event(1)], format="json").json()
    assert body["created"] == 1


def test_naive_datetimes_are_store_local(world, client_for):
    client_for("operator").post(
        EVENTS, [_event(1, occurred_at="2026-11-01T10:00:00")], format="json"
    )
    event = BehaviourEvent.objects.get(store=world.store, client_event_id="e1")
    assert event.occurred_at == datetime.datetime(2026, 11, 1, 2, 0, tzinfo=datetime.UTC)


def test_events_on_past_days_mark_them_for_a_new_rollup(world, client_for):
    client_for("operator").post(EVENTS, [_event(1)], format="json")
    assert list(StaleDay.objects.filter(store=world.store).values_list("day", flat=True)) == [
        datetime.date(2026, 11, 1)
    ]


def test_an_oversized_batch_is_413_and_writes_nothing(world, client_for):
    before = _events(world.store)
    batch = [_event(n) for n in range(MAX_BATCH_SIZE + 1)]

    response = client_for("operator").post(EVENTS, batch, format="json")

    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "payload_too_large"
    assert str(MAX_BATCH_SIZE) in body["detail"] and str(MAX_BATCH_SIZE + 1) in body["detail"]
    assert _events(world.store) == before


def test_a_full_size_batch_is_accepted_in_a_bounded_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    client = client_for("operator")
    batch = [_event(n) for n in range(MAX_BATCH_SIZE)]
    # Auth and store lookup, one duplicate probe, the inserts (SQLite caps a multi-row INSERT
    # near 999 variables: 9 of them here; PostgreSQL needs 2), stale days, the audit entry.
    with django_assert_max_num_queries(25):
        response = client.post(EVENTS, batch, format="json")
    assert response.json()["created"] == MAX_BATCH_SIZE


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"not": "a list"}, "non_field_errors"),
        ([], "non_field_errors"),
        ([_event(1, channel="tv")], "0.channel"),
        ([_event(1), _event(2, occurred_at="yesterday")], "1.occurred_at"),
        ([_event(1, event_type="click")], "0.event_type"),
        ([_event(1, sku=999_999)], "0.sku"),
    ],
)
def test_a_bad_batch_is_400_naming_the_item_and_writes_nothing(world, client_for, body, field):
    before = _events(world.store)
    response = client_for("operator").post(EVENTS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert _events(world.store) == before


def _spend(day: str, channel: str = "paid_search", spend: str = "100.00", **extra) -> dict:
    return {
        "channel": channel,
        "day": day,
        "spend": spend,
        "impressions": 1000,
        "clicks": 10,
        **extra,
    }


def test_ad_spend_upserts_on_channel_and_day(world, client_for):
    client = client_for("operator")
    AdSpend.objects.filter(store=world.store).delete()

    first = client.post(
        AD_SPEND, [_spend("2026-11-01"), _spend("2026-11-02", "paid_feed")], format="json"
    )
    second = client.post(
        AD_SPEND, [_spend("2026-11-01", spend="250.50"), _spend("2026-11-03")], format="json"
    )

    assert first.json() == {"received": 2, "created": 2, "updated": 0}
    assert second.json() == {"received": 2, "created": 1, "updated": 1}
    rows = AdSpend.objects.filter(store=world.store).order_by("day", "channel")
    assert [(r.day.isoformat(), r.channel, r.spend) for r in rows] == [
        ("2026-11-01", "paid_search", Decimal("250.50")),
        ("2026-11-02", "paid_feed", Decimal("100.00")),
        ("2026-11-03", "paid_search", Decimal("100.00")),
    ]
    assert AdSpend.objects.filter(store=world.b.store).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([_spend("2026-11-01"), _spend("2026-11-01")], "1.day"),
        ([_spend("2026-11-01", clicks=5000)], "0.clicks"),
        ([_spend("2026-11-01", spend="-1")], "0.spend"),
        ([_spend("2026-11-01", channel="tv")], "0.channel"),
        ([_spend("someday")], "0.day"),
    ],
)
def test_a_bad_ad_spend_batch_is_400_and_writes_nothing(world, client_for, body, field):
    before = list(AdSpend.objects.values_list("pk", "spend"))
    response = client_for("operator").post(AD_SPEND, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert list(AdSpend.objects.values_list("pk", "spend")) == before


def test_an_oversized_ad_spend_batch_is_413(world, client_for):
    start = datetime.date(2020, 1, 1)
    batch = [_spend((start + datetime.timedelta(days=n)).isoformat()) for n in range(1001)]
    response = client_for("operator").post(AD_SPEND, batch, format="json")
    assert response.status_code == 413


def test_an_order_of_the_largest_accepted_amount_is_no_server_error(
    world, client_for, django_capture_on_commit_callbacks
):
    """Found by schemathesis on PostgreSQL: the largest paid amount the batch accepts used to
    overflow the buyer's points (a 32-bit column) into a 500. The amount is stored; the points
    stop at the column's maximum."""
    from users.models import Customer

    order = {
        "number": "BIG-1",
        "customer_id": "whale",
        "created_at": "2026-11-01T10:00:00+08:00",
        "paid_at": "2026-11-01T10:01:00+08:00",
        "status": "paid",
        "paid_amount": "999999999999.99",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("admin").post(
            "/api/v1/stores/tea-house/order-batches/", [order], format="json"
        )

    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    whale = Customer.objects.get(store=world.store, external_id="whale")
    assert whale.points == 2**31 - 1
