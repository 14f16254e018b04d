"""Price protection (保价) in SKU imports: a file's price cuts that expose paid orders are listed
by the preview (service, command line, API, page) and written only with a confirmation of
exactly those figures; the price history notes the exposure, as ``sku_update`` does.

The fixture, worked out by hand (the store's protection window is 30 days; "ago" is before
the test runs):

TEA-01 at 199.00, the file cuts it to 159.00:
  order A,  2 days ago, 2 x 199.00 -> (199 - 159) x 2 = 80.00  exposed
  order B, 10 days ago, 1 x 179.00 -> (179 - 159) x 1 = 20.00  exposed
  order C,  5 days ago, 3 x 150.00 -> paid below 159.00: nothing
  order D, 45 days ago, 5 x 199.00 -> outside the 30 days: nothing
  order E,  1 day ago,  4 x 199.00, refunded -> nothing
  => 2 orders (A, B), 2 + 1 = 3 units, up to 80.00 + 20.00 = 100.00.
CUP-01 at 50.00, cut to 45.00:
  order F,  3 days ago, 4 x 50.00 -> (50 - 45) x 4 = 20.00  => 1 order, 4 units, 20.00.
POT-01 at 300.00, cut to 280.00: never sold -> a cut without exposure.
BOWL-01 at 30.00, raised to 35.00: sold 2 days ago 2 x 30.00 -> nobody paid more than 35.00:
  nothing to confirm.
"""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape

from analytics.imports import kinds, services
from analytics.imports.services import create_run, start
from analytics.models import ImportRun, ImportStatus, OrderStatus
from catalog.models import PriceChange, Sku
from opsdesk.audit import Actor
from opsdesk.models import AuditEntry, AuditSource
from tests.conftest import second_connection
from tests.factories import SkuFactory, sold

from .test_api import api, url  # noqa: F401 (the API client fixture)
from .test_cli_and_task import write
from .test_views import upload

pytestmark = pytest.mark.django_db
D = Decimal

PRICES = """sku_code,title,price,cost
TEA-01,Oolong 250g,159.00,60.00
CUP-01,Tea cup,45.00,10.00
POT-01,Tea pot,280.00,100.00
BOWL-01,Bowl,35.00,8.00
"""
#: Rows 2 and 3 of PRICES as the error report and ``price_cuts`` give them.
TEA_CUT = {
    "row": 2,
    "sku_code": "TEA-01",
    "old_price": "199.00",
    "new_price": "159.00",
    "orders": 2,
    "units": 3,
    "amount": "100.00",
}
CUP_CUT = {
    "row": 3,
    "sku_code": "CUP-01",
    "old_price": "50.00",
    "new_price": "45.00",
    "orders": 1,
    "units": 4,
    "amount": "20.00",
}
TEA_FIGURES = "TEA-01 ¥199.00 → ¥159.00: 2 order(s), 3 unit(s), up to ¥100.00"
CUP_FIGURES = "CUP-01 ¥50.00 → ¥45.00: 1 order(s), 4 unit(s), up to ¥20.00"
BEFORE = {"TEA-01": D("199.00"), "CUP-01": D("50.00"), "POT-01": D("300.00"), "BOWL-01": D("30.00")}
AFTER = {"TEA-01": D("159.00"), "CUP-01": D("45.00"), "POT-01": D("280.00"), "BOWL-01": D("35.00")}


@pytest.fixture
def shelf(store):
    """The four SKUs and their sales of the module docstring."""
    tea = SkuFactory(store=store, code="TEA-01", title="Oolong 250g", price="199.00", cost="60")
    cup = SkuFactory(store=store, code="CUP-01", title="Tea cup", price="50.00", cost="10")
    SkuFactory(store=store, code="POT-01", title="Tea pot", price="300.00", cost="100")
    bowl = SkuFactory(store=store, code="BOWL-01", title="Bowl", price="30.00", cost="8")
    sold(tea, days_ago=2, unit_price="199.00", quantity=2)  # A
    sold(tea, days_ago=10, unit_price="179.00", quantity=1)  # B
    sold(tea, days_ago=5, unit_price="150.00", quantity=3)  # C
    sold(tea, days_ago=45, unit_price="199.00", quantity=5)  # D
    sold(tea, days_ago=1, unit_price="199.00", quantity=4, status=OrderStatus.REFUNDED)  # E
    sold(cup, days_ago=3, unit_price="50.00", quantity=4)  # F
    sold(bowl, days_ago=2, unit_price="30.00", quantity=2)
    return store


