"""RfmRunner: RFM segments, the 5x5 R-by-F grid and a segment's customers (``analytics.rfm``).

Reads the nightly snapshot (``RfmScore``) when it is for the requested day, otherwise computes
from the orders of the window (one aggregate query).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from analytics.metrics import MONEY_PLACES, rate
from analytics.rfm import SEGMENTS, SEGMENTS_BY_CODE, rfm_frame, snapshot_frame
from users.models import Customer

from .base import ReportRunner

AVERAGE_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class RfmQuery:
    as_of: datetime.date
    segment: str | None = None  # list this segment's customers
    customer_limit: int = 500

    def __post_init__(self) -> None:
        if self.segment is not None and self.segment not in SEGMENTS_BY_CODE:
            raise ValueError(f"unknown segment {self.segment!r}")


@dataclass(frozen=True)
class SegmentSummary:
    code: str
    name: str
    name_zh: str
    customers: int
    revenue: Decimal
    revenue_share: Decimal | None
    average_recency_days: Decimal | None
    average_frequency: Decimal | None
    average_monetary: Decimal | None


@dataclass(frozen=True)
class RfmCustomer:
    customer_id: int
    external_id: str
    name: str
    recency_days: int
    frequency: int
    monetary: Decimal
    r_score: int
    f_score: int
    m_score: int
    segment: str


@dataclass(frozen=True)
class RfmResult:
    store_id: int
    as_of: datetime.date
    window_days: int
    scored_customers: int
    revenue: Decimal
    segments: tuple[SegmentSummary, ...]  # in SEGMENTS order, empty segments included
    grid: tuple[tuple[int, ...], ...]  # grid[r - 1][f - 1] = customers with scores (r, f)
    customers: tuple[RfmCustomer, ...]  # of ``query.segment``, by monetary desc


def _average(total, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / count).quantize(AVERAGE_PLACES)


class RfmRunner(ReportRunner[RfmQuery, RfmResult]):
    name = "rfm"
    version = 1

    def calculate(self) -> RfmResult:
        query, store = self.query, self.store
        frame = snapshot_frame(store=store, as_of=query.as_of)
        if frame is None:
            frame = rfm_frame(store=store, as_of=query.as_of)
        revenue = sum(frame["monetary"], Decimal("0.00")) if len(frame) else Decimal("0.00")
        grid = [[0] * 5 for _ in range(5)]
        for (r, f), count in frame.groupby(["r_score", "f_score"]).size().items():
            grid[int(r) - 1][int(f) - 1] = int(count)
        segments = []
        for definition in SEGMENTS:
            part = frame[frame["segment"] == definition.code]
            size = len(part)
            segment_revenue = sum(part["monetary"], Decimal("0.00"))
            segments.append(
                SegmentSummary(
                    code=definition.code,
                    name=definition.name,
                    name_zh=definition.name_zh,
                    customers=size,
                    revenue=segment_revenue,
                    revenue_share=rate(segment_revenue, revenue),
                    average_recency_days=_average(int(part["recency_days"].sum()), size),
                    average_frequency=_average(int(part["frequency"].sum()), size),
                    average_monetary=(
                        (segment_revenue / size).quantize(MONEY_PLACES) if size else None
                    ),
                )
            )
        customers: tuple[RfmCustomer, ...] = ()
        if query.segment is not None and len(frame):
            part = frame[frame["segment"] == query.segment]
            part = part.assign(_m=[Decimal(m) for m in part["monetary"]]).sort_values(
                ["_m", "customer_id"], ascending=[False, True]
            )[: query.customer_limit]
            names = {
                pk: (external_id, name)
                for pk, external_id, name in Customer.objects.filter(
                    store=store, pk__in=[int(c) for c in part["customer_id"]]
                ).values_list("pk", "external_id", "name")
            }
            customers = tuple(
                RfmCustomer(
                    customer_id=int(row.customer_id),
                    external_id=names[int(row.customer_id)][0],
                    name=names[int(row.customer_id)][1],
                    recency_days=int(row.recency_days),
                    frequency=int(row.frequency),
                    monetary=Decimal(row.monetary),
                    r_score=int(row.r_score),
                    f_score=int(row.f_score),
                    m_score=int(row.m_score),
                    segment=row.segment,
                )
                for row in part.itertuples(index=False)
            )
        return RfmResult(
            store_id=store.pk,
            as_of=query.as_of,
            window_days=store.rfm_window_days,
            scored_customers=len(frame),
            revenue=revenue,
            segments=tuple(segments),
            grid=tuple(tuple(row) for row in grid),
            customers=customers,
        )
