"""The PostgreSQL fast path of an orders import: the file is COPYed as text into a staging
table and checked, converted and written with a handful of set-based SQL statements.

Contract (what makes it safe to have two paths):

- It is only tried on PostgreSQL, for CSV files (UTF-8, UTF-8 with BOM, GBK, GB18030; the
  two last not with a ``|`` delimiter) of kind ``orders`` whose preset has no fill-down,
  joined or skipped columns (the generic template; platform exports with those go through
  the Python path).
- It writes only files that the Python path (``services.RowParser`` + ``kinds.OrdersWriter``)
  would import WITHOUT a problem, and then writes exactly what that path writes (same orders,
  lines, refunds, created customers, counts, stale days). It accepts only the canonical cell
  forms (``2026-11-01 10:00:00``, ``1234.50``, plain integers, the fields' choices, the
  preset's value translations and defaults) and checks every rule of the writer in SQL.
- Anything else — a cell in another accepted form (Chinese dates, ``¥1,234``), a bad cell,
  a duplicate or non-consecutive order, a missing SKU, a row PostgreSQL cannot read as CSV,
  an ambiguous local time at a DST change, any database error — raises ``Fallback``: the
  savepoint is rolled back (nothing of the fast path remains) and the Python path reads the
  file, writes it or produces the error report. Error reports therefore always come from the
  one Python implementation (row, column, value, reason).

- Its writes run with the per-row foreign-key triggers off where the database role may turn
  them off (``_row_checks_off``); ``_check_references`` then does their work set-based, with
  the same locks, before the triggers are turned back on.

``tests/imports/test_fastpath.py`` imports the same files through both paths and compares
rows, counts and error reports.
"""

import contextlib
import datetime
import itertools
import re
import zoneinfo
from collections.abc import Callable, Iterator

import numpy as np
from django.db import DatabaseError, connection, transaction

from analytics.models import ImportKind, Order, OrderLine, OrderStatus, Refund
from catalog.models import Sku
from opsdesk.models import Store
from users.models import Customer

from .kinds import Context
from .presets import BOOL, DATE, DATETIME, INT, MONEY, Preset
from .reading import Table

#: Switch for tests and benchmarks (compare both paths); production leaves it on.
ENABLED = True
#: Fewest rows a write adds to a table for its secondary indexes to be built after the rows
#: rather than row by row (``_indexes_built_after``); and how long the import waits for the
#: table to be free before it keeps the indexes instead.
BULK_MIN_ROWS = 50_000
BULK_LOCK_WAIT = "1s"

PG_ENCODINGS = {"utf-8": "UTF8", "utf-8-sig": "UTF8", "gbk": "GBK", "gb18030": "GB18030"}
# What Python's str.strip() removes besides space/tab/CR/LF (kept out of the fast path).
_ODD_SPACE = "\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
_ODD_SPACE += "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_TRUE = ("1", "true", "yes", "y", "是", "t", "x")
_FALSE = ("0", "false", "no", "n", "否", "f")
_counter = itertools.count()
#: The staging tables ``imp_<name>``, dropped in this order when ``_run`` is done.
_STAGING = ("raw", "rows", "skus", "missing", "cust", "newcust", "ord", "lines", "refunds")


class Fallback(Exception):
    """The fast path does not take this file; the Python path will."""


def eligible(kind: str, preset: Preset, table: Table) -> bool:
    return (
        ENABLED
        and connection.vendor == "postgresql"
        and kind == ImportKind.ORDERS
        and table.encoding in PG_ENCODINGS
        # (The byte scans take each delimiter byte for a delimiter: ``|`` is also the second
        # byte of some GBK and GB18030 characters.)
        and (table.delimiter != "|" or table.encoding.startswith("utf-8"))
        and not preset.fill_down_by
        and not preset.join
        and not preset.skip_rows_without
        and preset.missing_skus == "reject"
    )


def _windows(path: str, overlap: int) -> Iterator[bytes]:
    """The file at ``path`` read 4 MiB at a time, each piece with the last ``overlap`` bytes
    of the one before in front (a pattern of ``overlap`` + 1 bytes across two reads is found
    whole in one of them)."""
    tail = b""
    with open(path, "rb") as stream:
        while chunk := stream.read(4 * 1024 * 1024):
            part = tail + chunk
            yield part
            tail = part[-overlap:]


def _stray_quote(path: str, delimiter: str) -> bool:
    """A quote inside an unquoted cell (``ab"c``): Python's csv keeps it, PostgreSQL's COPY
    starts a quoted section there, so the two would read different cells. (Doubled quotes
    inside a quoted cell and quotes next to a delimiter or a line end are fine.)"""
    d = re.escape(delimiter.encode())
    pattern = re.compile(rb"[^" + d + rb'\r\n"]"[^' + d + rb'\r\n"]')
    # (The search only where there is a quote: a byte search is ~30x faster.)
    return any(b'"' in part and pattern.search(part) for part in _windows(path, 2))


def _bytes_table(values: bytes) -> np.ndarray:
    """A look-up table of the 256 byte values: true for those in ``values``."""
    table = np.zeros(256, dtype=bool)
    table[list(values)] = True
    return table


