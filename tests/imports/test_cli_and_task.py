"""The import_data command and the Celery task."""

import io

import pytest
from django.core.management import CommandError, call_command

from analytics.imports import services
from analytics.imports.services import create_run, start
from analytics.models import ImportRun, ImportStatus, Order
from opsdesk.audit import Actor
from opsdesk.celery import app
from opsdesk.models import AuditSource

from .test_imports import ORDERS_WITH_BAD_ROW, TAOBAO_ORDERS

pytestmark = pytest.mark.django_db


def write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_command_dry_run_then_import(store, tmp_path, django_capture_on_commit_callbacks):
    path = write(tmp_path, "订单报表.csv", TAOBAO_ORDERS.encode("gbk"))
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_data", "orders", path, "--store", store.slug, "--preset", "taobao", "--dry-run",
        stdout=out, stderr=err,
    )  # fmt: skip
    assert "[previewed]" in out.getvalue() and "Would write: 4 created" in out.getvalue()
    assert "100%" in err.getvalue()  # tqdm progress bar on stderr
    assert not Order.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "import_data", "orders", path, "--store", store.slug, "--preset", "taobao",
            "--no-progress", stdout=out,
        )  # fmt: skip
    assert Order.objects.filter(store=store).count() == 4


def test_command_reports_errors_and_fails(store, tmp_path):
    path = write(tmp_path, "o.csv", ORDERS_WITH_BAD_ROW.encode())
    report = tmp_path / "errors.csv"
    out = io.StringIO()
    with pytest.raises(CommandError, match="rejected"):
        call_command(
            "import_data", "orders", path, "--store", store.slug, "--no-progress",
            "--errors", str(report), stdout=out,
        )  # fmt: skip
    assert "row 3, column paid_amount, value '12.5x'" in out.getvalue()
    assert report.read_text(encoding="utf-8-sig").splitlines()[1].startswith("3,paid_amount,12.5x")
    with pytest.raises(CommandError, match="No store"):
        call_command("import_data", "orders", path, "--store", "nope")
    with pytest.raises(CommandError, match="No preset"):
        call_command("import_data", "orders", path, "--store", store.slug, "--preset", "jd")


def test_command_encoding_override_and_mapping(store, tmp_path):
    text = "Order No,Buyer,Placed,Paid,State,Amount\nM1,c1,2026-10-07 10:00,,created,5.00\n"
    path = write(tmp_path, "m.csv", text.encode("gb18030"))
    call_command(
        "import_data", "orders", path, "--store", store.slug, "--no-progress",
        "--encoding", "gb18030", "--map", "order_number=Order No", "--map", "customer_id=Buyer",
        "--map", "created_at=Placed", "--map", "status=State", "--map", "paid_amount=Amount",
        stdout=io.StringIO(),
    )  # fmt: skip
    run = ImportRun.objects.get()
    assert (run.encoding, run.status) == ("gb18030", ImportStatus.SUCCEEDED)


def test_task_is_registered_on_the_analytics_queue():
    app.loader.import_default_modules()
    task = app.tasks["analytics.imports.tasks.run_import"]
    assert task.queue == "analytics"


def test_large_file_runs_as_a_task(store, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "ASYNC_BYTES", 10)
    run = create_run(
        store=store, kind="orders", source=io.BytesIO(TAOBAO_ORDERS.encode("gbk")),
        file_name="big.csv", preset="taobao",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        returned = start(run, actor=Actor(user=None, source=AuditSource.API))
        assert returned.status == ImportStatus.PENDING  # queued, not run in the request
    run.refresh_from_db()
    assert (run.status, run.created) == (ImportStatus.SUCCEEDED, 4)
    # Re-delivery of a finished run does nothing.
    from analytics.imports.tasks import run_import

    assert run_import(run.pk)["skipped"] is True
    assert Order.objects.count() == 4
