"""A real Celery round trip: a task sent through the Redis broker is run by a separate worker
process, which writes to the test database, and its result comes back through the result
backend.

Needs ``REDIS_URL`` (a broker) and a PostgreSQL ``DATABASE_URL``: the worker is another
process, so it must reach the same test database, which SQLite's in-memory test database
cannot offer. Without them the test is skipped with the reason, unless
``OPSDESK_REQUIRE_WORKER=1`` (set by CI's PostgreSQL pass), which turns the skip into a
failure.
"""

import ctypes
import ctypes.util
import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from catalog.models import StockSnapshot
from catalog.tasks import snapshot_stock_for_store
from opsdesk.celery import app as celery_app
from opsdesk.schedule import BEAT_SCHEDULE
from tests.factories import SkuFactory, StoreFactory

WORKER_READY_TIMEOUT = 60.0  # seconds; the worker imports Django and every app's tasks
TASK_TIMEOUT = 60.0


def worker_unavailable_reason() -> str | None:
    """Why a worker round trip cannot run with these settings, or None when it can."""
    if not settings.REDIS_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        return (
            "REDIS_URL is not set, so tasks run in-process (eager) and there is no broker for "
            "a worker; set REDIS_URL=redis://127.0.0.1:6379/15 to run it"
        )
    if connection.vendor != "postgresql":
        return (
            f"the test database is {connection.vendor}, which a separate worker process "
            "cannot share; set DATABASE_URL to a PostgreSQL database to run it"
        )
    return None


@pytest.fixture
def worker_available() -> None:
    reason = worker_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("OPSDESK_REQUIRE_WORKER") == "1":
        pytest.fail(f"OPSDESK_REQUIRE_WORKER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL that points a new process at the database of ``settings_dict``."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(settings_dict.get("HOST") or "", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    name = quote(settings_dict["NAME"], safe="")
    return f"postgres://{credentials}{host}{port}/{name}"


def die_with_parent() -> None:
    """Runs in the worker before exec: the kernel sends it SIGTERM when the test process dies,
    even by SIGKILL (a CI timeout), so no worker outlives its test run."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def start_worker(*, queue: str, hostname: str, log_path: Path) -> subprocess.Popen:
    """Start ``celery -A opsdesk worker`` on the test database, in its own process group."""
    environment = {
        **os.environ,
        # The test database (test_<name>), not the database DATABASE_URL names.
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "opsdesk",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        # A queue of this run only: no other worker on the same Redis can take the task, and
        # this worker takes nothing left over from other runs.
        "-Q",
        queue,
        "-n",
        hostname,
        "--loglevel=INFO",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    return start_process(command, environment=environment, log_path=log_path)


def start_process(command: list[str], *, environment: dict, log_path: Path) -> subprocess.Popen:
    """Run ``command`` in the project folder, in its own process group, its output to
    ``log_path``; it dies with the test process."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )


def stop_worker(worker: subprocess.Popen) -> None:
    """Stop the worker and everything it started; never leaves a process behind."""
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=15)


def wait_until_ready(worker: subprocess.Popen, hostname: str, log_path: Path) -> None:
    deadline = time.monotonic() + WORKER_READY_TIMEOUT
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(
                f"the worker exited with code {worker.returncode}:\n{log_tail(log_path)}",
                pytrace=False,
            )
        if celery_app.control.ping(destination=[hostname], timeout=1.0):
            return
    pytest.fail(
        f"the worker did not answer a ping within {WORKER_READY_TIMEOUT:.0f}s:\n"
        f"{log_tail(log_path)}",
        pytrace=False,
    )


def log_tail(log_path: Path, lines: int = 60) -> str:
    text = log_path.read_text(errors="replace") if log_path.exists() else "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def test_every_beat_entry_names_a_task_the_worker_knows():
    celery_app.loader.import_default_modules()

    unknown = {name: entry["task"] for name, entry in BEAT_SCHEDULE.items()}
    unknown = {name: task for name, task in unknown.items() if task not in celery_app.tasks}

    assert BEAT_SCHEDULE
    assert unknown == {}


@pytest.mark.worker
@pytest.mark.usefixtures("worker_available")
def test_worker_takes_a_stock_snapshot_sent_through_the_broker(transactional_db, tmp_path):
    # Given a store with two SKUs, committed so the worker process sees them
    store = StoreFactory(slug="worker-store")
    SkuFactory(store=store, code="TEA-1", stock=17)
    SkuFactory(store=store, code="TEA-2", stock=0)
    other_store = StoreFactory(slug="worker-other-store")
    SkuFactory(store=other_store, code="OTHER-1", stock=5)
    run = uuid.uuid4().hex[:12]
    queue = f"opsdesk-test-{run}"
    hostname = f"opsdesk-test-{run}@localhost"
    log_path = tmp_path / "worker.log"

    worker = start_worker(queue=queue, hostname=hostname, log_path=log_path)
    try:
        wait_until_ready(worker, hostname, log_path)

        # When the task is sent through the broker
        result = snapshot_stock_for_store.apply_async((store.pk, "2026-11-20"), queue=queue)
        try:
            written = result.get(timeout=TASK_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - any failure is reported with the log
            pytest.fail(
                f"the task did not complete: {error!r}\n{log_tail(log_path)}", pytrace=False
            )
        finally:
            result.forget()
    finally:
        stop_worker(worker)

    # Then the worker wrote one row per SKU of that store only, and said how many
    assert written == 2
    assert set(StockSnapshot.objects.values_list("store_id", "sku__code", "day", "stock")) == {
        (store.pk, "TEA-1", datetime.date(2026, 11, 20), 17),
        (store.pk, "TEA-2", datetime.date(2026, 11, 20), 0),
    }
    assert "stock_snapshot_taken" in log_path.read_text(errors="replace")
