"""Per-store fit and stored predictions (users.prediction): inputs by hand, stored values equal
the model formulas, previous P(alive) kept, churn warning, nothing written on a failed fit."""

import datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from tests.analytics.handworked import SHANGHAI, at
from tests.factories import CustomerFactory, OrderFactory, StoreFactory, TierChangeFactory
from users import btyd
from users.models import CustomerPrediction, PredictionFit, Tier
from users.prediction import prediction_overview, predictions_fit, purchase_summary

AS_OF = datetime.date(2026, 11, 19)


def test_purchase_summary_by_hand():
    # Customer 7: days AS_OF-70 (¥100), AS_OF-40 twice (¥30 + ¥20 = one purchase of ¥50),
    # AS_OF-10 (¥70): x = 2 repeat purchase days, t_x = 60/7 weeks, T = 70/7 weeks,
    # m = (50 + 70) / 2 = ¥60. Customer 9: one order: x = 0, t_x = 0, T = 5/7, m = 0.
    d = AS_OF.toordinal()
    frame = pd.DataFrame(
        {
            "customer_id": [7, 7, 7, 7, 9],
            "day": [d - 70, d - 40, d - 40, d - 10, d - 5],
            "cents": [10_000, 3_000, 2_000, 7_000, 5_000],
        }
    )
    inputs = purchase_summary(frame, as_of_ordinal=d)
    assert inputs.customer_id.tolist() == [7, 9]
    assert inputs.x.tolist() == [2, 0]
    assert inputs.t_x == pytest.approx([60 / 7, 0])
    assert pytest.approx([10, 5 / 7]) == inputs.T
    assert inputs.m == pytest.approx([60, 0])


def _history(store, rng, customers=60):
    """Deterministic purchases: each customer buys on 1-6 distinct days in the last year."""
    built = []
    for i in range(customers):
        customer = CustomerFactory(store=store, external_id=f"c{i:03d}")
        purchases = int(rng.integers(1, 7))
        days = sorted(rng.choice(np.arange(1, 360), purchases, replace=False), reverse=True)
        for back in days:
            day = AS_OF - datetime.timedelta(days=int(back))
            OrderFactory(
                store=store,
                customer=customer,
                created_at=at(SHANGHAI, day, 12),
                paid_at=at(SHANGHAI, day, 12, 5),
                goods_amount=Decimal(int(rng.integers(50, 400))),
            )
        built.append(customer)
    return built


@pytest.fixture
def shop(db):
    store = StoreFactory()
    customers = _history(store, np.random.default_rng(3))
    return store, customers


def test_fit_stores_one_prediction_per_buyer_equal_to_the_formulas(shop):
    store, customers = shop
    fit = predictions_fit(store=store, as_of=AS_OF)
    assert (fit.customers, fit.as_of) == (60, AS_OF)
    assert CustomerPrediction.objects.filter(store=store).count() == 60
    params = btyd.BgNbdParams(fit.r, fit.alpha, fit.a, fit.b, 0, True)
    gg = btyd.GammaGammaParams(fit.p, fit.q, fit.gamma, 0, True)
    for customer in customers[:5]:
        orders = sorted(customer.orders.values_list("paid_at", "paid_amount"))
        days = [o[0].astimezone(SHANGHAI).date() for o in orders]
        x = len(days) - 1
        t_x = (days[-1] - days[0]).days / 7
        T = (AS_OF - days[0]).days / 7
        m = float(sum(o[1] for o in orders[1:]) / x) if x else 0.0
        stored = CustomerPrediction.objects.get(customer=customer)
        assert stored.repeat_purchases == x
        assert stored.p_alive == pytest.approx(btyd.bgnbd_p_alive(params, [x], [t_x], [T])[0])
        purchases = btyd.bgnbd_expected_purchases(params, 90 / 7, [x], [t_x], [T])[0]
        assert stored.expected_purchases_90d == pytest.approx(purchases)
        value = btyd.gamma_gamma_expected_spend(gg, [x], [m])[0]
        assert float(stored.clv_90d) == pytest.approx(purchases * value, abs=0.01)
        assert stored.previous_p_alive is None


def test_second_fit_keeps_the_previous_probability_and_warns_on_falling_high_value(shop):
    store, customers = shop
    predictions_fit(store=store, as_of=AS_OF - datetime.timedelta(days=60))
    before = dict(CustomerPrediction.objects.values_list("customer_id", "p_alive"))
    TierChangeFactory(customer=customers[0], tier=Tier.HIGH_VALUE, day=AS_OF)
    predictions_fit(store=store, as_of=AS_OF)
    assert PredictionFit.objects.filter(store=store).count() == 2
    now = {p.customer_id: p for p in CustomerPrediction.objects.filter(store=store)}
    for customer_id, p_alive in before.items():
        assert now[customer_id].previous_p_alive == pytest.approx(p_alive)

    overview = prediction_overview(store=store)
    first = now[customers[0].pk]
    falling = first.previous_p_alive - first.p_alive >= 0.05
    assert [w.customer_id for w in overview.warnings] == ([customers[0].pk] if falling else [])
    tiers = {g.code: g for g in overview.by_tier}
    assert tiers[Tier.HIGH_VALUE].customers == 1
    assert tiers[Tier.HIGH_VALUE].average_p_alive == pytest.approx(first.p_alive)
    assert tiers[Tier.PROSPECT].customers == 59  # no tier history: shown as prospects


