"""``python manage.py import_data KIND FILE --store SLUG [--preset NAME] [--dry-run]
[--encoding ENC] [--map FIELD=HEADER ...] [--confirm-price-cuts]``: import a CSV/XLSX file
into a store, all or nothing, with a progress bar; the error report is printed (and
``--errors FILE`` writes it as CSV).

Price protection (保价): SKU price cuts that expose paid orders to claims are printed (SKU,
old and new price, orders, units, amount) by a dry run and refuse the import unless
``--confirm-price-cuts`` is given; the flag confirms the exposure worked out in the same run
(the operator sees those figures printed), as a preview's confirmation does in the UI."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from analytics.imports.presets import PresetError
from analytics.imports.services import create_run, import_run
from analytics.models import ImportKind, ImportStatus
from opsdesk.audit import Actor
from opsdesk.models import AuditSource, Store


class Command(BaseCommand):
    help = "Import orders, order lines, refunds, SKUs, customers, events or ad spend from a file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file")
        parser.add_argument("--store", required=True, help="Slug of the store.")
        parser.add_argument("--preset", help="Preset id (default: the generic template).")
        parser.add_argument("--dry-run", action="store_true", help="Validate; write nothing.")
        parser.add_argument("--encoding", help="CSV encoding (default: detected).")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=HEADER",
            help="Read FIELD from the column HEADER (repeatable).",
        )
        parser.add_argument("--errors", help="Write the error report to this CSV file.")
        parser.add_argument(
            "--confirm-price-cuts",
            action="store_true",
            help="Confirm the price-protection exposure of the file's SKU price cuts, as "
            "worked out in this run (review it first with --dry-run).",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"No store with slug {options['store']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        mapping = {}
        for item in options["map"]:
            field, sep, header = item.partition("=")
            if not sep:
                raise CommandError(f"--map takes FIELD=HEADER, got {item!r}.")
            mapping[field.strip()] = header.strip()
        try:
            with path.open("rb") as source:
                run = create_run(
                    store=store,
                    kind=options["kind"],
                    source=source,
                    file_name=path.name,
                    preset=options["preset"],
                    dry_run=options["dry_run"],
                    encoding=options["encoding"] or "",
                    mapping=mapping,
                )
        except PresetError as error:
            raise CommandError(str(error)) from error
        bar = tqdm(
            total=100,
            unit="%",
            desc=f"{run.kind} {path.name}",
            disable=options["no_progress"],
            file=self.stderr._out,
        )

        def progress(rows: int, percent: int) -> None:
            bar.set_postfix(rows=rows)
            bar.update(max(0, percent - bar.n))

        try:
            run = import_run(
                run,
                actor=Actor(user=None, source=AuditSource.TASK),
                on_progress=progress,
                confirm_price_cuts=options["confirm_price_cuts"],
            )
        finally:
            bar.close()
        self.report(run, options.get("errors"))
        if run.status not in (ImportStatus.SUCCEEDED, ImportStatus.PREVIEWED):
            message = f"Import {run.status}: {run.message}"
            if run.price_cuts:
                message += " " + _(
                    "Review the price cuts with --dry-run and, if they are right, run the import "
                    "again with --confirm-price-cuts."
                )
            raise CommandError(message)

    def report(self, run, errors_path: str | None) -> None:
        verb = "Would write" if run.dry_run else "Wrote"
        self.stdout.write(
            f"Run {run.pk} [{run.status}] {run.file_name} ({run.encoding}, preset {run.preset}): "
            f"{run.rows} rows read. {verb}: {run.created} created, {run.updated} updated, "
            f"{run.unchanged} unchanged; {run.rejected} rows rejected."
        )
        if run.message:
            self.stdout.write(run.message)
        for problem in run.errors[:50]:
            self.stdout.write(
                f"  row {problem['row']}, column {problem['column']}, "
                f"value {problem['value']!r}: {problem['reason']}"
            )
        if len(run.errors) > 50:
            self.stdout.write(f"  ... and {len(run.errors) - 50} more (see --errors).")
        self.report_price_cuts(run)
        if errors_path and run.errors:
            with open(errors_path, "w", newline="", encoding="utf-8-sig") as handle:
                writer = csv.writer(handle)
                writer.writerow(["row", "column", "value", "reason"])
                for problem in run.errors:
                    writer.writerow([problem[k] for k in ("row", "column", "value", "reason")])

    def report_price_cuts(self, run) -> None:
        """The price cuts with price-protection exposure: to confirm (a dry run, a refused
        import) or confirmed (an import with --confirm-price-cuts)."""
        if not run.price_cuts:
            return
        if run.status == ImportStatus.SUCCEEDED:
            title = _("Confirmed price cuts with price-protection exposure (保价):")
        else:
            title = _(
                "Price cuts with price-protection exposure (保价), to confirm with "
                "--confirm-price-cuts:"
            )
        self.stdout.write(title)
        for cut in run.price_cuts:
            self.stdout.write(
                "  "
                + _(
                    "row %(row)s, SKU %(sku)s: %(old)s -> %(new)s, %(orders)s order(s), "
                    "%(units)s unit(s), exposure %(amount)s"
                )
                % {
                    "row": cut["row"],
                    "sku": cut["sku_code"],
                    "old": cut["old_price"],
                    "new": cut["new_price"],
                    "orders": cut["orders"],
                    "units": cut["units"],
                    "amount": cut["amount"],
                }
            )