def prices(store) -> dict[str, Decimal]:
    return dict(Sku.objects.filter(store=store).values_list("code", "price"))


def assert_nothing_written(store) -> None:
    assert prices(store) == BEFORE
    assert not PriceChange.objects.exists()
    assert not AuditEntry.objects.filter(action="import.skus").exists()


def notes(store) -> dict[str, str]:
    return dict(PriceChange.objects.filter(store=store).values_list("sku__code", "note"))


# --- the service -------------------------------------------------------------------------------


def test_preview_lists_every_exposing_cut_with_its_figures(shelf, run_import):
    preview = run_import(shelf, "skus", PRICES.encode(), dry_run=True)

    assert preview.status == ImportStatus.PREVIEWED, preview.errors
    assert (preview.updated, preview.errors) == (4, [])
    # POT-01 (never sold) and BOWL-01 (raised above what it sold at) have nothing to confirm.
    assert preview.price_cuts == [TEA_CUT, CUP_CUT]
    assert preview.price_cuts_confirmation
    assert_nothing_written(shelf)


def test_preview_works_out_the_exposure_once_per_batch_of_skus(shelf, run_import, monkeypatch):
    calls = []
    real = kinds.price_change_previews

    def spy(*, skus, new_prices, **kw):
        calls.append(sorted(sku.pk for sku in skus))
        return real(skus=skus, new_prices=new_prices, **kw)

    monkeypatch.setattr(kinds, "price_change_previews", spy)
    monkeypatch.setattr(kinds, "BATCH", 2)
    ids = dict(Sku.objects.filter(store=shelf).values_list("code", "pk"))

    preview = run_import(shelf, "skus", PRICES.encode(), dry_run=True)

    # Two batches of two rows: the changed prices of each in one call.
    assert calls == [
        sorted([ids["TEA-01"], ids["CUP-01"]]),
        sorted([ids["POT-01"], ids["BOWL-01"]]),
    ]
    assert preview.price_cuts == [TEA_CUT, CUP_CUT]


def test_import_without_confirmation_writes_nothing_and_names_the_cuts(shelf, run_import):
    run = run_import(shelf, "skus", PRICES.encode())

    assert run.status == ImportStatus.REJECTED
    assert (run.created, run.updated, run.unchanged, run.rejected) == (0, 0, 0, 2)
    assert run.message == (
        f"Nothing was written: 2 price cuts expose paid orders to price-protection claims: "
        f"{TEA_FIGURES}; {CUP_FIGURES}. Preview the file and confirm the exposure to import it."
    )
    assert [(p["row"], p["column"], p["value"]) for p in run.errors] == [
        (2, "price", "159.00"),
        (3, "price", "45.00"),
    ]
    assert run.errors[0]["reason"] == (
        "Changing the price from ¥199.00 to ¥159.00 exposes 2 paid order(s) (3 unit(s)) of the "
        "last 30 days to price-protection claims of up to ¥100.00. Preview the file and confirm "
        "this exposure to import it."
    )
    assert run.price_cuts == [TEA_CUT, CUP_CUT] and run.price_cuts_confirmation == ""
    assert_nothing_written(shelf)


def test_confirmed_import_writes_the_prices_and_notes_the_exposure(shelf, run_import):
    preview = run_import(shelf, "skus", PRICES.encode(), dry_run=True)

    run = run_import(
        shelf, "skus", PRICES.encode(), price_confirmation=preview.price_cuts_confirmation
    )

    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert (run.updated, run.price_cuts) == (4, [TEA_CUT, CUP_CUT])
    assert prices(shelf) == AFTER
    assert notes(shelf) == {
        "TEA-01": "import; price protection: 2 orders, 3 units, exposure 100.00",
        "CUP-01": "import; price protection: 1 orders, 4 units, exposure 20.00",
        "POT-01": "import",
        "BOWL-01": "import",
    }
    audit = AuditEntry.objects.get(action="import.skus")
    assert audit.changes["price_cuts"] == [TEA_CUT, CUP_CUT]


