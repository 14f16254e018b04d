"""What follows an import: the compliance scan of imported SKUs, the points and levels of the
customers it touched (the facts win over an imported balance), and the retention of uploaded
files (nightly purge, records kept)."""

import datetime
import io
import os
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.imports import services
from analytics.imports.services import FileGone, confirm_run, create_run, purge_import_files
from analytics.models import ImportRun, ImportStatus
from catalog.models import BannedTerm, ComplianceFinding, Sku
from opsdesk.celery import app
from opsdesk.models import AuditEntry
from opsdesk.schedule import BEAT_SCHEDULE
from tests.factories import CustomerFactory, SkuFactory, StoreFactory
from users.models import Customer, MemberLevel

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def shop():
    store = StoreFactory(slug="follow", time_zone="Asia/Shanghai", points_per_yuan=D("1.50"))
    BannedTerm.objects.create(store=store, term="最好")
    return store


# ------------------------------------------------------------------------------ compliance
SKUS = """sku_code,title,price,cost
TEA-1,全网最好的乌龙茶,99.00,40.00
TEA-2,红茶 100g,59.00,20.00
"""


def open_findings(store):
    return sorted(
        (f.sku.code, f.field, f.term, f.position)
        for f in ComplianceFinding.objects.filter(store=store, resolved_at__isnull=True)
    )


def test_imported_skus_are_scanned_like_an_edit(shop, run_import):
    run = run_import(shop, "skus", SKUS.encode())
    assert run.status == ImportStatus.SUCCEEDED and run.created == 2
    # "全网最好的乌龙茶": 最好 at characters 2-3.
    assert open_findings(shop) == [("TEA-1", "title", "最好", 2)]
    # A corrected title closes the finding; an unchanged re-import changes nothing.
    fixed = run_import(shop, "skus", SKUS.replace("全网最好的", "").encode())
    assert fixed.updated == 1 and open_findings(shop) == []
    assert ComplianceFinding.objects.filter(store=shop, resolved_at__isnull=False).count() == 1


def test_a_preview_or_a_rejected_file_opens_no_finding(shop, run_import):
    run_import(shop, "skus", SKUS.encode(), dry_run=True)
    run_import(shop, "skus", (SKUS + "TEA-3,最好,abc,1\n").encode())
    assert not ComplianceFinding.objects.exists() and not Sku.objects.exists()


def test_skus_created_by_an_orders_file_are_scanned(shop, run_import):
    shopify = (
        "Name,Email,Financial Status,Paid at,Created at,Lineitem quantity,Lineitem name,"
        "Lineitem price,Lineitem sku,Shipping,Discount Amount,Refunded Amount,Total,Source\n"
        "#1,a@example.com,paid,2026-10-03 09:00:00 +0800,2026-10-03 08:55:00 +0800,1,"
        "最好的杯子,15.00,CUP-9,0.00,0.00,0.00,15.00,web\n"
    )
    run = run_import(shop, "orders", shopify.encode(), preset="shopify")
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert open_findings(shop) == [("CUP-9", "title", "最好", 0)]


# ----------------------------------------------------------------------- points and levels
ORDERS = """order_number,customer_id,created_at,paid_at,status,paid_amount,sku_code,quantity,unit_price
P1,c1,2026-10-01 10:00:00,2026-10-01 10:01:00,paid,100.00,TEA-1,1,100.00
P2,c1,2026-10-02 10:00:00,2026-10-02 10:01:00,paid,33.33,TEA-1,1,33.33
P3,c2,2026-10-02 11:00:00,,created,50.00,TEA-1,1,50.00
"""  # noqa: E501


def test_orders_refunds_and_customers_imports_recompute_points(shop, run_import):
    """points = floor(net paid spend x 1.50); levels from cumulative spend (DOMAIN.md)."""
    SkuFactory(store=shop, code="TEA-1")
    MemberLevel.objects.create(store=shop, code="V1", name="V1", min_spend=D("0.01"))
    gold = MemberLevel.objects.create(store=shop, code="V2", name="V2", min_spend=D("120.00"))
    CustomerFactory(store=shop, external_id="c1", points=7)
    run_import(shop, "orders", ORDERS.encode())
    c1 = Customer.objects.get(store=shop, external_id="c1")
    # c1: 100 + 33.33 = 133.33 paid -> floor(199.995) = 199 points, V2 (>= 120).
    assert (c1.points, c1.member_level_id) == (199, gold.pk)
    c2 = Customer.objects.get(store=shop, external_id="c2")
    assert (c2.points, c2.member_level_id) == (0, None)  # created, never paid
    # A refund of 20 on P1 takes its points back: 113.33 x 1.5 = 169.995 -> 169, back to V1.
    refunds = "refund_number,order_number,amount,refunded_at\nR1,P1,20.00,2026-10-05 09:00:00\n"
    run_import(shop, "refunds", refunds.encode())
    c1.refresh_from_db()
    assert c1.points == 169 and c1.member_level.name == "V1"
    # An imported balance does not survive: the facts win (c3 has no orders: 0).
    customers = "customer_id,name,points\nc1,Chen,5000\nc3,Zhou,800\n"
    run = run_import(shop, "customers", customers.encode())
    assert run.status == ImportStatus.SUCCEEDED
    points = dict(Customer.objects.filter(store=shop).values_list("external_id", "points"))
    assert points == {"c1": 169, "c2": 0, "c3": 0}


