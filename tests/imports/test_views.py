"""The import pages: upload -> preview -> confirm, mapping, error report, roles, scoping."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from analytics.models import ImportRun, ImportStatus, Order
from opsdesk.roles import Role
from tests.factories import StoreFactory

from .test_imports import ORDERS_WITH_BAD_ROW, TAOBAO_ORDERS

pytestmark = pytest.mark.django_db


def upload(client, preset, content, name="orders.csv", **extra):
    return client.post(
        reverse("import_list"),
        {"preset": preset, "file": SimpleUploadedFile(name, content), "encoding": "", **extra},
    )


def test_upload_preview_then_confirm(operator_client, store, django_capture_on_commit_callbacks):
    response = upload(operator_client, "taobao_orders", TAOBAO_ORDERS.encode("gbk"))
    preview = ImportRun.objects.get(store=store)
    assert response.status_code == 302
    assert response["Location"] == reverse("import_detail", args=[preview.pk])
    assert (preview.status, preview.dry_run, preview.created) == (ImportStatus.PREVIEWED, True, 4)
    assert not Order.objects.exists()
    page = operator_client.get(reverse("import_detail", args=[preview.pk]))
    html = page.content.decode()
    assert 'id="count-created">4<' in html and 'id="confirm-import"' in html
    with django_capture_on_commit_callbacks(execute=True):
        done = operator_client.post(reverse("import_confirm", args=[preview.pk]))
    real = ImportRun.objects.exclude(pk=preview.pk).get()
    assert done["Location"] == reverse("import_detail", args=[real.pk])
    assert (real.status, real.dry_run, real.created, real.sha256) == (
        ImportStatus.SUCCEEDED,
        False,
        4,
        preview.sha256,
    )
    assert Order.objects.filter(store=store).count() == 4
    assert Order.objects.get(number="1001").paid_at == datetime.datetime(
        2026, 10, 1, 2, 5, tzinfo=datetime.UTC
    )
    listing = operator_client.get(reverse("import_list")).content.decode()
    for run in (preview, real):
        assert f'href="{reverse("import_detail", args=[run.pk])}"' in listing


def test_bad_file_shows_and_downloads_the_error_report(operator_client, store):
    upload(operator_client, "generic_orders", ORDERS_WITH_BAD_ROW.encode())
    run = ImportRun.objects.get(store=store)
    assert run.status == ImportStatus.REJECTED
    html = operator_client.get(reverse("import_detail", args=[run.pk])).content.decode()
    assert "12.5x" in html and 'id="confirm-import"' not in html
    response = operator_client.get(reverse("import_errors", args=[run.pk]))
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    with translation.override("zh-hans"):  # the page's language
        header = [_("Row"), _("Column"), _("Value"), _("Reason")]
        reason = _("not an amount (use digits, e.g. 1234.50)")
    assert rows[0] == header
    assert rows[1] == ["3", "paid_amount", "12.5x", reason]
    assert len(rows) == 3
    # Confirming a rejected preview is refused.
    operator_client.post(reverse("import_confirm", args=[run.pk]))
    assert ImportRun.objects.count() == 1 and not Order.objects.exists()


def test_mapping_step_for_headers_that_differ(operator_client, store):
    text = (
        "Order No,Buyer,Placed,Paid,State,Amount\n"
        "M1,c1,2026-10-07 10:00,2026-10-07 10:01,paid,5.00\n"
    )
    upload(operator_client, "generic_orders", text.encode())
    run = ImportRun.objects.get(store=store)
    assert run.status == ImportStatus.NEEDS_MAPPING
    html = operator_client.get(reverse("import_detail", args=[run.pk])).content.decode()
    assert 'id="mapping-form"' in html and '<option value="Buyer">Buyer</option>' in html
    mapping = {
        "order_number": "Order No",
        "customer_id": "Buyer",
        "created_at": "Placed",
        "paid_at": "Paid",
        "status": "State",
        "paid_amount": "Amount",
    }
    operator_client.post(reverse("import_mapping", args=[run.pk]), mapping)
    again = ImportRun.objects.exclude(pk=run.pk).get()
    assert (again.status, again.created, again.mapping) == (ImportStatus.PREVIEWED, 1, mapping)
    operator_client.post(reverse("import_confirm", args=[again.pk]))
    assert Order.objects.get(store=store).paid_amount == Decimal("5.00")


def test_template_download_lists_every_column(operator_client):
    response = operator_client.get(reverse("import_template", args=["ad_spend"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["day", "channel", "spend", "impressions", "clicks"],
        ["2026-11-01", "paid_search", "300.00", "12000", "420"],
    ]
    assert operator_client.get(reverse("import_template", args=["nope"])).status_code == 404


def test_analyst_sees_history_but_cannot_upload(client, store, make_member):
    client.force_login(make_member(store, Role.ANALYST))
    page = client.get(reverse("import_list"))
    assert page.status_code == 200 and 'id="import-upload"' not in page.content.decode()
    response = upload(client, "generic_orders", ORDERS_WITH_BAD_ROW.encode())
    assert response.status_code == 403
    assert not ImportRun.objects.exists()


def test_runs_of_another_store_are_404(operator_client, store, run_import):
    other = StoreFactory(slug="elsewhere")
    theirs = run_import(other, "orders", TAOBAO_ORDERS.encode("gbk"), preset="taobao", dry_run=True)
    for name in ("import_detail", "import_errors"):
        assert operator_client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert operator_client.post(reverse("import_confirm", args=[theirs.pk])).status_code == 404
    assert not Order.objects.exists()


def test_every_downloaded_template_imports_as_is(operator_client, store, run_import):
    """The templates document the format: each one, as downloaded, imports cleanly."""
    for kind in ("skus", "customers", "orders", "order_lines", "refunds", "events", "ad_spend"):
        content = operator_client.get(reverse("import_template", args=[kind])).content
        run = run_import(store, kind, content, name=f"{kind}.csv")
        assert run.status == ImportStatus.SUCCEEDED, (kind, run.message, run.errors)
        assert run.created + run.updated + run.unchanged == 1, kind
    order = Order.objects.get(store=store, number="TB1001")
    assert (order.paid_amount, order.lines.get().sku.code) == (Decimal("100.00"), "TEA-01")
    assert order.refunds.get().number == "RF1001"