def test_an_order_paid_after_the_preview_refuses_the_confirmation(shelf, run_import):
    preview = run_import(shelf, "skus", PRICES.encode(), dry_run=True)
    # Meanwhile a buyer pays 1 x 199.00 for TEA-01: (199 - 159) x 1 = 40.00 more, so
    # 3 orders, 4 units, up to 140.00. CUP-01's figures stay as previewed.
    sold(Sku.objects.get(code="TEA-01"), days_ago=0.001, unit_price="199.00", quantity=1)

    run = run_import(
        shelf, "skus", PRICES.encode(), price_confirmation=preview.price_cuts_confirmation
    )

    assert run.status == ImportStatus.REJECTED
    now = "TEA-01 ¥199.00 → ¥159.00: 3 order(s), 4 unit(s), up to ¥140.00"
    assert run.message == (
        "Nothing was written: the price-protection figures of the price cuts changed after the "
        f"preview (orders were paid, refunded or aged out meanwhile). Now: {now}; {CUP_FIGURES}. "
        "Check them in a new preview and confirm them again."
    )
    assert [(p["row"], p["value"]) for p in run.errors] == [(2, "159.00")]  # only TEA-01
    assert run.errors[0]["reason"].startswith("These figures changed after the preview")
    assert "exposes 3 paid order(s) (4 unit(s))" in run.errors[0]["reason"]
    assert run.price_cuts[0] == {**TEA_CUT, "orders": 3, "units": 4, "amount": "140.00"}
    assert_nothing_written(shelf)

    # A new preview shows the new figures; its confirmation imports.
    again = run_import(shelf, "skus", PRICES.encode(), dry_run=True)
    done = run_import(
        shelf, "skus", PRICES.encode(), price_confirmation=again.price_cuts_confirmation
    )
    assert done.status == ImportStatus.SUCCEEDED, done.errors
    assert notes(shelf)["TEA-01"] == "import; price protection: 3 orders, 4 units, exposure 140.00"


@pytest.mark.parametrize(
    "confirmation",
    [
        pytest.param("not-a-token", id="not a token"),
        pytest.param("tea-only", id="a preview of another file (TEA-01 only)"),
    ],
)
def test_a_confirmation_of_other_figures_is_refused(shelf, run_import, confirmation):
    if confirmation == "tea-only":
        tea_only = PRICES.split("\n")[0] + "\n" + PRICES.split("\n")[1] + "\n"
        confirmation = run_import(
            shelf, "skus", tea_only.encode(), dry_run=True
        ).price_cuts_confirmation

    run = run_import(shelf, "skus", PRICES.encode(), price_confirmation=confirmation)

    assert run.status == ImportStatus.REJECTED
    assert "figures of the price cuts changed" in run.message
    refused = [p["row"] for p in run.errors]
    assert refused == ([2, 3] if confirmation == "not-a-token" else [3])
    assert_nothing_written(shelf)


def test_cuts_without_exposure_and_rises_need_no_confirmation(shelf, run_import):
    # POT-01 was never sold; BOWL-01 is raised above what it sold at.
    file = "sku_code,title,price,cost\nPOT-01,Tea pot,280.00,100.00\nBOWL-01,Bowl,35.00,8.00\n"
    preview = run_import(shelf, "skus", file.encode(), dry_run=True)
    assert (preview.status, preview.updated) == (ImportStatus.PREVIEWED, 2)
    assert (preview.price_cuts, preview.price_cuts_confirmation) == ([], "")

    run = run_import(shelf, "skus", file.encode())

    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert notes(shelf) == {"POT-01": "import", "BOWL-01": "import"}


def test_a_rise_still_below_what_buyers_paid_lately_is_exposed_as_sku_update_has_it(
    shelf, run_import
):
    """As ``sku_update``: what counts is the new price against the prices paid in the window,
    not against the old price. BOWL-01 sold at 40.00 a day ago (then cut to 30.00); raising it
    to 35.00 still leaves that buyer 1 x (40 - 35) = 5.00 to claim."""
    sold(Sku.objects.get(store=shelf, code="BOWL-01"), days_ago=1, unit_price="40.00", quantity=1)
    file = "sku_code,title,price,cost\nBOWL-01,Bowl,35.00,8.00\n"
    preview = run_import(shelf, "skus", file.encode(), dry_run=True)
    bowl = {"row": 2, "sku_code": "BOWL-01", "old_price": "30.00", "new_price": "35.00",
            "orders": 1, "units": 1, "amount": "5.00"}  # fmt: skip
    assert preview.price_cuts == [bowl]

    refused = run_import(shelf, "skus", file.encode())
    assert refused.status == ImportStatus.REJECTED and prices(shelf)["BOWL-01"] == D("30.00")

    run = run_import(
        shelf, "skus", file.encode(), price_confirmation=preview.price_cuts_confirmation
    )
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert prices(shelf)["BOWL-01"] == D("35.00")
    assert notes(shelf) == {"BOWL-01": "import; price protection: 1 orders, 1 units, exposure 5.00"}


