""" "Run now" through a real Celery worker: the job a page click queues is sent through the
Redis broker, a separate worker process runs the playbook and records the job's progress in
the test database. Needs REDIS_URL and PostgreSQL (see tests/opsdesk/test_celery_worker.py);
skipped otherwise, a failure when OPSDESK_REQUIRE_WORKER=1 (CI)."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import CustomerFactory, StoreFactory, TierChangeFactory
from tests.opsdesk.test_celery_worker import (
    TASK_TIMEOUT,
    log_tail,
    start_worker,
    stop_worker,
    wait_until_ready,
    worker_available,  # noqa: F401 - fixture
)
from users.models import JobStatus, Playbook, PlaybookContact, PlaybookJob, Tier, TriggerKind
from users.tasks import playbook_run_job


@pytest.mark.worker
@pytest.mark.usefixtures("worker_available")
def test_worker_runs_a_queued_playbook_job(transactional_db, tmp_path):
    store = StoreFactory(slug="worker-playbooks")
    day = datetime.date(2026, 11, 20)
    customers = [CustomerFactory(store=store, external_id=f"w{i}") for i in range(5)]
    for customer in customers:
        TierChangeFactory(customer=customer, day=day, tier=Tier.DORMANT, previous_tier="active")
    playbook = Playbook.objects.create(
        store=store,
        name="Wake-up",
        trigger=TriggerKind.ENTERED_TIER,
        tier=Tier.DORMANT,
        holdout_share=Decimal("0"),
        enabled=True,
    )
    job = PlaybookJob.objects.create(
        store=store, playbook=playbook, day=day, requested_at=timezone.now()
    )
    run_id = uuid.uuid4().hex[:12]
    queue, hostname = f"opsdesk-test-{run_id}", f"opsdesk-test-{run_id}@localhost"
    log_path = tmp_path / "worker.log"

    worker = start_worker(queue=queue, hostname=hostname, log_path=log_path)
    try:
        wait_until_ready(worker, hostname, log_path)
        result = playbook_run_job.apply_async((job.pk,), queue=queue)
        try:
            returned = result.get(timeout=TASK_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - any failure is reported with the log
            pytest.fail(
                f"the task did not complete: {error!r}\n{log_tail(log_path)}", pytrace=False
            )
        finally:
            result.forget()
    finally:
        stop_worker(worker)

    job.refresh_from_db()
    assert (job.status, job.run_id, returned) == (JobStatus.DONE, returned, job.run_id)
    assert job.started_at is not None and job.finished_at is not None
    assert (job.run.triggered, job.run.contacted) == (5, 5)
    assert PlaybookContact.objects.filter(run=job.run).count() == 5
