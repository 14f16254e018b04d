"""A rollup that dies half-way leaves the old rows, never a mix, and its retry completes it.

The unit of a rollup is one transaction (``analytics.rollups.services``): its deletes and
inserts become visible together at commit or not at all. Two ways to die are tested: an error
raised after every metric statement ran (both databases), and a real process killed with
SIGKILL while its transaction is open, blocked on the funnel table (PostgreSQL: another
process must share the database), which is what a worker killed mid-task does.
"""

import os
import signal
import sys
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from analytics.models import DailyStoreMetrics, FunnelDay
from analytics.rollups import funnel as funnel_rollup
from analytics.rollups.services import rollup_day
from tests.analytics.handworked import D1, SHANGHAI, at, build_shop
from tests.analytics.test_rollups import snapshot
from tests.conftest import second_connection
from tests.factories import OrderFactory, OrderLineFactory
from tests.opsdesk.test_celery_worker import database_url, start_process

# D1 of the hand-worked store A (tests/analytics/handworked.py): the one order paid that day is
# O1, 200.00 (O2 was placed on D1 but paid on D2); the late order below adds 100.00.
OLD_GMV = Decimal("200.00")
NEW_GMV = Decimal("300.00")


def add_late_order(shop):
    """A paid order of D1 that arrives after D1 was rolled up."""
    order = OrderFactory(
        store=shop.a,
        number="LATE-1",
        customer=shop.customers["alice"],
        created_at=at(SHANGHAI, D1, 20),
        paid_at=at(SHANGHAI, D1, 20, 5),
        goods_amount=Decimal("100.00"),
    )
    OrderLineFactory(
        order=order,
        store=shop.a,
        sku=shop.skus["tea"],
        quantity=1,
        unit_price=Decimal("100.00"),
        unit_cost=Decimal("40.00"),
    )
    return order


@pytest.mark.django_db
def test_a_rollup_failing_after_its_statements_leaves_the_old_rows(monkeypatch):
    shop = build_shop()
    rollup_day(store=shop.a, day=D1)
    old = snapshot(shop.a)
    old_funnel = list(FunnelDay.objects.filter(store=shop.a).values_list("day", "visitors"))
    assert DailyStoreMetrics.objects.get(store=shop.a, day=D1).gmv == OLD_GMV
    add_late_order(shop)

    calls = []

    def die_in_the_funnel_step(**kwargs):
        # Every metric statement of the run has executed (deleted and re-inserted its rows)
        # by the time the funnel rows are written.
        calls.append(kwargs)
        raise RuntimeError("worker died")

    monkeypatch.setattr(funnel_rollup, "funnel_days_write", die_in_the_funnel_step)
    with pytest.raises(RuntimeError, match="worker died"):
        rollup_day(store=shop.a, day=D1)
    assert calls, "the run did not reach the funnel step"

    # Nothing of the failed run is visible: every table holds the old rows.
    assert snapshot(shop.a) == old
    assert list(FunnelDay.objects.filter(store=shop.a).values_list("day", "visitors")) == old_funnel
    assert DailyStoreMetrics.objects.get(store=shop.a, day=D1).gmv == OLD_GMV

    # The retry completes it.
    monkeypatch.undo()
    rollup_day(store=shop.a, day=D1)
    assert DailyStoreMetrics.objects.get(store=shop.a, day=D1).gmv == NEW_GMV
    assert snapshot(shop.a) != old


def _backend_of(admin, application_marker: str):
    """(pid, wait_event_type, query) of the rollup process's backend, or None."""
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT pid, wait_event_type, query FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [application_marker],
        )
        return cursor.fetchone()


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="another process must share the test database (PostgreSQL)",
)
def test_a_rollup_process_killed_mid_transaction_leaves_the_old_rows(transactional_db, tmp_path):
    shop = build_shop()
    rollup_day(store=shop.a, day=D1)
    old = snapshot(shop.a)
    add_late_order(shop)

    marker = f"opsdesk-rollup-kill-{os.getpid()}"
    blocker = second_connection()
    admin = second_connection(autocommit=True)
    log_path = tmp_path / "rollup.log"
    process = None
    try:
        # Hold the funnel table: the rollup runs its metric statements, then waits here with
        # its transaction open (new rows written, not committed).
        with blocker.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {FunnelDay._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(connection.settings_dict),
            "PGAPPNAME": marker,
            "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
        }
        environment.pop("REDIS_URL", None)
        command = [sys.executable, "manage.py", "rollup", "--store", shop.a.slug]
        command += ["--from", D1.isoformat(), "--to", D1.isoformat()]
        process = start_process(command, environment=environment, log_path=log_path)
        deadline = time.monotonic() + 60
        backend = None
        while time.monotonic() < deadline:
            assert process.poll() is None, log_path.read_text(errors="replace")
            backend = _backend_of(admin, marker)
            if backend and backend[1] == "Lock" and FunnelDay._meta.db_table in backend[2]:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the rollup never reached the funnel step: {backend}")
        pid = backend[0]
        # Before the kill, readers see the old rows (the run has not committed).
        assert DailyStoreMetrics.objects.get(store=shop.a, day=D1).gmv == OLD_GMV

        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
        blocker.rollback()  # release the lock: the orphaned backend goes on, then finds no client
        deadline = time.monotonic() + 60
        while _backend_of(admin, marker) is not None:
            assert time.monotonic() < deadline, "the killed run's backend did not end"
            time.sleep(0.2)
        with admin.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            assert cursor.fetchone()[0] == 0
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
        blocker.close()
        admin.close()

    # The killed run left nothing: the old rows, exactly.
    assert snapshot(shop.a) == old
    assert DailyStoreMetrics.objects.get(store=shop.a, day=D1).gmv == OLD_GMV
    # The retry (what Celery's late acknowledgement redelivers) completes it.
    rollup_day(store=shop.a, day=D1)
    assert DailyStoreMetrics.objects.get(store=shop.a, day=D1).gmv == NEW_GMV
    assert DailyStoreMetrics.objects.filter(store=shop.a, day=D1).count() == 1
