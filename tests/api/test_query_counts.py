"""No N+1 on any list endpoint: the number of queries does not grow with the rows listed, and
stays under a fixed bound. Generated over every list route of the URL conf."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import Campaign

from .conftest import seed_store
from .routes import api_routes
from .test_permission_matrix import QUERY

LIST_ROUTES = [r for r in api_routes() if r.actions.get("get") in {"list", "daily_metrics"}]
#: Session, user and store lookups, count, page, prefetches: generous but fixed.
MAX_QUERIES = 12


def _get(client, route, world, campaign_pk):
    kwargs = {}
    if "store_slug" in route.kwargs:
        kwargs["store_slug"] = world.store.slug
    if "campaign_pk" in route.kwargs:
        kwargs["campaign_pk"] = campaign_pk
    url = reverse(f"v1:{route.name}", kwargs=kwargs)
    cache.clear()  # a report served from the cache would hide its queries
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, QUERY.get(route.basename, {}))
    assert response.status_code == 200, response.content
    return len(queries), response


@pytest.mark.parametrize("route", LIST_ROUTES, ids=str)
def test_list_queries_do_not_grow_with_rows(world, client_for, route):
    client = client_for("admin")
    campaign_pk = world.a[Campaign].pk
    client.get("/api/v1/stores/")  # settle the session write of the first request

    few, _ = _get(client, route, world, campaign_pk)
    for copy in range(1, 4):
        extra = seed_store(world.store, world.users["admin"], copy)
        # Nested rows go under the campaign being listed.
        for item in (extra.rows.get(m) for m in extra.rows):
            if getattr(item, "campaign_id", None) not in (None, campaign_pk):
                type(item).objects.filter(pk=item.pk).update(campaign_id=campaign_pk)
    many, response = _get(client, route, world, campaign_pk)

    assert many == few, f"{route.name}: {few} queries for few rows, {many} for more"
    assert many <= MAX_QUERIES
    if "results" in response.json() and route.basename not in {"store", "token", "membership"}:
        assert len(response.json()["results"]) >= 4
