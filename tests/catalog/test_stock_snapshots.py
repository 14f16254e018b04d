"""Daily stock snapshots: ``catalog.services.stock_snapshot_take`` and the tasks around it."""

import datetime

import pytest
from celery.schedules import crontab
from django.db import OperationalError

from catalog import services, tasks
from catalog.models import SkuStatus, StockSnapshot
from catalog.services import stock_snapshot_take
from catalog.tasks import snapshot_stock_all_stores, snapshot_stock_for_store
from opsdesk.celery import app as celery_app
from opsdesk.localtime import local_day
from opsdesk.schedule import BEAT_SCHEDULE
from tests.factories import SkuFactory, StockSnapshotFactory, StoreFactory

DAY = datetime.date(2026, 11, 20)
UTC = datetime.UTC
# 17:30 UTC on 21 Nov 2026 is 01:30 on 22 Nov in Shanghai (UTC+8) and 09:30 on 21 Nov in
# Los Angeles (PST, UTC-8).
EVENING_UTC = datetime.datetime(2026, 11, 21, 17, 30, tzinfo=UTC)


def snapshot_rows(store) -> set[tuple[str, datetime.date, int]]:
    return set(StockSnapshot.objects.filter(store=store).values_list("sku__code", "day", "stock"))


def freeze_now(monkeypatch: pytest.MonkeyPatch, at: datetime.datetime) -> None:
    monkeypatch.setattr(tasks.timezone, "now", lambda: at)


@pytest.mark.django_db
def test_take_writes_one_row_per_sku_with_its_current_stock(store):
    SkuFactory(store=store, code="A", stock=5)
    SkuFactory(store=store, code="B", stock=0)
    SkuFactory(store=store, code="C", stock=12)

    written = stock_snapshot_take(store=store, day=DAY)

    assert written == 3
    assert snapshot_rows(store) == {("A", DAY, 5), ("B", DAY, 0), ("C", DAY, 12)}


@pytest.mark.django_db
def test_take_again_updates_stock_and_never_duplicates(store):
    sku_a = SkuFactory(store=store, code="A", stock=5)
    SkuFactory(store=store, code="B", stock=8)
    stock_snapshot_take(store=store, day=DAY)
    sku_a.stock = 2
    sku_a.save(update_fields=["stock"])

    written = stock_snapshot_take(store=store, day=DAY)

    assert written == 2
    assert StockSnapshot.objects.filter(store=store).count() == 2
    assert snapshot_rows(store) == {("A", DAY, 2), ("B", DAY, 8)}


@pytest.mark.django_db
def test_take_keeps_other_days(store):
    sku = SkuFactory(store=store, code="A", stock=5)
    StockSnapshotFactory(sku=sku, day=DAY - datetime.timedelta(days=1), stock=9)

    stock_snapshot_take(store=store, day=DAY)

    assert snapshot_rows(store) == {("A", DAY - datetime.timedelta(days=1), 9), ("A", DAY, 5)}


@pytest.mark.django_db
def test_take_leaves_other_stores_untouched(store, other_store):
    SkuFactory(store=store, code="MINE", stock=5)
    other_sku = SkuFactory(store=other_store, code="THEIRS", stock=40)
    StockSnapshotFactory(sku=other_sku, day=DAY, stock=7)

    written = stock_snapshot_take(store=store, day=DAY)

    assert written == 1
    assert snapshot_rows(store) == {("MINE", DAY, 5)}
    # The other store's row keeps its old stock (not 40) and it got no new row.
    assert snapshot_rows(other_store) == {("THEIRS", DAY, 7)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "snapshotted"),
    [(SkuStatus.ON_SHELF, True), (SkuStatus.OFF_SHELF, True), (SkuStatus.DELISTED, False)],
)
def test_take_skips_only_delisted_skus(store, status, snapshotted):
    SkuFactory(store=store, code="X", stock=3, status=status)

    written = stock_snapshot_take(store=store, day=DAY)

    assert written == (1 if snapshotted else 0)
    assert snapshot_rows(store) == ({("X", DAY, 3)} if snapshotted else set())


