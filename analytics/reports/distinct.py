"""Exact distinct counts over any range of days, from the packed id sets of the rollup.

UV and cart/order/pay visitors are the sizes of unions of the range's ``VisitorSet`` blobs;
paying buyers the number of distinct customers over its ``BuyerSet`` blobs and repeat buyers
those whose paid orders over the range add up to 2 or more (``analytics.idsets``). A range's
rows are read once (``RangeSets``, two queries) and every grouping a report needs — the whole
range, buckets (runs of days), channels, or both — is counted from them in numpy; never by
adding daily values.
"""

import bisect
import datetime
from dataclasses import dataclass

import numpy as np

from analytics import idsets
from analytics.models import BuyerSet, VisitorSet


@dataclass(frozen=True)
class DistinctCounts:
    paying_buyers: int = 0
    repeat_buyers: int = 0
    uv: int = 0
    cart_visitors: int = 0
    order_visitors: int = 0
    pay_visitors: int = 0


Key = tuple[int | None, str | None]

_VISITOR_SETS = ("visitors", "carted", "ordered", "paid")
_VISITOR_COUNTS = ("uv", "cart_visitors", "order_visitors", "pay_visitors")


class RangeSets:
    """The visitor and buyer sets of a store and range, read once and decoded once: every id
    of a kind of set in one array, with the day and channel of the row it came from, so each
    grouping is counted in a few vectorised passes (``idsets.distinct_per_group``)."""

    def __init__(self, *, store_id: int, start: datetime.date, end: datetime.date) -> None:
        self.start, self.end = start, end
        unit = {"store_id": store_id, "day__range": (start, end)}
        visitor_rows = list(
            VisitorSet.objects.filter(**unit).values_list("day", "channel", *_VISITOR_SETS)
        )
        self._visitor_keys = [(row[0], row[1]) for row in visitor_rows]
        #: Per kind of set: (ids, position of each id's row in ``_visitor_keys``).
        self._visitor_sets = [
            idsets.unpack_many(row[2 + i] for row in visitor_rows)
            for i in range(len(_VISITOR_SETS))
        ]
        buyer_rows = list(
            BuyerSet.objects.filter(**unit).values_list("day", "channel", "buyers", "orders")
        )
        self._buyer_keys = [(row[0], row[1]) for row in buyer_rows]
        self._buyers = idsets.unpack_many(row[2] for row in buyer_rows)
        # Each buyer's paid orders, aligned with the buyer ids (same rows, same lengths).
        self._orders = idsets.unpack_many(row[3] for row in buyer_rows)[0]

    @staticmethod
    def _groups(
        row_keys: list[tuple[datetime.date, str]],
        bucket_ends: list[datetime.date] | None,
        by_channel: bool,
    ) -> tuple[np.ndarray, list[Key]]:
        """The group of each row, and the key of each group."""
        keys: dict[Key, int] = {}
        row_groups = np.empty(len(row_keys), dtype=np.int64)
        ends = [end.toordinal() for end in bucket_ends] if bucket_ends else None
        for position, (day, channel) in enumerate(row_keys):
            bucket = bisect.bisect_left(ends, day.toordinal()) if ends else None
            key = (bucket, channel if by_channel else None)
            row_groups[position] = keys.setdefault(key, len(keys))
        return row_groups, list(keys)

    def counts(
        self, *, bucket_ends: list[datetime.date] | None = None, by_channel: bool = False
    ) -> dict[Key, DistinctCounts]:
        """Distinct counts keyed by (bucket index, channel).

        ``bucket_ends`` are the inclusive last days of consecutive buckets covering the range
        (bucket ``i`` is ``(bucket_ends[i-1], bucket_ends[i]]``); without it the key's bucket
        is ``None``. Without ``by_channel`` the key's channel is ``None`` and a visitor or buyer
        seen through several channels counts once."""
        found: dict[Key, dict[str, int]] = {}
        row_groups, keys = self._groups(self._visitor_keys, bucket_ends, by_channel)
        per_set = [
            idsets.distinct_per_group(ids, row_groups[rows], len(keys))
            for ids, rows in self._visitor_sets
        ]
        for group, key in enumerate(keys):
            values = [int(counts[group]) for counts in per_set]
            if values[0]:
                found[key] = dict(zip(_VISITOR_COUNTS, values, strict=True))
        row_groups, keys = self._groups(self._buyer_keys, bucket_ends, by_channel)
        buyer_ids, rows = self._buyers
        paying, repeat = idsets.totals_per_group(
            buyer_ids, self._orders, row_groups[rows], len(keys)
        )
        for group, key in enumerate(keys):
            if paying[group]:
                found.setdefault(key, {}).update(
                    paying_buyers=int(paying[group]), repeat_buyers=int(repeat[group])
                )
        return {key: DistinctCounts(**values) for key, values in found.items()}
