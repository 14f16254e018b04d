"""Running an import: a stored file, a kind and a preset in; an ``ImportRun`` with counts and
an error report out.

Contract of ``import_run``:
- All or nothing: the whole file is validated and written in ONE transaction; any problem
  (a bad cell, a duplicate key, a missing reference) rolls everything back and the run is
  ``rejected`` with an error report (row, column, value, reason). Writes stop at the first
  problem but reading goes on, so the report lists every bad row (up to 1000 problems).
- A dry run (preview) does the same work and always rolls back: its counts are exactly what
  the import would create / update / leave unchanged.
- Streamed: rows are read one by one and written in batches (``kinds.BATCH``); memory holds a
  batch plus the set of keys seen (to catch duplicates), not the file.
- After a successful import the store-local days the facts touched (before today) are marked
  stale in the same transaction and ``rollup_store_stale`` is queued on commit.
- An interrupted run (an exception, a killed process) commits nothing: the run is ``failed``.
- Progress (0-100) is published in the cache while the transaction is open (the run row
  itself is only visible when it commits).
- On PostgreSQL, an eligible orders CSV goes through ``fastpath`` (set-based SQL in a
  savepoint of the same transaction); a file it does not take falls back to the row-by-row
  path here, which alone produces error reports. Same rows and counts either way.
- Before the commit, ``follow_up`` scans written SKUs for banned terms and recomputes the
  points and levels of the customers the import touched.
- Price protection (保价), as for every other price writer (``catalog.pricing.sku_update``):
  a SKU file whose price cuts expose paid orders to claims lists them in ``run.price_cuts``
  (SKU, old and new price, orders, units, amount). A preview issues
  ``run.price_cuts_confirmation``, a signed token bound to each SKU's exposure fingerprint;
  the import is rejected as a whole (a problem per exposed cut, nothing written) unless it
  carries that confirmation and every exposure is still exactly the one shown (an order paid,
  refunded or aged out meanwhile: rejected, preview again). ``confirm_price_cuts=True`` (the
  command line's ``--confirm-price-cuts``) confirms the exposures worked out in the run itself.
  The ``PriceChange`` notes carry the exposure. A new price without exposure needs nothing.
- Uploaded files are deleted ``OPSDESK_IMPORT_RETENTION_DAYS`` after the run finished
  (``purge_import_files``, nightly); the run records stay.
"""

import datetime
import hashlib
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analytics.ingest import _days_to_reroll
from analytics.models import ImportRun, ImportStatus
from analytics.rollups.services import mark_days_stale
from catalog.pricing import (
    exposure_message,
    price_exposures_confirmation,
    price_exposures_unconfirmed,
)
from opsdesk.audit import Actor, audit_as
from opsdesk.models import AuditSource, Store
from opsdesk.templatetags.opsdesk_ui import money

from . import fastpath
from . import values as parse
from .kinds import WRITERS, Context, PriceCut, Problem
from .presets import BOOL, DATE, DATETIME, INT, MONEY, Field, Preset, PresetError, get_preset
from .reading import FileError, Table, open_table

#: Files larger than this are imported by a Celery task from the UI and the API.
ASYNC_BYTES = 2 * 1024 * 1024
PROGRESS_EVERY = 500


