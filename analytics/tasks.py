"""Thin Celery tasks of the analytics engine: take ids and ISO dates, load, guard, call a service.

Every task is idempotent (a rollup replaces its unit's rows), retries only transient database
errors (``OperationalError``: lost connection, deadlock, serialization failure) with exponential
backoff and a bound, and runs on the ``analytics`` queue: a worker must listen on it,
``celery -A opsdesk worker -Q default,analytics``. Without REDIS_URL tasks run in-process.
"""

import datetime
import logging

from celery import chain, group, shared_task
from django.db import OperationalError

from analytics.dashboards import dashboard_cache_warm
from analytics.models import DailyStoreMetrics, StaleDay
from analytics.rfm import rfm_snapshot_write
from analytics.rollups.days import chunks, local_yesterday
from analytics.rollups.services import (
    DEFAULT_CHUNK_DAYS,
    rollup_day,
    rollup_range,
    rollup_stale,
)
from opsdesk.models import Store
from users.tiers import tiers_rollup

logger = logging.getLogger(__name__)

QUEUE = "analytics"
#: Days before yesterday that the nightly run re-checks for a missing rollup (a night the
#: worker was down is caught up the next night).
CATCH_UP_DAYS = 7
ONE_DAY = datetime.timedelta(days=1)

RETRYING = {
    "queue": QUEUE,
    "autoretry_for": (OperationalError,),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


def _store(store_id: int) -> Store | None:
    store = Store.objects.filter(pk=store_id).first()
    if store is None:
        logger.warning("analytics task: store %s is gone, skipping", store_id)
    return store


@shared_task(**RETRYING)
def rollup_store_day(store_id: int, day_iso: str) -> dict:
    """Roll up one store-local day (metrics and tiers) of one store."""
    store = _store(store_id)
    if store is None:
        return {"store_id": store_id, "skipped": True}
    result = rollup_day(store=store, day=datetime.date.fromisoformat(day_iso))
    return {"store_id": store_id, "day": day_iso, "rows": result.rows}


@shared_task(**RETRYING)
def rfm_snapshot(store_id: int, day_iso: str) -> dict:
    """Write the store's RFM snapshot as of a local day."""
    store = _store(store_id)
    if store is None:
        return {"store_id": store_id, "skipped": True}
    scored = rfm_snapshot_write(store=store, as_of=datetime.date.fromisoformat(day_iso))
    return {"store_id": store_id, "day": day_iso, "scored": scored}


@shared_task(**RETRYING)
def dashboard_cache_warm_task(store_id: int) -> int:
    """Compute and cache the dashboards' default views of the store (after its night's
    rollup: ``analytics.dashboards.dashboard_cache_warm``). Returns the results computed."""
    store = _store(store_id)
    if store is None:
        return 0
    return dashboard_cache_warm(store=store, today=local_yesterday(store.zone) + ONE_DAY)


@shared_task(queue=QUEUE)
def rollup_nightly() -> list[dict]:
    """Fan out per store: yesterday in the store's own time zone (metrics, then tiers, then
    RFM), plus any of the previous ``CATCH_UP_DAYS`` days that has no rollup yet; last, the
    dashboards' default views are computed into the cache, so the morning's first visitor
    does not wait for them."""
    planned = []
    for store in Store.objects.order_by("pk"):
        yesterday = local_yesterday(store.zone)
        first = yesterday - datetime.timedelta(days=CATCH_UP_DAYS)
        rolled = set(
            DailyStoreMetrics.objects.filter(
                store=store, day__range=(first, yesterday - datetime.timedelta(days=1))
            ).values_list("day", flat=True)
        )
        catch_up = [
            first + datetime.timedelta(days=offset)
            for offset in range(CATCH_UP_DAYS)
            if first + datetime.timedelta(days=offset) not in rolled
        ]
        steps = [rollup_store_day.si(store.pk, day.isoformat()) for day in catch_up]
        steps += [
            rollup_store_day.si(store.pk, yesterday.isoformat()),
            rfm_snapshot.si(store.pk, yesterday.isoformat()),
            dashboard_cache_warm_task.si(store.pk),
        ]
        chain(*steps).apply_async()
        planned.append(
            {"store_id": store.pk, "day": yesterday.isoformat(), "catch_up": len(catch_up)}
        )
    return planned


@shared_task(**RETRYING)
def rollup_store_range(store_id: int, start_iso: str, end_iso: str) -> dict:
    """Roll up the metric tables of one run of days (a back-fill chunk; tiers separately)."""
    store = _store(store_id)
    if store is None:
        return {"store_id": store_id, "skipped": True}
    result = rollup_range(
        store=store,
        start=datetime.date.fromisoformat(start_iso),
        end=datetime.date.fromisoformat(end_iso),
        tiers=False,
    )
    return {"store_id": store_id, "start": start_iso, "end": end_iso, "rows": result.rows}


@shared_task(**RETRYING)
def tiers_store_range(store_id: int, start_iso: str, end_iso: str) -> dict:
    """Roll the store's lifecycle tiers over a range (reads orders, not the metric rollups)."""
    store = _store(store_id)
    if store is None:
        return {"store_id": store_id, "skipped": True}
    result = tiers_rollup(
        store=store,
        start=datetime.date.fromisoformat(start_iso),
        end=datetime.date.fromisoformat(end_iso),
    )
    return {"store_id": store_id, "changes": result.changes}


@shared_task(queue=QUEUE)
def rollup_backfill(
    store_id: int, start_iso: str, end_iso: str, chunk_days: int = DEFAULT_CHUNK_DAYS
) -> int:
    """Back-fill ``[start, end]``: one task per run of ``chunk_days`` days, in parallel, and the
    tiers over the whole range (independent of the chunks). Returns the number of chunks."""
    start = datetime.date.fromisoformat(start_iso)
    end = datetime.date.fromisoformat(end_iso)
    if end < start:
        raise ValueError("end is before start")
    runs = list(chunks(start, end, chunk_days))
    group(
        *(rollup_store_range.si(store_id, a.isoformat(), b.isoformat()) for a, b in runs),
        tiers_store_range.si(store_id, start_iso, end_iso),
    ).apply_async()
    return len(runs)


@shared_task(**RETRYING)
def rollup_store_stale(store_id: int) -> int:
    """Re-roll the store's stale days (late refunds, imports), then warm the dashboards'
    default views again (the re-roll moved the store's generation, so the night's cached
    entries are no longer read)."""
    store = _store(store_id)
    if store is None:
        return 0
    rerolled = len(rollup_stale(store=store))
    if rerolled:
        dashboard_cache_warm(store=store, today=local_yesterday(store.zone) + ONE_DAY)
    return rerolled


@shared_task(queue=QUEUE)
def rollup_stale_days() -> list[int]:
    """Fan out ``rollup_store_stale`` for every store with stale days."""
    store_ids = sorted(set(StaleDay.objects.values_list("store_id", flat=True)))
    for store_id in store_ids:
        rollup_store_stale.delay(store_id)
    return store_ids


__all__ = [
    "dashboard_cache_warm_task",
    "rfm_snapshot",
    "rollup_backfill",
    "rollup_nightly",
    "rollup_stale_days",
    "rollup_store_day",
    "rollup_store_range",
    "rollup_store_stale",
    "tiers_store_range",
]
