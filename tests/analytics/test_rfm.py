import datetime
from decimal import Decimal

import numpy as np
import pytest

from analytics.models import RfmScore
from analytics.reports.rfm import RfmQuery, RfmRunner
from analytics.rfm import SEGMENT_GRID, rfm_frame, rfm_snapshot_write, scores, segment_of
from tests.factories import CustomerFactory, OrderFactory, StoreFactory
from users.models import Customer

AS_OF = datetime.date(2026, 11, 30)

# DOMAIN.md's table, cell by cell: (R, F) -> segment.
EXPECTED = {
    (5, 1): "new_customers",
    (5, 2): "potential_loyalists",
    (5, 3): "potential_loyalists",
    (5, 4): "champions",
    (5, 5): "champions",
    (4, 1): "promising",
    (4, 2): "potential_loyalists",
    (4, 3): "potential_loyalists",
    (4, 4): "loyal",
    (4, 5): "loyal",
    (3, 1): "about_to_sleep",
    (3, 2): "about_to_sleep",
    (3, 3): "need_attention",
    (3, 4): "loyal",
    (3, 5): "loyal",
    (2, 1): "hibernating",
    (2, 2): "hibernating",
    (2, 3): "at_risk",
    (2, 4): "at_risk",
    (2, 5): "cant_lose_them",
    (1, 1): "hibernating",
    (1, 2): "hibernating",
    (1, 3): "at_risk",
    (1, 4): "at_risk",
    (1, 5): "cant_lose_them",
}


@pytest.mark.parametrize(("cell", "segment"), sorted(EXPECTED.items()))
def test_every_cell_maps_to_its_segment(cell, segment):
    assert segment_of(*cell) == segment


def test_grid_has_exactly_25_cells():
    assert set(SEGMENT_GRID) == {(r, f) for r in range(1, 6) for f in range(1, 6)}


def test_scores_with_ties_smaller_is_worse():
    # F = [1, 1, 2, 3], n = 4. Strictly smaller: 0, 0, 2, 3 -> 1 + floor(5w/4) = 1, 1, 3, 4.
    assert scores(np.array([1, 1, 2, 3]), larger_is_worse=False).tolist() == [1, 1, 3, 4]


def test_scores_with_ties_larger_is_worse():
    # R = [0, 0, 10, 30]. Strictly larger: 2, 2, 1, 0 -> 1 + floor(5w/4) = 3, 3, 2, 1.
    assert scores(np.array([0, 0, 10, 30]), larger_is_worse=True).tolist() == [3, 3, 2, 1]


def test_all_equal_values_get_equal_scores():
    assert scores(np.array([7, 7, 7]), larger_is_worse=False).tolist() == [1, 1, 1]


def test_best_of_many_is_capped_at_5():
    # 1 + floor(5 x 99/100) = 5.
    assert scores(np.arange(100), larger_is_worse=False).max() == 5


@pytest.fixture
def rfm_store(db):
    store = StoreFactory(slug="rfm")

    def orders(name, days_ago):
        customer = CustomerFactory(store=store, external_id=name, name=name)
        for ago in days_ago:
            moment = datetime.datetime.combine(
                AS_OF - datetime.timedelta(days=ago), datetime.time(12), tzinfo=store.zone
            )
            OrderFactory(
                store=store,
                customer=customer,
                created_at=moment,
                paid_at=moment,
                goods_amount=Decimal("100.00"),
                paid_amount=Decimal("100.00"),
            )
        return customer

    # R days, F orders (each order 100): c1 R0 F5, c2 R10 F4, c3 R10 F2, c4 R100 F1, c5 R200 F1.
    orders("c1", [0, 1, 2, 3, 4])
    orders("c2", [10, 11, 12, 13])
    orders("c3", [10, 50])
    orders("c4", [100])
    orders("c5", [200, 400])  # the 400-days-ago order is outside the 365-day window
    CustomerFactory(store=store, external_id="c6")  # never paid: not scored
    return store


def test_handworked_rfm(rfm_store):
    frame = rfm_frame(store=rfm_store, as_of=AS_OF).set_index("customer_id")
    by_name = {
        c.external_id: frame.loc[c.pk]
        for c in Customer.objects.filter(store=rfm_store)
        if c.pk in frame.index
    }
    assert sorted(by_name) == ["c1", "c2", "c3", "c4", "c5"]
    # R: strictly larger counts 4, 2, 2, 1, 0 of 5 -> 5, 3, 3, 2, 1.
    # F: strictly smaller counts 4, 3, 2, 0, 0 -> 5, 4, 3, 1, 1.
    # M (500, 400, 200, 100, 100): 5, 4, 3, 1, 1.
    got = {
        name: (row.recency_days, row.frequency, row.r_score, row.f_score, row.m_score, row.segment)
        for name, row in by_name.items()
    }
    assert got == {
        "c1": (0, 5, 5, 5, 5, "champions"),
        "c2": (10, 4, 3, 4, 4, "loyal"),
        "c3": (10, 2, 3, 3, 3, "need_attention"),
        "c4": (100, 1, 2, 1, 1, "hibernating"),
        "c5": (200, 1, 1, 1, 1, "hibernating"),
    }


def test_rfm_runner_segments_grid_and_list(rfm_store):
    result = RfmRunner(store=rfm_store, query=RfmQuery(as_of=AS_OF, segment="hibernating")).run()
    assert result.scored_customers == 5
    assert result.revenue == Decimal("1300.00")  # 500 + 400 + 200 + 100 + 100
    segments = {s.code: s for s in result.segments}
    hibernating = segments["hibernating"]
    assert hibernating.customers == 2
    assert hibernating.revenue == Decimal("200.00")
    assert hibernating.revenue_share == Decimal("0.153846")  # 200 / 1300 = 0.1538461..
    assert hibernating.average_recency_days == Decimal("150.00")  # (100 + 200) / 2
    assert hibernating.average_frequency == Decimal("1.00")
    assert hibernating.average_monetary == Decimal("100.00")
    assert segments["at_risk"].customers == 0
    assert segments["at_risk"].revenue_share == Decimal("0.000000")
    assert segments["at_risk"].average_monetary is None
    assert result.grid[4][4] == 1  # (5, 5) c1
    assert result.grid[2][3] == 1  # (3, 4) c2
    assert result.grid[0][0] == 1  # (1, 1) c5
    assert sum(map(sum, result.grid)) == 5
    assert [c.external_id for c in result.customers] == ["c4", "c5"]  # tie on M: by id


def test_snapshot_is_read_for_its_day(rfm_store):
    assert rfm_snapshot_write(store=rfm_store, as_of=AS_OF) == 5
    assert RfmScore.objects.filter(store=rfm_store, as_of=AS_OF).count() == 5
    assert rfm_snapshot_write(store=rfm_store, as_of=AS_OF) == 5  # replaced, not added
    assert RfmScore.objects.filter(store=rfm_store).count() == 5
    from_snapshot = RfmRunner(store=rfm_store, query=RfmQuery(as_of=AS_OF)).run()
    computed = RfmRunner(store=rfm_store, query=RfmQuery(as_of=AS_OF)).calculate()
    assert from_snapshot == computed


def test_unknown_segment_is_rejected():
    with pytest.raises(ValueError, match="unknown segment"):
        RfmQuery(as_of=AS_OF, segment="vip")
