"""Exact distinct counts over any range of days, from the de-duplicated rollup tables.

UV, cart/order/pay visitors come from ``VisitorDay`` (COUNT(DISTINCT visitor)); paying and
repeat buyers from ``BuyerDay`` (customers, and customers whose paid orders over the range add
up to 2 or more). Both can be grouped by bucket (a run of days) and/or channel in ONE query each;
never by adding daily values.
"""

import datetime
from dataclasses import dataclass

from django.db import connection

from analytics.models import BuyerDay, VisitorDay


@dataclass(frozen=True)
class DistinctCounts:
    paying_buyers: int = 0
    repeat_buyers: int = 0
    uv: int = 0
    cart_visitors: int = 0
    order_visitors: int = 0
    pay_visitors: int = 0


Key = tuple[int | None, str | None]

#: Sort memory of the distinct-count queries (PostgreSQL): a 279-day range of the benchmark
#: store sorts ~20 MB in memory instead of 6.5 MB on disk.
REPORT_WORK_MEM = "32MB"


def distinct_counts(
    *,
    store_id: int,
    start: datetime.date,
    end: datetime.date,
    bucket_ends: list[datetime.date] | None = None,
    by_channel: bool = False,
) -> dict[Key, DistinctCounts]:
    """Distinct counts of ``[start, end]``, keyed by (bucket index, channel).

    ``bucket_ends`` are the inclusive last days of consecutive buckets covering the range
    (bucket ``i`` is ``(bucket_ends[i-1], bucket_ends[i]]``); without it the key's bucket is
    ``None``. Without ``by_channel`` the key's channel is ``None`` and a visitor or buyer seen
    through several channels counts once.
    """
    ops = connection.ops
    params: dict[str, object] = {
        "store": store_id,
        "d0": ops.adapt_datefield_value(start),
        "d1": ops.adapt_datefield_value(end),
    }
    if bucket_ends:
        whens = []
        for position, last in enumerate(bucket_ends):
            params[f"b{position}"] = ops.adapt_datefield_value(last)
            whens.append(f"WHEN day <= %(b{position})s THEN {position}")
        bucket = f"CASE {' '.join(whens)} END"
    else:
        bucket = "0"
    channel = "channel" if by_channel else "''"
    groups = [expr for expr, used in ((bucket, bool(bucket_ends)), (channel, by_channel)) if used]
    group_by = f"GROUP BY {', '.join(groups)}" if groups else ""
    where = "store_id = %(store)s AND day >= %(d0)s AND day <= %(d1)s"
    visitors_sql = f"""
        SELECT {bucket}, {channel}, COUNT(DISTINCT visitor_id),
               COUNT(DISTINCT CASE WHEN carted THEN visitor_id END),
               COUNT(DISTINCT CASE WHEN ordered THEN visitor_id END),
               COUNT(DISTINCT CASE WHEN paid THEN visitor_id END)
        FROM {VisitorDay._meta.db_table} WHERE {where} {group_by}
    """
    inner_group = ", ".join([*groups, "customer_id"])
    buyers_sql = f"""
        SELECT b, c, COUNT(*), SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END) FROM (
            SELECT {bucket} AS b, {channel} AS c, customer_id, SUM(paid_orders) AS n
            FROM {BuyerDay._meta.db_table} WHERE {where} GROUP BY {inner_group}
        ) t GROUP BY b, c
    """
    found: dict[Key, dict[str, int]] = {}

    def key_of(bucket_value, channel_value) -> Key:
        return (
            int(bucket_value) if bucket_ends else None,
            channel_value if by_channel else None,
        )

    if connection.vendor == "postgresql":
        # The COUNT(DISTINCT) sorts of a month spilled to disk at the 4 MB default. SET LOCAL
        # in the same simple query lasts for that query only (its implicit transaction), and
        # costs no extra round trip.
        visitors_sql = f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'; {visitors_sql}"
        buyers_sql = f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'; {buyers_sql}"
    with connection.cursor() as cursor:
        cursor.execute(visitors_sql, params)
        for b, c, uv, cart, ordered, paid in cursor.fetchall():
            if not uv:
                continue
            found.setdefault(key_of(b, c), {}).update(
                uv=uv, cart_visitors=cart, order_visitors=ordered, pay_visitors=paid
            )
        cursor.execute(buyers_sql, params)
        for b, c, buyers, repeat in cursor.fetchall():
            found.setdefault(key_of(b, c), {}).update(
                paying_buyers=buyers, repeat_buyers=int(repeat or 0)
            )
    return {key: DistinctCounts(**values) for key, values in found.items()}
