"""SKU health of a past day (stock from the daily snapshots) and the first-stock suggestion,
in the runner and on the page. Numbers worked out by hand below each fixture."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from analytics.models import DailySkuMetrics
from catalog.health import HealthQuery, SkuHealthRunner, first_stock
from catalog.models import SkuStatus
from catalog.services import sku_delist_bulk
from opsdesk.audit import Actor
from tests.factories import SkuFactory, StockSnapshotFactory

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


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


def sku(store, code, stock, **kwargs):
    return SkuFactory(
        store=store,
        code=code,
        stock=stock,
        listed_on=datetime.date(2025, 1, 6),
        price=Decimal("20.00"),
        cost=Decimal("8.00"),
        **kwargs,
    )


def test_past_day_takes_each_skus_stock_from_that_days_snapshot(store, other_store, operator):
    # as_of 2026-11-10: the 30-day window is 10-12..11-10, the 14-day window 10-28..11-10.
    as_of = datetime.date(2026, 11, 10)
    a = sku(store, "A", stock=500)  # today's stock: not used for a past day
    b = sku(store, "B", stock=7)
    sku_delist_bulk(store=store, sku_ids=[b.pk], actor=Actor(user=operator))  # delisted since
    sku(store, "C", stock=9)  # no snapshot that day (listed later): not in the report
    StockSnapshotFactory(sku=a, day=as_of, stock=40)
    StockSnapshotFactory(sku=a, day=as_of - DAY, stock=60)
    StockSnapshotFactory(sku=b, day=as_of, stock=5)
    StockSnapshotFactory(sku=SkuFactory(store=other_store, code="X"), day=as_of, stock=1)
    sales(a, datetime.date(2026, 10, 20), 9)  # in the 30 days only
    sales(a, datetime.date(2026, 11, 3), 14)  # in both windows
    sales(a, as_of + DAY, 100)  # after the day: ignored

    result = SkuHealthRunner(
        store=store, query=HealthQuery(as_of=as_of, stock_from_snapshots=True)
    ).run()

    assert result.stock_from_snapshots is True
    assert [row.code for row in result.skus] == ["A", "B"]
    row_a, row_b = result.skus
    # A: stock 40 (the snapshot of 11-10), 23 units in 30 days -> 23 / 63; 14 units in 14 days
    # -> 1 a day -> 40 days of cover; average stock of the window's snapshots (40 + 60) / 2 = 50
    # x cost 8 = 400; COGS 23 x 8 = 184 -> turnover 0.46.
    assert row_a.stock == 40
    assert row_a.sell_through == Decimal(23) / Decimal(63)
    assert row_a.days_of_cover == Decimal(40)
    assert row_a.average_stock_value == Decimal("400.00")
    assert row_a.turnover == Decimal("0.46")
    # B: stock 5 from its snapshot, nothing sold; on shelf that day (delisted only today), so a
    # delisting candidate of that day: 0 / (0 + 5) = 0% < 5%, on shelf since 2025.
    assert (row_b.stock, row_b.units_30d, row_b.sell_through) == (5, 0, Decimal(0))
    assert (row_b.status, row_b.delisting_candidate) == (SkuStatus.ON_SHELF, True)
    # Store level: on-shelf SKUs that day are A and B: 1 of 2 sold.
    assert (result.on_shelf, result.on_shelf_selling) == (2, 1)


def test_current_stock_is_used_without_snapshots_flag(store):
    as_of = datetime.date(2026, 11, 10)
    a = sku(store, "A", stock=500)
    StockSnapshotFactory(sku=a, day=as_of, stock=40)
    result = SkuHealthRunner(store=store, query=HealthQuery(as_of=as_of)).run()
    assert [row.stock for row in result.skus] == [500]
    assert result.stock_from_snapshots is False


def test_first_stock_is_the_comparables_30_day_units_times_1_2_rounded_up(store):
    as_of = datetime.date(2026, 11, 19)
    comparable = sku(store, "TEA", stock=0)
    sales(comparable, datetime.date(2026, 10, 21), 11)  # first day of the window
    sales(comparable, datetime.date(2026, 11, 19), 6)  # last day
    sales(comparable, datetime.date(2026, 10, 20), 50)  # a day before: ignored
    # 17 x 1.2 = 20.4 -> 21
    suggestion = first_stock(comparable=comparable, as_of=as_of)
    assert (suggestion.monthly_units, suggestion.units) == (17, 21)
    assert suggestion.window_start == datetime.date(2026, 10, 21)


# --- the page ---------------------------------------------------------------------------


@pytest.fixture
def en_client(operator_client):
    operator_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return operator_client


def yesterday_of(store) -> datetime.date:
    return timezone.localdate(timezone=store.zone) - DAY


def test_health_page_as_of_a_past_day_shows_the_snapshot_stock(en_client, store):
    past = yesterday_of(store) - 5 * DAY
    a = sku(store, "PAST-A", stock=500)
    StockSnapshotFactory(sku=a, day=past, stock=42)

    page = en_client.get(reverse("sku_health"), {"as_of": past.isoformat()}).content.decode()

    assert f"stock at the end of {past.isoformat()}, from the daily stock snapshots" in page
    row = page.split('id="health-table"')[1].split("PAST-A")[1].split("</tr>")[0]
    assert '<td class="num">42</td>' in row
    assert '<td class="num">500</td>' not in row
    assert f'max="{yesterday_of(store).isoformat()}"' in page


def test_health_page_default_is_yesterday_with_current_stock(en_client, store):
    a = sku(store, "NOW-A", stock=500)
    StockSnapshotFactory(sku=a, day=yesterday_of(store), stock=42)
    page = en_client.get(reverse("sku_health")).content.decode()
    assert "stock as it is now" in page
    row = page.split('id="health-table"')[1].split("NOW-A")[1].split("</tr>")[0]
    assert '<td class="num">500</td>' in row


def test_health_page_refuses_a_day_without_rolled_up_sales(en_client, store):
    today = timezone.localdate(timezone=store.zone)
    response = en_client.get(reverse("sku_health"), {"as_of": today.isoformat()})
    assert response.status_code == 400
    page = response.content.decode()
    assert f"choose {yesterday_of(store).isoformat()} or earlier" in page
    assert "stock as it is now" in page  # fell back to yesterday


def test_health_page_first_stock_from_the_chosen_comparable(en_client, store, other_store):
    yesterday = yesterday_of(store)
    comparable = sku(store, "CMP", stock=3)
    sales(comparable, yesterday - 3 * DAY, 10)  # 10 x 1.2 = 12
    foreign = SkuFactory(store=other_store, code="FOREIGN")

    page = en_client.get(reverse("sku_health"), {"comparable": comparable.pk}).content.decode()
    assert '<dd data-testid="first-stock-monthly">10</dd>' in page
    assert '<dd data-testid="first-stock-units"><strong>12</strong> (10 x 1.2)</dd>' in page
    assert "FOREIGN" not in page

    # Another store's SKU is not a choice: ignored with a message, no suggestion.
    response = en_client.get(reverse("sku_health"), {"comparable": foreign.pk})
    assert response.status_code == 400
    assert 'data-testid="first-stock-units"' not in response.content.decode()


def test_listing_calendar_of_a_chosen_week_with_navigation(en_client, store):
    # Week of Monday 2026-11-09; the store lists on Tuesday and Friday (2,5).
    SkuFactory(store=store, code="NEW-TUE", listed_on=datetime.date(2026, 11, 10))
    SkuFactory(store=store, code="NEW-WED", listed_on=datetime.date(2026, 11, 11))
    SkuFactory(store=store, code="NEW-NEXT", listed_on=datetime.date(2026, 11, 17))

    page = en_client.get(reverse("sku_health"), {"week": "2026-11-12"}).content.decode()

    assert "Listing calendar, week of 2026-11-09" in page
    assert "listing weekdays (Tuesday, Friday)" in page
    calendar = page.split('id="listing-calendar"')[1].split("</ul>")[0]
    days = [line.strip()[:10] for line in calendar.split("<li>")[1:]]
    # Tuesday and Friday, plus Wednesday for its off-calendar listing (tagged).
    assert days == ["2026-11-10", "2026-11-11", "2026-11-13"]
    wednesday = calendar.split("<li>")[2]
    assert "NEW-WED" in wednesday and "Not a listing day" in wednesday
    assert "NEW-TUE" in calendar.split("<li>")[1]
    assert "NEW-NEXT" not in calendar
    assert 'href="?week=2026-11-02#calendar-title" data-testid="previous-week"' in page
    assert 'href="?week=2026-11-16#calendar-title" data-testid="next-week"' in page


def test_delisting_is_offered_on_todays_view_only(en_client, store):
    past = yesterday_of(store) - 5 * DAY
    stale = sku(store, "STALE", stock=100)  # on shelf since 2025, nothing sold: a candidate
    StockSnapshotFactory(sku=stale, day=past, stock=100)
    delist_form = f'action="{reverse("sku_delist")}"'

    today_page = en_client.get(reverse("sku_health")).content.decode()
    past_page = en_client.get(reverse("sku_health"), {"as_of": past.isoformat()}).content.decode()

    assert delist_form in today_page and f'value="{stale.pk}"' in today_page
    assert "STALE" in past_page.split('id="delist-table"')[1].split("</table>")[0]
    assert delist_form not in past_page
    assert "Delisting is offered on today's view only." in past_page
