"""Packed id sets (analytics.idsets): the SQL aggregates write what ``pack`` writes, and the
counts over several sets per group equal a brute-force set union, on both counting paths."""

from unittest import mock

import numpy as np
import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import idsets

pytestmark = pytest.mark.django_db


def test_pack_and_unpack_round_trip():
    blob = idsets.pack([3, 17, 2**40])
    # Big-endian signed 64-bit, concatenated: what PostgreSQL's int8send writes.
    assert blob == (3).to_bytes(8, "big") + (17).to_bytes(8, "big") + (2**40).to_bytes(8, "big")
    assert idsets.unpack(blob).tolist() == [3, 17, 2**40]
    assert idsets.unpack(None).tolist() == []


def test_the_database_aggregate_packs_ascending_and_skips_nulls():
    # Values 9, NULL, 2, 5 in one group and 7 alone; the packed blob is sorted, NULL skipped.
    values = "SELECT 1 AS g, 9 AS v UNION ALL SELECT 1, NULL UNION ALL SELECT 1, 2 "
    values += "UNION ALL SELECT 1, 5 UNION ALL SELECT 2, 7"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT g, {idsets.pack_sql('v')} FROM ({values}) t GROUP BY g ORDER BY g")
        rows = cursor.fetchall()
    assert [bytes(blob) for _g, blob in rows] == [idsets.pack([2, 5, 9]), idsets.pack([7])]


def test_the_database_aggregate_packs_aligned_with_another_column():
    # Buyers 30, 10, 20 with 1, 3, 2 orders: the orders in the order of the buyer ids.
    values = "SELECT 30 AS c, 1 AS n UNION ALL SELECT 10, 3 UNION ALL SELECT 20, 2"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {idsets.pack_sql('c')}, {idsets.pack_sql('n', order_by='c')} FROM ({values}) t"
        )
        buyers, orders = cursor.fetchone()
    assert idsets.unpack(buyers).tolist() == [10, 20, 30]
    assert idsets.unpack(orders).tolist() == [3, 2, 1]


def test_unpack_many_decodes_every_blob_in_order_with_its_row():
    blobs = [idsets.pack([4, 9]), None, idsets.pack([2**40]), idsets.pack([1, 2, 3])]
    ids, rows = idsets.unpack_many(blobs)
    assert ids.tolist() == [4, 9, 2**40, 1, 2, 3]
    assert rows.tolist() == [0, 0, 2, 3, 3, 3]  # the empty set (row 1) has no ids
    empty_ids, empty_rows = idsets.unpack_many([])
    assert empty_ids.tolist() == [] and empty_rows.tolist() == []


grouped_rows_st = st.lists(
    st.tuples(st.integers(0, 3), st.dictionaries(st.integers(0, 200), st.integers(1, 3))),
    max_size=12,
)


def grouped_path(dense: bool):
    """Force the dense table or the sorting path of the grouped counts."""
    return mock.patch.object(idsets, "GROUPED_CELLS", 10**9 if dense else 0)


@settings(max_examples=80, deadline=None)
@given(rows=grouped_rows_st, offset=st.sampled_from([0, 10**12]), dense=st.booleans())
def test_grouped_counts_equal_a_brute_force_union_per_group(rows, offset, dense):
    # Each row is one set (a day-channel's buyers with their paid orders) in group 0..3.
    blobs = [idsets.pack(sorted(offset + i for i in members)) for _group, members in rows]
    orders = [idsets.pack([members[i] for i in sorted(members)]) for _group, members in rows]
    ids, row_of = idsets.unpack_many(blobs)
    values = idsets.unpack_many(orders)[0]
    groups = np.array([group for group, _members in rows], dtype=np.int64)[row_of]
    expected_distinct, expected_repeat = [0] * 4, [0] * 4
    for group in range(4):
        totals: dict[int, int] = {}
        for row_group, members in rows:
            if row_group == group:
                for member, count in members.items():
                    totals[member] = totals.get(member, 0) + count
        expected_distinct[group] = len(totals)
        expected_repeat[group] = sum(1 for total in totals.values() if total >= 2)
    with grouped_path(dense):
        assert idsets.distinct_per_group(ids, groups, 4).tolist() == expected_distinct
        paying, repeat = idsets.totals_per_group(ids, values, groups, 4)
    assert paying.tolist() == expected_distinct
    assert repeat.tolist() == expected_repeat
