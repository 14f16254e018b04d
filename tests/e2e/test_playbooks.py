"""The dormant wake-up playbook in a real browser: an operator opens it from the list, enables
it, runs it for yesterday, sees the list with its hold-out and downloads the CSV."""

import csv
import datetime
import io
import pathlib

import pytest
from django.core.cache import cache
from django.utils import timezone

from opsdesk.roles import Role
from tests.conftest import PASSWORD
from tests.factories import CustomerFactory, MembershipFactory, StoreFactory, TierChangeFactory
from users.models import Playbook, Tier
from users.playbooks import is_held_out, playbooks_install_ready_made
from users.tasks import TASK_ACTOR

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def shop(transactional_db):
    cache.clear()
    store = StoreFactory(name="茶馆", slug="tea")
    MembershipFactory(store=store, role=Role.OPERATOR, user__username="xiaoli")
    playbooks_install_ready_made(store=store, actor=TASK_ACTOR)
    yesterday = timezone.localdate(timezone=store.zone) - datetime.timedelta(days=1)
    dormant = [
        CustomerFactory(store=store, external_id=f"d{i:02d}", name=f"客户{i}") for i in range(40)
    ]
    for customer in dormant:
        TierChangeFactory(
            customer=customer, day=yesterday, tier=Tier.DORMANT, previous_tier=Tier.ACTIVE
        )
    yield store, dormant
    cache.clear()


def test_operator_enables_runs_and_exports_the_wakeup_playbook(page, shop, live_server):
    store, dormant = shop
    wakeup = Playbook.objects.get(store=store, code="dormant_wakeup")
    held = {c.external_id for c in dormant if is_held_out(wakeup.pk, c.pk, wakeup.holdout_share)}

    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("xiaoli")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto("/customers/playbooks/")
    page.locator('tr[data-playbook="dormant_wakeup"] a').click()
    page.get_by_test_id("toggle").click()
    page.get_by_test_id("run-now").click()
    page.get_by_test_id("triggered").wait_for()
    assert page.get_by_test_id("triggered").inner_text() == "40"
    assert page.get_by_test_id("held-out").inner_text() == str(len(held))
    assert page.locator('tr[data-group="held"]').count() == len(held)
    assert page.locator('tr[data-group="contacted"]').count() == 40 - len(held)

    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    text = pathlib.Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert {row[0] for row in rows[1:]} == {c.external_id for c in dormant} - held
    assert page.console_errors == [], page.console_errors
