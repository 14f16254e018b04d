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
import io
import logging
import time
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection, transaction
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


def _copy_out(sql: str, params: list, columns: list[str], dtypes: dict) -> pd.DataFrame:
    """PostgreSQL: ``COPY (sql) TO STDOUT`` as CSV straight into pandas (no Python object per
    value: an order of magnitude faster than a cursor for a million rows)."""
    with connection.cursor() as cursor:
        query = cursor.cursor.mogrify(sql, params)
        query = query.decode() if isinstance(query, bytes) else query
        buffer = io.StringIO()
        cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buffer)
    buffer.seek(0)
    return pd.read_csv(buffer, header=None, names=columns, dtype=dtypes)


def _orders_frame(store: Store, as_of: datetime.date) -> pd.DataFrame:
    _start, end = day_bounds(store.zone, as_of)
    if connection.vendor == "postgresql":
        # The same values as below, computed by the database: the store-local day as a date
        # ordinal and the paid amount in cents.
        return _copy_out(
            f"SELECT customer_id, ((paid_at AT TIME ZONE %s)::date - DATE '1970-01-01') "
            f"+ {_EPOCH_ORDINAL}, ROUND(paid_amount * 100)::bigint FROM analytics_order "
            "WHERE store_id = %s AND paid_at IS NOT NULL AND paid_at < %s",
            [store.time_zone, store.pk, end],
            ["customer_id", "day", "cents"],
            {"customer_id": np.int64, "day": np.int64, "cents": np.int64},
        )
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


def _prediction_frame(store: Store, inputs: PredictionInputs, predicted: Predicted) -> pd.DataFrame:
    """One row per customer, columns as in ``users_customerprediction`` (money rounded to
    cents, None where there is no value), with the previous fit's P(alive)."""
    if connection.vendor == "postgresql":
        previous = _copy_out(
            "SELECT customer_id, p_alive FROM users_customerprediction WHERE store_id = %s",
            [store.pk],
            ["customer_id", "previous_p_alive"],
            {"customer_id": np.int64, "previous_p_alive": np.float64},
        )
    else:
        previous = pd.DataFrame.from_records(
            CustomerPrediction.objects.filter(store=store).values_list("customer_id", "p_alive"),
            columns=["customer_id", "previous_p_alive"],
        )
    frame = pd.DataFrame(
        {
            "customer_id": inputs.customer_id,
            "repeat_purchases": inputs.x.astype(np.int64),
            "p_alive": predicted.p_alive.astype(np.float64),
            "expected_purchases_90d": predicted.expected_purchases.astype(np.float64),
        }
    )
    for column, values in (
        ("expected_order_value", predicted.expected_value),
        ("clv_90d", predicted.clv),
    ):
        if values is None:
            frame[column] = np.nan
        else:
            money = np.round(np.asarray(values, dtype=np.float64), 2)
            frame[column] = np.where(np.isfinite(money), money, np.nan)
    return frame.merge(previous, on="customer_id", how="left")


def _write_predictions(
    store: Store, fit: PredictionFit, inputs: PredictionInputs, predicted: Predicted
) -> int:
    """Replace the store's ``CustomerPrediction`` rows (inside the caller's transaction):
    COPY on PostgreSQL, ``bulk_create`` elsewhere. Returns the number written."""
    frame = _prediction_frame(store, inputs, predicted)
    CustomerPrediction.objects.filter(store=store).delete()
    if connection.vendor == "postgresql":
        frame.insert(0, "store_id", store.pk)
        frame.insert(1, "fit_id", fit.pk)
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False, na_rep="\\N")  # floats: repr, exact
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY users_customerprediction ({', '.join(frame.columns)}) FROM STDIN "
                "WITH (FORMAT csv, NULL '\\N')",
                buffer,
            )
        return len(frame)
    rows = [
        CustomerPrediction(
            store_id=store.pk,
            customer_id=customer_id,
            fit=fit,
            repeat_purchases=repeat,
            p_alive=p_alive,
            previous_p_alive=None if previous != previous else previous,
            expected_purchases_90d=purchases,
            expected_order_value=None if value != value else _money(value),
            clv_90d=None if clv != clv else _money(clv),
        )
        for customer_id, repeat, p_alive, purchases, value, clv, previous in zip(
            frame["customer_id"].tolist(),
            frame["repeat_purchases"].tolist(),
            frame["p_alive"].tolist(),
            frame["expected_purchases_90d"].tolist(),
            frame["expected_order_value"].tolist(),
            frame["clv_90d"].tolist(),
            frame["previous_p_alive"].tolist(),
            strict=True,
        )
    ]
    CustomerPrediction.objects.bulk_create(rows, batch_size=5_000)
    return len(rows)


def predictions_fit(*, store: Store, as_of: datetime.date) -> PredictionFit:
    """Fit the store's models on its paid orders up to the end of local ``as_of`` and replace
    its customer predictions (keeping each customer's previous P(alive)). One transaction.

    Raises ``btyd.FitError`` (nothing written) when the history cannot identify the model."""
    started = time.perf_counter()
    orders = _orders_frame(store, as_of)
    read = time.perf_counter()
    inputs = purchase_summary(orders, as_of_ordinal=as_of.toordinal())
    outcome = fit_and_predict(inputs)
    fitted = time.perf_counter()
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
        written = _write_predictions(store, fit, inputs, predicted)
    logger.info(
        "predictions_fitted store_id=%s customers=%s orders=%s read=%.2fs "
        "summary_fit_predict=%.2fs (fit_predict=%.2fs) write=%.2fs",
        store.pk,
        written,
        len(orders),
        read - started,
        fitted - read,
        outcome.seconds,
        time.perf_counter() - fitted,
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
