"""``python manage.py seed_demo``: demo shops with a year of believable data, and a login."""

import datetime
import sys
import time
import zoneinfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError
from django.utils import timezone
from tqdm import tqdm

from catalog.compliance import banned_terms_seed, compliance_scan_store
from opsdesk.audit import Actor
from opsdesk.demo.generate import (
    DEFAULT_DAYS,
    DEFAULT_ORDERS_PER_DAY,
    DEFAULT_SEED,
    store_generate,
)
from opsdesk.demo.playbooks import demo_playbooks_seed
from opsdesk.demo.specs import MAX_STORES, store_specs
from opsdesk.demo.tagging import demo_role_tags_apply
from opsdesk.demo.write import (
    DEMO_PASSWORD,
    DEMO_USERNAME,
    demo_login_ensure,
    demo_slugs_taken,
    demo_store_write,
)
from opsdesk.models import AuditSource, Store

DEMO_URL = "http://127.0.0.1:8000/"


def _date(value: str | datetime.date) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--end must be a date as YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Create demo shops (a Tmall flagship store, a Douyin shop, ...) with a year of "
        "orders, refunds, behaviour events, ad spend and campaigns, and the demo login "
        f"{DEMO_USERNAME} / {DEMO_PASSWORD}. The same --seed and --end give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stores", type=int, default=2, help=f"number of demo shops, 1-{MAX_STORES}"
        )
        parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days of data per shop")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
        parser.add_argument(
            "--end",
            default=None,
            help="last day of data, YYYY-MM-DD (default: yesterday in each shop's time zone)",
        )
        parser.add_argument(
            "--orders-per-day",
            type=float,
            default=DEFAULT_ORDERS_PER_DAY,
            help="orders on an ordinary day in the first shop (the others are smaller)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when any store exists already",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: object, **options: object) -> None:
        count, days = options["stores"], options["days"]
        orders_per_day = options["orders_per_day"]
        if not 1 <= count <= MAX_STORES:
            raise CommandError(f"--stores must be between 1 and {MAX_STORES}.")
        if not 1 <= days <= 3660:
            raise CommandError("--days must be between 1 and 3660.")
        if orders_per_day <= 0:
            raise CommandError("--orders-per-day must be positive.")
        end = _date(options["end"]) if options["end"] else None
        if options["if_empty"] and Store.objects.exists():
            self.stdout.write("Stores exist already; --if-empty given, so nothing was seeded.")
            return

        specs = store_specs(count)
        taken = demo_slugs_taken([spec.slug for spec in specs])
        if taken:
            raise CommandError(
                f"A store with slug {', '.join(taken)} exists already; nothing was seeded. "
                "Use a fresh database, delete those stores, or pass --if-empty."
            )
        stores = []
        for spec in specs:
            started = time.perf_counter()
            last = end or (
                timezone.now().astimezone(zoneinfo.ZoneInfo(spec.time_zone)).date()
                - datetime.timedelta(days=1)
            )
            frames = store_generate(
                spec, end=last, days=days, seed=options["seed"], orders_per_day=orders_per_day
            )
            total = sum(len(frame) for frame in frames.tables().values())
            with tqdm(
                total=total,
                desc=spec.slug,
                unit=" rows",
                unit_scale=True,
                file=sys.stderr,
                disable=options["no_progress"],
            ) as bar:
                try:
                    store = demo_store_write(frames=frames, advance=bar.update)
                except IntegrityError as exc:
                    raise CommandError(
                        f"Could not write {spec.slug}; nothing of it was kept: {exc}"
                    ) from exc
            demo_playbooks_seed(store=store, end=frames.last)
            # The newest listings untagged, one SKU mis-tagged: the matrix has checks to show.
            demo_role_tags_apply(store=store)
            # The demo writes its copy of the handbook's list in bulk; this adds any default
            # term it lacks (nothing, while the copies agree), as store_create would.
            banned_terms_seed(store=store, actor=Actor(user=None, source=AuditSource.TASK))
            # Some demo titles carry banned terms on purpose; scan them as the nightly scan
            # would, so the compliance page has its findings from the start.
            compliance_scan_store(store=store)
            stores.append(store)
            self.stdout.write(
                f"Seeded {spec.slug} ({spec.name}, {spec.platform}, {spec.time_zone}) "
                f"{frames.first}..{frames.last}: {len(frames.orders):,} orders, "
                f"{len(frames.customers):,} customers, {len(frames.events):,} events, "
                f"{len(frames.skus)} SKUs, {len(frames.campaigns)} campaigns "
                f"in {time.perf_counter() - started:.1f}s."
            )
        demo_login_ensure(stores=stores)
        self.stdout.write(
            self.style.SUCCESS(
                f"Open {DEMO_URL} and log in as {DEMO_USERNAME} / {DEMO_PASSWORD} "
                f"(admin of {', '.join(store.slug for store in stores)})."
            )
        )
