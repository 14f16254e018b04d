"""SKU health (``catalog.health``): numbers worked out by hand from a small fixture.

as_of = 2026-11-19; the 30-day window is 10-21..11-19, the 14-day window 11-06..11-19.
Every SKU sells at ¥20 with unit cost ¥8 (line GMV 20/unit, gross profit 12/unit, COGS 8/unit).
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import DailySkuMetrics
from catalog.health import HealthQuery, SkuHealthRunner, first_stock_suggestion, listing_calendar
from catalog.models import SkuStatus
from tests.factories import SkuFactory, StockSnapshotFactory

AS_OF = datetime.date(2026, 11, 19)
LISTED_LONG_AGO = datetime.date(2026, 1, 6)


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


def d(month: int, day: int) -> datetime.date:
    return datetime.date(2026, month, day)


@pytest.fixture
def catalog(store, other_store):
    def sku(code, stock, listed_on=LISTED_LONG_AGO, **kwargs):
        return SkuFactory(
            store=store,
            code=code,
            stock=stock,
            listed_on=listed_on,
            price=Decimal("20.00"),
            cost=Decimal("8.00"),
            **kwargs,
        )

    skus = {
        "A": sku("A", 70),
        "B": sku("B", 19),
        "C": sku("C", 20),
        "D": sku("D", 10, listed_on=d(11, 1)),
        "E": sku("E", 5),
        "F": sku("F", 1000),
        "G": sku("G", 3, status=SkuStatus.DELISTED),
    }
    sales(skus["A"], d(10, 25), 10)
    sales(skus["A"], d(11, 10), 20)
    sales(skus["A"], d(10, 20), 99)  # the day before the window: ignored
    sales(skus["B"], d(10, 22), 1)
    sales(skus["C"], d(10, 22), 1)
    sales(skus["E"], d(11, 8), 14)
    sales(skus["F"], d(11, 12), 7)
    sales(skus["G"], d(11, 12), 50)  # delisted: not in the report
    StockSnapshotFactory(sku=skus["E"], day=d(11, 1), stock=10)
    StockSnapshotFactory(sku=skus["E"], day=d(11, 10), stock=20)
    StockSnapshotFactory(sku=skus["E"], day=d(10, 1), stock=500)  # outside the window
    foreign = SkuFactory(store=other_store, code="X", stock=1)
    sales(foreign, d(11, 12), 5)
    return skus


@pytest.fixture
def result(store, catalog):
    return SkuHealthRunner(store=store, query=HealthQuery(as_of=AS_OF)).run()


def row(result, code):
    return next(r for r in result.skus if r.code == code)


@pytest.mark.django_db
def test_only_the_stores_non_delisted_skus(result):
    assert [r.code for r in result.skus] == ["A", "B", "C", "D", "E", "F"]


@pytest.mark.django_db
def test_sell_through_per_sku(result):
    # A: 30 / (30 + 70) = 0.30; E: 14 / (14 + 5) = 14/19.
    assert row(result, "A").sell_through == Decimal("0.3")
    assert row(result, "A").units_30d == 30
    assert row(result, "E").sell_through == Decimal(14) / Decimal(19)
    assert row(result, "D").sell_through == Decimal(0)


@pytest.mark.django_db
def test_delisting_exactly_at_5_percent_is_not_a_candidate_just_below_is(result):
    # B: 1 / (1 + 19) = 0.05 exactly -> not below 5% -> stays.
    assert row(result, "B").sell_through == Decimal("0.05")
    assert not row(result, "B").delisting_candidate
    # C: 1 / (1 + 20) = 0.0476... < 0.05 -> candidate.
    assert row(result, "C").delisting_candidate
    # D sold nothing but is on shelf only since 11-01 (< 30 days): not yet.
    assert not row(result, "D").delisting_candidate
    # F: 7 / (7 + 1000) = 0.7% -> candidate as well (overstocked and barely selling).
    assert [r.code for r in result.delisting_candidates] == ["C", "F"]


@pytest.mark.django_db
def test_store_sell_through_is_share_of_on_shelf_skus_that_sold(result):
    # On shelf: A..F = 6; sold >= 1 unit in 30 days: A, B, C, E, F = 5 -> 5/6.
    assert (result.on_shelf, result.on_shelf_selling) == (6, 5)
    assert result.store_sell_through == Decimal(5) / Decimal(6)


@pytest.mark.django_db
def test_days_of_cover_and_stock_flags(result):
    # A: 20 units in 14 days -> 20/14 a day; 70 / (20/14) = 49 days: no flag.
    a = row(result, "A")
    assert a.days_of_cover.quantize(Decimal("0.01")) == Decimal("49.00")
    assert not a.stockout_risk and not a.overstock
    # E: 14 units in 14 days -> 1 a day; cover 5 < lead time 7 -> stockout risk.
    e = row(result, "E")
    assert e.days_of_cover == Decimal(5)
    assert e.stockout_risk and not e.overstock
    # F: 7 units -> 0.5 a day; 1000 / 0.5 = 2000 > 90 -> overstock.
    assert row(result, "F").days_of_cover == Decimal(2000)
    assert row(result, "F").overstock
    # B and C sold nothing in the 14 days: no cover value, no flag.
    assert row(result, "B").days_of_cover is None
    assert [r.code for r in result.stockout_risks] == ["E"]
    assert [r.code for r in result.overstocked] == ["F"]


@pytest.mark.django_db
def test_replenishment_to_the_target_cover(result):
    # Target 30 days. E: ceil(1 x 30 - 5) = 25. F: 0.5 x 30 - 1000 < 0 -> 0.
    # A: ceil(20/14 x 30 - 70) = ceil(42.86 - 70) < 0 -> 0.
    assert [(r.code, r.replenish_units) for r in result.replenishments] == [("E", 25)]


@pytest.mark.django_db
def test_turnover_uses_snapshots_where_present_else_current_stock(result):
    # A: COGS 30 x 8 = 240; no snapshot -> current stock 70 x 8 = 560; 240 / 560 = 3/7.
    a = row(result, "A")
    assert (a.cogs_30d, a.average_stock_value, a.stock_basis) == (
        Decimal("240.00"),
        Decimal("560.00"),
        "current",
    )
    assert a.turnover == Decimal(240) / Decimal(560)
    # E: COGS 14 x 8 = 112; snapshots in window 10 and 20 -> mean 15 x 8 = 120; 112/120.
    e = row(result, "E")
    assert (e.average_stock_value, e.stock_basis) == (Decimal("120.00"), "snapshots")
    assert e.turnover == Decimal(112) / Decimal(120)
    # D: nothing sold -> COGS 0, turnover 0.
    assert row(result, "D").turnover == Decimal(0)


@pytest.mark.django_db
def test_store_turnover(result):
    # COGS: A 240 + B 8 + C 8 + E 112 + F 56 = 424.
    # Stock value: A 560 + B 152 + C 160 + D 80 + E 120 + F 8000 = 9072.
    assert result.cogs_30d == Decimal("424.00")
    assert result.average_stock_value == Decimal("9072.00")
    assert result.store_turnover == Decimal(424) / Decimal(9072)


@pytest.mark.django_db
def test_runner_query_count_does_not_grow_with_skus(store, catalog, django_assert_num_queries):
    with django_assert_num_queries(4):
        SkuHealthRunner(store=store, query=HealthQuery(as_of=AS_OF)).run()


@pytest.mark.django_db
def test_first_stock_is_comparable_monthly_sales_times_1_2(catalog):
    # A sold 30 in the 30 days: 30 x 1.2 = 36. F sold 7: 8.4 -> rounded up to 9.
    assert first_stock_suggestion(comparable=catalog["A"], as_of=AS_OF) == 36
    assert first_stock_suggestion(comparable=catalog["F"], as_of=AS_OF) == 9
    assert first_stock_suggestion(comparable=catalog["D"], as_of=AS_OF) == 0


@pytest.mark.django_db
def test_listing_calendar_shows_listing_weekdays_and_off_calendar_listings(store):
    # Default listing weekdays: Tuesday (2) and Friday (5). Week of Thu 2026-11-19 = 16..22.
    tuesday = SkuFactory(store=store, code="NEW1", listed_on=d(11, 17))
    wednesday = SkuFactory(store=store, code="NEW2", listed_on=d(11, 18))
    SkuFactory(store=store, code="OLD", listed_on=d(11, 10))

    days = listing_calendar(store=store, week_of=AS_OF)

    assert [(day.day, day.is_listing_day, list(day.skus)) for day in days] == [
        (d(11, 17), True, [tuesday]),
        (d(11, 18), False, [wednesday]),
        (d(11, 20), True, []),
    ]
