"""One error shape, ``{"detail", "code", "errors"}``, for every status the API answers; bad
parameters are a 400 naming the parameter, never a 500."""

import pytest
from rest_framework.test import APIClient

from catalog.models import Category, Sku
from tests.factories import SkuFactory

SHAPE = {"detail", "code", "errors"}


def _assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == SHAPE
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    return body


def test_400_names_each_field(world, client_for):
    response = client_for("operator").post(
        "/api/v1/stores/tea-house/skus/",
        {"code": "", "title": "x", "price": "-1", "cost": "abc"},
        format="json",
    )
    body = _assert_error(response, 400, "invalid")
    assert set(body["errors"]) == {"code", "price", "cost"}
    assert all(isinstance(m, list) and m for m in body["errors"].values())


def test_400_for_a_malformed_json_body(world, client_for):
    response = client_for("operator").generic(
        "POST", "/api/v1/stores/tea-house/skus/", "{not json", content_type="application/json"
    )
    _assert_error(response, 400, "parse_error")


def test_401(world):
    _assert_error(APIClient().get("/api/v1/stores/"), 401, "not_authenticated")


def test_403(world, client_for):
    response = client_for("analyst").post("/api/v1/stores/tea-house/categories/", {"name": "x"})
    body = _assert_error(response, 403, "permission_denied")
    assert "edit_catalog" in body["detail"] and "analyst" in body["detail"]


def test_404_in_the_api_and_past_it(world, client_for):
    client = client_for("operator")
    _assert_error(client.get("/api/v1/stores/tea-house/skus/999999/"), 404, "not_found")
    _assert_error(client.get("/api/v1/no-such-thing/"), 404, "not_found")
    _assert_error(client.get("/api/v2/"), 404, "not_found")


def test_405(world, client_for):
    _assert_error(
        client_for("admin").delete("/api/v1/stores/tea-house/orders/"), 405, "method_not_allowed"
    )


def test_409_when_deleting_a_category_still_in_use(world, client_for):
    parent = world.a[Category]
    Category.objects.create(store=world.store, name="Child", parent=parent)
    response = client_for("operator").delete(f"/api/v1/stores/tea-house/categories/{parent.pk}/")
    _assert_error(response, 409, "protected")
    assert Category.objects.filter(pk=parent.pk).exists()


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("orders", {"paid_from": "2026-13-01"}, "paid_from"),
        ("orders", {"paid_from": "yesterday"}, "paid_from"),
        ("orders", {"channel": "tv"}, "channel"),
        ("orders", {"status": "lost"}, "status"),
        ("orders", {"customer": "abc"}, "customer"),
        ("orders", {"paid_from": "2026-11-10", "paid_to": "2026-11-01"}, "paid_to"),
        ("orders", {"ordering": "password"}, "ordering"),
        ("orders", {"page_size": "100000"}, "page_size"),
        ("orders", {"page_size": "0"}, "page_size"),
        ("orders", {"page_size": "ten"}, "page_size"),
        ("orders", {"page": "abc"}, "page"),
        ("skus", {"role": "hero"}, "role"),
        ("skus", {"category": "x"}, "category"),
        ("customers", {"tier": "vip"}, "tier"),
        ("events", {"occurred_to": "2026-02-30"}, "occurred_to"),
        ("ad-spend", {"day_from": "2026-11-10", "day_to": "2026-11-01"}, "day_to"),
        ("audit", {"created_from": "nope"}, "created_from"),
        ("reports/daily-metrics", {"start": "2026-11-01"}, "end"),
        ("reports/daily-metrics", {"start": "2026-11-10", "end": "2026-11-01"}, "end"),
        ("reports/daily-metrics", {"start": "bad", "end": "2026-11-01"}, "start"),
        ("reports/daily-metrics", {"start": "2020-01-01", "end": "2026-11-01"}, "end"),
        (
            "reports/daily-metrics",
            {"start": "2026-11-01", "end": "2026-11-02", "group_by": "year"},
            "group_by",
        ),
        (
            "reports/daily-metrics",
            {"start": "2026-11-01", "end": "2026-11-02", "format": "pdf"},
            "format",
        ),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(world, client_for, path, params, parameter):
    response = client_for("admin").get(f"/api/v1/stores/tea-house/{path}/", params)
    body = _assert_error(response, 400, "invalid")
    assert parameter in body["errors"], body
    assert parameter in body["detail"]


def test_a_page_past_the_end_is_404(world, client_for):
    response = client_for("admin").get("/api/v1/stores/tea-house/skus/", {"page": 99})
    _assert_error(response, 404, "not_found")


def test_page_size_is_honoured_up_to_the_maximum(world, client_for):
    SkuFactory.create_batch(3, store=world.store)
    body = client_for("admin").get("/api/v1/stores/tea-house/skus/", {"page_size": 2}).json()
    assert body["count"] == Sku.objects.filter(store=world.store).count() == 4
    assert len(body["results"]) == 2
    assert body["next"] is not None
