"""Celery task for imports too large to run inside a web request (queue ``analytics``).

Discovered by ``opsdesk/celery.py`` (``autodiscover_tasks(["analytics.imports"])``), so a
worker started with ``-Q default,analytics`` runs it. The task is idempotent per run: a run
that is no longer pending (already finished, or re-delivered after a worker died mid-way) is
not run twice; a run interrupted mid-transaction committed nothing and is marked failed.
"""

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from analytics.models import ImportRun, ImportStatus
from opsdesk.audit import Actor
from opsdesk.models import AuditSource

logger = logging.getLogger(__name__)

QUEUE = "analytics"


@shared_task(queue=QUEUE)
def run_import(
    run_id: int,
    user_id: int | None = None,
    source: str = AuditSource.TASK,
    price_confirmation: str = "",
) -> dict:
    """Run a pending import run (or its dry run) and return its outcome; ``price_confirmation``
    is the preview's confirmation of the file's price cuts the import carries."""
    from .services import import_run

    run = ImportRun.objects.select_related("store").filter(pk=run_id).first()
    if run is None:
        logger.warning("import run %s is gone, skipping", run_id)
        return {"run": run_id, "skipped": True}
    if run.status != ImportStatus.PENDING:
        if run.status == ImportStatus.RUNNING:
            # Re-delivered after the worker died: that transaction was rolled back.
            run.status = ImportStatus.FAILED
            run.message = _(
                "Interrupted (the import stopped); nothing was written. Upload it again."
            )
            run.save(update_fields=["status", "message"])
        return {"run": run_id, "status": run.status, "skipped": True}
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    run = import_run(
        run, actor=Actor(user=user, source=source), price_confirmation=price_confirmation or None
    )
    return {
        "run": run_id,
        "status": run.status,
        "created": run.created,
        "updated": run.updated,
        "rejected": run.rejected,
    }


@shared_task
def purge_import_files() -> int:
    """Nightly (opsdesk/schedule.py): delete uploaded files of runs finished more than
    ``OPSDESK_IMPORT_RETENTION_DAYS`` ago; the run records stay. Returns files deleted."""
    from .services import purge_import_files as purge

    deleted = purge()
    logger.info("import_files_purged files=%s", deleted)
    return deleted
