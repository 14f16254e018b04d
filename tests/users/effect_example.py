"""The small playbook-effect example worked out by hand in
tests/users/test_playbooks.py::test_effect_report_by_hand (and read back from the page and the
API in tests/users/test_playbook_views.py): one run at ``t0``, contacted c1..c4, held out
h1..h3. Paid orders after ``t0``: c1 ¥100 at +2d; c2 ¥50 at +10d; c3 none; c4 ¥30 at +1h and
¥20 at +3d; h1 ¥40 at +20d; h2 none; h3 ¥10 one hour BEFORE ``t0`` (does not count)."""

import datetime
from decimal import Decimal

from tests.factories import CustomerFactory, OrderFactory
from users.models import PlaybookContact, PlaybookRun, RunStatus

HOUR, DAY = datetime.timedelta(hours=1), datetime.timedelta(days=1)
ORDERS = [
    ("c1", 2 * DAY, "100"),
    ("c2", 10 * DAY, "50"),
    ("c4", HOUR, "30"),
    ("c4", 3 * DAY, "20"),
    ("h1", 20 * DAY, "40"),
    ("h3", -HOUR, "10"),
]


def seed_effect_example(*, store, playbook, t0: datetime.datetime, trigger_key: str = "") -> dict:
    """Write the run, its contacts and the orders; returns the customers by name."""
    run = PlaybookRun.objects.create(
        store=store,
        playbook=playbook,
        day=t0.date(),
        ran_at=t0,
        triggered=7,
        contacted=4,
        held_out=3,
        status=RunStatus.DONE,
    )
    people = {
        name: CustomerFactory(store=store, external_id=name)
        for name in ("c1", "c2", "c3", "c4", "h1", "h2", "h3")
    }
    for name, customer in people.items():
        PlaybookContact.objects.create(
            store=store,
            run=run,
            playbook=playbook,
            customer=customer,
            day=run.day,
            trigger_key=trigger_key,
            held_out=name.startswith("h"),
        )
    for name, offset, amount in ORDERS:
        OrderFactory(
            store=store,
            customer=people[name],
            created_at=t0 + offset - datetime.timedelta(minutes=5),
            paid_at=t0 + offset,
            goods_amount=Decimal(amount),
        )
    return people