@pytest.mark.django_db
def test_take_on_a_store_without_skus_writes_nothing(store):
    assert stock_snapshot_take(store=store, day=DAY) == 0
    assert not StockSnapshot.objects.exists()


@pytest.mark.django_db
def test_take_writes_in_batches(store, monkeypatch):
    monkeypatch.setattr(services, "STOCK_SNAPSHOT_BATCH_SIZE", 2)
    for index in range(5):
        SkuFactory(store=store, code=f"S{index}", stock=index)

    written = stock_snapshot_take(store=store, day=DAY)

    assert written == 5
    assert snapshot_rows(store) == {(f"S{index}", DAY, index) for index in range(5)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("time_zone", "expected"),
    [
        ("Asia/Shanghai", datetime.date(2026, 11, 22)),
        ("America/Los_Angeles", datetime.date(2026, 11, 21)),
        ("UTC", datetime.date(2026, 11, 21)),
    ],
)
def test_local_day_is_the_calendar_day_in_the_store_time_zone(time_zone, expected):
    store = StoreFactory(time_zone=time_zone)

    assert local_day(store.zone, EVENING_UTC) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("time_zone", "expected"),
    [
        ("Asia/Shanghai", datetime.date(2026, 11, 22)),
        ("America/Los_Angeles", datetime.date(2026, 11, 21)),
    ],
)
def test_task_without_day_snapshots_today_in_the_store_time_zone(monkeypatch, time_zone, expected):
    store = StoreFactory(time_zone=time_zone)
    SkuFactory(store=store, code="A", stock=4)
    freeze_now(monkeypatch, EVENING_UTC)

    written = snapshot_stock_for_store(store.pk)

    assert written == 1
    assert snapshot_rows(store) == {("A", expected, 4)}


@pytest.mark.django_db
def test_task_with_day_snapshots_that_day(store):
    SkuFactory(store=store, code="A", stock=4)

    written = snapshot_stock_for_store(store.pk, "2026-11-20")

    assert written == 1
    assert snapshot_rows(store) == {("A", DAY, 4)}


@pytest.mark.django_db
def test_task_for_a_deleted_store_returns_without_writing(store):
    SkuFactory(store=store, code="A", stock=4)
    store_id = store.pk
    store.delete()

    assert snapshot_stock_for_store(store_id, "2026-11-20") == 0
    assert not StockSnapshot.objects.exists()


@pytest.fixture
def errors_kept_in_result():
    """``Task.apply()`` then follows retries and keeps a final error in its result, whether or
    not the embedded settings make eager tasks propagate errors."""
    before = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = before


@pytest.mark.django_db
@pytest.mark.usefixtures("errors_kept_in_result")
def test_task_retries_a_transient_database_error(store, monkeypatch):
    calls = []

    def flaky_take(*, store, day):
        calls.append(day)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return 3

    monkeypatch.setattr(tasks, "stock_snapshot_take", flaky_take)

    # .apply() runs the task here, with Celery's retry machinery (retried at once, without
    # the backoff delay), whatever the broker.
    result = snapshot_stock_for_store.apply((store.pk, "2026-11-20"))

    assert result.get() == 3
    assert calls == [DAY, DAY]


@pytest.mark.django_db
@pytest.mark.usefixtures("errors_kept_in_result")
def test_task_gives_up_after_a_bounded_number_of_retries(store, monkeypatch):
    calls = []

    def broken_take(*, store, day):
        calls.append(day)
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(tasks, "stock_snapshot_take", broken_take)

    result = snapshot_stock_for_store.apply((store.pk, "2026-11-20"))

    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert len(calls) == snapshot_stock_for_store.max_retries + 1 == 6


