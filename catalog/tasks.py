"""Celery tasks of the catalog. Thin: load, guard, work out the day, call a service."""

import datetime
import logging
import zoneinfo

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from opsdesk.localtime import local_day
from opsdesk.models import Store

from .services import stock_snapshot_take

logger = logging.getLogger(__name__)


@shared_task(
    # Only a transient database error (connection lost, server restarting, lock timeout) is
    # worth another try; anything else is a bug and must surface. The service is an
    # idempotent upsert, so a retry after a partial failure is safe.
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def snapshot_stock_for_store(store_id: int, day_iso: str | None = None) -> int:
    """Snapshot the stock of every SKU of store ``store_id`` for one store-local day.

    ``day_iso`` is that day as YYYY-MM-DD. Without it, the day is "today" in the store's time
    zone when the task runs. Returns the number of snapshot rows written; 0 when the store no
    longer exists (logged, not retried).
    """
    store = Store.objects.filter(pk=store_id).first()
    if store is None:
        logger.warning("stock_snapshot_skipped reason=store_gone store_id=%s", store_id)
        return 0
    if day_iso is None:
        day = local_day(store.zone, timezone.now())
    else:
        day = datetime.date.fromisoformat(day_iso)
    written = stock_snapshot_take(store=store, day=day)
    logger.info(
        "stock_snapshot_taken store_id=%s day=%s rows=%s", store.pk, day.isoformat(), written
    )
    return written


@shared_task
def snapshot_stock_all_stores(local_hour: int | None = None) -> int:
    """Enqueue one ``snapshot_stock_for_store`` per store; return how many were enqueued.

    With ``local_hour`` (0-23), only stores whose local clock is in that hour now are
    enqueued: the beat schedule runs this every hour with ``local_hour=23`` so that each store
    is snapshotted in the last hour of its own day (see ``opsdesk/schedule.py``). Without it,
    every store is enqueued.

    The local day is worked out here, once, and passed to each task, so a task that waits in
    a busy queue past midnight still writes the day it was meant for.
    """
    now = timezone.now()
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    for name in Store.objects.order_by().values_list("time_zone", flat=True).distinct():
        try:
            zones[name] = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            logger.error("stock_snapshot_skipped reason=unknown_time_zone time_zone=%r", name)
    if local_hour is not None:
        zones = {
            name: zone
            for name, zone in zones.items()
            if timezone.localtime(now, zone).hour == local_hour
        }
    # Materialised first: in eager mode each .delay() runs the snapshot inline, and it should
    # not run while a cursor over the stores is still open.
    stores = list(
        Store.objects.filter(time_zone__in=zones).order_by("pk").values_list("pk", "time_zone")
    )
    enqueued = 0
    for store_id, zone_name in stores:
        day = timezone.localtime(now, zones[zone_name]).date()
        snapshot_stock_for_store.delay(store_id, day.isoformat())
        enqueued += 1
    logger.info("stock_snapshot_fanned_out stores=%s local_hour=%s", enqueued, local_hour)
    return enqueued


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def compliance_scan_for_store(store_id: int) -> int:
    """Re-scan every SKU of store ``store_id`` for banned terms (nightly, and after the
    store's term list changed). Idempotent; returns the number of SKUs scanned, 0 when the
    store is gone."""
    from .compliance import compliance_scan_store

    store = Store.objects.filter(pk=store_id).first()
    if store is None:
        logger.warning("compliance_scan_skipped reason=store_gone store_id=%s", store_id)
        return 0
    return compliance_scan_store(store=store).skus


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def compliance_scan_sku_task(sku_id: int) -> int:
    """Scan one SKU after its title or description was saved. Returns open findings
    opened; 0 when the SKU is gone."""
    from .compliance import compliance_scan_sku
    from .models import Sku

    sku = Sku.objects.select_related("store").filter(pk=sku_id).first()
    if sku is None:
        return 0
    return compliance_scan_sku(sku=sku).opened


@shared_task
def compliance_scan_all_stores() -> int:
    """Enqueue one ``compliance_scan_for_store`` per store; returns how many."""
    store_ids = list(Store.objects.order_by("pk").values_list("pk", flat=True))
    for store_id in store_ids:
        compliance_scan_for_store.delay(store_id)
    logger.info("compliance_scan_fanned_out stores=%s", len(store_ids))
    return len(store_ids)
