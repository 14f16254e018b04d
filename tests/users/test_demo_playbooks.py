"""The demo shop's playbooks (opsdesk/demo/playbooks.py via seed_demo): the ready-made
playbooks disabled, two weeks of past wake-up runs whose contacted/held-out split follows the
hold-out rule, entrants who really entered dormant that day, and a readable uplift."""

import datetime
from io import StringIO

import pandas as pd
import pytest
from django.core.management import call_command

from analytics.models import Order
from opsdesk.models import Store
from users.models import Playbook, PlaybookContact, PlaybookRun, PredictionFit
from users.playbooks import is_held_out, playbook_effect

END = datetime.date(2025, 11, 20)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_seed_demo_writes_past_wakeup_runs_with_contacted_and_held_out_customers():
    call_command(
        "seed_demo",
        stores=1,
        days=200,
        end=END.isoformat(),
        orders_per_day=8,
        no_progress=True,
        stdout=StringIO(),
    )
    store = Store.objects.get()
    playbooks = Playbook.objects.filter(store=store)
    assert playbooks.count() == 5 and not playbooks.filter(enabled=True).exists()
    wakeup = playbooks.get(code="dormant_wakeup")
    runs = list(PlaybookRun.objects.filter(playbook=wakeup).order_by("day"))
    assert [r.day for r in runs] == [END - datetime.timedelta(days=48 - i) for i in range(14)]
    contacts = list(PlaybookContact.objects.filter(playbook=wakeup))
    assert sum(r.triggered for r in runs) == len(contacts) > 20
    assert any(c.held_out for c in contacts) and any(not c.held_out for c in contacts)
    for contact in contacts:
        assert contact.held_out == is_held_out(wakeup.pk, contact.customer_id, wakeup.holdout_share)
        assert (contact.message == "") == contact.held_out
        assert contact.trigger_key == "entered_tier:dormant"

    # Each entrant's last paid order before the run day was exactly 90 local days earlier.
    sample = contacts[:10]
    for contact in sample:
        days = [
            pd.Timestamp(paid).tz_convert(store.time_zone).date()
            for paid in Order.objects.filter(
                customer_id=contact.customer_id, paid_at__isnull=False
            ).values_list("paid_at", flat=True)
        ]
        before = max(d for d in days if d <= contact.day)
        assert (contact.day - before).days == 90

    effect = playbook_effect(playbook=wakeup)
    thirty = effect.windows[1]
    assert thirty.contacted.customers + thirty.held_out.customers == len(contacts)
    assert thirty.conversion_uplift is not None
    assert PredictionFit.objects.filter(store=store).exists()
