"""Demo playbooks: the ready-made tier playbooks (disabled) and two weeks of past runs of the
dormant wake-up playbook, so the demo shop's effect report has contacted and held-out
customers to compare; plus a first churn/CLV fit.

The past runs are what the daily task would have written had the playbook been enabled: for
each of the 14 store-local days from ``end - 48`` to ``end - 35``, the customers who entered
the dormant tier that day (their last paid order was exactly ``dormant_after_days`` earlier
and they had not bought since), hold-out and messages by the same rules as
``users.playbooks.playbook_run`` (cool-down is moot: nobody re-enters dormant within 90
days). Their effect is whatever the generated orders after each run say: nothing is made up.
The playbook itself stays disabled, so the operator enables it in the demo.
"""

import datetime
import logging

import numpy as np
import pandas as pd
from django.db import transaction

from analytics.models import Order
from opsdesk.audit import Actor
from opsdesk.models import AuditSource, Store
from users import btyd
from users.models import Customer, Playbook, PlaybookContact, PlaybookRun, RunStatus
from users.playbooks import (
    fill_message,
    is_held_out,
    playbooks_install_ready_made,
    trigger_key,
)
from users.prediction import predictions_fit

logger = logging.getLogger(__name__)

RUN_DAYS = 14
FIRST_RUN_BEFORE_END = 48
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_ACTOR = Actor(user=None, source=AuditSource.TASK)


def _dormant_entries(store: Store, days: list[datetime.date]) -> dict[datetime.date, list[int]]:
    """Customers entering the dormant tier on each of ``days`` (see the module docstring)."""
    frame = pd.DataFrame.from_records(
        Order.objects.filter(store=store, paid_at__isnull=False).values_list(
            "customer_id", "paid_at"
        ),
        columns=["customer_id", "paid_at"],
    )
    if frame.empty:
        return {}
    local = pd.to_datetime(frame["paid_at"], utc=True).dt.tz_convert(store.time_zone)
    frame["day"] = (
        local.dt.tz_localize(None).to_numpy().astype("datetime64[D]").astype(np.int64)
        + _EPOCH_ORDINAL
    )
    paid = frame[["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"])
    following = paid.groupby("customer_id")["day"].shift(-1).fillna(np.inf)
    gap = store.dormant_after_days
    entering = paid[following > paid["day"] + gap]
    wanted = {day.toordinal() for day in days}
    entries: dict[datetime.date, list[int]] = {}
    for customer_id, day in zip(entering["customer_id"], entering["day"] + gap, strict=True):
        if int(day) in wanted:
            entries.setdefault(datetime.date.fromordinal(int(day)), []).append(int(customer_id))
    return entries


def demo_playbooks_seed(*, store: Store, end: datetime.date) -> int:
    """Install the ready-made playbooks and write the wake-up playbook's past runs (one
    transaction); fit the churn/CLV models when the history allows. Returns the number of
    customers the past runs triggered."""
    with transaction.atomic():
        playbooks_install_ready_made(store=store, actor=_ACTOR)
        wakeup = Playbook.objects.get(store=store, code="dormant_wakeup")
        days = [
            end - datetime.timedelta(days=FIRST_RUN_BEFORE_END - offset)
            for offset in range(RUN_DAYS)
        ]
        entries = _dormant_entries(store, days)
        everyone = sorted({c for ids in entries.values() for c in ids})
        customers = {
            c.pk: c
            for c in Customer.objects.filter(store=store, pk__in=everyone).select_related(
                "member_level"
            )
        }
        contacts: list[PlaybookContact] = []
        key = trigger_key(wakeup)  # the cool-down key the daily task records
        for day in days:
            ids = sorted(entries.get(day, []))
            held = {c for c in ids if is_held_out(wakeup.pk, c, wakeup.holdout_share)}
            ran_at = datetime.datetime.combine(
                day + datetime.timedelta(days=1), datetime.time(9, 10), tzinfo=store.zone
            )
            run = PlaybookRun.objects.create(
                store=store,
                playbook=wakeup,
                day=day,
                ran_at=ran_at,
                triggered=len(ids),
                contacted=len(ids) - len(held),
                held_out=len(held),
                status=RunStatus.DONE,
            )
            contacts.extend(
                PlaybookContact(
                    store=store,
                    run=run,
                    playbook=wakeup,
                    customer_id=c,
                    day=day,
                    trigger_key=key,
                    held_out=c in held,
                    message=""
                    if c in held
                    else fill_message(wakeup.message_template, customers[c], wakeup),
                )
                for c in ids
            )
        PlaybookContact.objects.bulk_create(contacts, batch_size=5_000)
    try:
        predictions_fit(store=store, as_of=end)
    except btyd.FitError as exc:
        # A tiny demo (a few days of data) has no repeat buyers to fit on yet; the nightly
        # task fits it once it has.
        logger.info("demo_predictions_skipped store_id=%s reason=%s", store.pk, exc)
    return len(contacts)
