"""The import API: multipart upload with dry_run, the order push batch (idempotent)."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from analytics.models import ImportRun, Order, OrderLine, StaleDay
from opsdesk.roles import Role
from tests.factories import SkuFactory, StoreFactory

from .test_imports import ORDERS_WITH_BAD_ROW, TAOBAO_ORDERS, gmv

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(operator):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")  # the reasons below are the English msgids
    client.force_login(operator)
    return client


def url(store, name):
    return f"/api/v1/stores/{store.slug}/{name}/"


def test_upload_dry_run_then_import(api, store):
    response = api.post(
        url(store, "imports"),
        {
            "kind": "orders",
            "preset": "taobao",
            "dry_run": "true",
            "file": SimpleUploadedFile("t.csv", TAOBAO_ORDERS.encode("gbk")),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["dry_run"], body["created"], body["errors"]) == (
        "previewed",
        True,
        4,
        [],
    )
    assert body["encoding"] == "gbk" and body["preset"] == "taobao_orders"
    assert not Order.objects.exists()
    response = api.post(
        url(store, "imports"),
        {
            "kind": "orders",
            "preset": "taobao",
            "file": SimpleUploadedFile("t.csv", TAOBAO_ORDERS.encode("gbk")),
        },
        format="multipart",
    )
    assert response.json()["status"] == "succeeded"
    assert Order.objects.filter(store=store).count() == 4
    listed = api.get(url(store, "imports"), {"id": body["id"]}).json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]


def test_upload_returns_the_error_report(api, store):
    response = api.post(
        url(store, "imports"),
        {"kind": "orders", "file": SimpleUploadedFile("o.csv", ORDERS_WITH_BAD_ROW.encode())},
        format="multipart",
    )
    body = response.json()
    assert body["status"] == "rejected" and body["rejected"] == 2
    assert body["errors"][0] == {
        "row": 3,
        "column": "paid_amount",
        "value": "12.5x",
        "reason": "not an amount (use digits, e.g. 1234.50)",
    }
    assert not Order.objects.exists()


def test_upload_bad_preset_and_missing_file(api, store):
    response = api.post(
        url(store, "imports"),
        {
            "kind": "refunds",
            "preset": "shopify_orders",
            "file": SimpleUploadedFile("o.csv", b"a\n1\n"),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "preset" in response.json()["errors"]
    assert api.post(url(store, "imports"), {}, format="json").status_code == 400
    assert not ImportRun.objects.exists()


def test_analyst_cannot_upload_and_outsider_gets_404(store, make_member):
    client = APIClient()
    client.force_login(make_member(store, Role.ANALYST))
    files = {"kind": "orders", "file": SimpleUploadedFile("o.csv", TAOBAO_ORDERS.encode("gbk"))}
    assert client.post(url(store, "imports"), files, format="multipart").status_code == 403
    other = StoreFactory(slug="x-shop")
    assert client.get(url(other, "imports")).status_code == 404


BATCH = [
    {
        "number": "W1",
        "customer_id": "wx_1",
        "created_at": "2026-10-08T10:00:00",
        "paid_at": "2026-10-08T10:01:00",
        "status": "paid",
        "channel": "private_domain",
        "paid_amount": "130.00",
        "shipping_amount": "10.00",
        "lines": [{"sku_code": "TEA-01", "quantity": 2, "unit_price": "60.00"}],
    },
    {
        "number": "W2",
        "customer_id": "wx_2",
        "created_at": "2026-10-08T23:00:00",
        "status": "created",
        "paid_amount": "60.00",
    },
]


def test_order_batch_is_idempotent_on_number(api, store, django_capture_on_commit_callbacks):
    SkuFactory(store=store, code="TEA-01", cost="25.00")
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(url(store, "order-batches"), BATCH, format="json")
    assert first.status_code == 200, first.json()
    assert first.json() == {"received": 2, "created": 2, "updated": 0, "unchanged": 0}
    w1 = Order.objects.get(store=store, number="W1")
    assert (w1.goods_amount, w1.paid_amount, w1.paid_at) == (
        Decimal("120.00"),
        Decimal("130.00"),
        datetime.datetime(2026, 10, 8, 2, 1, tzinfo=datetime.UTC),
    )
    assert OrderLine.objects.get(order=w1).unit_cost == Decimal("25.00")
    assert gmv(store, datetime.date(2026, 10, 8)).gmv == Decimal("130.00")
    assert not StaleDay.objects.exists()
    again = api.post(url(store, "order-batches"), BATCH, format="json")
    assert again.json() == {"received": 2, "created": 0, "updated": 0, "unchanged": 2}
    changed = [BATCH[0], {**BATCH[1], "status": "paid", "paid_at": "2026-10-09T08:00:00"}]
    assert api.post(url(store, "order-batches"), changed, format="json").json()["updated"] == 1
    assert Order.objects.count() == 2


def test_order_batch_errors_write_nothing(api, store):
    bad = [
        BATCH[1],
        {**BATCH[0], "lines": [{"sku_code": "MISSING", "quantity": 1, "unit_price": "1"}]},
    ]
    response = api.post(url(store, "order-batches"), bad, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "1.sku_code": ["No SKU with this code in the store. (MISSING)"]
    }
    assert not Order.objects.exists()
    too_many = api.post(url(store, "order-batches"), [BATCH[1]] * 1001, format="json")
    assert too_many.status_code == 413
    assert api.post(url(store, "order-batches"), {}, format="json").status_code == 400
