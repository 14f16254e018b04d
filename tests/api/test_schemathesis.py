"""Property-based tests of every operation of the OpenAPI schema (schemathesis) against the
WSGI app in-process, authenticated with a token on a seeded store: no 5xx, and every response
(status, content type, headers, body) conforms to the schema. Unauthenticated calls get 401.

Examples per operation (positive and negative generation): 20 in CI (``CI`` set, as
``.ci/run`` does), 8 for a quick local run; ``OPSDESK_SCHEMATHESIS_EXAMPLES`` overrides both for
a deeper run."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import resolve
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from campaigns.models import Campaign
from opsdesk.tokens import token_create
from opsdesk.wsgi import application

EXAMPLES = int(
    os.environ.get("OPSDESK_SCHEMATHESIS_EXAMPLES") or (20 if os.environ.get("CI") else 8)
)

CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"max-examples": EXAMPLES},
        # The seeded store; half the ids are its seeded rows' (_reach_seeded_rows).
        "parameters": {"path.store_slug": "tea-house"},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """schemathesis calls the WSGI app directly, whose request signals would close the test's
    database connection (inside its transaction) on PostgreSQL; Django's test client
    disconnects them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_key(world) -> str:
    """A token of store A's admin: every operation is allowed, so bodies get validated."""
    return token_create(user=world.users["admin"], name="schemathesis").key


def _model_of(path: str):
    """The model a path's ``{id}`` names (its viewset's)."""
    url = path.replace("{store_slug}", "tea-house").replace("{campaign_pk}", "1")
    return resolve(url.replace("{id}", "1")).func.cls.model


def _reach_seeded_rows(case, world) -> None:
    """Even generated ids become the ids of store A's seeded rows (the campaign for
    ``campaign_pk``, the path's model for ``id``), odd ones stay as generated: detail operations
    then reach real rows on any database, PostgreSQL included, whose sequences do not restart
    with each test as SQLite's do."""
    parameters = case.path_parameters or {}
    if isinstance(parameters.get("campaign_pk"), int) and parameters["campaign_pk"] % 2 == 0:
        parameters["campaign_pk"] = world.a[Campaign].pk
    if isinstance(parameters.get("id"), int) and parameters["id"] % 2 == 0:
        row = world.a.rows.get(_model_of(case.operation.path))
        if row is not None:
            parameters["id"] = row.pk


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_conforms_to_the_schema(case, admin_key, world):
    _reach_seeded_rows(case, world)
    response = case.call(headers={"Authorization": f"Bearer {admin_key}"})
    case.validate_response(response, checks=CHECKS)


OPERATIONS = [
    pytest.param(op.method.upper(), op.path, id=f"{op.method.upper()} {op.path}")
    for op in (result.ok() for result in schema.get_all_operations())
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_needs_credentials(world, method, path):
    url = path.replace("{store_slug}", "tea-house")
    for name in ("campaign_pk", "id"):
        url = url.replace("{" + name + "}", "1")

    response = APIClient().generic(method, url, "{}", content_type="application/json")

    assert response.status_code == 401, (method, url)
    assert response.json()["code"] == "not_authenticated"
