"""The status history (``SkuStatusChange``): every writer of a SKU's status or listing day
records it, and SKU health of a past day uses the status and the on-shelf spell of that day.

The fixture ``shelf_world`` (store Asia/Shanghai; every SKU priced ¥20 at cost ¥8, listed on
2025-01-06 unless said otherwise), with the changes made through the services at these local
times:

- A: on shelf all along; snapshots 11-09: 60, 11-10: 40; sold 10-20: 9, 11-03: 14, 11-11: 100.
- B: snapshot 11-10: 5; delisted in bulk on 11-15 12:00.
- R: snapshots 10-19, 10-20 and 11-10: 30; delisted 10-20 23:50 (after that night's snapshot),
  relisted 11-01 10:00 — delisted and relisted inside the 30 days before 11-10.
- O: snapshot 11-10: 8; taken off shelf 11-05 12:00, back on shelf 11-12 12:00.
- L: listed on 2026-11-01; snapshot 11-10: 10; listing day corrected to 2026-09-01 on 11-20.
- C: stock 9, never snapshotted. X: another store's SKU with a snapshot of 11-10.
"""

import datetime
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from analytics.imports.services import create_run, import_run
from analytics.models import DailySkuMetrics
from catalog.health import HealthQuery, SkuHealthRunner
from catalog.models import Sku, SkuStatus, SkuStatusChange
from catalog.pricing import sku_create, sku_update
from catalog.selectors import shelf_state, with_shelf_state
from catalog.services import SkuStatusTransition, sku_delist_bulk, sku_status_history_record
from opsdesk.audit import Actor
from opsdesk.models import AuditSource
from opsdesk.roles import Role
from tests.factories import MembershipFactory, SkuFactory, StockSnapshotFactory

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
LONG_AGO = datetime.date(2025, 1, 6)


