"""Packed id sets: the visitors of a store-local day and channel as one blob, so the exact
distinct count over ANY range of days is a union of a few hundred blobs in numpy instead of a
``COUNT(DISTINCT)`` over millions of visitor-day rows.

Format: the ids as big-endian signed 64-bit integers, concatenated in ascending order, without
repeats within one blob (the rollup groups by visitor first), so equal sets are equal bytes
and a re-run writes identical rows. That is what PostgreSQL's
``string_agg(int8send(id), '' ORDER BY id)`` writes, so the database packs the sets itself
while it aggregates the events; on SQLite the aggregate ``opsdesk_pack_ids(id)`` registered
below writes the same bytes. An empty set is stored as NULL.

``pack_sql(column)`` gives the packing aggregate of the current database; ``unpack`` reads a
blob into a numpy array and ``unpack_many`` several blobs in one pass; ``distinct_per_group``
counts the distinct ids of each group of sets (the days of a rollup, the buckets or channels
of a report: a bitmap over groups x the ids' span when the ids are dense, as a store's are,
else a sort) and ``totals_per_group`` also adds up aligned counts per id (a buyer's paid
orders).
"""

from collections.abc import Iterable

import numpy as np
from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver

DTYPE = np.dtype(">i8")
SQLITE_AGGREGATE = "opsdesk_pack_ids"


def pack_sql(expression: str, *, order_by: str | None = None) -> str:
    """SQL of the aggregate that packs the non-NULL values of ``expression`` (integers), in
    the order of ``order_by`` (default: the values themselves; another column packs values
    aligned with an id set, e.g. each buyer's paid orders in the order of the buyer ids)."""
    order_by = order_by or expression
    if connection.vendor == "postgresql":
        packed = f"int8send(CAST({expression} AS bigint))"
        return f"string_agg({packed}, ''::bytea ORDER BY {order_by})"
    return f"{SQLITE_AGGREGATE}({expression}, {order_by})"


def pack(ids: Iterable[int] | np.ndarray) -> bytes:
    """The blob of ``ids``, which must be distinct and ascending (the same bytes the SQL
    aggregates write)."""
    return np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=DTYPE).tobytes()


def unpack(blob: bytes | memoryview | None) -> np.ndarray:
    """The ids of a blob as an int64 array (empty for NULL)."""
    if not blob:
        return np.empty(0, dtype=np.int64)
    return np.frombuffer(blob, dtype=DTYPE).astype(np.int64, copy=False)


def unpack_many(blobs: Iterable[bytes | memoryview | None]) -> tuple[np.ndarray, np.ndarray]:
    """Several blobs decoded in one pass: ``(ids, rows)``, every id of every blob in blob
    order, and for each id the position of its blob. One ``frombuffer`` over the joined bytes
    instead of one per blob (a year of a store by channel is ~20,000 blobs)."""
    blobs = list(blobs)
    lengths = np.fromiter(
        (len(blob) // DTYPE.itemsize if blob else 0 for blob in blobs),
        dtype=np.int64,
        count=len(blobs),
    )
    ids = np.frombuffer(b"".join(blob for blob in blobs if blob), dtype=DTYPE).astype(np.int64)
    return ids, np.repeat(np.arange(len(blobs), dtype=np.int64), lengths)


#: A grouped count uses a flat bitmap (or a dense sum) over groups x id span while it has at
#: most this many cells and is not much sparser than the ids; else it sorts (``np.unique``).
GROUPED_CELLS = 32_000_000
GROUPED_SPARSITY = 64


def _grouped_keys(ids: np.ndarray, groups: np.ndarray, group_count: int, *, cell_bytes: int = 1):
    """(key of each (group, id) pair, id span, whether a dense table over the keys is worth
    it). Keys are ``group * span + (id - lowest id)``; a table cell takes ``cell_bytes``."""
    low = int(ids.min())
    span = int(ids.max()) - low + 1
    cells = group_count * span
    limit = min(GROUPED_CELLS // cell_bytes, GROUPED_SPARSITY * len(ids) + 65_536)
    dense = cells <= limit
    return groups.astype(np.int64) * span + (ids - low), span, dense


def distinct_per_group(ids: np.ndarray, groups: np.ndarray, group_count: int) -> np.ndarray:
    """The number of distinct ids in each group ``0 .. group_count - 1`` (``groups`` aligned
    with ``ids``): a set seen in several rows of one group counts once."""
    if not len(ids):
        return np.zeros(group_count, dtype=np.int64)
    keys, span, dense = _grouped_keys(ids, groups, group_count)
    if dense:
        seen = np.zeros(group_count * span, dtype=bool)
        seen[keys] = True
        return np.count_nonzero(seen.reshape(group_count, span), axis=1).astype(np.int64)
    return np.bincount(np.unique(keys) // span, minlength=group_count)


def totals_per_group(
    ids: np.ndarray, values: np.ndarray, groups: np.ndarray, group_count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per group: the number of distinct ids, and the number of those whose ``values`` add up
    to 2 or more within the group (paying and repeat buyers from ids and paid orders)."""
    if not len(ids):
        zeros = np.zeros(group_count, dtype=np.int64)
        return zeros, zeros.copy()
    keys, span, dense = _grouped_keys(ids, groups, group_count, cell_bytes=8)
    if dense:
        sums = np.bincount(keys, weights=values, minlength=group_count * span)
        sums = sums.reshape(group_count, span)
        return (
            np.count_nonzero(sums > 0, axis=1).astype(np.int64),
            np.count_nonzero(sums >= 2, axis=1).astype(np.int64),
        )
    unique, inverse = np.unique(keys, return_inverse=True)
    sums = np.bincount(inverse, weights=values)
    owners = unique // span
    return (
        np.bincount(owners, minlength=group_count),
        np.bincount(owners[sums >= 2], minlength=group_count),
    )


class _PackIds:
    """SQLite aggregate: pack the non-NULL integer values of a group in the order of their
    keys (``pack_sql``)."""

    def __init__(self) -> None:
        self.pairs: list[tuple] = []

    def step(self, value, key) -> None:
        if value is not None:
            self.pairs.append((key, int(value)))

    def finalize(self) -> bytes | None:
        if not self.pairs:
            return None
        self.pairs.sort(key=lambda pair: pair[0])
        return np.asarray([value for _key, value in self.pairs], dtype=DTYPE).tobytes()


@receiver(connection_created)
def _register_sqlite_aggregate(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_AGGREGATE, 2, _PackIds)
