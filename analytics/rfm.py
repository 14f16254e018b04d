"""RFM (RFM 模型) of DOMAIN.md: scores, segments and the nightly snapshot.

As of store-local day D, over the paid orders whose paid local day is in
``[D - rfm_window_days + 1, D]`` (365 days including D by default):
R = D - the last paid local day (0 = paid on D), F = number of paid orders, M = paid amount.
Only customers with at least one paid order in the window are scored.

Score of a value: ``1 + floor(5 x w / n)`` capped at 5, where n is the number of scored
customers and w the number of them whose value is strictly worse (a larger R; a smaller F or M).
Equal values therefore always get equal scores. Segments come from (R score, F score) through
``SEGMENT_GRID``, which covers each of the 25 cells exactly once (checked at import).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from analytics.models import Order, RfmScore
from analytics.rollups.days import day_bounds
from opsdesk.models import Store

_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class SegmentDefinition:
    code: str
    name: str
    name_zh: str
    r_scores: tuple[int, ...]
    f_scores: tuple[int, ...]


SEGMENTS: tuple[SegmentDefinition, ...] = (
    SegmentDefinition("champions", "Champions", "重要价值", (5,), (4, 5)),
    SegmentDefinition("loyal", "Loyal", "忠诚客户", (3, 4), (4, 5)),
    SegmentDefinition("potential_loyalists", "Potential loyalists", "潜力客户", (4, 5), (2, 3)),
    SegmentDefinition("new_customers", "New customers", "新客户", (5,), (1,)),
    SegmentDefinition("promising", "Promising", "有潜力", (4,), (1,)),
    SegmentDefinition("need_attention", "Need attention", "需关注", (3,), (3,)),
    SegmentDefinition("about_to_sleep", "About to sleep", "将沉睡", (3,), (1, 2)),
    SegmentDefinition("at_risk", "At risk", "有流失风险", (1, 2), (3, 4)),
    SegmentDefinition("cant_lose_them", "Can't lose them", "重要挽留", (1, 2), (5,)),
    SegmentDefinition("hibernating", "Hibernating", "沉睡", (1, 2), (1, 2)),
)
SEGMENTS_BY_CODE: dict[str, SegmentDefinition] = {s.code: s for s in SEGMENTS}


def _build_grid() -> dict[tuple[int, int], str]:
    grid: dict[tuple[int, int], str] = {}
    for segment in SEGMENTS:
        for r in segment.r_scores:
            for f in segment.f_scores:
                if (r, f) in grid:
                    raise ValueError(f"RFM cell R={r} F={f} is in two segments")
                grid[(r, f)] = segment.code
    missing = {(r, f) for r in range(1, 6) for f in range(1, 6)} - set(grid)
    if missing:
        raise ValueError(f"RFM cells without a segment: {sorted(missing)}")
    return grid


#: (R score, F score) -> segment code, all 25 cells.
SEGMENT_GRID: dict[tuple[int, int], str] = _build_grid()


def segment_of(r_score: int, f_score: int) -> str:
    """The segment code of an (R, F) score pair."""
    return SEGMENT_GRID[(r_score, f_score)]


def scores(values: np.ndarray, *, larger_is_worse: bool) -> np.ndarray:
    """1..5 scores: ``1 + floor(5 x (share of values strictly worse))``, capped at 5."""
    count = len(values)
    if count == 0:
        return np.array([], dtype=np.int64)
    ordered = np.sort(values)
    if larger_is_worse:
        worse = count - np.searchsorted(ordered, values, side="right")
    else:
        worse = np.searchsorted(ordered, values, side="left")
    return np.minimum(5, 1 + (5 * worse) // count).astype(np.int64)


_COLUMNS = ["customer_id", "recency_days", "frequency", "monetary"]
_CENT = Decimal("0.01")


def _scored(frame: pd.DataFrame, cents: np.ndarray) -> pd.DataFrame:
    """Add the scores and the segment to a frame of customer_id, recency_days, frequency,
    monetary (``cents`` = monetary in cents, aligned)."""
    frame["r_score"] = scores(frame["recency_days"].to_numpy(), larger_is_worse=True)
    frame["f_score"] = scores(frame["frequency"].to_numpy(), larger_is_worse=False)
    frame["m_score"] = scores(cents, larger_is_worse=False)
    frame["segment"] = [
        SEGMENT_GRID[(r, f)] for r, f in zip(frame["r_score"], frame["f_score"], strict=True)
    ]
    return frame[[*_COLUMNS, "r_score", "f_score", "m_score", "segment"]]


def _frame_from_state(state: dict[str, np.ndarray], as_of: datetime.date) -> pd.DataFrame:
    """R, F, M from the customer state's RFM window sums (no order is read)."""
    scored = state["window_orders"] > 0
    cents = state["window_cents"][scored]
    frame = pd.DataFrame(
        {
            "customer_id": state["id"][scored],
            "recency_days": as_of.toordinal() - state["last_day"][scored],
            "frequency": state["window_orders"][scored],
            "monetary": [(Decimal(int(c)) / 100).quantize(_CENT) for c in cents],
        }
    )
    return _scored(frame, cents)


