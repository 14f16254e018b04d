"""Exact distinct counts over any range of days, from the packed id sets of the rollup.

UV and cart/order/pay visitors are the sizes of unions of the range's ``VisitorSet`` blobs;
paying buyers the number of distinct customers over its ``BuyerSet`` blobs and repeat buyers
those whose paid orders over the range add up to 2 or more (``analytics.idsets``). A range's
rows are read once (``RangeSets``, two queries) and every grouping a report needs — the whole
range, buckets (runs of days), channels, or both — is counted from them in numpy; never by
adding daily values.
"""

import datetime
from dataclasses import dataclass

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
    """The visitor and buyer sets of a store and range, read once and decoded once."""

    def __init__(self, *, store_id: int, start: datetime.date, end: datetime.date) -> None:
        self.start, self.end = start, end
        unit = {"store_id": store_id, "day__range": (start, end)}
        self.visitors = [
            (day, channel, [idsets.unpack(blob) for blob in blobs])
            for day, channel, *blobs in VisitorSet.objects.filter(**unit).values_list(
                "day", "channel", *_VISITOR_SETS
            )
        ]
        self.buyers = [
            (day, channel, idsets.unpack(buyers), idsets.unpack(orders))
            for day, channel, buyers, orders in BuyerSet.objects.filter(**unit).values_list(
                "day", "channel", "buyers", "orders"
            )
        ]

    def counts(
        self, *, bucket_ends: list[datetime.date] | None = None, by_channel: bool = False
    ) -> dict[Key, DistinctCounts]:
        """Distinct counts keyed by (bucket index, channel).

        ``bucket_ends`` are the inclusive last days of consecutive buckets covering the range
        (bucket ``i`` is ``(bucket_ends[i-1], bucket_ends[i]]``); without it the key's bucket
        is ``None``. Without ``by_channel`` the key's channel is ``None`` and a visitor or buyer
        seen through several channels counts once."""

        def key_of(day: datetime.date, channel: str) -> Key:
            bucket = None
            if bucket_ends:
                bucket = next(i for i, last in enumerate(bucket_ends) if day <= last)
            return bucket, channel if by_channel else None

        found: dict[Key, dict[str, int]] = {}
        visitor_groups: dict[Key, list[list]] = {}
        for day, channel, arrays in self.visitors:
            visitor_groups.setdefault(key_of(day, channel), []).append(arrays)
        for key, group in visitor_groups.items():
            values = [
                idsets.distinct_count_arrays([arrays[i] for arrays in group])
                for i in range(len(_VISITOR_SETS))
            ]
            if values[0]:
                found[key] = dict(zip(_VISITOR_COUNTS, values, strict=True))
        buyer_groups: dict[Key, tuple[list, list]] = {}
        for day, channel, buyers, orders in self.buyers:
            ids, counts = buyer_groups.setdefault(key_of(day, channel), ([], []))
            ids.append(buyers)
            counts.append(orders)
        for key, (ids, counts) in buyer_groups.items():
            per_buyer = idsets.counts_by_id(ids, counts)
            if len(per_buyer):
                found.setdefault(key, {}).update(
                    paying_buyers=len(per_buyer), repeat_buyers=int((per_buyer >= 2).sum())
                )
        return {key: DistinctCounts(**values) for key, values in found.items()}
