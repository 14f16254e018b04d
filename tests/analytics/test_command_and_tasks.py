import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics import tasks
from analytics.models import DailyStoreMetrics, RfmScore, StaleDay
from analytics.rollups.days import local_yesterday
from analytics.rollups.services import mark_days_stale
from tests.analytics.handworked import D1, D3, build_shop
from tests.factories import OrderFactory, StoreFactory
from users.models import TierChange

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("rollup", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_range_with_progress():
    shop = build_shop()
    out, err = run("--store", "tea-house", "--from", D1.isoformat(), "--to", D3.isoformat())
    assert "tea-house: rolled up 3 days" in out
    assert "3/3" in err  # the tqdm bar
    assert set(DailyStoreMetrics.objects.filter(store=shop.a).values_list("day", flat=True)) == {
        D1,
        D1 + datetime.timedelta(days=1),
        D3,
    }
    assert not DailyStoreMetrics.objects.filter(store=shop.b).exists()
    assert TierChange.objects.filter(store=shop.a).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "nope"], "No store with slug 'nope'"),
        (["--all", "--from", "2026-13-01", "--to", "2026-12-01"], "is not a date"),
        (["--all", "--from", "2026-11-03", "--to", "2026-11-01"], "is before --from"),
        (["--all", "--to", "2026-11-01"], "--to needs --from"),
        (["--all", "--stale", "--from", "2026-11-01"], "cannot be combined"),
    ],
)
def test_command_errors(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_command_requires_store_or_all(db):
    with pytest.raises(CommandError):
        run()


def test_command_if_needed_rolls_only_missing_and_stale_days():
    store = StoreFactory(slug="needy")
    yesterday = local_yesterday(store.zone)
    paid = timezone.now() - datetime.timedelta(days=3)
    OrderFactory(store=store, created_at=paid, paid_at=paid)
    out, _err = run("--store", "needy", "--if-needed", "--no-progress")
    days = set(DailyStoreMetrics.objects.filter(store=store).values_list("day", flat=True))
    assert max(days) == yesterday and len(days) in (3, 4)
    out, _err = run("--store", "needy", "--if-needed", "--no-progress")
    assert "rolled up 0 days" in out  # nothing left to do
    mark_days_stale(store=store, days=[yesterday])
    out, _err = run("--store", "needy", "--if-needed", "--no-progress")
    assert "rolled up 1 days" in out
    assert not StaleDay.objects.filter(store=store).exists()


def test_command_stale(db):
    shop = build_shop()
    mark_days_stale(store=shop.a, days=[D1])
    out, _err = run("--all", "--stale")
    assert "tea-house: re-rolled 1 stale days" in out
    assert DailyStoreMetrics.objects.filter(store=shop.a, day=D1).exists()


def test_task_rollup_store_day_eager():
    shop = build_shop()
    result = tasks.rollup_store_day.delay(shop.a.pk, D1.isoformat()).get()
    assert result["rows"]["store_rows"] == 1
    assert DailyStoreMetrics.objects.get(store=shop.a, day=D1).gmv == 200
    # A store deleted meanwhile: the task returns quietly.
    assert tasks.rollup_store_day.delay(999_999, D1.isoformat()).get()["skipped"] is True


def test_task_nightly_rolls_yesterday_tiers_and_rfm_per_store():
    a = StoreFactory(slug="sh", time_zone="Asia/Shanghai")
    b = StoreFactory(slug="la", time_zone="America/Los_Angeles")
    for store in (a, b):
        paid = datetime.datetime.combine(
            local_yesterday(store.zone), datetime.time(12), tzinfo=store.zone
        )
        OrderFactory(store=store, created_at=paid, paid_at=paid)
    planned = tasks.rollup_nightly.delay().get()
    assert {p["store_id"] for p in planned} == {a.pk, b.pk}
    for store in (a, b):
        yesterday = local_yesterday(store.zone)
        assert DailyStoreMetrics.objects.get(store=store, day=yesterday).paid_orders == 1
        # The 7 days before were missing: caught up.
        assert DailyStoreMetrics.objects.filter(store=store).count() == 8
        assert RfmScore.objects.filter(store=store, as_of=yesterday).count() == 1
        assert TierChange.objects.filter(store=store, day=yesterday, tier="new").count() == 1


def test_task_backfill_and_stale_eager():
    shop = build_shop()
    assert tasks.rollup_backfill.delay(shop.a.pk, D1.isoformat(), D3.isoformat(), 2).get() == 2
    assert DailyStoreMetrics.objects.filter(store=shop.a).count() == 3
    mark_days_stale(store=shop.a, days=[D1])
    assert tasks.rollup_stale_days.delay().get() == [shop.a.pk]
    assert not StaleDay.objects.exists()
    with pytest.raises(ValueError):
        tasks.rollup_backfill.delay(shop.a.pk, D3.isoformat(), D1.isoformat()).get()


def test_tasks_route_to_the_analytics_queue():
    for task in (
        tasks.rollup_store_day,
        tasks.rollup_nightly,
        tasks.rollup_backfill,
        tasks.rollup_stale_days,
        tasks.rfm_snapshot,
    ):
        assert task.queue == "analytics"
    assert tasks.rollup_store_day.autoretry_for and tasks.rollup_store_day.max_retries == 5