def test_a_preview_recomputes_nothing(shop, run_import):
    SkuFactory(store=shop, code="TEA-1")
    CustomerFactory(store=shop, external_id="c1", points=7)
    run_import(shop, "orders", ORDERS.encode(), dry_run=True)
    assert Customer.objects.get(store=shop, external_id="c1").points == 7


# ------------------------------------------------------------------------------- retention
def _run(shop, run_import, *, days_ago: float, dry_run=False, status=None):
    run = run_import(shop, "customers", b"customer_id,name\nc9,Nine\n", dry_run=dry_run)
    when = timezone.now() - datetime.timedelta(days=days_ago)
    ImportRun.objects.filter(pk=run.pk).update(
        finished_at=when, created_at=when, **({"status": status} if status else {})
    )
    run.refresh_from_db()
    return run


def test_old_files_of_finished_runs_are_deleted_records_kept(shop, run_import, settings):
    settings.OPSDESK_IMPORT_RETENTION_DAYS = 30
    old = _run(shop, run_import, days_ago=31)
    old_preview = _run(shop, run_import, days_ago=45, dry_run=True)
    recent = _run(shop, run_import, days_ago=29)
    stuck = _run(shop, run_import, days_ago=60, status=ImportStatus.PENDING)
    paths = {run.pk: run.file_path for run in (old, old_preview, recent, stuck)}
    folder = services.import_dir() / str(shop.pk)
    orphan_old, orphan_new = folder / "orphan-old.csv", folder / "orphan-new.csv"
    for path, age in ((orphan_old, 40), (orphan_new, 1)):
        path.write_bytes(b"x")
        stamp = (timezone.now() - datetime.timedelta(days=age)).timestamp()
        os.utime(path, (stamp, stamp))

    assert purge_import_files() == 3  # old, old_preview, orphan_old

    for run in (old, old_preview, recent, stuck):
        run.refresh_from_db()
    assert (old.file_path, old_preview.file_path) == ("", "")
    assert not os.path.exists(paths[old.pk]) and not os.path.exists(paths[old_preview.pk])
    assert recent.file_path == paths[recent.pk] and os.path.exists(paths[recent.pk])
    assert stuck.file_path == paths[stuck.pk] and os.path.exists(paths[stuck.pk])
    assert not orphan_old.exists() and orphan_new.exists()
    # The records stay, with their counts.
    assert old.status == ImportStatus.SUCCEEDED and old.created == 1
    entry = AuditEntry.objects.get(store=shop, action="import.files_purged")
    assert entry.changes == {"runs": sorted([old.pk, old_preview.pk]), "retention_days": 30}
    assert purge_import_files() == 0  # idempotent


def test_a_purged_preview_cannot_be_confirmed_and_says_why(
    shop, run_import, operator_client, store
):
    preview = _run(store, run_import, days_ago=40, dry_run=True)
    purge_import_files(days=30)
    preview.refresh_from_db()
    with pytest.raises(FileGone, match="upload it again"):
        confirm_run(preview)
    page = operator_client.get(reverse("import_detail", args=[preview.pk])).content.decode()
    assert 'id="file-purged"' in page
    response = operator_client.post(reverse("import_confirm", args=[preview.pk]))
    assert response.status_code == 302
    assert ImportRun.objects.filter(store=store).count() == 1


def test_a_pending_run_whose_file_is_gone_fails_cleanly(shop):
    run = create_run(store=shop, kind="customers", source=io.BytesIO(b"customer_id\nx\n"),
                     file_name="c.csv")  # fmt: skip
    os.remove(run.file_path)
    from analytics.imports.services import import_run
    from opsdesk.audit import Actor
    from opsdesk.models import AuditSource

    run = import_run(run, actor=Actor(user=None, source=AuditSource.TASK))
    assert run.status == ImportStatus.FAILED and "upload it again" in run.message


def test_the_purge_runs_nightly():
    from analytics.imports.tasks import purge_import_files as task

    entry = BEAT_SCHEDULE["analytics-imports-purge-files"]
    assert task.name == entry["task"]
    assert entry["task"] == "analytics.imports.tasks.purge_import_files"
    assert entry["task"] in app.tasks


def test_a_large_import_recomputes_points_by_a_task_on_commit(shop, run_import, monkeypatch):
    monkeypatch.setattr(services, "MEMBERS_INLINE_UP_TO", 1)
    SkuFactory(store=shop, code="TEA-1")
    run_import(shop, "orders", ORDERS.encode())  # c1 and c2: above 1, queued on commit
    points = dict(Customer.objects.filter(store=shop).values_list("external_id", "points"))
    assert points == {"c1": 199, "c2": 0}
