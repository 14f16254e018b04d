"""Churn risk and lifetime value per customer: the store's purchase history -> ``users.btyd``
models -> ``PredictionFit`` and ``CustomerPrediction`` rows; and the reads of the results.

A purchase is a store-local day with at least one paid order (several orders on one day are
one purchase, as in the CDNOW data the models were published on); its value is that day's
paid amount. Per customer, as of the end of local day D: ``x`` = purchase days after the
first, ``t_x`` = last purchase day - first purchase day, ``T`` = D - first purchase day
(weeks, i.e. days / 7), ``m`` = mean value of the repeat purchase days (the first purchase is
left out, as in Fader & Hardie's Gamma-Gamma note). Refunds do not change a purchase.

Outputs per customer: P(alive) (probability still active), churn risk = 1 - P(alive),
expected purchases in the next 90 days (BG/NBD), expected value per purchase (Gamma-Gamma;
the population mean for one-time buyers) and CLV = expected purchases x expected value.
"""

import datetime
import logging
import time
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from analytics.models import Order, RfmScore
from analytics.rollups.days import day_bounds
from opsdesk.models import Store

from . import btyd
from .models import Customer, CustomerPrediction, PredictionFit, Tier, TierChange

logger = logging.getLogger(__name__)

HORIZON_DAYS = 90
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_CENT = Decimal("0.01")
#: A drop of P(alive) of at least this much since the previous fit puts a high-value customer
#: on the churn warning list.
WARNING_DROP = 0.05


@dataclass(frozen=True)
class PredictionInputs:
    """Aligned per-customer arrays (see the module docstring)."""

    customer_id: np.ndarray
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    m: np.ndarray