class NeedsMapping(ValueError):
    """Required fields have no column in the file."""

    def __init__(self, missing: list[str], headers: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing
        self.headers = headers


def import_dir() -> Path:
    return Path(getattr(settings, "OPSDESK_IMPORT_DIR", settings.BASE_DIR / "var" / "imports"))


def store_upload(store: Store, source: IO[bytes], file_name: str) -> tuple[str, str, int]:
    """Copy an upload to the import directory; returns (path, sha256, size)."""
    folder = import_dir() / str(store.pk)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(file_name).suffix.lower()[:10]
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as target:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    return str(path), digest.hexdigest(), size


def create_run(
    *,
    store: Store,
    kind: str,
    source: IO[bytes],
    file_name: str,
    user=None,
    preset: str | None = None,
    dry_run: bool = False,
    encoding: str = "",
    mapping: dict | None = None,
) -> ImportRun:
    """Store the file and record a pending run (the preset is checked here)."""
    chosen = get_preset(kind, preset)
    path, sha, size = store_upload(store, source, file_name)
    return ImportRun.objects.create(
        store=store,
        kind=kind,
        preset=chosen.id,
        file_name=Path(file_name).name[:255],
        file_path=path,
        file_size=size,
        sha256=sha,
        encoding=encoding,
        mapping=mapping or {},
        dry_run=dry_run,
        created_by=user if user is not None and user.is_authenticated else None,
    )


def progress_key(run_id: int) -> str:
    return f"imports:progress:{run_id}"


#: A running import refreshes its progress in the cache at least every ``PROGRESS_EVERY`` rows;
#: one silent for this long died with its process (its transaction was rolled back).
LOST_AFTER = datetime.timedelta(minutes=15)


def progress_of(run: ImportRun) -> int:
    """Percent done: the cache while running, the row once finished. A run whose process
    died (no progress for ``LOST_AFTER``) is marked failed here: nothing of it was written."""
    if run.status != ImportStatus.RUNNING:
        return run.progress
    percent = cache.get(progress_key(run.pk))
    if percent is None and run.started_at and timezone.now() - run.started_at > LOST_AFTER:
        _finish(
            run,
            ImportStatus.FAILED,
            message=_("Interrupted (the import stopped); nothing was written. Upload it again."),
        )
        return run.progress
    return int(percent if percent is not None else run.progress)


# ------------------------------------------------------------------------------- mapping
def _match(headers: list[str], candidates: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in headers]
    for name in candidates:
        key = name.strip().lower()
        if key in lowered:
            return lowered.index(key)
    return None


def resolve_columns(
    preset: Preset, headers: list[str], mapping: dict[str, str] | None = None
) -> dict[str, int]:
    """field -> column index; an explicit ``mapping`` (field -> header) wins over the
    preset. Raises ``NeedsMapping`` when a required field has neither a column nor a
    default."""
    found: dict[str, int] = {}
    mapping = {k: v for k, v in (mapping or {}).items() if v}
    for spec in preset.fields:
        if spec.name in mapping:
            index = _match(headers, (mapping[spec.name],))
        else:
            index = _match(headers, preset.columns.get(spec.name, ()))
        if index is not None:
            found[spec.name] = index
    missing = [
        spec.name
        for spec in preset.fields
        if spec.required
        and spec.name not in found
        and spec.name not in preset.defaults
        and spec.name not in preset.join
    ]
    if missing:
        raise NeedsMapping(missing, headers)
    return found


# ------------------------------------------------------------------------------ row parsing
class RowParser:
    """Cells of one row -> generic field values, or problems."""

    def __init__(self, preset: Preset, headers: list[str], columns: dict[str, int], store: Store):
        self.preset = preset
        self.columns = columns
        self.specs = {spec.name: spec for spec in preset.fields}
        self.zone = store.zone
        self.headers = headers
        self.joins = {
            name: [i for i in (_match(headers, (h,)) for h in parts) if i is not None]
            for name, parts in preset.join.items()
        }
        self.fill_key = _match(headers, (preset.fill_down_by,)) if preset.fill_down_by else None
        self.fill = [i for i in (_match(headers, (h,)) for h in preset.fill_down) if i is not None]
        self.previous: list[Any] | None = None
        #: Fields that can have a value: mapped, joined or with a default (others stay None).
        self.present = [
            name
            for name in self.specs
            if name in columns or name in self.joins or name in preset.defaults
        ]

    def column_names(self) -> dict[str, str]:
        names = {name: self.headers[index] for name, index in self.columns.items()}
        names.update(
            {name: "+".join(self.headers[i] for i in idx) for name, idx in self.joins.items()}
        )
        return names

    def _fill_down(self, cells: list[Any]) -> list[Any]:
        if self.fill_key is None:
            return cells
        previous, self.previous = self.previous, cells
        if previous is None or self.fill_key >= len(cells):
            return cells
        if parse.text(cells[self.fill_key]) != parse.text(previous[self.fill_key]):
            return cells
        cells = list(cells) + [None] * max(0, len(previous) - len(cells))
        for index in self.fill:
            if index < len(previous) and parse.text(cells[index]) == "":
                cells[index] = previous[index]
        self.previous = cells
        return cells

    def parse(self, row: int, cells: list[Any], ctx: Context) -> dict[str, Any] | None:
        cells = self._fill_down(cells)
        raw: dict[str, Any] = {}
        for name, index in self.columns.items():
            raw[name] = cells[index] if index < len(cells) else None
        for name, indexes in self.joins.items():
            raw[name] = " ".join(parse.text(cells[i]) for i in indexes if i < len(cells)).strip()
        for name in self.preset.skip_rows_without:
            if parse.text(raw.get(name)) == "":
                return None
        values: dict[str, Any] = dict.fromkeys(self.specs)
        values["_raw"] = raw
        defaults = self.preset.defaults
        ok = True
        for name in self.present:
            spec = self.specs[name]
            cell = raw.get(name)
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                cell = defaults.get(name)
            try:
                value = values[name] = self._value(spec, cell)
            except ValueError as error:
                ctx.fail(row, name, parse.text(raw.get(name)), str(error))
                ok = False
                continue
            if value is None and spec.required and not spec.order_level:
                ctx.fail(row, name, "", _("Required."))
                ok = False
        return values if ok else None

    def _value(self, spec: Field, cell: Any) -> Any:
        if spec.choices or spec.type == "text":
            if cell is None:
                return None
            value = parse.text(cell)
            if spec.name in self.preset.values:
                value = self.preset.translate(spec.name, value)
            if value == "":
                return None
            if spec.choices and value not in spec.choices:
                raise ValueError(
                    _("Not one of: %(choices)s.") % {"choices": ", ".join(spec.choices)}
                )
            if spec.max_length and len(value) > spec.max_length:
                raise ValueError(_("Longer than %(n)d characters.") % {"n": spec.max_length})
            return value
        if cell is None or (not isinstance(cell, int | float) and parse.text(cell) == ""):
            return None
        if spec.type == MONEY:
            return parse.money(cell)
        if spec.type == INT:
            return parse.integer(cell)
        if spec.type == DATETIME:
            return parse.instant(cell, self.zone)
        if spec.type == DATE:
            return parse.date(cell)
        if spec.type == BOOL:
            return parse.boolean(cell)
        raise AssertionError(spec.type)


# ---------------------------------------------------------------------------------- running
class _Rollback(Exception):
    pass


def _finish(run: ImportRun, status: str, **fields: Any) -> ImportRun:
    run.status = status
    run.finished_at = timezone.now()
    for name, value in fields.items():
        setattr(run, name, value)
    run.save()
    cache.delete(progress_key(run.pk))
    return run


def import_run(
    run: ImportRun,
    *,
    actor: Actor,
    on_progress: Callable[[int, int], None] | None = None,
    price_confirmation: str | None = None,
    confirm_price_cuts: bool = False,
) -> ImportRun:
    """Run (or preview, when ``run.dry_run``) a pending import; see the module contract.
    ``on_progress(rows, percent)`` is called every ``PROGRESS_EVERY`` rows.
    ``price_confirmation``: a preview's ``price_cuts_confirmation`` of the file's price cuts;
    ``confirm_price_cuts``: confirm the exposures this run works out (the command line)."""
    run.status, run.started_at, run.progress = ImportStatus.RUNNING, timezone.now(), 0
    run.errors, run.message = [], ""
    run.save(update_fields=["status", "started_at", "progress", "errors", "message"])
    try:
        preset = get_preset(run.kind, run.preset)
        if not run.file_path or not Path(run.file_path).is_file():
            raise FileError(
                _("The uploaded file is gone (deleted after %(days)d days); upload it again.")
                % {"days": retention_days()}
            )
        with open(run.file_path, "rb") as stream:
            table = open_table(stream, run.encoding or None, run.file_name)
            try:
                return _run_table(
                    run,
                    table,
                    preset,
                    actor,
                    on_progress,
                    price_confirmation=price_confirmation,
                    confirm_price_cuts=confirm_price_cuts,
                )
            finally:
                table.close()
    except (FileError, PresetError) as error:
        return _finish(run, ImportStatus.FAILED, message=str(error), progress=0)
    except NeedsMapping as error:
        problems = [
            Problem(1, name, "", _("No column for this required field: map one.")).as_dict()
            for name in error.missing
        ]
        return _finish(
            run,
            ImportStatus.NEEDS_MAPPING,
            errors=problems,
            message=_("Columns missing: %(fields)s.") % {"fields": ", ".join(error.missing)},
        )
    except BaseException as error:
        # Nothing was committed (one transaction); record why and let the caller see it.
        _finish(
            run,
            ImportStatus.FAILED,
            message=_("Interrupted: %(error)s") % {"error": repr(error)[:500]},
        )
        raise


def _run_table(
    run,
    table: Table,
    preset: Preset,
    actor: Actor,
    on_progress,
    *,
    price_confirmation: str | None,
    confirm_price_cuts: bool,
) -> ImportRun:
    store = run.store
    columns = resolve_columns(preset, table.headers, run.mapping)
    parser = RowParser(preset, table.headers, columns, store)
    ctx = Context(store=store, preset=preset, headers=parser.column_names(), user=actor.user)
    writer = WRITERS[run.kind](ctx)
    rows = 0

    def progress(percent: int) -> None:
        cache.set(progress_key(run.pk), percent, timeout=3600)
        if on_progress:
            on_progress(rows, percent)

    try:
        with transaction.atomic():
            fast = fastpath.eligible(run.kind, preset, table)
            if fast:
                try:
                    rows = fastpath.run(
                        path=run.file_path,
                        table=table,
                        preset=preset,
                        columns=columns,
                        ctx=ctx,
                        progress=progress,
                        preview=run.dry_run,
                    )
                except fastpath.Fallback:
                    fast = False
                    ctx = Context(
                        store=store, preset=preset, headers=parser.column_names(), user=actor.user
                    )
                    writer = WRITERS[run.kind](ctx)
            for number, cells in () if fast else table.rows:
                rows += 1
                values = parser.parse(number, cells, ctx)
                if values is not None:
                    writer.add(number, values)
                if rows % PROGRESS_EVERY == 0 or rows == 1:
                    percent = min(99, int(table.fraction_read() * 100))
                    cache.set(progress_key(run.pk), percent, timeout=3600)
                    if on_progress:
                        on_progress(rows, percent)
            writer.finish()
            if not run.dry_run and not confirm_price_cuts:
                refuse_unconfirmed_price_cuts(ctx, confirmation=price_confirmation)
            if ctx.problems or run.dry_run:
                raise _Rollback
            follow_up(store, ctx)
            stale = _days_to_reroll(store, ctx.stale_days)
            if stale:
                mark_days_stale(store=store, days=stale)
            audit_as(
                actor,
                store=store,
                action=f"import.{run.kind}",
                object_type=run._meta.label_lower,
                changes={
                    "run": run.pk,
                    "file": run.file_name,
                    "sha256": run.sha256,
                    "preset": preset.id,
                    "created": ctx.created,
                    "updated": ctx.updated,
                    "unchanged": ctx.unchanged,
                    **ctx.extra,
                    "stale_days": stale,
                    **(
                        {"price_cuts": [cut.as_dict() for cut in ctx.price_cuts]}
                        if ctx.price_cuts
                        else {}
                    ),
                },
            )
            if stale:
                transaction.on_commit(lambda: _queue_rollup(store.pk))
    except _Rollback:
        pass
    if on_progress:
        on_progress(rows, 100)
    counts = {
        "rows": rows,
        "created": ctx.created,
        "updated": ctx.updated,
        "unchanged": ctx.unchanged,
        "encoding": table.encoding,
        "progress": 100,
    }
    extra = ", ".join(f"{k}: {v}" for k, v in sorted(ctx.extra.items()))
    if ctx.problems:
        if ctx.price_cuts_refused:
            message = price_cuts_message(
                ctx.price_cuts, changed=ctx.price_cuts_refused == "changed"
            )
            price_cuts = [cut.as_dict() for cut in ctx.price_cuts]
        else:
            message = _("Nothing was written: %(n)d rows have problems.") % {
                "n": len(ctx.rejected_rows)
            }
            price_cuts = []  # writes stopped at the first problem: the cuts are not all known
        return _finish(
            run,
            ImportStatus.REJECTED,
            rejected=len(ctx.rejected_rows),
            errors=[p.as_dict() for p in ctx.problems],
            message=message,
            price_cuts=price_cuts,
            **{**counts, "created": 0, "updated": 0, "unchanged": 0},
        )
    price_cuts = [cut.as_dict() for cut in ctx.price_cuts]
    if run.dry_run:
        return _finish(
            run,
            ImportStatus.PREVIEWED,
            rejected=0,
            message=extra,
            price_cuts=price_cuts,
            price_cuts_confirmation=price_exposures_confirmation(
                exposures=[cut.exposure for cut in ctx.price_cuts]
            ),
            **counts,
        )
    return _finish(
        run, ImportStatus.SUCCEEDED, rejected=0, message=extra, price_cuts=price_cuts, **counts
    )


def refuse_unconfirmed_price_cuts(ctx: Context, *, confirmation: str | None) -> None:
    """Record a problem on the row of every price cut in ``ctx.price_cuts`` whose exposure
    ``confirmation`` (a preview's ``price_cuts_confirmation``) does not confirm, so the import
    is rejected as a whole; ``ctx.price_cuts_refused`` says why ("unconfirmed": none given,
    "changed": given for other figures). Only for a file without other problems: with them,
    writes stopped early and the cuts are not all known."""
    if ctx.problems or not ctx.price_cuts:
        return
    unconfirmed = {
        exposure.sku_id
        for exposure in price_exposures_unconfirmed(
            exposures=[cut.exposure for cut in ctx.price_cuts], confirmation=confirmation
        )
    }
    if not unconfirmed:
        return
    ctx.price_cuts_refused = "changed" if confirmation else "unconfirmed"
    for cut in ctx.price_cuts:
        if cut.exposure.sku_id in unconfirmed:
            ctx.fail(
                cut.row,
                "price",
                str(cut.exposure.new_price),
                price_cut_reason(cut, changed=bool(confirmation)),
            )


def price_cut_figures(cut: PriceCut) -> str:
    """One price cut and its exposure in a few words, in the active language."""
    exposure = cut.exposure
    currency = exposure.currency
    return _(
        "%(code)s %(old)s → %(new)s: %(orders)d order(s), %(units)d unit(s), up to %(amount)s"
    ) % {
        "code": cut.code,
        "old": money(exposure.old_price, currency),
        "new": money(exposure.new_price, currency),
        "orders": exposure.orders,
        "units": exposure.units,
        "amount": money(exposure.amount, currency),
    }


def price_cut_reason(cut: PriceCut, *, changed: bool) -> str:
    """The error report's reason for an unconfirmed price cut."""
    reason = exposure_message(cut.exposure)
    if changed:
        return (
            _("These figures changed after the preview (orders paid, refunded or aged out).")
            + " "
            + reason
            + " "
            + _("Preview the file again and confirm the new figures.")
        )
    return reason + " " + _("Preview the file and confirm this exposure to import it.")


#: Price cuts named in a run's message (the error report lists them all).
MESSAGE_CUTS = 20


def price_cuts_message(cuts: list[PriceCut], *, changed: bool) -> str:
    """The message of an import refused for its price cuts: which SKUs, their figures, what
    to do."""
    listed = "; ".join(price_cut_figures(cut) for cut in cuts[:MESSAGE_CUTS])
    if len(cuts) > MESSAGE_CUTS:
        listed += "; " + _("%(n)d more in the error report") % {"n": len(cuts) - MESSAGE_CUTS}
    if changed:
        return _(
            "Nothing was written: the price-protection figures of the price cuts changed after "
            "the preview (orders were paid, refunded or aged out meanwhile). Now: %(cuts)s. "
            "Check them in a new preview and confirm them again."
        ) % {"cuts": listed}
    return ngettext(
        "Nothing was written: %(n)d price cut exposes paid orders to price-protection "
        "claims: %(cuts)s. Preview the file and confirm the exposure to import it.",
        "Nothing was written: %(n)d price cuts expose paid orders to price-protection "
        "claims: %(cuts)s. Preview the file and confirm the exposure to import it.",
        len(cuts),
    ) % {"n": len(cuts), "cuts": listed}


#: Above this many written SKUs the whole store is re-scanned in one batched pass.
SCAN_STORE_ABOVE = 200
#: Above this many touched customers the store's customers are recomputed by the task
#: ``users.tasks.members_recompute_for_store`` queued on commit (a large import runs in Celery
#: anyway; the recompute of tens of thousands of customers would double its transaction).
MEMBERS_INLINE_UP_TO = 5000


def follow_up(store: Store, ctx: Context) -> None:
    """What a write in the UI would have triggered, in the import's transaction (so a
    rejected file or a preview leaves no trace of it either):

    * SKUs the import created or whose title it wrote are scanned for banned terms
      (``catalog.compliance``), so their findings appear as for a SKU edited in the UI;
    * customers whose orders or refunds it wrote, and imported customers, get their points
      and member level recomputed from the facts (``users.members.members_recompute`` as of
      the end of the store's today) — the facts win over an imported points balance. Up to
      ``MEMBERS_INLINE_UP_TO`` customers in the transaction; more: the whole store by a task
      queued on commit (points then follow within the task's run, like the re-roll).
    """
    from catalog.compliance import compliance_scan_sku, compliance_scan_store
    from catalog.models import Sku
    from opsdesk.localtime import local_day
    from users.members import members_recompute

    if ctx.skus:
        if len(ctx.skus) > SCAN_STORE_ABOVE:
            compliance_scan_store(store=store)
        else:
            skus = Sku.objects.filter(store=store, pk__in=sorted(ctx.skus)).select_related("store")
            for sku in skus:
                compliance_scan_sku(sku=sku)
    if ctx.customers:
        today = local_day(store.zone, timezone.now())
        if len(ctx.customers) > MEMBERS_INLINE_UP_TO:
            transaction.on_commit(lambda: _queue_members(store.pk, today))
        else:
            members_recompute(store=store, day=today, customer_ids=sorted(ctx.customers))


def _queue_members(store_id: int, day: datetime.date) -> None:
    from users.tasks import members_recompute_for_store

    members_recompute_for_store.delay(store_id, day.isoformat())


def _queue_rollup(store_id: int) -> None:
    from analytics.tasks import rollup_store_stale

    rollup_store_stale.delay(store_id)


class FileGone(ValueError):
    """The run's uploaded file was deleted (retention) or lost: it must be uploaded again."""


def confirm_run(run: ImportRun, *, user=None) -> ImportRun:
    """A new, real run of a previewed file (same file, kind, preset, mapping, encoding).
    Raises ``FileGone`` when the file was deleted after the retention period."""
    if not run.file_path or not Path(run.file_path).is_file():
        raise FileGone(
            _(
                "The uploaded file of this run was deleted (files are kept %(days)d days); "
                "upload it again."
            )
            % {"days": retention_days()}
        )
    folder = Path(run.file_path).parent
    path = folder / f"{uuid.uuid4().hex}{Path(run.file_path).suffix}"
    shutil.copyfile(run.file_path, path)
    return ImportRun.objects.create(
        store=run.store,
        kind=run.kind,
        preset=run.preset,
        file_name=run.file_name,
        file_path=str(path),
        file_size=run.file_size,
        sha256=run.sha256,
        encoding=run.encoding if run.encoding != "xlsx" else "",
        mapping=run.mapping,
        dry_run=False,
        created_by=user if user is not None and user.is_authenticated else None,
    )


def retention_days() -> int:
    return int(getattr(settings, "OPSDESK_IMPORT_RETENTION_DAYS", 30))


def purge_import_files(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Delete the uploaded files of runs that finished more than ``days`` (default: the
    ``OPSDESK_IMPORT_RETENTION_DAYS`` setting) ago, and files in the import directory that no
    run refers to and that are as old. The runs are kept (counts, error report, sha256) with
    an empty ``file_path``; pending and running runs keep their files whatever their age.
    One audit entry per store. Returns the number of files deleted."""
    now = now or timezone.now()
    days = retention_days() if days is None else days
    cutoff = now - datetime.timedelta(days=days)
    finished = [
        s for s in ImportStatus.values if s not in (ImportStatus.PENDING, ImportStatus.RUNNING)
    ]
    old = (
        ImportRun.objects.filter(status__in=finished)
        .exclude(file_path="")
        .filter(
            models.Q(finished_at__lt=cutoff)
            | models.Q(finished_at__isnull=True, created_at__lt=cutoff)
        )
        .select_related("store")
        .order_by("store_id", "pk")
    )
    deleted = 0
    by_store: dict[int, tuple[Store, list[int]]] = {}
    for run in old.iterator(chunk_size=500):
        path = Path(run.file_path)
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            pass
        ImportRun.objects.filter(pk=run.pk).update(file_path="")
        by_store.setdefault(run.store_id, (run.store, []))[1].append(run.pk)
    # Uploads no run refers to (a crash between storing the file and recording the run).
    folder = import_dir()
    if folder.is_dir():
        kept = set(ImportRun.objects.exclude(file_path="").values_list("file_path", flat=True))
        for path in folder.glob("*/*"):
            if not path.is_file() or str(path) in kept:
                continue
            if datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC) < cutoff:
                path.unlink(missing_ok=True)
                deleted += 1
    actor = Actor(user=None, source=AuditSource.TASK)
    for store, runs in by_store.values():
        audit_as(
            actor,
            store=store,
            action="import.files_purged",
            object_type=ImportRun._meta.label_lower,
            changes={"runs": runs, "retention_days": days},
        )
    return deleted


def start(run: ImportRun, *, actor: Actor, price_confirmation: str | None = None) -> ImportRun:
    """Run now, or as a Celery task for a large file (the UI then shows its progress).
    ``price_confirmation`` (a preview's ``price_cuts_confirmation``) goes along either way."""
    if run.file_size > ASYNC_BYTES:
        from .tasks import run_import

        transaction.on_commit(
            lambda: run_import.delay(
                run.pk,
                actor.user.pk if actor.user else None,
                actor.source,
                price_confirmation or "",
            )
        )
        return run
    return import_run(run, actor=actor, price_confirmation=price_confirmation)


def write_rows(
    *,
    store: Store,
    kind: str,
    rows: list[tuple[int, dict[str, Any]]],
    actor: Actor,
    preset: str | None = None,
    action: str = "",
) -> Context:
    """Write already-parsed rows (the push API) through the same writers as a file, all or
    nothing: returns the context (counts, problems); nothing is written when it has problems.
    """
    chosen = get_preset(kind, preset)
    ctx = Context(store=store, preset=chosen, headers={}, user=actor.user)
    writer = WRITERS[kind](ctx)
    try:
        with transaction.atomic():
            for number, values in rows:
                writer.add(number, values)
            writer.finish()
            # Rows pushed here carry no confirmation: an exposing price cut is refused.
            refuse_unconfirmed_price_cuts(ctx, confirmation=None)
            if ctx.problems:
                raise _Rollback
            follow_up(store, ctx)
            stale = _days_to_reroll(store, ctx.stale_days)
            if stale:
                mark_days_stale(store=store, days=stale)
                transaction.on_commit(lambda: _queue_rollup(store.pk))
            audit_as(
                actor,
                store=store,
                action=action or f"{kind}.push",
                object_type=f"analytics.{kind}",
                changes={
                    "created": ctx.created,
                    "updated": ctx.updated,
                    "unchanged": ctx.unchanged,
                    **ctx.extra,
                    "stale_days": stale,
                },
            )
    except _Rollback:
        pass
    return ctx