def local(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def d(month: int, day: int) -> datetime.date:
    return datetime.date(2026, month, day)


@pytest.fixture
def clock(monkeypatch):
    """``clock(instant)`` makes ``timezone.now()`` return ``instant``; ``clock(None)`` restores
    the real clock."""
    real = timezone.now

    def set_to(instant: datetime.datetime | None) -> None:
        monkeypatch.setattr(
            "django.utils.timezone.now", real if instant is None else lambda: instant
        )

    return set_to


def sales(sku, day: datetime.date, units: int) -> None:
    DailySkuMetrics.objects.create(
        store=sku.store,
        sku=sku,
        day=day,
        units=units,
        gmv=Decimal(20 * units),
        gross_profit=Decimal(12 * units),
        computed_at=timezone.now(),
    )


def make_sku(store, code, stock, listed_on=LONG_AGO):
    return SkuFactory(
        store=store,
        code=code,
        stock=stock,
        listed_on=listed_on,
        price=Decimal("20.00"),
        cost=Decimal("8.00"),
    )


@pytest.fixture
def shelf_world(store, other_store, operator, clock):
    actor = Actor(user=operator, source=AuditSource.WEB)
    skus = {
        "A": make_sku(store, "A", 500),
        "B": make_sku(store, "B", 7),
        "C": make_sku(store, "C", 9),
        "L": make_sku(store, "L", 10, listed_on=d(11, 1)),
        "O": make_sku(store, "O", 8),
        "R": make_sku(store, "R", 30),
    }
    StockSnapshotFactory(sku=skus["A"], day=d(11, 9), stock=60)
    StockSnapshotFactory(sku=skus["A"], day=d(11, 10), stock=40)
    StockSnapshotFactory(sku=skus["B"], day=d(11, 10), stock=5)
    for day in (d(10, 19), d(10, 20), d(11, 10)):
        StockSnapshotFactory(sku=skus["R"], day=day, stock=30)
    StockSnapshotFactory(sku=skus["O"], day=d(11, 10), stock=8)
    StockSnapshotFactory(sku=skus["L"], day=d(11, 10), stock=10)
    StockSnapshotFactory(sku=make_sku(other_store, "X", 1), day=d(11, 10), stock=1)
    sales(skus["A"], d(10, 20), 9)
    sales(skus["A"], d(11, 3), 14)
    sales(skus["A"], d(11, 11), 100)

    clock(local(10, 20, 23, 50))
    sku_update(sku=skus["R"], actor=actor, status=SkuStatus.DELISTED)
    clock(local(11, 1, 10))
    sku_update(sku=skus["R"], actor=actor, status=SkuStatus.ON_SHELF)
    clock(local(11, 5))
    sku_update(sku=skus["O"], actor=actor, status=SkuStatus.OFF_SHELF)
    clock(local(11, 12))
    sku_update(sku=skus["O"], actor=actor, status=SkuStatus.ON_SHELF)
    clock(local(11, 15))
    sku_delist_bulk(store=store, sku_ids=[skus["B"].pk], actor=actor)
    clock(local(11, 20))
    sku_update(sku=skus["L"], actor=actor, listed_on=d(9, 1))
    clock(None)
    return skus


def past(store, as_of: datetime.date):
    return SkuHealthRunner(
        store=store, query=HealthQuery(as_of=as_of, stock_from_snapshots=True)
    ).run()


def by_code(result) -> dict:
    return {row.code: row for row in result.skus}


# --- what the writers record -----------------------------------------------------------------


def test_the_fixture_wrote_one_change_per_status_or_listing_change(shelf_world, operator):
    rows = list(
        SkuStatusChange.objects.order_by("changed_at").values_list(
            "sku__code", "old_status", "new_status", "old_listed_on", "new_listed_on", "note"
        )
    )
    assert rows == [
        ("R", "on_shelf", "delisted", LONG_AGO, LONG_AGO, "edit (web)"),
        ("R", "delisted", "on_shelf", LONG_AGO, LONG_AGO, "edit (web)"),
        ("O", "on_shelf", "off_shelf", LONG_AGO, LONG_AGO, "edit (web)"),
        ("O", "off_shelf", "on_shelf", LONG_AGO, LONG_AGO, "edit (web)"),
        ("B", "on_shelf", "delisted", LONG_AGO, LONG_AGO, "delist"),
        ("L", "on_shelf", "on_shelf", d(11, 1), d(9, 1), "edit (web)"),
    ]
    assert set(SkuStatusChange.objects.values_list("changed_by", flat=True)) == {operator.pk}
    first = SkuStatusChange.objects.order_by("changed_at").first()
    assert first.changed_at == local(10, 20, 23, 50)


def test_creating_a_sku_or_editing_other_fields_records_nothing(store, operator):
    actor = Actor(user=operator)
    sku = sku_create(
        store=store,
        actor=actor,
        code="NEW",
        title="New tea",
        price=Decimal("9.90"),
        cost=Decimal("3.00"),
        status=SkuStatus.OFF_SHELF,
        listed_on=d(12, 4),
    )
    sku_update(sku=sku, actor=actor, title="Newer tea", stock=12, listed_on=d(12, 4))

    assert not SkuStatusChange.objects.exists()


def test_the_recorder_skips_transitions_that_change_nothing(store):
    sku = SkuFactory(store=store)
    written = sku_status_history_record(
        store=store,
        transitions=[
            SkuStatusTransition(sku.pk, "on_shelf", "on_shelf", LONG_AGO, LONG_AGO),
            SkuStatusTransition(sku.pk, "on_shelf", "off_shelf", LONG_AGO, LONG_AGO),
        ],
        note="test",
    )
    assert written == 1
    change = SkuStatusChange.objects.get()
    assert (change.store, change.changed_by, change.note) == (store, None, "test")


def test_bulk_delisting_on_the_page_records_each_sku(operator_client, store):
    first, second = SkuFactory(store=store), SkuFactory(store=store, status=SkuStatus.OFF_SHELF)
    already = SkuFactory(store=store, status=SkuStatus.DELISTED)

    operator_client.post(reverse("sku_delist"), {"sku": [first.pk, second.pk, already.pk]})

    assert sorted(
        SkuStatusChange.objects.values_list("sku_id", "old_status", "new_status", "note")
    ) == sorted(
        [
            (first.pk, "on_shelf", "delisted", "delist"),
            (second.pk, "off_shelf", "delisted", "delist"),
        ]
    )


def test_an_api_status_edit_is_recorded(client, store, operator):
    client.force_login(operator)
    sku = SkuFactory(store=store, code="API-1")
    url = f"/api/v1/stores/{store.slug}/skus/{sku.pk}/"

    response = client.patch(url, {"status": "off_shelf"}, content_type="application/json")

    assert response.status_code == 200, response.content
    change = SkuStatusChange.objects.get()
    assert (change.sku, change.old_status, change.new_status, change.note) == (
        sku,
        "on_shelf",
        "off_shelf",
        "edit (api)",
    )
    assert change.changed_by == operator


def test_an_admin_status_edit_is_recorded(client, store):
    user = MembershipFactory(
        store=store, role=Role.OPERATOR, user__username="staffer", user__is_staff=True
    ).user
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sku = SkuFactory(store=store, code="ADM-1", category=None, price=Decimal("50.00"))
    data = {
        "code": sku.code,
        "title": sku.title,
        "description": "",
        "category": "",
        "role": sku.role,
        "price": "50.00",
        "cost": str(sku.cost),
        "stock": str(sku.stock),
        "status": "delisted",
        "listed_on": "2026-02-03",
    }

    response = client.post(reverse("admin:catalog_sku_change", args=[sku.pk]), data)

    assert response.status_code == 302
    change = SkuStatusChange.objects.get()
    assert (change.old_status, change.new_status, change.old_listed_on, change.new_listed_on) == (
        "on_shelf",
        "delisted",
        datetime.date(2026, 1, 6),
        datetime.date(2026, 2, 3),
    )
    assert (change.changed_by, change.note) == (user, "edit (admin)")


def test_an_import_that_changes_status_or_listing_day_records_it(
    store, operator, django_capture_on_commit_callbacks
):
    def run(content: str):
        with django_capture_on_commit_callbacks(execute=True):
            created = create_run(
                store=store,
                kind="skus",
                source=io.BytesIO(content.encode()),
                file_name="skus.csv",
                preset=None,
                dry_run=False,
                user=operator,
            )
            return import_run(created, actor=Actor(user=operator, source=AuditSource.WEB))

    header = "sku_code,title,price,cost,status,listed_on\n"
    run(header + "T1,Tea,20,8,on_shelf,2026-03-03\nT2,Oolong,30,9,on_shelf,2026-03-06\n")
    assert not SkuStatusChange.objects.exists()  # created, not changed
    run(header + "T1,Tea,20,8,delisted,2026-03-03\nT2,Oolong,30,9,on_shelf,2026-03-10\n")
    run(header + "T1,Tea,20,8,delisted,2026-03-03\nT2,Oolong,30,9,on_shelf,2026-03-10\n")

    # T1 delisted, T2's listing day moved; the identical third file records nothing more.
    assert sorted(
        SkuStatusChange.objects.values_list(
            "sku__code", "old_status", "new_status", "old_listed_on", "new_listed_on", "note"
        )
    ) == [
        ("T1", "on_shelf", "delisted", d(3, 3), d(3, 3), "import"),
        ("T2", "on_shelf", "on_shelf", d(3, 6), d(3, 10), "import"),
    ]
    assert set(SkuStatusChange.objects.values_list("changed_by", flat=True)) == {operator.pk}


# --- the state as of a moment --------------------------------------------------------------


def state_of(sku, before):
    row = with_shelf_state(Sku.objects.filter(pk=sku.pk), before=before).values().get()
    return shelf_state(row, zone=SHANGHAI)


def test_state_before_a_moment(shelf_world):
    r, o, l_sku = shelf_world["R"], shelf_world["O"], shelf_world["L"]
    # R before its delisting: its first change's old values; on shelf since its listing day.
    assert state_of(r, local(10, 20, 23)) == state_of(r, local(10, 20, 23, 50))
    state = state_of(r, local(10, 20, 23))
    assert (state.status, state.on_shelf_since) == (SkuStatus.ON_SHELF, LONG_AGO)
    # Just after it: delisted. After the relisting: on shelf since 11-01.
    assert state_of(r, local(10, 21, 0)).status == SkuStatus.DELISTED
    state = state_of(r, local(11, 11, 0))
    assert (state.status, state.on_shelf_since) == (SkuStatus.ON_SHELF, d(11, 1))
    assert state_of(o, local(11, 11, 0)).status == SkuStatus.OFF_SHELF
    # L's listing day before its correction, and now.
    assert state_of(l_sku, local(11, 11, 0)).listed_on == d(11, 1)
    assert state_of(l_sku, None).listed_on == d(9, 1)


def test_a_sku_never_changed_has_its_own_status(store):
    sku = SkuFactory(store=store, status=SkuStatus.OFF_SHELF, listed_on=None)
    state = state_of(sku, local(1, 1))
    created = timezone.localtime(sku.created_at, SHANGHAI).date()
    assert (state.status, state.listed_on, state.on_shelf_since) == (
        SkuStatus.OFF_SHELF,
        None,
        created,
    )


# --- SKU health of a past day ----------------------------------------------------------------


def test_health_of_a_past_day_uses_that_days_status_and_on_shelf_day(shelf_world, store):
    # as_of 11-10: 30-day window 10-12..11-10, so "on shelf 30+ days" = since 10-11 or earlier.
    result = past(store, d(11, 10))
    rows = by_code(result)

    # C has no snapshot; B (delisted since) was on shelf; O was off shelf that day.
    assert list(rows) == ["A", "B", "L", "O", "R"]
    assert {code: row.status for code, row in rows.items()} == {
        "A": "on_shelf",
        "B": "on_shelf",
        "L": "on_shelf",
        "O": "off_shelf",
        "R": "on_shelf",
    }
    assert {code: row.on_shelf_since for code, row in rows.items()} == {
        "A": LONG_AGO,
        "B": LONG_AGO,
        "L": d(11, 1),  # its listing day then (corrected to 09-01 only on 11-20)
        "O": LONG_AGO,
        "R": d(11, 1),  # relisted 11-01 after the delisting of 10-20
    }
    # Candidates: B sold nothing, 0 / (0 + 5) = 0% < 5%, on shelf since 2025. R and L sold
    # nothing either but are on shelf only since 11-01 (9 days); O was off shelf.
    assert [row.code for row in result.delisting_candidates] == ["B"]
    # On shelf that day: A, B, L, R; only A sold (23 units): 1 / 4.
    assert (result.on_shelf, result.on_shelf_selling) == (4, 1)
    assert result.store_sell_through == Decimal("0.25")
    # A's numbers from its snapshot: 23 / (23 + 40); cover 40 / (14 / 14) = 40 days.
    assert rows["A"].sell_through == Decimal(23) / Decimal(63)
    assert rows["A"].days_of_cover == Decimal(40)


def test_a_sku_before_its_delisting_and_relisting_inside_the_window(shelf_world, store):
    # 10-19: R on shelf since 2025, nothing sold, stock 30 -> 0% -> a candidate.
    result = past(store, d(10, 19))
    assert [(row.code, row.status, row.on_shelf_since) for row in result.skus] == [
        ("R", "on_shelf", LONG_AGO)
    ]
    assert [row.code for row in result.delisting_candidates] == ["R"]
    # 10-20: R has that night's snapshot but was delisted at 23:50: not in the report.
    result = past(store, d(10, 20))
    assert result.skus == ()
    assert (result.on_shelf, result.store_sell_through) == (0, None)


@pytest.mark.parametrize(
    ("as_of", "candidates"),
    [
        # delist_before 10-31: R (since 11-01) and O (back 11-12) are too recent; C (2025) and
        # L (listing day now 09-01) sold nothing: candidates. A sold 14 + 100 of 614.
        (d(11, 30), ["C", "L"]),
        # delist_before 11-01: R has been back on shelf exactly 30 days.
        (d(12, 1), ["C", "L", "R"]),
    ],
)
def test_todays_view_counts_on_shelf_from_the_last_relisting(shelf_world, store, as_of, candidates):
    result = SkuHealthRunner(store=store, query=HealthQuery(as_of=as_of)).run()

    assert [row.code for row in result.skus] == ["A", "C", "L", "O", "R"]  # B is delisted now
    assert [row.code for row in result.delisting_candidates] == candidates
    assert by_code(result)["O"].on_shelf_since == d(11, 12)


def test_past_day_runner_query_count_does_not_grow(shelf_world, store, django_assert_num_queries):
    with django_assert_num_queries(4):
        past(store, d(11, 10))


# --- the page and the API --------------------------------------------------------------------


@pytest.fixture
def en_client(operator_client):
    operator_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return operator_client


def test_the_page_of_a_past_day_shows_that_days_status_and_candidates(shelf_world, en_client):
    page = en_client.get(reverse("sku_health"), {"as_of": "2026-11-10"}).content.decode()

    assert "status and on-shelf day at the end of 2026-11-10, from the status history" in page
    table = page.split('id="health-table"')[1].split("</table>")[0]
    row_o = table.split('<td class="mono">O</td>')[1].split("</tr>")[0]
    assert "<td>Off shelf</td>" in row_o
    delist = page.split('id="delist-table"')[1].split("</table>")[0]
    assert '<td class="mono">B</td>' in delist
    assert '<td class="mono">R</td>' not in delist
    assert "2025-01-06" in delist


def test_the_api_report_of_a_past_day_agrees_with_the_page(shelf_world, client, operator, store):
    client.force_login(operator)
    url = f"/api/v1/stores/{store.slug}/reports/sku-health/"

    body = client.get(url, {"as_of": "2026-11-10"}).json()
    only = client.get(url, {"as_of": "2026-11-10", "only": "delisting_candidate"}).json()

    assert body["stock_from_snapshots"] is True
    assert [row["code"] for row in body["skus"]] == ["A", "B", "L", "O", "R"]
    assert {row["code"]: row["stock"] for row in body["skus"]} == {
        "A": 40,
        "B": 5,
        "L": 10,
        "O": 8,
        "R": 30,
    }
    assert {row["code"]: row["on_shelf_since"] for row in body["skus"]}["R"] == "2026-11-01"
    assert (body["on_shelf"], body["on_shelf_selling"]) == (4, 1)
    assert [row["code"] for row in only["skus"]] == ["B"]