def test_churn_warning_lists_only_high_value_customers_with_a_drop(shop):
    store, customers = shop
    predictions_fit(store=store, as_of=AS_OF)
    high, steady, other = customers[:3]
    for customer in (high, steady, other):
        TierChangeFactory(customer=customer, tier=Tier.HIGH_VALUE, day=AS_OF)
    CustomerPrediction.objects.filter(customer=high).update(p_alive=0.40, previous_p_alive=0.90)
    CustomerPrediction.objects.filter(customer=steady).update(p_alive=0.88, previous_p_alive=0.90)
    CustomerPrediction.objects.filter(customer=other).update(p_alive=0.30, previous_p_alive=None)
    CustomerPrediction.objects.filter(customer=customers[3]).update(
        p_alive=0.1, previous_p_alive=0.9
    )  # falling, but not high value
    overview = prediction_overview(store=store)
    assert [(w.external_id, w.previous_p_alive, w.p_alive) for w in overview.warnings] == [
        (high.external_id, 0.90, 0.40)
    ]


def test_a_store_without_repeat_buyers_writes_nothing(db):
    store = StoreFactory()
    for i in range(12):
        OrderFactory(
            store=store,
            customer=CustomerFactory(store=store),
            created_at=at(SHANGHAI, AS_OF, 9, i),
            paid_at=at(SHANGHAI, AS_OF, 9, i),
        )
    with pytest.raises(btyd.FitError):
        predictions_fit(store=store, as_of=AS_OF)
    assert not PredictionFit.objects.exists()
    assert not CustomerPrediction.objects.exists()


def test_the_nightly_task_fits_every_store_and_skips_one_that_cannot_be_fitted(shop, db):
    from users.tasks import predictions_fit_all_stores

    store, _customers = shop
    StoreFactory()  # no orders at all
    assert predictions_fit_all_stores() == 2
    assert list(PredictionFit.objects.values_list("store_id", flat=True)) == [store.pk]


def test_averages_per_rfm_segment_and_tier_by_hand(db):
    """Ann champions/high value: P(alive) 0.8, 1.0 purchases, CLV ¥100; Bob champions/high
    value: 0.6, 3.0, no CLV (too few repeat buyers); Cat at risk, no tier (prospect): 0.2, 0.5,
    ¥40. Champions: 2 customers, (0.8 + 0.6) / 2 = 0.7, (1 + 3) / 2 = 2.0, CLV ¥100.00 (Bob's
    missing CLV is left out, not counted as 0); at risk: 1, 0.2, 0.5, ¥40.00; loyal: empty.
    High value: 2, 0.7; prospect: 1, 0.2. Another store's prediction never counts."""
    from analytics.models import RfmScore

    store, other = StoreFactory(), StoreFactory()
    fit_values = {
        "as_of": AS_OF,
        "fitted_at": at(SHANGHAI, AS_OF, 3),
        "customers": 3,
        "repeat_buyers": 2,
        "r": 0.2,
        "alpha": 4,
        "a": 0.8,
        "b": 2.4,
        "log_likelihood": -1,
        "seconds": 0.1,
    }
    fit = PredictionFit.objects.create(store=store, **fit_values)
    rows = [
        ("ann", "champions", Tier.HIGH_VALUE, 0.8, 1.0, Decimal("100.00")),
        ("bob", "champions", Tier.HIGH_VALUE, 0.6, 3.0, None),
        ("cat", "at_risk", None, 0.2, 0.5, Decimal("40.00")),
    ]
    for name, segment, tier, p_alive, purchases, clv in rows:
        customer = CustomerFactory(store=store, external_id=name)
        if tier:
            TierChangeFactory(customer=customer, tier=tier, day=AS_OF)
        RfmScore.objects.create(
            store=store,
            customer=customer,
            as_of=AS_OF,
            recency_days=1,
            frequency=1,
            monetary=Decimal("1.00"),
            r_score=5,
            f_score=5,
            m_score=5,
            segment=segment,
            computed_at=at(SHANGHAI, AS_OF, 3),
        )
        CustomerPrediction.objects.create(
            store=store,
            customer=customer,
            fit=fit,
            repeat_purchases=1,
            p_alive=p_alive,
            expected_purchases_90d=purchases,
            clv_90d=clv,
        )
    stranger = CustomerFactory(store=other)
    other_fit = PredictionFit.objects.create(store=other, **fit_values)
    CustomerPrediction.objects.create(
        store=other,
        customer=stranger,
        fit=other_fit,
        repeat_purchases=1,
        p_alive=0.0,
        expected_purchases_90d=9.0,
        clv_90d=Decimal("999.00"),
    )

    overview = prediction_overview(store=store)
    segments = {g.code: g for g in overview.by_segment}
    champions = segments["champions"]
    assert champions.customers == 2
    assert champions.average_p_alive == pytest.approx(0.7)
    assert champions.average_expected_purchases == pytest.approx(2.0)
    assert champions.average_clv == Decimal("100.00")
    at_risk = segments["at_risk"]
    assert (at_risk.customers, at_risk.average_clv) == (1, Decimal("40.00"))
    assert at_risk.average_p_alive == pytest.approx(0.2)
    assert at_risk.average_expected_purchases == pytest.approx(0.5)
    assert (segments["loyal"].customers, segments["loyal"].average_p_alive) == (0, None)
    tiers = {g.code: g for g in overview.by_tier}
    assert tiers[Tier.HIGH_VALUE].customers == 2
    assert tiers[Tier.HIGH_VALUE].average_p_alive == pytest.approx(0.7)
    assert tiers[Tier.PROSPECT].customers == 1
    assert tiers[Tier.PROSPECT].average_clv == Decimal("40.00")
    assert sum(g.customers for g in overview.by_tier) == 3
