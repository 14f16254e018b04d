"""The permission matrix, generated: every route under /api/v1/ x every method it serves x
every role (plus an outsider who belongs to another store, and nobody) gets exactly the status
the capability table of ``opsdesk.roles`` says.

A new endpoint is picked up from the URL conf automatically; ``test_every_route_has_an_
expectation`` fails until its required capabilities are written in ``REQUIRED`` below, which
is the reviewer-readable statement of who may do what."""

import pytest
from django.urls import reverse

from opsdesk.models import ApiToken
from opsdesk.roles import Capability, role_allows

from .conftest import ROLES
from .routes import Route, api_routes

VIEW = Capability.VIEW
#: basename -> (capability for reads, capability for writes). ``OWN`` = the caller's own rows
#: (their stores, their tokens): any signed-in user, no store role involved.
OWN = "own"
REQUIRED: dict[str, tuple[Capability, Capability | None] | str] = {
    "store": OWN,
    "token": OWN,
    "category": (VIEW, Capability.EDIT_CATALOG),
    "sku": (VIEW, Capability.EDIT_CATALOG),
    "price-change": (VIEW, None),
    "customer": (VIEW, None),
    "playbook": (VIEW, None),
    "order": (VIEW, None),
    "event": (VIEW, Capability.IMPORT_DATA),
    "ad-spend": (VIEW, Capability.IMPORT_DATA),
    "import": (VIEW, Capability.IMPORT_DATA),
    "order-batch": (VIEW, Capability.IMPORT_DATA),
    "report": (VIEW, None),
    "catalog-report": (VIEW, None),
    "campaign": (VIEW, Capability.EDIT_CAMPAIGNS),
    "lineup-item": (VIEW, Capability.EDIT_CAMPAIGNS),
    "mechanic": (VIEW, Capability.EDIT_CAMPAIGNS),
    "membership": (Capability.MANAGE_STAFF, Capability.MANAGE_STAFF),
    "store-token": (Capability.MANAGE_STAFF, Capability.MANAGE_STAFF),
    "audit": (Capability.MANAGE_STAFF, None),
}
#: Status of a permitted request sent with an empty JSON object as body.
PERMITTED = {"get": 200, "post": 400, "put": 400, "patch": 200, "delete": 204}
#: Query strings routes need to answer 200 to a permitted GET.
QUERY = {
    "report": {"start": "2026-11-01", "end": "2026-11-07"},
    "catalog-report": {"start": "2026-11-01", "end": "2026-11-07", "cut_percent": "10"},
}
CALLERS = [role.value for role in ROLES] + ["outsider", None]

ROUTES = api_routes()
CASES = [
    pytest.param(route, method, caller, id=f"{route.name}-{method}-{caller or 'anonymous'}")
    for route in ROUTES
    for method in route.actions
    for caller in CALLERS
]


def expected_status(route: Route, method: str, caller: str | None) -> int:
    """The status the capability table promises."""
    if caller is None:
        return 401
    required = REQUIRED[route.basename]
    if required == OWN:
        if route.basename == "store" and route.detail and caller == "outsider":
            return 404  # store A is not theirs
        return PERMITTED[method]
    if caller == "outsider":
        return 404  # never 403: that would confirm the store exists
    read, write = required
    capability = read if method == "get" else write
    assert capability is not None, f"{route.name} serves {method} but REQUIRED has no write"
    return PERMITTED[method] if role_allows(caller, capability) else 403


def url_for(route: Route, world, caller: str | None) -> str:
    kwargs = {}
    for name in route.kwargs:
        if name == "store_slug":
            kwargs[name] = world.store.slug
        elif name == "campaign_pk":
            from campaigns.models import Campaign

            kwargs[name] = world.a[Campaign].pk
        elif name == "pk":
            if route.basename == "token":  # the caller's own token
                kwargs[name] = world.tokens[caller or "operator"].pk
            else:
                kwargs[name] = world.a[route.viewset.model].pk
    return reverse(f"v1:{route.name}", kwargs=kwargs)


def test_every_route_has_an_expectation():
    unknown = sorted({route.basename for route in ROUTES} - set(REQUIRED))
    assert not unknown, f"Say in REQUIRED which capabilities these routes need: {unknown}"


def test_routes_were_found():
    names = {route.name for route in ROUTES}
    assert {"sku-list", "order-detail", "event-list", "audit-list", "token-list"} <= names


@pytest.mark.parametrize(("route", "method", "caller"), CASES)
def test_permission_matrix(world, client_for, route, method, caller):
    client = client_for(caller)
    url = url_for(route, world, caller)
    if method == "get":
        response = client.get(url, QUERY.get(route.basename, {}))
    else:
        response = getattr(client, method)(url, {}, format="json")

    expected = expected_status(route, method, caller)
    assert response.status_code == expected, (route.name, method, caller, response.content[:300])
    if expected >= 400:
        body = response.json()
        assert set(body) == {"detail", "code", "errors"}
        if expected == 403:
            assert body["code"] == "permission_denied"


@pytest.mark.parametrize("route", [r for r in ROUTES if REQUIRED.get(r.basename) != OWN], ids=str)
def test_methods_a_route_does_not_serve_are_405(world, client_for, route):
    client = client_for("admin")
    url = url_for(route, world, "admin")
    for method in {"get", "post", "put", "patch", "delete"} - set(route.actions):
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 405, (route.name, method)
        assert response.json()["code"] == "method_not_allowed"


def test_denied_writes_write_nothing(world, client_for):
    from catalog.models import Sku

    before = Sku.objects.count()
    response = client_for("analyst").post(
        reverse("v1:sku-list", kwargs={"store_slug": world.store.slug}),
        {"code": "NEW1", "title": "New", "price": "9.90", "cost": "3.00"},
        format="json",
    )
    assert response.status_code == 403
    assert Sku.objects.count() == before
    assert not ApiToken.objects.filter(name="NEW1").exists()