def purchase_summary(frame: pd.DataFrame, *, as_of_ordinal: int) -> PredictionInputs:
    """From paid orders ``customer_id``, ``day`` (local date ordinal), ``cents`` to the model
    inputs in weeks. Vectorised (a groupby per customer-day, then per customer)."""
    days = frame.groupby(["customer_id", "day"], sort=True)["cents"].sum().reset_index()
    per = days.groupby("customer_id", sort=True).agg(
        first=("day", "min"), last=("day", "max"), n=("day", "size"), total=("cents", "sum")
    )
    first_cents = days.drop_duplicates("customer_id", keep="first").set_index("customer_id")[
        "cents"
    ]
    x = per["n"].to_numpy(dtype=np.float64) - 1
    repeat_cents = per["total"].to_numpy(dtype=np.float64) - first_cents.to_numpy(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(x > 0, repeat_cents / 100 / np.maximum(x, 1), 0.0)
    return PredictionInputs(
        customer_id=per.index.to_numpy(dtype=np.int64),
        x=x,
        t_x=(per["last"].to_numpy(dtype=np.float64) - per["first"].to_numpy()) / 7,
        T=(as_of_ordinal - per["first"].to_numpy(dtype=np.float64)) / 7,
        m=m,
    )


@dataclass(frozen=True)
class Predicted:
    p_alive: np.ndarray
    expected_purchases: np.ndarray
    expected_value: np.ndarray | None  # None without a Gamma-Gamma fit
    clv: np.ndarray | None


@dataclass(frozen=True)
class FitOutcome:
    bgnbd: btyd.BgNbdParams
    gamma_gamma: btyd.GammaGammaParams | None
    predicted: Predicted
    seconds: float


def fit_and_predict(inputs: PredictionInputs, *, horizon_days: int = HORIZON_DAYS) -> FitOutcome:
    """Fit both models on ``inputs`` and predict every customer. Pure (no database).

    Gamma-Gamma is skipped (values None) when fewer than 10 customers bought again; BG/NBD
    raises ``btyd.FitError`` when it cannot be fitted."""
    started = time.perf_counter()
    bgnbd = btyd.bgnbd_fit(inputs.x, inputs.t_x, inputs.T)
    try:
        gamma_gamma = btyd.gamma_gamma_fit(inputs.x, inputs.m)
    except btyd.FitError:
        gamma_gamma = None
    horizon = horizon_days / 7
    p_alive = btyd.bgnbd_p_alive(bgnbd, inputs.x, inputs.t_x, inputs.T)
    purchases = btyd.bgnbd_expected_purchases(bgnbd, horizon, inputs.x, inputs.t_x, inputs.T)
    value = clv = None
    if gamma_gamma is not None and gamma_gamma.q > 1:
        value = btyd.gamma_gamma_expected_spend(gamma_gamma, inputs.x, inputs.m)
        clv = purchases * value
    return FitOutcome(
        bgnbd,
        gamma_gamma,
        Predicted(p_alive, purchases, value, clv),
        time.perf_counter() - started,
    )


def _orders_frame(store: Store, as_of: datetime.date) -> pd.DataFrame:
    _start, end = day_bounds(store.zone, as_of)
    frame = pd.DataFrame.from_records(
        Order.objects.filter(store=store, paid_at__isnull=False, paid_at__lt=end)
        .values_list("customer_id", "paid_at", "paid_amount")
        .iterator(chunk_size=20_000),
        columns=["customer_id", "paid_at", "paid_amount"],
    )
    if frame.empty:
        return pd.DataFrame(columns=["customer_id", "day", "cents"])
    local = pd.to_datetime(frame["paid_at"], utc=True).dt.tz_convert(store.time_zone)
    frame["day"] = (
        local.dt.tz_localize(None).to_numpy().astype("datetime64[D]").astype(np.int64)
        + _EPOCH_ORDINAL
    )
    frame["cents"] = (frame["paid_amount"].astype(float) * 100).round().astype(np.int64)
    return frame[["customer_id", "day", "cents"]]


def _money(value: float) -> Decimal | None:
    if value is None or not np.isfinite(value):
        return None
    return Decimal(repr(round(float(value), 2))).quantize(_CENT)


def predictions_fit(*, store: Store, as_of: datetime.date) -> PredictionFit:
    """Fit the store's models on its paid orders up to the end of local ``as_of`` and replace
    its customer predictions (keeping each customer's previous P(alive)). One transaction.

    Raises ``btyd.FitError`` (nothing written) when the history cannot identify the model."""
    inputs = purchase_summary(_orders_frame(store, as_of), as_of_ordinal=as_of.toordinal())
    outcome = fit_and_predict(inputs)
    predicted = outcome.predicted
    gamma_gamma = outcome.gamma_gamma
    with transaction.atomic():
        fit = PredictionFit.objects.create(
            store=store,
            as_of=as_of,
            fitted_at=timezone.now(),
            customers=len(inputs.x),
            repeat_buyers=int((inputs.x > 0).sum()),
            r=outcome.bgnbd.r,
            alpha=outcome.bgnbd.alpha,
            a=outcome.bgnbd.a,
            b=outcome.bgnbd.b,
            log_likelihood=outcome.bgnbd.log_likelihood,
            p=gamma_gamma.p if gamma_gamma else None,
            q=gamma_gamma.q if gamma_gamma else None,
            gamma=gamma_gamma.gamma if gamma_gamma else None,
            seconds=outcome.seconds,
        )
        previous = dict(
            CustomerPrediction.objects.filter(store=store).values_list("customer_id", "p_alive")
        )
        CustomerPrediction.objects.filter(store=store).delete()
        rows = [
            CustomerPrediction(
                store_id=store.pk,
                customer_id=int(customer_id),
                fit=fit,
                repeat_purchases=int(inputs.x[i]),
                p_alive=float(predicted.p_alive[i]),
                previous_p_alive=previous.get(int(customer_id)),
                expected_purchases_90d=float(predicted.expected_purchases[i]),
                expected_order_value=(
                    _money(predicted.expected_value[i])
                    if predicted.expected_value is not None
                    else None
                ),
                clv_90d=_money(predicted.clv[i]) if predicted.clv is not None else None,
            )
            for i, customer_id in enumerate(inputs.customer_id)
        ]
        CustomerPrediction.objects.bulk_create(rows, batch_size=5_000)
    logger.info(
        "predictions_fitted store_id=%s customers=%s seconds=%.2f",
        store.pk,
        len(rows),
        outcome.seconds,
    )
    return fit


# --- reads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupValue:
    code: str
    customers: int
    average_p_alive: float | None
    average_expected_purchases: float | None
    average_clv: Decimal | None


@dataclass(frozen=True)
class WarningRow:
    customer_id: int
    external_id: str
    name: str
    p_alive: float
    previous_p_alive: float
    clv_90d: Decimal | None


@dataclass(frozen=True)
class PredictionOverview:
    fit: PredictionFit | None
    by_segment: tuple[GroupValue, ...]
    by_tier: tuple[GroupValue, ...]
    warnings: tuple[WarningRow, ...]


def _latest_tier_subquery(store: Store):
    return Subquery(
        TierChange.objects.filter(store=store, customer=OuterRef("customer_id"))
        .order_by("-day")
        .values("tier")[:1]
    )


def _groups(frame: pd.DataFrame, column: str, codes) -> tuple[GroupValue, ...]:
    out = []
    for code in codes:
        part = frame[frame[column] == code]
        clv = part["clv"].dropna()
        out.append(
            GroupValue(
                code=code,
                customers=len(part),
                average_p_alive=float(part["p_alive"].mean()) if len(part) else None,
                average_expected_purchases=(float(part["purchases"].mean()) if len(part) else None),
                average_clv=_money(float(clv.astype(float).mean())) if len(clv) else None,
            )
        )
    return tuple(out)


def prediction_overview(*, store: Store, warning_limit: int = 50) -> PredictionOverview:
    """Average P(alive), expected purchases and CLV per RFM segment (the stored RFM snapshot)
    and per current tier, and the churn warning list: customers currently in the high-value
    tier whose P(alive) fell by at least ``WARNING_DROP`` since the previous fit, by CLV."""
    from analytics.rfm import SEGMENTS
    from users.tiers import TIER_ORDER

    fit = PredictionFit.objects.filter(store=store).order_by("-fitted_at", "-pk").first()
    rows = (
        CustomerPrediction.objects.filter(store=store)
        .annotate(tier=_latest_tier_subquery(store))
        .values_list(
            "customer_id",
            "p_alive",
            "previous_p_alive",
            "expected_purchases_90d",
            "clv_90d",
            "tier",
        )
    )
    frame = pd.DataFrame.from_records(
        rows, columns=["customer_id", "p_alive", "previous", "purchases", "clv", "tier"]
    )
    segments = dict(RfmScore.objects.filter(store=store).values_list("customer_id", "segment"))
    frame["segment"] = frame["customer_id"].map(segments)
    frame["tier"] = frame["tier"].fillna(Tier.PROSPECT.value)
    warnings = ()
    if len(frame):
        falling = frame[
            (frame["tier"] == Tier.HIGH_VALUE)
            & frame["previous"].notna()
            & (frame["previous"].astype(float) - frame["p_alive"] >= WARNING_DROP)
        ]
        falling = falling.assign(_clv=falling["clv"].astype(float).fillna(0)).sort_values(
            ["_clv", "customer_id"], ascending=[False, True]
        )[:warning_limit]
        names = {
            pk: (external_id, name)
            for pk, external_id, name in Customer.objects.filter(
                store=store, pk__in=[int(c) for c in falling["customer_id"]]
            ).values_list("pk", "external_id", "name")
        }
        warnings = tuple(
            WarningRow(
                customer_id=int(row.customer_id),
                external_id=names[int(row.customer_id)][0],
                name=names[int(row.customer_id)][1],
                p_alive=float(row.p_alive),
                previous_p_alive=float(row.previous),
                clv_90d=row.clv,
            )
            for row in falling.itertuples()
        )
    return PredictionOverview(
        fit=fit,
        by_segment=_groups(frame, "segment", [s.code for s in SEGMENTS]),
        by_tier=_groups(frame, "tier", list(TIER_ORDER)),
        warnings=warnings,
    )


def churn_risk_customers(*, store: Store, threshold: float) -> list[int]:
    """Ids of customers whose churn risk (1 - P(alive)) is at least ``threshold``."""
    return list(
        CustomerPrediction.objects.filter(store=store, p_alive__lte=1 - threshold)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
    )


__all__ = [
    "FitOutcome",
    "PredictionInputs",
    "PredictionOverview",
    "churn_risk_customers",
    "fit_and_predict",
    "prediction_overview",
    "predictions_fit",
    "purchase_summary",
]
