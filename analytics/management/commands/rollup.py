"""``manage.py rollup``: roll up analytics for one store or all, by range, stale or as needed.

manage.py rollup --store tea-house                      # yesterday (store-local)
manage.py rollup --all --from 2026-01-01 --to 2026-06-30
manage.py rollup --all --stale                          # re-roll days marked stale
manage.py rollup --all --if-needed                      # days with facts but no rollup
"""

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from analytics.rollups.days import local_yesterday
from analytics.rollups.services import (
    days_needing_rollup,
    rollup_range,
    rollup_stale,
)
from opsdesk.models import Store
from users.tiers import tiers_rollup


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a date: use YYYY-MM-DD") from error


def _runs(days: list[datetime.date]) -> list[tuple[datetime.date, datetime.date]]:
    """Consecutive days grouped into inclusive runs."""
    runs: list[tuple[datetime.date, datetime.date]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + datetime.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


class Command(BaseCommand):
    help = "Roll up analytics (daily metrics, tiers) for a store or all stores."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--store", help="slug of the store")
        which.add_argument("--all", action="store_true", help="every store")
        parser.add_argument("--from", dest="start", help="first store-local day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last store-local day (default yesterday)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--stale", action="store_true", help="re-roll days marked stale")
        mode.add_argument(
            "--if-needed",
            action="store_true",
            help="only days that have facts but no rollup yet, and stale days",
        )
        parser.add_argument("--no-tiers", action="store_true", help="skip lifecycle tiers")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options) -> None:
        if options["store"]:
            store = Store.objects.filter(slug=options["store"]).first()
            if store is None:
                raise CommandError(f"No store with slug {options['store']!r}.")
            stores = [store]
        else:
            stores = list(Store.objects.order_by("pk"))
        start = _date(options["start"]) if options["start"] else None
        end = _date(options["end"]) if options["end"] else None
        if end is not None and start is None:
            raise CommandError("--to needs --from.")
        if start is not None and end is not None and end < start:
            raise CommandError(f"--to {end} is before --from {start}.")
        if (options["stale"] or options["if_needed"]) and start is not None:
            raise CommandError("--from/--to cannot be combined with --stale or --if-needed.")
        tiers = not options["no_tiers"]

        plan: list[tuple[Store, list[tuple[datetime.date, datetime.date]]]] = []
        for store in stores:
            if options["stale"]:
                plan.append((store, []))
            elif options["if_needed"]:
                plan.append((store, _runs(days_needing_rollup(store=store))))
            else:
                last = end or local_yesterday(store.zone)
                first = start or last
                if last < first:
                    raise CommandError(f"--from {first} is after yesterday ({last}).")
                plan.append((store, [(first, last)]))

        total = sum((b - a).days + 1 for _store, runs in plan for a, b in runs)
        with tqdm(
            total=total,
            unit="day",
            desc="rollup",
            disable=options["no_progress"] or total == 0,
            file=self.stderr._out,
        ) as bar:
            for store, runs in plan:
                if options["stale"]:
                    results = rollup_stale(store=store)
                    self.stdout.write(f"{store.slug}: re-rolled {len(results)} stale days")
                    continue
                for first, last in runs:
                    rollup_range(
                        store=store, start=first, end=last, tiers=False, progress=bar.update
                    )
                if runs and tiers:
                    tiers_rollup(store=store, start=runs[0][0], end=runs[-1][1])
                days = sum((b - a).days + 1 for a, b in runs)
                self.stdout.write(f"{store.slug}: rolled up {days} days")
