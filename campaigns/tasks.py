"""Celery tasks of the campaigns. Thin: load, guard, work out the day, call a service."""

import datetime
import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from opsdesk.localtime import local_day
from opsdesk.models import Store

from .models import Campaign
from .services import campaign_hours_refresh

logger = logging.getLogger(__name__)

HOUR = datetime.timedelta(hours=1)


@shared_task(
    # Only a transient database error is worth another try; the refresh is an idempotent
    # upsert on (campaign, hour), so a retry after a partial failure is safe.
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=3,
)
def refresh_campaign_hours(campaign_id: int, day_iso: str) -> int:
    """Recompute the hourly monitoring rows of campaign ``campaign_id`` for one store-local
    day (YYYY-MM-DD). Returns the hours written; 0 when the campaign is gone or the day is no
    longer one of its pre-heat or burst days (its dates were edited): logged, not retried."""
    campaign = Campaign.objects.select_related("store").filter(pk=campaign_id).first()
    day = datetime.date.fromisoformat(day_iso)
    if campaign is None or not campaign.preheat_start <= day <= campaign.burst_end:
        logger.warning(
            "campaign_hours_skipped campaign_id=%s day=%s reason=%s",
            campaign_id,
            day_iso,
            "campaign_gone" if campaign is None else "not_monitored",
        )
        return 0
    written = campaign_hours_refresh(campaign=campaign, day=day)
    logger.info(
        "campaign_hours_refreshed campaign_id=%s day=%s hours=%s", campaign_id, day_iso, written
    )
    return written


@shared_task
def refresh_running_campaigns() -> int:
    """Enqueue ``refresh_campaign_hours`` for every campaign in pre-heat or burst today, in
    each store's own time zone; in the first hour of a store's day also for yesterday, so the
    last hour of yesterday is completed. Returns how many tasks were enqueued."""
    now = timezone.now()
    enqueued = 0
    for store in Store.objects.all().only("pk", "time_zone").iterator():
        today = local_day(store.zone, now)
        days = [today]
        if local_day(store.zone, now - HOUR) != today:
            days.append(today - datetime.timedelta(days=1))
        for day in days:
            running = Campaign.objects.filter(
                store=store, preheat_start__lte=day, burst_end__gte=day
            ).values_list("pk", flat=True)
            for campaign_id in running:
                refresh_campaign_hours.delay(campaign_id, day.isoformat())
                enqueued += 1
    return enqueued