def test_a_file_with_other_problems_reports_them_not_the_cuts(shelf, run_import):
    run = run_import(shelf, "skus", (PRICES + "TEA-01,again,1.00,1.00\n").encode())

    assert run.status == ImportStatus.REJECTED
    assert [(p["row"], p["column"]) for p in run.errors] == [(6, "sku_code")]  # the repeat
    assert run.price_cuts == []
    assert_nothing_written(shelf)


def test_a_large_import_run_by_the_task_carries_the_confirmation(
    shelf, run_import, monkeypatch, django_capture_on_commit_callbacks
):
    preview = run_import(shelf, "skus", PRICES.encode(), dry_run=True)
    monkeypatch.setattr(services, "ASYNC_BYTES", 10)
    actor = Actor(user=None, source=AuditSource.API)
    runs = []
    for confirmation in (None, preview.price_cuts_confirmation):
        run = create_run(
            store=shelf, kind="skus", source=io.BytesIO(PRICES.encode()), file_name="big.csv"
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert start(run, actor=actor, price_confirmation=confirmation).status == "pending"
        run.refresh_from_db()
        runs.append(run)

    assert [run.status for run in runs] == [ImportStatus.REJECTED, ImportStatus.SUCCEEDED]
    assert prices(shelf) == AFTER
    assert "exposure 100.00" in notes(shelf)["TEA-01"]


# --- the command line ---------------------------------------------------------------------------


def test_command_lists_the_cuts_and_needs_the_flag(shelf, tmp_path):
    path = write(tmp_path, "skus.csv", PRICES.encode())
    args = ["import_data", "skus", path, "--store", shelf.slug, "--no-progress"]
    listed = [
        "  row 2, SKU TEA-01: 199.00 -> 159.00, 2 order(s), 3 unit(s), exposure 100.00",
        "  row 3, SKU CUP-01: 50.00 -> 45.00, 1 order(s), 4 unit(s), exposure 20.00",
    ]

    out = io.StringIO()
    call_command(*args, "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert "[previewed]" in lines[0]
    assert lines[-3:] == [
        "Price cuts with price-protection exposure (保价), to confirm with --confirm-price-cuts:",
        *listed,
    ]

    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(*args, stdout=out)
    assert str(refused.value).endswith(
        "Review the price cuts with --dry-run and, if they are right, run the import again "
        "with --confirm-price-cuts."
    )
    assert TEA_FIGURES in str(refused.value) and CUP_FIGURES in str(refused.value)
    assert_nothing_written(shelf)

    out = io.StringIO()
    call_command(*args, "--confirm-price-cuts", stdout=out)
    lines = out.getvalue().splitlines()
    assert "[succeeded]" in lines[0]
    assert lines[-3:] == ["Confirmed price cuts with price-protection exposure (保价):", *listed]
    assert prices(shelf) == AFTER
    assert notes(shelf)["CUP-01"] == "import; price protection: 1 orders, 4 units, exposure 20.00"


# --- the API ------------------------------------------------------------------------------------


def test_api_preview_gives_the_cuts_and_the_confirmation_the_import_takes(api, shelf):  # noqa: F811
    def post(**fields):
        file = SimpleUploadedFile("skus.csv", PRICES.encode())
        body = {"kind": "skus", "file": file, **fields}
        response = api.post(url(shelf, "imports"), body, format="multipart")
        assert response.status_code == 201, response.json()
        return response.json()

    preview = post(dry_run="true")
    assert preview["status"] == "previewed"
    assert preview["price_cuts"] == [TEA_CUT, CUP_CUT]
    token = preview["price_cuts_confirmation"]
    assert token

    refused = post()
    assert refused["status"] == "rejected" and refused["price_cuts_confirmation"] == ""
    assert TEA_FIGURES in refused["message"] and [e["row"] for e in refused["errors"]] == [2, 3]
    assert_nothing_written(shelf)

    done = post(price_cuts_confirmation=token)
    assert (done["status"], done["price_cuts"], done["updated"]) == (
        "succeeded",
        preview["price_cuts"],
        4,
    )
    assert prices(shelf) == AFTER


# --- the pages ----------------------------------------------------------------------------------


def test_page_shows_the_cuts_and_imports_only_when_the_box_is_ticked(operator_client, shelf):
    upload(operator_client, "generic_skus", PRICES.encode(), name="skus.csv")
    preview = ImportRun.objects.get(store=shelf)
    page = operator_client.get(reverse("import_detail", args=[preview.pk])).content.decode()
    assert 'id="price-cuts-table"' in page and 'id="confirm-price-cuts"' in page
    assert (
        '<tr data-sku="TEA-01"><td class="num">2</td><td class="mono">TEA-01</td>'
        '<td class="num">¥199.00</td><td class="num">¥159.00</td><td class="num">2</td>'
        '<td class="num">3</td><td class="num">¥100.00</td></tr>'
    ) in page
    assert f'value="{preview.price_cuts_confirmation}"' in page
    confirm = reverse("import_confirm", args=[preview.pk])
    token = {"price_cuts_confirmation": preview.price_cuts_confirmation}

    # The box not ticked: the import runs without the confirmation and is refused.
    refused_at = operator_client.post(confirm, token)["Location"]
    refused = ImportRun.objects.get(pk=int(refused_at.rstrip("/").split("/")[-1]))
    assert refused.status == ImportStatus.REJECTED
    page = operator_client.get(refused_at).content.decode()
    # The message, in the page's language, names the SKUs and their figures.
    assert "TEA-01" in refused.message and "¥100.00" in refused.message
    assert f'id="run-message">{escape(refused.message)}<' in page
    assert 'id="preview-again"' in page and 'id="confirm-import"' not in page
    assert_nothing_written(shelf)

    # Ticked: imported, the price history notes the exposure.
    done_at = operator_client.post(confirm, {**token, "confirm_price_cuts": "1"})["Location"]
    done = ImportRun.objects.get(pk=int(done_at.rstrip("/").split("/")[-1]))
    assert done.status == ImportStatus.SUCCEEDED, done.errors
    assert prices(shelf) == AFTER
    assert notes(shelf)["TEA-01"] == "import; price protection: 2 orders, 3 units, exposure 100.00"


def test_page_after_figures_changed_previews_the_file_again(operator_client, shelf):
    upload(operator_client, "generic_skus", PRICES.encode(), name="skus.csv")
    preview = ImportRun.objects.get(store=shelf)
    sold(Sku.objects.get(code="CUP-01"), days_ago=0.001, unit_price="50.00", quantity=2)
    ticked = {"price_cuts_confirmation": preview.price_cuts_confirmation, "confirm_price_cuts": "1"}

    refused_at = operator_client.post(reverse("import_confirm", args=[preview.pk]), ticked)
    refused = ImportRun.objects.exclude(pk=preview.pk).get()
    assert refused.status == ImportStatus.REJECTED and [e["row"] for e in refused.errors] == [3]
    assert refused_at["Location"] == reverse("import_detail", args=[refused.pk])
    assert_nothing_written(shelf)

    operator_client.post(reverse("import_preview_again", args=[refused.pk]))
    again = ImportRun.objects.exclude(pk__in=[preview.pk, refused.pk]).get()
    # CUP-01 now: order F (4 units) and the new one (2 units): (50 - 45) x 6 = 30.00.
    assert (again.status, again.dry_run) == (ImportStatus.PREVIEWED, True)
    assert again.price_cuts == [TEA_CUT, {**CUP_CUT, "orders": 2, "units": 6, "amount": "30.00"}]


@pytest.mark.django_db(transaction=True)
def test_the_skus_a_file_reprices_stay_locked_while_it_is_imported(store, run_import, monkeypatch):
    """An editor's ``sku_update`` (which locks the SKU) waits for the import: from the moment
    the import reads the old prices, another session cannot lock the SKU it reprices."""
    import psycopg2
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises every writer anyway)")
    tea = SkuFactory(store=store, code="TEA-01", title="Oolong 250g", price="199.00", cost="60")
    seen = []
    real = kinds.SkusWriter.existing

    def try_to_lock(self, keys):
        found = real(self, keys)
        other = second_connection()
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM catalog_sku WHERE id = %s FOR UPDATE NOWAIT", [tea.pk]
                )
        except psycopg2.errors.LockNotAvailable:
            seen.append("locked")
        finally:
            other.close()
        return found

    monkeypatch.setattr(kinds.SkusWriter, "existing", try_to_lock)
    run = run_import(store, "skus", b"sku_code,title,price,cost\nTEA-01,Oolong 250g,159.00,60.00\n")
    assert run.status == ImportStatus.SUCCEEDED, run.errors  # never sold: no exposure
    assert seen == ["locked"]
