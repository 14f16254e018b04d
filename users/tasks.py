"""Celery tasks of the users app. Thin: load, guard, work out the store-local day, call a
service. Heavy numeric work (the prediction fit) goes to the ``analytics`` queue."""

import datetime
import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.rollups.days import local_yesterday
from opsdesk.audit import Actor
from opsdesk.models import AuditSource, Store

from . import btyd
from .members import members_recompute
from .models import JobStatus, Playbook, PlaybookJob, RunStatus
from .playbooks import playbook_run, playbooks_install_ready_made
from .prediction import predictions_fit

logger = logging.getLogger(__name__)

TASK_ACTOR = Actor(user=None, source=AuditSource.TASK)
RETRY = {
    # Only a transient database error is worth another try; the services replace whole rows
    # for their (store, day), so a retry after a partial failure is safe.
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


def _store_and_day(store_id: int, day_iso: str | None, task: str):
    store = Store.objects.filter(pk=store_id).first()
    if store is None:
        logger.warning("%s_skipped reason=store_gone store_id=%s", task, store_id)
        return None, None
    day = datetime.date.fromisoformat(day_iso) if day_iso else local_yesterday(store.zone)
    return store, day


def _store_days() -> list[tuple[int, str]]:
    now = timezone.now()
    return [
        (store.pk, local_yesterday(store.zone, now).isoformat())
        for store in Store.objects.order_by("pk").only("pk", "time_zone")
    ]


@shared_task(**RETRY)
def members_recompute_for_store(store_id: int, day_iso: str | None = None) -> int:
    """Points and member levels of every customer of the store as of ``day_iso`` (default:
    the store's yesterday); returns the number of level changes."""
    store, day = _store_and_day(store_id, day_iso, "members_recompute")
    if store is None:
        return 0
    result = members_recompute(store=store, day=day)
    logger.info(
        "members_recomputed store_id=%s day=%s customers=%s level_changes=%s",
        store.pk,
        day,
        result.customers,
        result.level_changes,
    )
    return result.level_changes


@shared_task
def members_recompute_all_stores() -> int:
    """Enqueue ``members_recompute_for_store`` for every store's yesterday."""
    days = _store_days()
    for store_id, day_iso in days:
        members_recompute_for_store.delay(store_id, day_iso)
    return len(days)


@shared_task(queue="analytics", **RETRY)
def predictions_fit_for_store(store_id: int, day_iso: str | None = None) -> int | None:
    """Fit the churn/CLV models of one store as of ``day_iso`` (default: yesterday); returns
    the fit id, None when the store is gone or its history cannot identify the model."""
    store, day = _store_and_day(store_id, day_iso, "predictions_fit")
    if store is None:
        return None
    try:
        fit = predictions_fit(store=store, as_of=day)
    except btyd.FitError as exc:
        logger.info("predictions_fit_skipped store_id=%s reason=%s", store.pk, exc)
        return None
    return fit.pk


@shared_task
def predictions_fit_all_stores() -> int:
    """Enqueue ``predictions_fit_for_store`` for every store's yesterday."""
    days = _store_days()
    for store_id, day_iso in days:
        predictions_fit_for_store.delay(store_id, day_iso)
    return len(days)


@shared_task(**RETRY)
def playbook_run_for_day(playbook_id: int, day_iso: str) -> int | None:
    """Run one enabled playbook for one local day; returns the run id (None when the playbook
    is gone or was disabled meanwhile). Re-running a day replaces it with the same result."""
    playbook = Playbook.objects.select_related("store").filter(pk=playbook_id).first()
    if playbook is None or not playbook.enabled:
        return None
    run = playbook_run(
        playbook=playbook, day=datetime.date.fromisoformat(day_iso), actor=TASK_ACTOR
    )
    return run.pk


@shared_task
def playbooks_run_daily() -> int:
    """Install missing ready-made playbooks (disabled) in every store, then enqueue every
    enabled playbook for its store's yesterday. Returns the number enqueued."""
    now = timezone.now()
    enqueued = 0
    for store in list(Store.objects.order_by("pk")):
        playbooks_install_ready_made(store=store, actor=TASK_ACTOR)
        day_iso = local_yesterday(store.zone, now).isoformat()
        for playbook_id in list(
            Playbook.objects.filter(store=store, enabled=True).values_list("pk", flat=True)
        ):
            playbook_run_for_day.delay(playbook_id, day_iso)
            enqueued += 1
    return enqueued


@shared_task
def playbook_run_job(job_id: int) -> int | None:
    """Carry out an operator's "run now" (a ``PlaybookJob``), recording its progress on the
    job: running -> delivering (the webhook try number) -> done or failed. Returns the run
    id. A job that is no longer queued (delivered twice by the broker) is left alone."""
    claimed = PlaybookJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        logger.info("playbook_job_skipped job_id=%s reason=not_queued", job_id)
        return None
    job = PlaybookJob.objects.select_related("playbook__store", "requested_by").get(pk=job_id)
    playbook = job.playbook
    if not playbook.enabled:
        _job_finish(job, JobStatus.FAILED, error=_("The playbook was disabled before it ran."))
        return None
    actor = Actor(user=job.requested_by, source=AuditSource.WEB)

    def delivering(run, attempt: int) -> None:
        PlaybookJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DELIVERING, run=run, attempts=attempt
        )

    try:
        run = playbook_run(
            playbook=playbook, day=job.day, actor=actor, on_delivery_attempt=delivering
        )
    except Exception as exc:
        logger.exception("playbook_job_failed job_id=%s", job.pk)
        # Recorded on the job for the page (not re-raised: in eager mode that would turn the
        # operator's request into a server error instead of showing the failure).
        _job_finish(job, JobStatus.FAILED, error=f"{exc.__class__.__name__}: {exc}")
        return None
    job.run = run
    job.attempts = run.attempts
    status = JobStatus.FAILED if run.status == RunStatus.FAILED else JobStatus.DONE
    _job_finish(job, status, error=run.error)
    return run.pk


def _job_finish(job: PlaybookJob, status: str, *, error: str = "") -> None:
    job.status = status
    job.error = error[:1000]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "run", "attempts"])