def _around(a: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bytes before and after the positions ``at`` of the byte array ``a``, for those
    positions that have both (an end of a read chunk is seen whole in the next one: the chunks
    of ``_windows`` overlap)."""
    at = at[(at > 0) & (at < len(a) - 1)]
    return a[at - 1], a[at + 1]


def _edge_space(path: str, delimiter: str) -> bool:
    """Whether a cell may start or end with a space, tab, CR or LF (what ``_run`` trims
    otherwise): a space or tab next to a delimiter, a line end or a quote, a line end just
    inside a quoted cell's quotes, or a space ending the file. Conservative (such bytes
    inside a quoted cell count too): a file without any (the usual export) saves the trim of
    every cell. A space, tab, CR, LF, quote or delimiter is never part of a multibyte
    character in UTF-8, GBK or GB18030.

    Vectorised (numpy) over each 4 MiB chunk: the spaces and quotes are found once and their
    neighbours looked up in tables. (A byte search per pair read the file a dozen times:
    ~0.45 s of a 1,000,000-row file, against ~0.12 s.)"""
    d = delimiter.encode()
    spaces = [c for c in b" \t" if bytes([c]) != d]
    ends = _bytes_table(b"\n\r")
    beside = _bytes_table(d[:1] + b'\n\r"')  # next to a space at a cell's edge
    bounds = _bytes_table(d[:1] + b"\n\r")  # before an opening or after a closing quote
    part = b""
    for part in _windows(path, 2):
        a = np.frombuffer(part, dtype=np.uint8)
        if any(bytes([c]) in part for c in spaces):
            mask = a == spaces[0]
            for c in spaces[1:]:
                mask |= a == c
            before, after = _around(a, np.flatnonzero(mask))
            if beside[before].any() or beside[after].any():
                return True
        if b'"' in part:
            before, after = _around(a, np.flatnonzero(a == ord('"')))
            # A line end just inside the quotes: opening ``,"\n``, closing ``\n",``.
            if (bounds[before] & ends[after]).any() or (ends[before] & bounds[after]).any():
                return True
    return part[-1:] in (b" ", b"\t") or part[-2:] in (b'\n"', b'\r"')


def _line_starts(path: str, delimiter: str) -> tuple[bool, bool]:
    """What the lines of the file at ``path`` may start with: whether a line is just ``\\.``,
    and whether a line may be blank.

    ``\\.`` alone on a line ends the data of PostgreSQL's COPY, in CSV too: the rows after it
    would be dropped without a word, so such a file goes to the Python path. A blank line
    (every cell empty or spaces; the Python path skips it) starts with a delimiter, a space
    or another blank, a quote, a line end or a byte beyond ASCII: when no line does, the
    fast path skips deleting blank rows. Conservative (a line end inside a quoted cell counts
    too). The byte after each line end is looked up in a table (numpy, per 4 MiB chunk:
    ~0.12 s of a 1,000,000-row file, where a byte search per two-byte start took ~1.8 s)."""
    first = _bytes_table(delimiter.encode()[:1] + b'"\r\n \t\v\f\x1c\x1d\x1e\x1f')
    first[0x80:] = True
    marks = [start + b"\\." + end for start in (b"\n", b"\r") for end in (b"\n", b"\r")]
    marker = blank = False
    part = b""
    for part in _windows(path, 3):
        marker = marker or (b"\\." in part and any(mark in part for mark in marks))
        if not blank:
            a = np.frombuffer(part, dtype=np.uint8)
            for end in (b"\n", b"\r"):
                if end in part:
                    after = a[np.flatnonzero(a[:-1] == end[0]) + 1]
                    starts = first[after]
                    if end == b"\r":  # (CR LF is one line end)
                        starts &= after != ord("\n")
                    blank = blank or bool(starts.any())
        if marker and blank:
            break
    return marker or part.endswith((b"\n\\.", b"\r\\.")), blank


def _odd_cells(path: str, delimiter: str, encoding: str) -> bool:
    """Whether a cell of the file may hold a quote or start or end with ``=``, ``'`` or one of
    the odd spaces: what ``_field_exprs`` otherwise checks in every text cell (the Python path
    reads such cells differently), ~0.8 s of a 1,000,000-row file's one pass. Conservative
    byte searches, each only where a 4 MiB chunk holds the bytes at all: a doubled quote
    anywhere (a quote inside a quoted cell, or an empty quoted cell), ``=`` or ``'`` next to
    a delimiter, a line end, a quote or the file's ends, an odd space anywhere. The odd
    spaces are searched as the file's encoding writes them (a match across two GBK
    characters only makes the answer "yes")."""
    d = delimiter.encode()
    codec = "utf-8" if encoding.startswith("utf-8") else encoding  # (utf-8-sig adds a BOM)
    odd = []
    for char in _ODD_SPACE:
        try:
            odd.append(char.encode(codec))
        except UnicodeEncodeError:  # not in the encoding: not in the file
            continue
    single = [b for b in odd if len(b) == 1]
    multi = [b for b in odd if len(b) > 1]
    around = (d, b"\n", b"\r", b'"', b" ", b"\t")  # (spaces: a trim may uncover it)
    part = b""
    for number, part in enumerate(_windows(path, 3)):  # (GB18030 writes some in 4 bytes)
        if b'""' in part or any(b in part for b in single):
            return True
        if not part.isascii() and any(b in part for b in multi):
            return True
        for mark in (b"=", b"'"):
            if mark in part and (
                any(mark + n in part or n + mark in part for n in around)
                or (number == 0 and part.startswith(mark))
            ):
                return True
    return part[-1:] in (b"=", b"'")


def _has_dst(zone: zoneinfo.ZoneInfo) -> bool:
    return any(
        datetime.datetime(year, 1, 1, tzinfo=zone).utcoffset()
        != datetime.datetime(year, 7, 1, tzinfo=zone).utcoffset()
        for year in range(2010, 2041)
    )


def _quarter(column: str) -> str:
    """SQL of the quarter hour (UTC-aligned) the time in ``column`` lies in."""
    return f"date_bin('15 minutes', {column}, timestamptz '2000-01-01 00:00+00')"


def _lit(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


class _Sql:
    def __init__(self, cursor, suffix: str) -> None:
        self.cursor = cursor
        self.suffix = suffix
        #: A table is locked for a rebuild of its indexes already (``_drop_secondary_indexes``).
        self.holds_table = False

    def __call__(self, sql: str, params=None):
        self.cursor.execute(sql.replace("__", self.suffix), params)
        return self.cursor

    def one(self, sql: str, params=None):
        return self(sql, params).fetchone()[0]


@contextlib.contextmanager
def _local_setting(sql: _Sql, name: str, value: str) -> Iterator[None]:
    """``name`` set to ``value`` for the statements inside, then back to what it was. (No
    ``finally``: on an error the caller's savepoint is rolled back, the setting with it.)"""
    before = sql.one("SELECT current_setting(%s)", [name])
    sql("SELECT set_config(%s, %s, true)", [name, value])
    yield
    sql("SELECT set_config(%s, %s, true)", [name, before])


def run(
    *,
    path: str,
    table: Table,
    preset: Preset,
    columns: dict[str, int],
    ctx: Context,
    progress: Callable[[int], None],
    preview: bool = False,
) -> int:
    """Import the orders file at ``path`` (already opened as ``table`` for its header) into
    ``ctx.store``; fills ``ctx`` (counts, extra, stale days) and returns the rows read. Raises
    ``Fallback`` having written nothing when the file is not for this path. A ``preview``
    (rolled back by the caller) keeps the tables' indexes (``_indexes_built_after``): it
    does not lock them against other sessions."""
    suffix = f"_{next(_counter)}"
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                sql = _Sql(cursor, suffix)
                # Dates read and written as ISO (``_typed``), for the fast path only.
                with _local_setting(sql, "datestyle", "ISO, YMD"):
                    rows = _run(sql, path, table, preset, columns, ctx, progress, preview)
                for name in _STAGING:
                    sql(f"DROP TABLE IF EXISTS imp_{name}__")
            return rows
    except DatabaseError as error:
        raise Fallback(str(error)) from error


def _field_exprs(
    preset: Preset, columns: dict[str, int], *, plain: bool = False
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """For the one pass of ``_run`` over the trimmed cells ``t<i>`` of ``imp_raw``: SQL of
    each present field's value; SQL of its cell (``k_<name>``, the preset's default in place
    of an empty cell; ``k_<name>_raw`` for a text field) and of a typed cell read as its type
    (``p_<name>``), a level below the values; and the SQL conditions, over those names, that
    send a row to the Python path. A typed cell not in its canonical form gives NULL. With
    ``plain`` (``_odd_cells``: the file has none), the text cells are not checked for what
    Python reads differently at their edges."""
    exprs: dict[str, str] = {}
    cells: dict[str, str] = {}
    bad: list[str] = []
    specs = {spec.name: spec for spec in preset.fields}
    for name, spec in specs.items():
        if name not in columns and name not in preset.defaults:
            continue
        if name in columns:
            cell = f"t{columns[name]}"
            if (spec.type == "text" or spec.choices) and not plain:
                # Cells Python reads differently: ="..." wrappers, a leading quote, quotes
                # inside a cell, spaces str.strip() removes and btrim does not. (Typed
                # cells are held to digit-only forms below.)
                ends = ", ".join(_lit(c) for c in "='\t" + _ODD_SPACE)
                raw = f"k_{name}_raw"
                cells[raw] = cell
                bad.append(
                    f"left({raw}, 1) IN ({ends}) OR right({raw}, 1) IN ({ends}) "
                    f"OR strpos({raw}, '\"') > 0"
                )
        else:
            cell = "NULL"
        if name in preset.defaults:
            default = preset.defaults[name]
            if isinstance(default, bool):
                default = "1" if default else "0"
            cell = f"COALESCE({cell}, {_lit(default)})"
        if spec.choices or spec.type == "text":
            value = cell
            table = preset.values.get(name)
            if table:
                cases = " ".join(
                    f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in table.items() if k != "*"
                )
                other = _lit(table["*"]) if "*" in table else cell
                value = f"CASE lower({cell}) {cases} ELSE {other} END"
                # A cell that is already one of the choices and no key (the usual ``paid``)
                # is told apart without ``lower``, which costs ~0.1 s a million cells.
                as_is = [c for c in spec.choices or () if c.isascii() and c == c.lower()]
                as_is = [c for c in as_is if c not in table]
                if as_is:
                    listed = ", ".join(map(_lit, as_is))
                    value = f"CASE WHEN {cell} IN ({listed}) THEN {other} ELSE {value} END"
                value = f"NULLIF({value}, '')"
            if spec.choices:
                choices = ", ".join(_lit(c) for c in spec.choices)
                bad.append(f"{name} NOT IN ({choices})")
            if spec.max_length:
                # (Bytes first: a cell of at most that many bytes has at most that many
                # characters, and counting bytes is free.)
                n = spec.max_length
                bad.append(f"octet_length({name}) > {n} AND char_length({name}) > {n}")
            exprs[name] = value
            continue
        # Typed: NULL unless the cell is in its one accepted form; a cell that is there and
        # converts to NULL sends the file to the Python path.
        cells[f"k_{name}"] = cell
        bad.append(f"(k_{name} IS NOT NULL AND {name} IS NULL)")
        if spec.type == BOOL:
            trues, falses = ", ".join(map(_lit, _TRUE)), ", ".join(map(_lit, _FALSE))
            exprs[name] = (
                f"CASE WHEN lower({cell}) IN ({trues}) THEN true "
                f"WHEN lower({cell}) IN ({falses}) THEN false END"
            )
        else:
            cells[f"p_{name}"], exprs[name] = _typed(spec.type, cell, f"k_{name}", f"p_{name}")
    return exprs, cells, bad


def _typed(kind: str, source: str, cell: str, parsed: str) -> tuple[str, str]:
    """SQL reading a typed cell (``source``) as its type, and SQL of the field's value from
    that reading (column ``parsed``) and the cell (column ``cell``): NULL unless the cell is
    in its canonical form. Canonical = PostgreSQL writes the value it read back as the very
    same text (``DateStyle`` ISO, set by ``run``): ``1234.50`` and ``2026-11-01 10:00:00``
    pass, ``+5``, ``1e3``, ``007``, ``NaN``, ``2026/11/01`` or an offset do not. A cell
    PostgreSQL cannot read at all raises, and the Python path takes the file. Each cell is
    read once (a level of its own in ``_run``); much cheaper than a regular expression. A
    local time becomes an instant in the session's time zone: ``_run`` sets the store's for
    the statement (a cast converts as ``AT TIME ZONE`` would, without looking the zone up by
    name for each cell)."""
    if kind == DATETIME:  # 2026-11-01 10:00:00 first (the usual form), then with T, no seconds
        return f"{source}::timestamp", (
            f"CASE WHEN (length({cell}) = 19 AND {parsed}::text = {cell}) "
            f"OR (length({cell}) IN (16, 19) "
            f"AND {parsed}::text = rpad(replace({cell}, 'T', ' '), 19, ':00')) "
            f"THEN {parsed}::timestamptz END"
        )
    if kind == MONEY:  # at most 2 decimals (scale: NULL for NaN); at most 12 digits, as
        # values.money: numeric(14, 2) raises beyond (an error sends the file to the Python
        # path, as NULL does; no abs() of every cell)
        return f"{source}::numeric", (
            f"CASE WHEN {parsed}::text = {cell} AND scale({parsed}) <= 2 "
            f"THEN {parsed}::numeric(14, 2) END"
        )
    if kind == INT:
        return f"{source}::integer", (
            f"CASE WHEN {parsed}::text = {cell} AND abs({parsed}) < 1000000000 THEN {parsed} END"
        )
    if kind == DATE:
        return f"{source}::date", (
            f"CASE WHEN length({cell}) = 10 AND {parsed}::text = {cell} THEN {parsed} END"
        )
    raise ValueError(f"no canonical form for {kind}")


_TRIGGERED = (Customer, Order, OrderLine, Refund)
#: An order's first row that breaks a rule of the writer (SQL over ``imp_rows``' columns).
_BAD_ORDER = """
    customer_id IS NULL OR created_at IS NULL OR status IS NULL OR paid_amount IS NULL
    OR paid_at < created_at OR paid_amount < 0 OR goods_amount < 0 OR discount_amount < 0
    OR shipping_amount < 0 OR refund_amount < 0 OR coalesce(refund_amount, 0) > paid_amount
    OR (coalesce(refund_amount, 0) > 0 AND paid_at IS NULL)
"""


def _row_checks_off(sql: _Sql) -> str:
    """Turn the per-row foreign-key triggers of this transaction's next writes off (PostgreSQL's
    ``session_replication_role = replica``, the setting logical replication applies rows
    with); returns the role to restore, or ``""`` when they stay on.

    Each row the import writes would otherwise queue a trigger that looks its store, customer,
    order or SKU up one by one at commit: most of a large file's time. ``_check_references``
    does the same work as a few set-based statements. They stay on when the database does not
    let this role change the setting (PostgreSQL 15+: ``GRANT SET ON PARAMETER
    session_replication_role TO <role>``; superusers may), when a table written has a
    trigger of its own (one opsdesk did not create, which replica mode would skip) and when
    a foreign key points at a table the import deletes rows from."""
    tables = [model._meta.db_table for model in _TRIGGERED]
    if sql.one(
        "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE NOT tgisinternal "
        "AND tgrelid = ANY (%s::regclass[]))",
        [tables],
    ):
        return ""
    # Rows the import deletes (lines, refunds) must be referenced by nothing: a foreign key to
    # them would go unchecked (today none; one added later keeps the triggers on).
    if sql.one(
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' "
        "AND confrelid = ANY (%s::regclass[]))",
        [[OrderLine._meta.db_table, Refund._meta.db_table]],
    ):
        return ""
    role = sql.one("SELECT current_setting('session_replication_role')")
    try:
        with transaction.atomic():
            sql("SELECT set_config('session_replication_role', 'replica', true)")
    except DatabaseError:
        return ""
    return role


@contextlib.contextmanager
def _indexes_built_after(sql: _Sql, table: str, rows: int, *, bulk: bool) -> Iterator[None]:
    """Around a write that adds ``rows`` rows to ``table``: when they are at least
    ``BULK_MIN_ROWS`` and at least as many as the table holds already (a first load), drop its
    secondary indexes and unique constraints first and build them again, in bulk, after the
    write, in the same transaction: PostgreSQL's advice for loading a table ("Populating a
    Database"). Maintaining each index row by row costs several times the write itself;
    building it from the whole table after costs a sort, which is cheaper while the table is
    at most twice the rows added. Indexes marked for CLUSTER or replica identity stay, and
    so does the primary key of a table that a publication includes or that foreign keys of
    other tables than the import's own, or of large tables, point at (``_primary_key_free``:
    the lines' and orders' go, the customers' stays); the foreign keys pointing at a primary
    key that goes are dropped with it and added back after it.

    Only with ``bulk``: the row triggers off (``_row_checks_off``; PostgreSQL rebuilds no
    index of a table with row events pending) and not in a preview. The drop needs the table
    to itself (``ACCESS EXCLUSIVE`` until commit: other sessions' reads of that table wait
    for the import): when another session holds it for longer than ``BULK_LOCK_WAIT``, the
    indexes stay and the write maintains them as usual. A rebuild that fails (a duplicate)
    raises, and the import's savepoint rolls the drop back with the rest."""
    rebuild: list[str] = []
    if bulk and rows >= BULK_MIN_ROWS:
        held = sql.one(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT %s) x", [rows + 1])
        if held <= rows:
            rebuild = _drop_secondary_indexes(sql, table, rows)
    yield
    if rebuild:
        with _local_setting(sql, "maintenance_work_mem", "256MB"):
            for statement in rebuild:
                sql.cursor.execute(statement)


def _drop_secondary_indexes(sql: _Sql, table: str, rows: int) -> list[str]:
    """Lock ``table``, drop its secondary indexes (and its primary key where
    ``_primary_key_free``, with the foreign keys pointing at it) and return the statements
    that build them again exactly as they were, the primary key first and those foreign keys
    last; ``[]``, with nothing dropped, when a table is busy or has row events of this
    transaction still to check (PostgreSQL alters no such table).

    The first table is waited for up to ``BULK_LOCK_WAIT``; the next ones (and the tables of
    those foreign keys) not at all (``NOWAIT``): a session reading them may be waiting for
    the table this import holds, and waiting for each other would end in a deadlock error
    for that session."""
    rebuild, keys = [], []
    try:
        with transaction.atomic():  # nothing stays locked or dropped when a step fails
            if sql.holds_table:
                sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE NOWAIT")
            else:
                with _local_setting(sql, "lock_timeout", BULK_LOCK_WAIT):
                    sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            free, pointing = _primary_key_free(sql, table, rows)
            # (Names from the catalogue: run as they are, without ``_Sql``'s suffix.) A table
            # of those foreign keys that is busy keeps the primary key, not the rest.
            try:
                with transaction.atomic():
                    for referencing, name, definition in pointing:
                        sql.cursor.execute(
                            f"LOCK TABLE {referencing} IN ACCESS EXCLUSIVE MODE NOWAIT"
                        )
                        name = connection.ops.quote_name(name)
                        sql.cursor.execute(f"ALTER TABLE {referencing} DROP CONSTRAINT {name}")
                        keys.append(f"ALTER TABLE {referencing} ADD CONSTRAINT {name} {definition}")
            except DatabaseError:
                free, keys = False, []
            found = sql(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.conname,
                       pg_get_constraintdef(c.oid)
                FROM pg_index i
                LEFT JOIN pg_constraint c
                    ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                WHERE i.indrelid = %s::regclass AND (NOT i.indisprimary OR %s) AND i.indisvalid
                  AND i.indisready AND NOT i.indisclustered AND NOT i.indisreplident
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint f
                                  WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
                ORDER BY NOT i.indisprimary, 1
                """,
                [table, free],
            ).fetchall()
            for index, definition, constraint, constraint_definition in found:
                if constraint:
                    name = connection.ops.quote_name(constraint)
                    sql.cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
                    rebuild.append(
                        f"ALTER TABLE {table} ADD CONSTRAINT {name} {constraint_definition}"
                    )
                else:
                    sql.cursor.execute(f"DROP INDEX {index}")
                    rebuild.append(definition)
    except DatabaseError:
        return []
    sql.holds_table = True
    return rebuild + keys


def _primary_key_free(sql: _Sql, table: str, rows: int) -> tuple[bool, list[tuple[str, str, str]]]:
    """Whether ``table``'s primary key may be dropped and built again like the other indexes,
    and the foreign keys pointing at it (table, name, definition) to drop before it and add
    back after it. It may when no publication includes the table (logical replication
    identifies changed rows by it) and the tables of those foreign keys are tables the import
    writes (``_TRIGGERED``) holding at most a tenth of ``rows`` (adding a foreign key back
    checks each of their rows): the orders' (pointed at by the lines and refunds) in a first
    load, not the customers' (pointed at by the tier history, events...)."""
    published = sql.one(
        """
        SELECT EXISTS (SELECT 1 FROM pg_publication WHERE puballtables)
            OR EXISTS (SELECT 1 FROM pg_publication_rel WHERE prrelid = %s::regclass)
        """,
        [table],
    )
    pointing = sql(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass ORDER BY 1, 2
        """,
        [table],
    ).fetchall()
    ours = {model._meta.db_table for model in _TRIGGERED}
    if published or any(referencing not in ours for referencing, *_ in pointing):
        return False, []
    for referencing in {referencing for referencing, *_ in pointing}:
        held = sql.one(
            f"SELECT count(*) FROM (SELECT 1 FROM {referencing} LIMIT %s) x", [rows // 10 + 1]
        )
        if held > rows // 10:
            return False, []
    return True, pointing


def _check_references(sql: _Sql, params: dict, *, refunds: bool) -> None:
    """What the foreign-key triggers check, for every row the import wrote, as a few
    statements: each referenced row that this transaction did not create itself (the store,
    the SKUs of the lines, the customers of the orders written, the existing orders given
    lines or refunds) is locked ``FOR KEY SHARE`` (so no other session can delete it or change
    its key until commit, as the triggers' own lookups lock it) and must be found; one that is
    gone sends the file to the Python path. Rows this transaction created (new customers, new
    orders) are invisible to every other session until commit. (The customers: every one the
    file's orders name that the store had, ``imp_cust``; those of unchanged orders too.)"""
    store, sku = Store._meta.db_table, Sku._meta.db_table
    customer, order = Customer._meta.db_table, Order._meta.db_table
    refunded = (
        "UNION SELECT order_id FROM imp_refunds__ WHERE order_old_id IS NOT NULL" if refunds else ""
    )
    wanted = {
        store: "SELECT %(store)s::bigint",
        sku: "SELECT id FROM imp_skus__",  # (every SKU the file names)
        customer: "SELECT id FROM imp_cust__ WHERE id IS NOT NULL",
        order: f"""
            SELECT old_id FROM imp_changed__ {refunded}""",
    }
    for table, ids in wanted.items():
        sql(f"CREATE TEMP TABLE imp_want__ AS {ids}", params)
        want, found = sql(
            f"""
            SELECT (SELECT count(*) FROM imp_want__),
                   (SELECT count(*) FROM (SELECT 1 FROM {table}
                        WHERE id IN (SELECT * FROM imp_want__) FOR KEY SHARE) locked)
            """
        ).fetchone()
        sql("DROP TABLE imp_want__")
        if want != found:
            raise Fallback(f"a row of {table} the file refers to is gone")


def _insert_customers(sql: _Sql, params: dict) -> None:
    customer = Customer._meta.db_table
    sql(
        f"""
        WITH created AS (
        INSERT INTO {customer} (store_id, external_id, name, region, gender, points,
                                created_at)
        SELECT %(store)s, customer_id, coalesce(customer_name, ''), '', 'unknown', 0, now()
        FROM imp_missing__
        RETURNING id)
        INSERT INTO imp_newcust__ SELECT id FROM created
        """,
        params,
    )


def _run(sql: _Sql, path, table, preset, columns, ctx, progress, preview: bool) -> int:
    store = ctx.store
    zone = store.time_zone
    params = {"store": store.pk, "zone": zone}
    plain = not _odd_cells(path, table.delimiter, table.encoding)
    exprs, cells, bad = _field_exprs(preset, columns, plain=plain)
    width = len(table.headers)
    # Sorts and hashes of a large file in memory (until the transaction ends), and room for
    # the staging tables, which live in the session's local buffers (settable only before
    # the session's first temporary table: a later import keeps the size it has).
    sql("SELECT set_config('work_mem', '128MB', true)")
    try:
        with transaction.atomic():
            sql("SELECT set_config('temp_buffers', '128MB', true)")
    except DatabaseError:
        pass
    cols = ", ".join(f"c{i} text" for i in range(width))
    # (Rows numbered as COPY reads them: from a sequence that hands this session 1,000 numbers
    # at a time, in order; one call per row of the sequence itself costs ~0.1 s a million.)
    sql(
        f"CREATE TEMP TABLE imp_raw__ (rn bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000), {cols})"
    )
    copy = (
        f"COPY imp_raw__ ({', '.join(f'c{i}' for i in range(width))}) FROM STDIN WITH "
        f"(FORMAT csv, HEADER true, DELIMITER {_lit(table.delimiter)}, "
        f"ENCODING {_lit(PG_ENCODINGS[table.encoding])})"
    ).replace("__", sql.suffix)
    if _stray_quote(path, table.delimiter):
        raise Fallback("a quote inside an unquoted cell")
    end_marker, blank_lines = _line_starts(path, table.delimiter)
    if end_marker:
        raise Fallback("a line that is just \\. (the end of COPY's data)")
    # (The driver's own cursor: its errors, such as a row with fewer cells than the header,
    # become Django's DatabaseError, which sends the file to the Python path.)
    with open(path, "rb") as stream, connection.wrap_database_errors:
        sql.cursor.cursor.copy_expert(copy, stream, size=1024 * 1024)
    progress(30)
    # Rows Python skips (every cell blank); the others are numbered as the spreadsheet is.
    if blank_lines:
        blank = " AND ".join(f"coalesce(c{i}, '') ~ '^[[:space:]]*$'" for i in range(width))
        sql(f"DELETE FROM imp_raw__ WHERE {blank}")
    # One pass: each used cell trimmed once, read as its type once, checked against its
    # canonical form and converted, then the row's checks over the results (OFFSET 0 keeps
    # each level from being flattened into the next, which would repeat its expressions).
    used = sorted(set(columns.values()))
    trim = "btrim(c{i}, E' \\t\\r\\n')" if _edge_space(path, table.delimiter) else "c{i}"
    # (An empty cell: NULL as COPY reads it unless quoted (``""``, which ``_odd_cells`` finds)
    # or trimmed to nothing.)
    empty = trim != "c{i}" or not plain
    trimmed = ", ".join(
        (f"NULLIF({trim.format(i=i)}, '')" if empty else f"c{i}") + f" AS t{i}" for i in used
    )
    read = ", ".join(f"{expr} AS {name}" for name, expr in cells.items())
    values = ", ".join([*(f"{expr} AS {name}" for name, expr in exprs.items()), *cells])
    select = ", ".join(exprs)
    for name in ("refund_amount", "refunded_at", "sku_code", "quantity", "unit_price"):
        if name not in exprs:
            select += f", NULL::{'text' if name == 'sku_code' else 'numeric'} AS {name}"
    # The store's time zone for this statement only (``_typed``): Django reads every
    # timestamp it fetches as UTC, so the session's stays UTC for everything else.
    with _local_setting(sql, "timezone", zone):
        rows = sql(
            f"""
            CREATE TEMP TABLE imp_rows__ AS
            SELECT rn + 1 AS rn, {select},
                   {" OR ".join(f"({b})" for b in bad) or "false"} AS bad
            FROM (SELECT rn, {values} FROM (
                SELECT x.*, {read} FROM (SELECT rn, {trimmed} FROM imp_raw__ OFFSET 0) x
                OFFSET 0
            ) c OFFSET 0) v
            """,
            params,
        ).rowcount
    if rows == 0:
        return 0
    if "unit_cost" not in exprs:
        sql("ALTER TABLE imp_rows__ ADD unit_cost numeric(14, 2)")
    for name in ("refunded_at", "deposit_paid_at", "paid_at"):
        if name not in exprs:
            sql(f"ALTER TABLE imp_rows__ DROP COLUMN IF EXISTS {name}")
            sql(f"ALTER TABLE imp_rows__ ADD {name} timestamptz")
    for name in ("goods_amount", "discount_amount", "shipping_amount", "deposit_amount"):
        if name not in exprs:
            sql(f"ALTER TABLE imp_rows__ ADD {name} numeric(14, 2)")
    for name, kind in (("channel", "text"), ("customer_name", "text"), ("is_presale", "boolean")):
        if name not in exprs:
            sql(f"ALTER TABLE imp_rows__ ADD {name} {kind}")
    progress(45)
    zone_info = store.zone
    if _has_dst(zone_info):
        times = [
            n for n in exprs if n in ("created_at", "paid_at", "refunded_at", "deposit_paid_at")
        ]
        ambiguous = " OR ".join(
            f"(({t} {shift} interval '{step}') AT TIME ZONE %(zone)s) = ({t} AT TIME ZONE %(zone)s)"
            for t in times
            for shift in ("+", "-")
            for step in ("30 minutes", "1 hour")
        )
        if ambiguous and sql.one(
            f"SELECT EXISTS (SELECT 1 FROM imp_rows__ WHERE {ambiguous})", params
        ):
            raise Fallback("a local time repeated by a DST change")
    # Every cell in its canonical form (``bad``); orders numbered on every row, rows of one
    # order consecutive; lines complete. (One scan.)
    # (Each row's checks worked out before the sort by row number, which then carries only
    # the number and the answers: a sort of whole rows would not fit in memory.)
    checks = sql(
        f"""
        SELECT count(*) FILTER (WHERE bad), count(*) FILTER (WHERE bad_order),
               count(*) FILTER (WHERE order_number IS NULL),
               count(*) FILTER (WHERE order_number IS DISTINCT FROM prev),
               count(*), count(*) FILTER (WHERE line_without_sku),
               count(*) FILTER (WHERE bad_line), count(*) FILTER (WHERE has_line)
        FROM (SELECT *, lag(order_number) OVER (ORDER BY rn) AS prev FROM (
            SELECT rn, order_number, bad, ({_BAD_ORDER}) AS bad_order,
                   sku_code IS NOT NULL AS has_line,
                   sku_code IS NULL AND (quantity IS NOT NULL OR unit_price IS NOT NULL
                       OR unit_cost IS NOT NULL) AS line_without_sku,
                   sku_code IS NOT NULL AND (quantity IS NULL OR unit_price IS NULL
                       OR quantity < 1 OR unit_price < 0) AS bad_line
            FROM imp_rows__ OFFSET 0) f) r
        """
    ).fetchone()
    bad_cells, bad_orders, nulls, runs, count, lines_without_sku, bad_lines, lines = checks
    if bad_cells:
        raise Fallback("cells outside the canonical forms")
    if nulls or lines_without_sku or bad_lines:
        raise Fallback("order numbering or lines")
    # Each order's first row, with its lines' goods and count. Order numbers are grouped
    # bytewise (COLLATE "C": equality needs no collation). As many orders as runs of rows =
    # the rows of each order are consecutive.
    one_row_per_order = runs == count
    if one_row_per_order:  # (order reports): the rows are the first rows
        # (A number on two rows apart is caught when the orders are written: see there.)
        sql(
            "CREATE TEMP VIEW imp_first__ AS SELECT *, quantity * unit_price AS lines_goods, "
            "(sku_code IS NOT NULL)::int AS lines FROM imp_rows__"
        )
    else:
        orders = sql(
            """
            CREATE TEMP TABLE imp_first__ AS
            SELECT DISTINCT ON (order_number COLLATE "C") *,
                   sum(quantity * unit_price) OVER w AS lines_goods,
                   count(sku_code) OVER w AS lines
            FROM imp_rows__
            WINDOW w AS (PARTITION BY order_number COLLATE "C" ORDER BY rn
                         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
            ORDER BY order_number COLLATE "C", rn
            """
        ).rowcount
        if orders != runs:
            raise Fallback("the rows of an order are not consecutive")
    # (One row per order: every row is a first row, counted with the checks above.)
    if (
        bad_orders
        if one_row_per_order
        else sql.one(f"SELECT EXISTS (SELECT 1 FROM imp_first__ WHERE {_BAD_ORDER})")
    ):
        raise Fallback("an order field")
    # The SKUs the lines name, each once; all must exist (this path only serves presets that
    # reject missing SKUs).
    sql(
        f"""
        CREATE TEMP TABLE imp_skus__ AS
        SELECT w.code, s.id, s.cost
        FROM (SELECT DISTINCT sku_code AS code FROM imp_rows__ WHERE sku_code IS NOT NULL) w
        LEFT JOIN {Sku._meta.db_table} s ON s.store_id = %(store)s AND s.code = w.code
        """,
        params,
    )
    if sql.one("SELECT EXISTS (SELECT 1 FROM imp_skus__ WHERE id IS NULL)"):
        raise Fallback("a SKU missing")
    sql("ANALYZE imp_skus__")  # (its size for the planner: a few SKUs, not a thousand)
    customer = Customer._meta.db_table
    # The file's customers, each once with the name on the first row naming it (as the Python
    # path does) and its id when the store has it already (``imp_cust``), looked up while the
    # customers' indexes are there; those to create are the ones without (``imp_missing``).
    # (Without names in the file: each customer once, by a hash, not a sort of every row.)
    named = (
        """SELECT DISTINCT ON (customer_id COLLATE "C") customer_id, customer_name
           FROM imp_first__ ORDER BY customer_id COLLATE "C", rn"""
        if "customer_name" in exprs
        else "SELECT customer_id, NULL::text AS customer_name FROM imp_first__ GROUP BY 1"
    )
    sql(
        f"""
        CREATE TEMP TABLE imp_cust__ AS
        SELECT w.customer_id, w.customer_name, c.id
        FROM ({named}) w
        LEFT JOIN {customer} c ON c.store_id = %(store)s AND c.external_id = w.customer_id
        """,
        params,
    )
    sql("CREATE TEMP VIEW imp_missing__ AS SELECT * FROM imp_cust__ WHERE id IS NULL")
    missing = sql.one("SELECT count(*) FROM imp_missing__")
    if missing and preset.missing_customers != "create":
        raise Fallback("a customer missing")
    # From here to the end of the writes, the per-row foreign-key triggers are off when the
    # database lets this session turn them off; ``_check_references`` does their work.
    checks_off = _row_checks_off(sql)
    # Indexes built after the rows only with the triggers off (a row trigger's pending event
    # would forbid the rebuild) and not in a preview (it would lock the tables for nothing).
    bulk = bool(checks_off) and not preview
    sql("CREATE TEMP TABLE imp_newcust__ (id bigint)")
    if missing:
        with _indexes_built_after(sql, customer, missing, bulk=bulk):
            _insert_customers(sql, params)
        ctx.extra["customers_created"] += missing
    progress(60)
    order, line, refund = Order._meta.db_table, OrderLine._meta.db_table, Refund._meta.db_table
    params["ids"] = sql.one("SELECT pg_get_serial_sequence(%s, 'id')", [order])
    fields = (
        "customer_id, created_at, paid_at, status, channel, goods_amount, discount_amount, "
        "shipping_amount, paid_amount, is_presale, deposit_amount, deposit_paid_at"
    )
    # (Each order of a one-row-per-order file keeps its row's line: no join back to the rows.)
    line_fields = ", f.sku_code, f.quantity, f.unit_price, f.unit_cost" * one_row_per_order
    # A store without orders yet (its first import): every order of the file is new. (An
    # order another session adds meanwhile with one of the file's numbers breaks the unique
    # key when the orders are written.)
    first_orders = not sql.one(
        f"SELECT EXISTS (SELECT 1 FROM {order} WHERE store_id = %(store)s)", params
    )
    orders = sql(
        f"""
        CREATE TEMP TABLE imp_ord__ AS
        SELECT n.*, o.id AS old_id, o.created_at AS old_created_at, o.paid_at AS old_paid_at,
               o.customer_id AS old_customer_id,
               (o.id IS NOT NULL AND (o.customer_id, o.created_at, o.paid_at, o.status,
                   o.channel, o.goods_amount, o.discount_amount, o.shipping_amount,
                   o.paid_amount, o.is_presale, o.deposit_amount, o.deposit_paid_at)
                 IS DISTINCT FROM (n.customer_id, n.created_at, n.paid_at, n.status, n.channel,
                   n.goods_amount, n.discount_amount, n.shipping_amount, n.paid_amount,
                   n.is_presale, n.deposit_amount, n.deposit_paid_at)) AS fields_changed,
               coalesce(o.id, nextval(%(ids)s::regclass)) AS id
        FROM (
            SELECT f.rn, f.order_number AS number, c.id AS customer_id, f.created_at,
                   f.paid_at,
                   CASE WHEN f.status = {_lit(OrderStatus.CANCELLED)} AND f.paid_at IS NOT NULL
                        AND coalesce(f.refund_amount, 0) > 0
                        THEN {_lit(OrderStatus.REFUNDED)} ELSE f.status END AS status,
                   coalesce(f.channel, 'other') AS channel,
                   coalesce(f.goods_amount, f.lines_goods, f.paid_amount
                       - coalesce(f.shipping_amount, 0) + coalesce(f.discount_amount, 0)
                   )::numeric(14, 2) AS goods_amount,
                   coalesce(f.discount_amount, 0)::numeric(14, 2) AS discount_amount,
                   coalesce(f.shipping_amount, 0)::numeric(14, 2) AS shipping_amount,
                   f.paid_amount, coalesce(f.is_presale, false) AS is_presale,
                   f.deposit_amount, f.deposit_paid_at, f.refund_amount, f.refunded_at,
                   f.lines > 0 AS has_lines{line_fields}
            FROM imp_first__ f
            JOIN {customer} c ON c.store_id = %(store)s AND c.external_id = f.customer_id
        ) n
        LEFT JOIN {order} o ON o.store_id = %(store)s AND o.number = n.number
        """,
        params,
    ).rowcount
    sql(f"DROP {'VIEW' if one_row_per_order else 'TABLE'} imp_first__")
    if one_row_per_order:
        sql("DROP TABLE imp_rows__")  # (all in imp_ord now: its buffers are freed unwritten)
    # The orders new, new with lines and changed; and, one row per order, a number on two rows
    # apart (not consecutive: the Python path reports it): as new orders, the two break the
    # unique key of (store, number) when they are written, or when it is built again after
    # them; as an existing order, its old id is here twice. (One scan; none for the first
    # orders of a store, one row each: the checks counted the lines.)
    if first_orders and one_row_per_order:
        new_orders, new_with_lines, fields_changed, repeated = orders, lines, 0, 0
    else:
        twice = "count(old_id) - count(DISTINCT old_id)" if one_row_per_order else "0"
        new_orders, new_with_lines, fields_changed, repeated = sql(
            f"""
            SELECT count(*) FILTER (WHERE old_id IS NULL),
                   count(*) FILTER (WHERE old_id IS NULL AND has_lines),
                   count(*) FILTER (WHERE fields_changed), {twice}
            FROM imp_ord__
            """
        ).fetchone()
    if repeated:
        raise Fallback("the rows of an order are not consecutive")
    all_new = new_orders == orders  # (no order of the file is in the store yet)
    # New orders, with the ids drawn above: a plain INSERT (no ON CONFLICT, which costs a
    # speculative insertion per row); an order another session inserted meanwhile breaks the
    # unique key and the Python path takes the file. Changed orders are updated in place.
    # (Rows go in as the staging tables hold them, in the file's order: no sort.)
    with _indexes_built_after(sql, order, new_orders, bulk=bulk):
        sql(
            f"""
            INSERT INTO {order} (id, store_id, number, {fields})
            SELECT id, %(store)s, number, {fields} FROM imp_ord__ WHERE old_id IS NULL
            """,
            params,
        )
        updated = 0
        if fields_changed:
            updated = sql(
                f"""
                UPDATE {order} o SET {", ".join(f"{f} = i.{f}" for f in fields.split(", "))}
                FROM imp_ord__ i WHERE i.fields_changed AND o.id = i.old_id
                """
            ).rowcount
    if updated != fields_changed:
        raise Fallback("an order deleted meanwhile by another session")
    # Sizes for the planner (temporary tables have no statistics); a small sample is enough.
    with _local_setting(sql, "default_statistics_target", "10"):
        sql("ANALYZE imp_ord__")
    progress(75)
    # Lines: an order with lines in the file gets exactly those (identical ones left alone).
    # One row per order: a view of the orders' own lines (read three times, each a scan of
    # the orders with a look-up among the store's SKUs: cheaper than a copy of every line).
    skus = "JOIN imp_skus__ s ON s.code = r.sku_code"
    if one_row_per_order:
        source, owner = f"imp_ord__ r {skus}", "r"
    else:
        source, owner = f"imp_rows__ r JOIN imp_ord__ i ON i.number = r.order_number {skus}", "i"
    sql(
        f"""
        CREATE TEMP {"VIEW" if one_row_per_order else "TABLE"} imp_lines__ AS
        SELECT {owner}.id AS order_id, {owner}.old_id, s.id AS sku_id, r.quantity,
               r.unit_price, coalesce(r.unit_cost, s.cost)::numeric(14, 2) AS unit_cost
        FROM {source}
        WHERE r.sku_code IS NOT NULL
        """
    )
    signature = (
        "string_agg(concat_ws('|', sku_id, quantity, unit_price, unit_cost), ',' "
        "ORDER BY sku_id, quantity, unit_price, unit_cost)"
    )
    # The existing orders whose lines changed (none when no order is in the store yet).
    # One row per order: the file gives each order one line, which is unchanged when the
    # order has exactly one line and it is the same (no sort of every line on both sides).
    one_line = ", ".join(
        f"min({c}) AS {c}" for c in ("sku_id", "quantity", "unit_price", "unit_cost")
    )
    if all_new:
        sql("CREATE TEMP TABLE imp_changed__ (order_id bigint, old_id bigint)")
        changed_lines = 0
    elif one_row_per_order:
        changed_lines = sql(
            f"""
            CREATE TEMP TABLE imp_changed__ AS
            SELECT w.order_id, w.old_id FROM imp_lines__ w
            LEFT JOIN (
                SELECT order_id, count(*) AS lines, {one_line} FROM {line}
                WHERE store_id = %(store)s
                  AND order_id IN (SELECT old_id FROM imp_ord__ WHERE has_lines)
                GROUP BY order_id) e ON e.order_id = w.old_id
            WHERE w.old_id IS NOT NULL AND (e.lines IS DISTINCT FROM 1
               OR (e.sku_id, e.quantity, e.unit_price, e.unit_cost)
                  IS DISTINCT FROM (w.sku_id, w.quantity, w.unit_price, w.unit_cost))
            """,
            params,
        ).rowcount
    else:
        changed_lines = sql(
            f"""
            CREATE TEMP TABLE imp_changed__ AS
            SELECT w.order_id, w.old_id FROM (
                SELECT order_id, min(old_id) AS old_id, {signature} AS sig
                FROM imp_lines__ WHERE old_id IS NOT NULL GROUP BY order_id) w
            LEFT JOIN (
                SELECT order_id, {signature} AS sig FROM {line}
                WHERE store_id = %(store)s
                  AND order_id IN (SELECT old_id FROM imp_ord__ WHERE has_lines)
                GROUP BY order_id) e ON e.order_id = w.old_id
            WHERE e.sig IS DISTINCT FROM w.sig
            """,
            params,
        ).rowcount
    # Written: every line of a new order, and the lines of the existing orders whose lines
    # changed (at least as many lines as orders).
    with _indexes_built_after(sql, line, new_with_lines + changed_lines, bulk=bulk):
        if changed_lines:
            sql(
                f"""
                DELETE FROM {line} WHERE store_id = %(store)s
                  AND order_id IN (SELECT old_id FROM imp_changed__)
                """,
                params,
            )
        sql(
            f"""
            INSERT INTO {line} (store_id, order_id, sku_id, quantity, unit_price, unit_cost)
            SELECT %(store)s, order_id, sku_id, quantity, unit_price, unit_cost
            FROM imp_lines__ WHERE old_id IS NULL
               OR order_id IN (SELECT order_id FROM imp_changed__)
            """,
            params,
        )
    progress(85)
    # The one refund per order of an order report.
    touched_refunds = ""
    if "refund_amount" in columns:
        suffix = preset.refund_suffix
        sql(
            f"""
            CREATE TEMP TABLE imp_refunds__ AS
            SELECT i.id AS order_id, i.old_id AS order_old_id, i.number || %(suffix)s AS number,
                   coalesce(i.refund_amount, 0) AS amount,
                   coalesce(i.refunded_at, i.paid_at) AS refunded_at,
                   r.id AS old_id, r.order_id AS old_order_id, r.amount AS old_amount,
                   r.refunded_at AS old_refunded_at
            FROM imp_ord__ i
            LEFT JOIN {refund} r ON r.store_id = %(store)s AND r.number = i.number || %(suffix)s
            """,
            {**params, "suffix": suffix},
        )
        sql(
            """
            DELETE FROM imp_refunds__ WHERE (amount <= 0 AND old_id IS NULL)
               OR (amount > 0 AND old_id IS NOT NULL AND (old_order_id, old_amount,
                   old_refunded_at) = (order_id, amount, refunded_at))
            """
        )
        sql(
            f"""
            DELETE FROM {refund} WHERE store_id = %(store)s
              AND id IN (SELECT old_id FROM imp_refunds__ WHERE amount <= 0)
            """,
            params,
        )
        sql(
            f"""
            INSERT INTO {refund} (store_id, number, order_id, amount, refunded_at)
            SELECT %(store)s, number, order_id, amount, refunded_at FROM imp_refunds__
            WHERE amount > 0 ORDER BY number
            ON CONFLICT (store_id, number) DO UPDATE SET order_id = EXCLUDED.order_id,
                amount = EXCLUDED.amount, refunded_at = EXCLUDED.refunded_at
            """,
            params,
        )
        touched_refunds = f"""
            UNION ALL SELECT NULL, {_quarter("old_refunded_at")},
                   CASE WHEN amount > 0 THEN {_quarter("refunded_at")} END, NULL
            FROM imp_refunds__
        """
    refunds_changed = (
        "OR i.id IN (SELECT order_id FROM imp_refunds__)" if "refund_amount" in columns else ""
    )
    # Each order's outcome; the local days of the times touched; the customers whose orders
    # changed (their customer before the import differs only where the fields changed). One
    # scan of the orders, grouped three ways at once.
    # The days go through quarter hours (far fewer than times, one time zone conversion
    # each): every offset in use is a whole number of quarter hours, so a quarter lies in one
    # local day; its last instant is converted too, so an old local-mean-time offset could add
    # the neighbouring day, never lose one. (An order's two quarters are grouped as a pair.)
    # Every order new: the customers are the file's (``imp_cust``), not grouped again here.
    touched = "outcome <> 'unchanged'"
    buyer = "NULL::bigint" if all_new else f"CASE WHEN {touched} THEN customer_id END"
    outcome_of = (
        "'created'"  # (every order new: no existing order's lines or refund to compare)
        if all_new
        else f"""CASE WHEN i.old_id IS NULL THEN 'created'
                      WHEN i.fields_changed OR i.id IN (SELECT order_id FROM imp_changed__)
                        {refunds_changed}
                      THEN 'updated' ELSE 'unchanged' END"""
    )
    _check_references(sql, params, refunds="refund_amount" in columns)
    if checks_off:
        sql("SELECT set_config('session_replication_role', %s, true)", [checks_off])
    summary = sql(
        f"""
        WITH touched AS (
            SELECT outcome, CASE WHEN {touched} THEN {_quarter("created_at")} END AS a,
                   CASE WHEN {touched} THEN {_quarter("paid_at")} END AS b, {buyer} AS c
            FROM (SELECT i.*, {outcome_of} AS outcome FROM imp_ord__ i OFFSET 0) o
            UNION ALL SELECT NULL, {_quarter("old_created_at")}, {_quarter("old_paid_at")},
                   old_customer_id FROM imp_ord__ WHERE fields_changed
            {touched_refunds}
        ), grouped AS (
            SELECT outcome, a, b, c, count(*) AS n, GROUPING(outcome) AS by_other,
                   GROUPING(c) AS by_time
            FROM touched GROUP BY GROUPING SETS ((outcome), (a, b), (c))
        ), quarters AS (
            SELECT DISTINCT v.q FROM grouped g, LATERAL (VALUES (g.a), (g.b)) v (q)
            WHERE g.by_other = 1 AND g.by_time = 1 AND v.q IS NOT NULL)
        SELECT outcome, n, NULL::bigint, NULL::date FROM grouped
        WHERE by_other = 0 AND outcome IS NOT NULL
        UNION ALL SELECT NULL, NULL, c, NULL FROM grouped WHERE by_time = 0 AND c IS NOT NULL
        UNION ALL SELECT NULL, NULL, NULL, day FROM (
            SELECT (q AT TIME ZONE %(zone)s)::date AS day FROM quarters
            UNION
            SELECT ((q + interval '15 minutes' - interval '1 microsecond')
                    AT TIME ZONE %(zone)s)::date
            FROM quarters) days
        """,
        params,
    )
    for outcome, n, customer_id, day in summary:
        if outcome:
            ctx.count(outcome, n)
        elif customer_id is not None:
            ctx.customers.add(customer_id)
        else:
            ctx.stale_days.add(day)
    if all_new:
        known = "SELECT id FROM imp_cust__ WHERE id IS NOT NULL"
        ctx.customers.update(pk for (pk,) in sql(f"{known} UNION ALL SELECT id FROM imp_newcust__"))
    sql("DROP VIEW imp_missing__")
    if one_row_per_order:
        sql("DROP VIEW imp_lines__")
    sql("DROP TABLE imp_changed__")
    progress(95)
    return rows
