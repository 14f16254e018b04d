"""The product matrix (``catalog.matrix``): shares, flags and role suggestions, by hand.

Fixture, November 2026 (rolled-up line GMV / gross profit / views / first orders):

| SKU | role    | price | cost | GMV  | profit | views | first orders |
|-----|---------|-------|------|------|--------|-------|--------------|
| T1  | traffic | 9.90  | 7.90 | 100  | 20     | 500   | 2            |
| T2  | traffic | 12.00 | 9.00 | 100  | 25     | 300   | 0            |
| T3  | traffic | 899   | 300  | -    | -      | -     | -            |
| P1  | profit  | 199   | 80   | 600  | 300    | 100   | 3            |
| P2  | profit  | 159   | 100  | 200  | 10     | 50    | 2            |
| I1  | image   | 999   | 300  | 1000 | 700    | 50    | 2            |
| I2  | image   | 129   | 40   | -    | -      | -     | -            |
| U1  | -       | 10.00 | 8.00 | -    | -      | -     | -            |
| U2  | -       | 150   | 50   | -    | -      | -     | -            |
Totals: GMV 2000, gross profit 1055, views 1000, first orders 9; 9 SKUs.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from analytics.models import DailySkuMetrics
from catalog.matrix import MatrixQuery, ProductMatrixRunner
from catalog.models import ProductRole, RoleSuggestionDecision, SkuStatus
from catalog.services import role_suggestion_decide
from opsdesk.audit import Actor
from tests.factories import SkuFactory

QUERY = MatrixQuery(start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 30))
T, P, IM = ProductRole.TRAFFIC, ProductRole.PROFIT, ProductRole.IMAGE


def metrics(sku, gmv, profit, views, first_orders, day=datetime.date(2026, 11, 10)):
    DailySkuMetrics.objects.create(
        store=sku.store,
        sku=sku,
        day=day,
        units=1,
        gmv=Decimal(gmv),
        gross_profit=Decimal(profit),
        views=views,
        first_orders=first_orders,
        computed_at=timezone.now(),
    )


@pytest.fixture
def skus(store, other_store):
    def sku(code, role, price, cost, **kwargs):
        return SkuFactory(
            store=store, code=code, role=role, price=Decimal(price), cost=Decimal(cost), **kwargs
        )

    made = {
        "T1": sku("T1", T, "9.90", "7.90"),
        "T2": sku("T2", T, "12.00", "9.00"),
        "T3": sku("T3", T, "899.00", "300.00"),
        "P1": sku("P1", P, "199.00", "80.00"),
        "P2": sku("P2", P, "159.00", "100.00"),
        "I1": sku("I1", IM, "999.00", "300.00"),
        "I2": sku("I2", IM, "129.00", "40.00"),
        "U1": sku("U1", "", "10.00", "8.00"),
        "U2": sku("U2", "", "150.00", "50.00"),
    }
    metrics(made["T1"], 100, 20, 500, 2)
    metrics(made["T2"], 100, 25, 300, 0)
    metrics(made["P1"], 600, 300, 100, 3)
    metrics(made["P2"], 200, 10, 50, 2)
    metrics(made["I1"], 1000, 700, 50, 2)
    metrics(made["I1"], 9999, 9999, 9, 9, day=datetime.date(2026, 10, 31))  # outside
    foreign = SkuFactory(store=other_store, role=T)
    metrics(foreign, 5000, 100, 9000, 50)
    return made


def run(store):
    return ProductMatrixRunner(store=store, query=QUERY).run()


@pytest.mark.django_db
def test_shares_per_role(store, skus):
    result = run(store)

    traffic, profit, image, untagged = result.roles
    # SKUs: 3, 2, 2, 2 of 9.
    assert [r.skus for r in result.roles] == [3, 2, 2, 2]
    assert traffic.sku_share == Decimal(3) / Decimal(9)
    # GMV: traffic 100 + 100 = 200 / 2000 = 0.1; profit 800 / 2000 = 0.4; image 0.5; untagged 0.
    assert [r.gmv_share for r in result.roles] == [
        Decimal("0.1"),
        Decimal("0.4"),
        Decimal("0.5"),
        Decimal(0),
    ]
    # Gross profit: traffic 45, profit 310, image 700 of 1055.
    assert profit.gross_profit_share == Decimal(310) / Decimal(1055)
    # Views: traffic 800 / 1000 = 0.8; first orders: traffic 2 / 9.
    assert traffic.views_share == Decimal("0.8")
    assert traffic.first_orders_share == Decimal(2) / Decimal(9)
    # Margins: traffic 45/200 = 0.225, profit 310/800 = 0.3875, image 0.7; store 1055/2000.
    assert (traffic.margin, profit.margin, image.margin) == (
        Decimal("0.225"),
        Decimal("0.3875"),
        Decimal("0.7"),
    )
    assert untagged.margin is None  # no GMV: no value, not 0
    assert result.store_margin == Decimal("0.5275")
    assert result.total_gmv == Decimal(2000)


@pytest.mark.django_db
def test_flags_with_their_numbers(store, skus):
    flags = {flag.code: flag for flag in run(store).flags}

    # Traffic: 3/9 = 33.3% of SKUs but 2/9 = 22.2% of first orders -> flagged.
    assert flags["traffic_few_first_orders"].numbers["first_orders_share"] == Decimal(2) / 9
    # Traffic views 80% >= 33.3% of SKUs -> not flagged.
    assert "traffic_few_views" not in flags
    # Profit margin 38.75% < store 52.75%.
    assert flags["profit_margin_below_average"].numbers == {
        "margin": Decimal("0.3875"),
        "store_margin": Decimal("0.5275"),
    }
    # I2 (¥129) is below the top of the profit band (¥159..¥199); I1 (¥999) is not.
    assert flags["image_below_profit_band"].skus == ("I2",)
    # Traffic share 33.3% vs target 30%: 3.3 points, within the 10-point tolerance.
    assert "traffic_share_off_target" not in flags
    assert "33.3%" in flags["traffic_few_first_orders"].message


@pytest.mark.django_db
def test_traffic_share_far_from_target_is_flagged(store, skus):
    store.traffic_share_target = Decimal("0.500")
    store.save()

    flag = next(f for f in run(store).flags if f.code == "traffic_share_off_target")

    # |33.3% - 50%| = 16.7 points > 10.
    assert flag.numbers["target"] == Decimal("0.500")
    assert flag.numbers["tolerance"] == Decimal("0.10")


@pytest.mark.django_db
def test_delisted_skus_do_not_count_as_skus(store, skus):
    skus["U1"].status = SkuStatus.DELISTED
    skus["U1"].save()

    result = run(store)

    assert result.total_skus == 8
    assert result.roles[3].skus == 1


@pytest.mark.django_db
def test_role_suggestions_on_clear_cases(store, skus):
    # Prices ranked: 9.9, 10, 12 | 129, 150, 159 | 199, 899, 999 -> thirds of 3.
    # Mean list margin ~ 0.45. U1 ¥10 (lowest third) -> traffic; U2 ¥150 (middle, margin
    # 66.7% >= mean) -> profit; T3 tagged traffic at ¥899 (highest third) -> image.
    # P1 (profit, highest third) and I2 (image, middle) are tagged and not opposite ends.
    suggestions = {s.code: s.suggested_role for s in run(store).suggestions}

    assert suggestions == {"U1": T, "U2": P, "T3": IM}


@pytest.mark.django_db
def test_accepting_sets_the_role_and_rejecting_stops_the_suggestion(store, skus, operator):
    actor = Actor(user=operator)

    role_suggestion_decide(sku=skus["U1"], suggested_role=T, accepted=True, actor=actor)
    role_suggestion_decide(sku=skus["U2"], suggested_role=P, accepted=False, actor=actor)

    skus["U1"].refresh_from_db()
    skus["U2"].refresh_from_db()
    assert (skus["U1"].role, skus["U2"].role) == (T, "")
    assert {s.code for s in run(store).suggestions} == {"T3"}
    assert RoleSuggestionDecision.objects.filter(store=store).count() == 2


@pytest.mark.django_db
def test_runner_query_count(store, skus, django_assert_num_queries):
    with django_assert_num_queries(3):
        run(store)


@pytest.mark.django_db
def test_traffic_items_with_few_views_are_flagged(store, skus):
    # P1 gets 2000 more views on another day (no sales): views 1000 + 2000 = 3000, of which
    # traffic still has 800 -> 800 / 3000 = 26.7% < 33.3% of SKUs -> flagged.
    metrics(skus["P1"], 0, 0, 2000, 0, day=datetime.date(2026, 11, 11))

    flag = next(f for f in run(store).flags if f.code == "traffic_few_views")

    assert flag.numbers == {
        "sku_share": Decimal(3) / Decimal(9),
        "views_share": Decimal(800) / Decimal(3000),
        "views": 800,
    }
    with translation.override("en"):
        assert flag.message == "Traffic items are 33.3% of SKUs but get only 26.7% of views."