def rfm_frame(*, store: Store, as_of: datetime.date) -> pd.DataFrame:
    """One row per scored customer: customer_id, recency_days, frequency, monetary (Decimal),
    r_score, f_score, m_score, segment.

    From the customer state snapshot when the tier rollup left one as of ``as_of`` (a night:
    O(customers), no order read; ``users.tiers``), otherwise one aggregate query over the
    window's orders. Both give the same frame; then vectorised scoring."""
    from users.tiers import customer_state  # users.tiers reads analytics models

    state = customer_state(store=store, as_of=as_of)
    if state is not None:
        return _frame_from_state(state, as_of)
    first_day = as_of - datetime.timedelta(days=store.rfm_window_days - 1)
    start, end = day_bounds(store.zone, first_day, as_of)
    frame = pd.DataFrame.from_records(
        Order.objects.filter(store=store, paid_at__gte=start, paid_at__lt=end)
        .values("customer_id")
        .annotate(last=Max("paid_at"), frequency=Count("id"), monetary=Sum("paid_amount"))
        .values_list("customer_id", "last", "frequency", "monetary"),
        columns=["customer_id", "last", "frequency", "monetary"],
    )
    if frame.empty:
        return pd.DataFrame(columns=[*_COLUMNS, "r_score", "f_score", "m_score", "segment"])
    local = pd.to_datetime(frame["last"], utc=True).dt.tz_convert(store.time_zone)
    last_ordinal = (
        local.dt.tz_localize(None).to_numpy().astype("datetime64[D]").astype(np.int64)
        + _EPOCH_ORDINAL
    )
    frame["recency_days"] = as_of.toordinal() - last_ordinal
    frame["frequency"] = frame["frequency"].astype(np.int64)
    frame["monetary"] = [Decimal(m).quantize(Decimal("0.01")) for m in frame["monetary"]]
    cents = np.array([int(Decimal(m) * 100) for m in frame["monetary"]], dtype=np.int64)
    return _scored(frame, cents)


def rfm_snapshot_write(*, store: Store, as_of: datetime.date) -> int:
    """Replace the store's RFM snapshot with the one as of ``as_of`` (one transaction, bulk).
    Returns the number of scored customers."""
    frame = rfm_frame(store=store, as_of=as_of)
    now = timezone.now()
    if connection.vendor == "postgresql":
        with transaction.atomic():
            _replace_scores_postgresql(store.pk, as_of, now, frame)
        return len(frame)
    rows = [
        RfmScore(
            store_id=store.pk,
            customer_id=int(row.customer_id),
            as_of=as_of,
            recency_days=int(row.recency_days),
            frequency=int(row.frequency),
            monetary=row.monetary,
            r_score=int(row.r_score),
            f_score=int(row.f_score),
            m_score=int(row.m_score),
            segment=row.segment,
            computed_at=now,
        )
        for row in frame.itertuples(index=False)
    ]
    with transaction.atomic():
        RfmScore.objects.filter(store=store).delete()
        RfmScore.objects.bulk_create(rows, batch_size=5_000)
    return len(rows)


def _replace_scores_postgresql(
    store_id: int, as_of: datetime.date, now: datetime.datetime, frame: pd.DataFrame
) -> None:
    """DELETE the store's rows and INSERT the frame in one statement (``unnest`` of one array
    per column): no model instance per row, which was 90% of a night's RFM time."""
    table = RfmScore._meta.db_table
    columns = {
        "customer_id": ("bigint", [int(v) for v in frame["customer_id"]]),
        "recency_days": ("integer", [int(v) for v in frame["recency_days"]]),
        "frequency": ("integer", [int(v) for v in frame["frequency"]]),
        "monetary": ("numeric", list(frame["monetary"])),
        "r_score": ("smallint", [int(v) for v in frame["r_score"]]),
        "f_score": ("smallint", [int(v) for v in frame["f_score"]]),
        "m_score": ("smallint", [int(v) for v in frame["m_score"]]),
        "segment": ("text", list(frame["segment"])),
    }
    unnest = ", ".join(f"%s::{kind}[]" for kind, _values in columns.values())
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE store_id = %s", [store_id])
        cursor.execute(
            f"""
            INSERT INTO {table} (store_id, as_of, computed_at, {", ".join(columns)})
            SELECT %s, %s, %s, t.* FROM unnest({unnest}) AS t
            """,
            [store_id, as_of, now, *(values for _kind, values in columns.values())],
        )


def snapshot_frame(*, store: Store, as_of: datetime.date) -> pd.DataFrame | None:
    """The stored snapshot as a frame like ``rfm_frame``'s, or None if it is not for ``as_of``."""
    latest = RfmScore.objects.filter(store=store).values_list("as_of", flat=True).first()
    if latest != as_of:
        return None
    return pd.DataFrame.from_records(
        RfmScore.objects.filter(store=store).values_list(
            "customer_id",
            "recency_days",
            "frequency",
            "monetary",
            "r_score",
            "f_score",
            "m_score",
            "segment",
        ),
        columns=[
            "customer_id",
            "recency_days",
            "frequency",
            "monetary",
            "r_score",
            "f_score",
            "m_score",
            "segment",
        ],
    )