@pytest.mark.django_db
@pytest.mark.usefixtures("errors_kept_in_result")
def test_task_does_not_retry_other_errors(store, monkeypatch):
    calls = []

    def buggy_take(*, store, day):
        calls.append(day)
        raise ValueError("a bug")

    monkeypatch.setattr(tasks, "stock_snapshot_take", buggy_take)

    result = snapshot_stock_for_store.apply((store.pk, "2026-11-20"))

    assert result.failed()
    assert isinstance(result.result, ValueError)
    assert calls == [DAY]


class RecordingTask:
    """Stands in for ``snapshot_stock_for_store`` so the fan-out's .delay() calls are seen
    (and nothing is sent to a real broker when REDIS_URL is set)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    def delay(self, store_id: int, day_iso: str) -> None:
        self.calls.append((store_id, day_iso))


@pytest.fixture
def recording_task(monkeypatch) -> RecordingTask:
    recorder = RecordingTask()
    monkeypatch.setattr(tasks, "snapshot_stock_for_store", recorder)
    return recorder


@pytest.mark.django_db
def test_fan_out_enqueues_every_store_with_its_own_local_day(monkeypatch, recording_task):
    shanghai = StoreFactory(time_zone="Asia/Shanghai")
    los_angeles = StoreFactory(time_zone="America/Los_Angeles")
    freeze_now(monkeypatch, EVENING_UTC)

    enqueued = snapshot_stock_all_stores()

    assert enqueued == 2
    assert sorted(recording_task.calls) == sorted(
        [(shanghai.pk, "2026-11-22"), (los_angeles.pk, "2026-11-21")]
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "expected_zone", "expected_day"),
    [
        # 15:55 UTC = 23:55 in Shanghai (21 Nov) and 07:55 in Los Angeles.
        (datetime.datetime(2026, 11, 21, 15, 55, tzinfo=UTC), "Asia/Shanghai", "2026-11-21"),
        # 07:55 UTC on 22 Nov = 23:55 on 21 Nov in Los Angeles (PST) and 15:55 in Shanghai.
        (
            datetime.datetime(2026, 11, 22, 7, 55, tzinfo=UTC),
            "America/Los_Angeles",
            "2026-11-21",
        ),
        # In summer Los Angeles is on PDT (UTC-7): 06:55 UTC = 23:55 the day before.
        (
            datetime.datetime(2026, 7, 2, 6, 55, tzinfo=UTC),
            "America/Los_Angeles",
            "2026-07-01",
        ),
    ],
)
def test_fan_out_for_a_local_hour_enqueues_only_stores_in_that_hour(
    monkeypatch, recording_task, now, expected_zone, expected_day
):
    stores = {
        zone: StoreFactory(time_zone=zone) for zone in ("Asia/Shanghai", "America/Los_Angeles")
    }
    freeze_now(monkeypatch, now)

    enqueued = snapshot_stock_all_stores(local_hour=23)

    assert enqueued == 1
    assert recording_task.calls == [(stores[expected_zone].pk, expected_day)]


@pytest.mark.django_db
def test_fan_out_with_no_store_in_the_hour_enqueues_nothing(monkeypatch, recording_task, store):
    # 04:00 UTC is noon in Shanghai.
    freeze_now(monkeypatch, datetime.datetime(2026, 11, 21, 4, 0, tzinfo=UTC))

    assert snapshot_stock_all_stores(local_hour=23) == 0
    assert recording_task.calls == []


def test_beat_runs_the_fan_out_hourly_for_stores_in_their_last_local_hour():
    entry = BEAT_SCHEDULE["catalog-stock-snapshot"]

    assert entry["task"] == "catalog.tasks.snapshot_stock_all_stores"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == crontab(minute=55)
    assert entry["kwargs"] == {"local_hour": 23}


def test_snapshot_task_goes_to_the_default_queue():
    assert celery_app.amqp.router.route({}, snapshot_stock_for_store.name)["queue"].name == (
        "default"
    )
