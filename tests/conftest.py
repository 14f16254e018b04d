import os

import pytest
from django.core.cache import cache

from opsdesk.celery import app as celery_app
from opsdesk.roles import Role
from tests.factories import MembershipFactory, StoreFactory, UserFactory

PASSWORD = "correct horse battery"


def second_connection(*, autocommit: bool = False):
    """A second psycopg2 connection to the (PostgreSQL) test database, outside Django's: what
    another session sees and may lock while a test's code holds its transaction open."""
    import psycopg2
    from django.db import connection

    params = connection.get_connection_params()
    other = psycopg2.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
    other.autocommit = autocommit
    return other


@pytest.fixture
def store(db):
    return StoreFactory(name="Tea House", slug="tea-house")


@pytest.fixture
def other_store(db):
    return StoreFactory(name="Other Shop", slug="other-shop")


@pytest.fixture
def operator(store):
    return MembershipFactory(store=store, role=Role.OPERATOR, user__username="operator").user


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def make_member():
    """Build a staff member with ``role`` in ``store``."""

    def make(store, role=Role.OPERATOR, username=None):
        kwargs = {"user__username": username} if username else {}
        return MembershipFactory(store=store, role=role, **kwargs).user

    return make


@pytest.fixture(autouse=True)
def _tasks_in_process_unless_worker_test(request):
    """Every test but the worker round trip runs tasks in-process, also when REDIS_URL is set
    (CI's PostgreSQL pass): a task enqueued on commit (a compliance scan on save, a re-roll
    after an import) then has its effect inside the test instead of waiting in Redis for a
    worker that is not there. The ``worker`` tests send through the real broker."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    yield from _eager()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Report results are cached by store id; a rolled-back test frees ids that the next test
    reuses (SQLite), so every test starts with an empty cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories hash passwords; PBKDF2's deliberate slowness buys nothing in tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _eager():
    conf = celery_app.conf
    before = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager = True
    conf.task_eager_propagates = True
    yield
    conf.task_always_eager, conf.task_eager_propagates = before


@pytest.fixture
def celery_eager():
    """``.delay()`` / ``.apply_async()`` run the task in-process, and its errors propagate,
    for this test, even when REDIS_URL is set (CI's PostgreSQL pass). Without it, such a
    call sends the task to the broker, where no worker takes it, and ``.get()`` waits forever.
    """
    yield from _eager()


#: Markers whose tests must run, not skip, when the variable is "1" (CI sets both): a browser
#: or worker test that skips there (no Chromium, no broker) is reported as a failure.
REQUIRED_WHEN_SET = {"e2e": "OPSDESK_REQUIRE_BROWSER", "worker": "OPSDESK_REQUIRE_WORKER"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    for marker, variable in REQUIRED_WHEN_SET.items():
        if item.get_closest_marker(marker) and os.environ.get(variable) == "1":
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            report.outcome = "failed"
            report.longrepr = f"{variable}=1 but this {marker} test was skipped: {reason}"
            return


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """A browser-test module that skips itself whole (pytest.skip at module level, a failed
    importorskip) is a collection error when OPSDESK_REQUIRE_BROWSER=1."""
    outcome = yield
    report = outcome.get_result()
    variable = REQUIRED_WHEN_SET["e2e"]
    if (
        report.skipped
        and os.environ.get(variable) == "1"
        and report.nodeid.startswith("tests/e2e/")
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"{variable}=1 but {report.nodeid} was skipped: {reason}"


__all__ = ["PASSWORD", "UserFactory"]
