"""The customer page, the playbook pages, the current-tier export and the playbooks API, for a
hand-built shop; another store's ids are 404s and read-only roles cannot write."""

import csv
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from analytics.models import RfmScore
from opsdesk.models import AuditEntry
from opsdesk.roles import Role
from tests.analytics.handworked import SHANGHAI, at
from tests.factories import (
    CustomerFactory,
    MemberLevelFactory,
    MembershipFactory,
    OrderFactory,
    RefundFactory,
    StoreFactory,
    TierChangeFactory,
)
from users.members import members_recompute
from users.models import (
    CustomerPrediction,
    JobStatus,
    MemberLevelChange,
    Playbook,
    PlaybookContact,
    PlaybookJob,
    PlaybookRun,
    PredictionFit,
    RunStatus,
    Tier,
)
from users.playbooks import is_held_out, playbooks_install_ready_made
from users.tasks import TASK_ACTOR

N1, N5 = datetime.date(2026, 11, 1), datetime.date(2026, 11, 5)


@pytest.fixture
def shop(db):
    """Ann: V2 member (¥500+), orders ¥400 (Nov 1) and ¥300 (Nov 3), a ¥100 refund of the
    second on Nov 5: net ¥600 -> 600 points at 1 point/yuan, V2 since Nov 5's recompute;
    tiers new (Nov 1) -> active (Nov 5); RFM 5/4/3 champions; P(alive) 0.8234."""
    store = StoreFactory(name="Tea", slug="tea")
    v1 = MemberLevelFactory(store=store, code="V1", name="Silver", min_spend=Decimal("0"))
    MemberLevelFactory(
        store=store, code="V2", name="Gold", min_spend=Decimal("500"), benefits="95折"
    )
    MemberLevelFactory(store=store, code="V3", name="Diamond", min_spend=Decimal("2000"))
    ann = CustomerFactory(store=store, external_id="ann-01", name="Ann", region="上海")
    OrderFactory(
        store=store,
        customer=ann,
        number="A-1",
        created_at=at(SHANGHAI, N1, 9),
        paid_at=at(SHANGHAI, N1, 9, 1),
        goods_amount=Decimal("400.00"),
    )
    second = OrderFactory(
        store=store,
        customer=ann,
        number="A-2",
        created_at=at(SHANGHAI, datetime.date(2026, 11, 3), 9),
        paid_at=at(SHANGHAI, datetime.date(2026, 11, 3), 9, 1),
        goods_amount=Decimal("300.00"),
    )
    RefundFactory(order=second, amount=Decimal("100.00"), refunded_at=at(SHANGHAI, N5, 12))
    MemberLevelChange.objects.create(store=store, customer=ann, day=N1, level=v1)
    ann.member_level = v1
    ann.save()
    members_recompute(store=store, day=N5)
    TierChangeFactory(customer=ann, day=N1, tier=Tier.NEW, previous_tier="")
    TierChangeFactory(customer=ann, day=N5, tier=Tier.ACTIVE, previous_tier=Tier.NEW)
    RfmScore.objects.create(
        store=store,
        customer=ann,
        as_of=N5,
        recency_days=2,
        frequency=2,
        monetary=Decimal("700.00"),
        r_score=5,
        f_score=4,
        m_score=3,
        segment="champions",
        computed_at=at(SHANGHAI, N5, 3),
    )
    fit = PredictionFit.objects.create(
        store=store,
        as_of=N5,
        fitted_at=at(SHANGHAI, N5, 3),
        customers=1,
        repeat_buyers=1,
        r=0.2,
        alpha=4,
        a=0.8,
        b=2.4,
        log_likelihood=-1,
        p=6,
        q=3.7,
        gamma=15,
        seconds=0.1,
    )
    CustomerPrediction.objects.create(
        store=store,
        customer=ann,
        fit=fit,
        repeat_purchases=1,
        p_alive=0.8234,
        expected_purchases_90d=1.25,
        expected_order_value=Decimal("312.00"),
        clv_90d=Decimal("390.00"),
    )
    playbooks_install_ready_made(store=store, actor=TASK_ACTOR)
    wakeup = Playbook.objects.get(store=store, code="dormant_wakeup")
    run = PlaybookRun.objects.create(
        store=store,
        playbook=wakeup,
        day=N5,
        ran_at=at(SHANGHAI, N5, 9),
        triggered=1,
        contacted=1,
        held_out=0,
        status=RunStatus.DONE,
    )
    PlaybookContact.objects.create(
        store=store,
        run=run,
        playbook=wakeup,
        customer=ann,
        day=N5,
        held_out=False,
        message="Hi Ann",
    )
    other = StoreFactory(name="Other", slug="other")
    stranger = CustomerFactory(store=other, external_id="stranger")
    return store, ann, stranger, wakeup


def client_as(client, store, role=Role.OPERATOR, username="op"):
    client.force_login(MembershipFactory(store=store, role=role, user__username=username).user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def field_text(page: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}">(.*?)</dd>', page, re.S)
    assert match, name
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_customer_page_shows_every_piece(shop, client):
    store, ann, _stranger, wakeup = shop
    page = client_as(client, store).get(reverse("customer_detail", args=[ann.pk])).content.decode()
    profile = re.search(r'data-testid="profile">(.*?)</dl>', page, re.S).group(1)
    assert "上海" in profile  # the region
    assert '<p class="notes">95折</p>' in page  # the V2 level's benefits text
    assert field_text(page, "level") == "V2 Gold"
    assert field_text(page, "points") == "600"
    assert field_text(page, "order-count") == "2"
    assert field_text(page, "paid-total") == "¥700.00"
    assert field_text(page, "refunded-total") == "¥100.00"
    assert field_text(page, "net-spend") == "¥600.00"
    assert field_text(page, "next-level") == "V3: ¥1,400.00"
    assert field_text(page, "tier") == "Active"
    assert field_text(page, "segment") == "Champions"
    assert field_text(page, "rfm-scores") == "5 / 4 / 3"
    assert field_text(page, "p-alive") == "82.3%"
    assert field_text(page, "churn-risk") == "17.7%"
    assert field_text(page, "expected-purchases") == "1.25"
    assert field_text(page, "clv") == "¥390.00"
    assert 'data-order="A-1"' in page and 'data-order="A-2"' in page
    assert "¥100.00 (2026-11-05)" in page  # the refund on its order
    tier_rows = re.search(r'id="tier-history">(.*?)</table>', page, re.S).group(1)
    assert re.findall(r"<td>(\d{4}-\d\d-\d\d)</td>", tier_rows) == ["2026-11-05", "2026-11-01"]
    levels = re.search(r'id="level-history">(.*?)</table>', page, re.S).group(1)
    assert "<td>2026-11-05</td><td>V1</td><td>V2</td>" in levels
    contacts = re.search(r'id="contacts">(.*?)</table>', page, re.S).group(1)
    assert wakeup.name in contacts and "Hi Ann" in contacts and "Contacted" in contacts


def test_another_stores_customer_is_a_404(shop, client):
    store, _ann, stranger, _wakeup = shop
    response = client_as(client, store).get(reverse("customer_detail", args=[stranger.pk]))
    assert response.status_code == 404


def test_customer_list_links_to_the_page(shop, client):
    store, ann, _stranger, _wakeup = shop
    page = client_as(client, store).get(reverse("customer_list")).content.decode()
    assert f'href="{reverse("customer_detail", args=[ann.pk])}"' in page


def test_everyone_currently_in_a_tier_export(shop, client):
    store, _ann, _stranger, _wakeup = shop
    bob = CustomerFactory(store=store, external_id="bob")
    TierChangeFactory(customer=bob, day=N1, tier=Tier.NEW, previous_tier="")
    client = client_as(client, store)

    def export(day, tier):
        response = client.get(
            reverse("customer_export"),
            {
                "range": "custom",
                "start": "2026-11-01",
                "end": day,
                "tier": tier,
                "scope": "current",
                "format": "csv",
            },
        )
        assert response.status_code == 200
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))

    # On Nov 4 both are new (Ann turns active on Nov 5); on Nov 5 only Bob is still new.
    assert [row[0] for row in export("2026-11-04", "new")[1:]] == ["ann-01", "bob"]
    rows = export("2026-11-05", "new")
    assert rows[0][:4] == ["Customer id", "Name", "Tier", "In this tier since"]
    assert [row[0] for row in rows[1:]] == ["bob"]
    active = export("2026-11-05", "active")
    assert active[1][:6] == ["ann-01", "Ann", "active", "2026-11-05", "Gold", "600"]


def test_operator_enables_runs_and_exports_the_wakeup_playbook(
    shop, client, django_capture_on_commit_callbacks
):
    store, _ann, _stranger, wakeup = shop
    client = client_as(client, store)
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    dormant = [
        CustomerFactory(store=store, external_id=f"d{i:02d}", name=f"D{i}") for i in range(30)
    ]
    # "yesterday" in the store's zone is what Run now uses
    from django.utils import timezone

    yesterday = timezone.localdate(timezone=store.zone) - datetime.timedelta(days=1)
    for customer in dormant:
        TierChangeFactory(
            customer=customer, day=yesterday, tier=Tier.DORMANT, previous_tier=Tier.ACTIVE
        )

    response = client.post(reverse("playbook_toggle", args=[wakeup.pk]), {"enabled": "1"})
    assert response.status_code == 302
    wakeup.refresh_from_db()
    assert wakeup.enabled
    # Run now queues the job; it runs on commit (in-process here, a worker in production).
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("playbook_run", args=[wakeup.pk]))
    run = PlaybookRun.objects.get(playbook=wakeup, day=yesterday)
    job = PlaybookJob.objects.get(playbook=wakeup)
    assert (job.status, job.run, job.day) == (JobStatus.DONE, run, yesterday)
    held = {c.external_id for c in dormant if is_held_out(wakeup.pk, c.pk, Decimal("0.1"))}
    assert (run.triggered, run.held_out, run.contacted) == (30, len(held), 30 - len(held))

    page = client.get(reverse("playbook_detail", args=[wakeup.pk])).content.decode()
    assert field_text(page, "triggered") == "30"
    assert field_text(page, "held-out") == str(len(held))
    assert len(re.findall(r'data-group="held"', page)) == len(held)

    exported = client.get(reverse("playbook_export", args=[wakeup.pk, run.pk]), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {row[0] for row in rows[1:]} == {c.external_id for c in dormant} - held
    first = next(row for row in rows[1:] if row[0] not in held)
    assert first[5] == f"{first[1]}，好久不见！3天内下单立减30元，限时有效。"
    xlsx = client.get(reverse("playbook_export", args=[wakeup.pk, run.pk]), {"format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    xlsx_rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert xlsx_rows[0] == rows[0]
    # The same customers with the same filled-in messages (XLSX cells keep numbers typed).
    assert sorted((r[0], r[5]) for r in xlsx_rows[1:]) == sorted((r[0], r[5]) for r in rows[1:])
    bad = client.get(reverse("playbook_export", args=[wakeup.pk, run.pk]), {"format": "pdf"})
    assert bad.status_code == 400


def test_run_now_returns_at_once_and_the_page_follows_the_job(
    shop, client, django_capture_on_commit_callbacks
):
    """The request only queues the job; the page shows it queued (Run now disabled, the
    poller's script loaded), the status URL answers its state, a second click queues no
    second job; once the task has run, the state is done with the run's counts."""
    from django.utils import timezone

    store, _ann, _stranger, wakeup = shop
    client = client_as(client, store)
    yesterday = timezone.localdate(timezone=store.zone) - datetime.timedelta(days=1)
    for i in range(3):
        TierChangeFactory(
            customer=CustomerFactory(store=store, external_id=f"w{i}"),
            day=yesterday,
            tier=Tier.DORMANT,
            previous_tier=Tier.ACTIVE,
        )
    wakeup.enabled = True
    wakeup.holdout_share = Decimal("0")
    wakeup.save()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("playbook_run", args=[wakeup.pk]))
    assert response.status_code == 302
    assert len(queued) == 1  # the task is sent after the commit
    job = PlaybookJob.objects.get(playbook=wakeup)
    assert (job.status, job.run, job.requested_by.username) == (JobStatus.QUEUED, None, "op")
    assert not PlaybookRun.objects.filter(playbook=wakeup, day=yesterday).exists()

    page = client.get(reverse("playbook_detail", args=[wakeup.pk])).content.decode()
    assert re.search(r'data-testid="run-now" disabled', page)
    assert 'data-status="queued"' in page and "users/playbook_job.js" in page
    status_url = reverse("playbook_job_status", args=[wakeup.pk, job.pk])
    assert client.get(status_url).json() | {"requested_at": None} == {
        "text": "Queued",
        "id": job.pk,
        "day": yesterday.isoformat(),
        "status": "queued",
        "status_label": "Queued",
        "active": True,
        "attempts": 0,
        "error": "",
        "requested_at": None,
        "finished_at": None,
        "run": None,
    }
    with django_capture_on_commit_callbacks(execute=False) as again:
        client.post(reverse("playbook_run", args=[wakeup.pk]))
    assert (len(again), PlaybookJob.objects.count()) == (0, 1)

    queued[0]()  # the worker takes the task
    state = client.get(status_url).json()
    assert (state["status"], state["active"]) == ("done", False)
    assert state["run"]["triggered"] == 3 and state["run"]["contacted"] == 3
    assert state["text"] == "Done: 3 triggered, 3 contacted, 0 held out."
    page = client.get(reverse("playbook_detail", args=[wakeup.pk])).content.decode()
    assert field_text(page, "triggered") == "3"
    assert "users/playbook_job.js" not in page  # nothing left to poll
    assert AuditEntry.objects.filter(action="playbook.run_requested").count() == 1
    assert AuditEntry.objects.filter(action="playbook.run").count() == 1


def test_a_job_of_a_playbook_disabled_meanwhile_fails_with_the_reason(shop):
    from django.utils import timezone

    from users.tasks import playbook_run_job

    store, _ann, _stranger, wakeup = shop
    job = PlaybookJob.objects.create(
        store=store, playbook=wakeup, day=N5, requested_at=timezone.now()
    )
    with translation.override("en"):
        assert playbook_run_job(job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, "The playbook was disabled before it ran.")
    assert job.finished_at is not None
    assert playbook_run_job(job.pk) is None  # not queued any more: left alone


def test_a_job_no_worker_finished_in_30_minutes_does_not_block_run_now(
    shop, client, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    store, _ann, _stranger, wakeup = shop
    wakeup.enabled = True
    wakeup.save()
    lost = PlaybookJob.objects.create(
        store=store,
        playbook=wakeup,
        day=N5,
        requested_at=timezone.now() - datetime.timedelta(minutes=31),
    )
    client = client_as(client, store)
    state = client.get(reverse("playbook_job_status", args=[wakeup.pk, lost.pk])).json()
    assert (state["status"], state["active"]) == ("queued", False)
    assert "the worker may have stopped" in state["text"]
    page = client.get(reverse("playbook_detail", args=[wakeup.pk])).content.decode()
    assert not re.search(r'data-testid="run-now" disabled', page)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(reverse("playbook_run", args=[wakeup.pk]))
    assert (len(queued), PlaybookJob.objects.filter(playbook=wakeup).count()) == (1, 2)


def test_job_status_is_store_scoped_and_readable_by_viewers(shop, client):
    from django.utils import timezone

    store, _ann, _stranger, wakeup = shop
    job = PlaybookJob.objects.create(
        store=store, playbook=wakeup, day=N5, requested_at=timezone.now()
    )
    url = reverse("playbook_job_status", args=[wakeup.pk, job.pk])
    assert client.get(url).status_code == 302  # sign-in first
    analyst = client_as(client, store, role=Role.ANALYST, username="analyst")
    assert analyst.get(url).json()["status"] == "queued"
    other_store = StoreFactory()
    other = Playbook.objects.create(store=other_store, name="x", trigger="birthday")
    other_job = PlaybookJob.objects.create(
        store=other_store, playbook=other, day=N5, requested_at=timezone.now()
    )
    assert (
        analyst.get(reverse("playbook_job_status", args=[other.pk, other_job.pk])).status_code
        == 404
    )
    assert (
        analyst.get(reverse("playbook_job_status", args=[wakeup.pk, other_job.pk])).status_code
        == 404
    )


def test_the_playbook_page_lists_who_the_cool_down_skipped(shop, client):
    """A sibling playbook with the same trigger reached both entrants first: the wake-up
    run triggers them, skips them by the cool-down, and the page lists them as skipped."""
    from users.playbooks import playbook_run

    store, _ann, _stranger, wakeup = shop
    day = datetime.date(2026, 11, 10)
    entrants = [CustomerFactory(store=store, external_id=f"s{i}") for i in range(2)]
    for customer in entrants:
        TierChangeFactory(customer=customer, day=day, tier=Tier.DORMANT, previous_tier="active")
    sibling = Playbook.objects.create(
        store=store, name="Sibling", trigger="entered_tier", tier=Tier.DORMANT, enabled=True
    )
    playbook_run(playbook=sibling, day=day, actor=TASK_ACTOR)
    run = playbook_run(playbook=wakeup, day=day, actor=TASK_ACTOR)
    assert (run.triggered, run.cooled_down) == (0, 2)
    page = client_as(client, store).get(
        reverse("playbook_detail", args=[wakeup.pk]), {"run": run.pk}
    )
    rows = re.findall(
        r'<tr data-group="cooled"><td class="mono"><a [^>]+>(\w+)</a>', page.content.decode()
    )
    assert rows == ["s0", "s1"]


def test_analyst_reads_but_cannot_enable_edit_or_run(shop, client):
    store, _ann, _stranger, wakeup = shop
    client = client_as(client, store, role=Role.ANALYST, username="analyst")
    page = client.get(reverse("playbook_detail", args=[wakeup.pk])).content.decode()
    assert 'data-testid="toggle"' not in page
    for name in ("playbook_toggle", "playbook_run", "playbook_edit"):
        assert client.post(reverse(name, args=[wakeup.pk]), {"enabled": "1"}).status_code == 403
    assert client.post(reverse("playbooks_install")).status_code == 403
    wakeup.refresh_from_db()
    assert not wakeup.enabled


def test_another_stores_playbook_is_a_404(shop, client):
    store, _ann, _stranger, _wakeup = shop
    other = Playbook.objects.create(store=StoreFactory(), name="x", trigger="birthday")
    client = client_as(client, store)
    assert client.get(reverse("playbook_detail", args=[other.pk])).status_code == 404
    assert (
        client.post(reverse("playbook_toggle", args=[other.pk]), {"enabled": "1"}).status_code
        == 404
    )


def test_editing_a_playbook_validates_and_names_the_field(shop, client):
    store, _ann, _stranger, wakeup = shop
    client = client_as(client, store)
    data = {
        "name": "Wake-up",
        "trigger": "entered_tier",
        "tier": "dormant",
        "segment": "",
        "cart_hours": 24,
        "churn_threshold": "0.7",
        "member_day": 18,
        "action": "webhook",
        "message_template": "hi",
        "webhook_url": "https://hooks.example.com/x",
        "webhook_secret": "short",
        "coupon_value": "30",
        "holdout_share": "0.2",
        "cooldown_days": 14,
    }
    response = client.post(reverse("playbook_edit", args=[wakeup.pk]), data, follow=True)
    assert "webhook signing secret" in response.content.decode().lower()
    wakeup.refresh_from_db()
    assert (wakeup.action, wakeup.holdout_share) == ("export", Decimal("0.100"))  # unchanged

    data["webhook_secret"] = "a-long-enough-secret"
    data["webhook_url"] = "http://10.0.0.5/hook"  # the private network: refused, said where
    response = client.post(reverse("playbook_edit", args=[wakeup.pk]), data, follow=True)
    assert (
        "webhook URL: The webhook URL may not point at 10.0.0.5: 10.0.0.5 is a private network "
        "address." in response.content.decode()
    )
    wakeup.refresh_from_db()
    assert wakeup.action == "export"

    data["webhook_url"] = "https://hooks.example.com/x"  # public (tests/users/conftest.py)
    client.post(reverse("playbook_edit", args=[wakeup.pk]), data)
    wakeup.refresh_from_db()
    assert (wakeup.action, wakeup.holdout_share, wakeup.cooldown_days) == (
        "webhook",
        Decimal("0.200"),
        14,
    )
    assert wakeup.webhook_secret == "a-long-enough-secret"


def test_predictions_page_shows_the_fit_and_tier_averages(shop, client):
    store, *_ = shop
    page = client_as(client, store).get(reverse("customer_predictions")).content.decode()
    row = re.search(r'data-tier="active">(.*?)</tr>', page, re.S).group(1)
    assert '<td class="num">1</td>' in row and "82.3%" in row and "¥390.00" in row
    row = re.search(r'data-segment="champions">(.*?)</tr>', page, re.S).group(1)
    assert "82.3%" in row and "1.25" in row


def test_playbooks_api_lists_the_stores_playbooks_with_their_effect(shop):
    store, *_ = shop
    user = MembershipFactory(store=store, role=Role.ANALYST, user__username="api").user
    api = APIClient()
    api.force_authenticate(user)
    body = api.get(f"/api/v1/stores/{store.slug}/playbooks/").json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    assert {row["code"] for row in rows} == {
        "new_gift_pack",
        "high_value_coupon",
        "dormant_wakeup",
        "churned_winback",
        "member_day_points",
    }
    wakeup = next(row for row in rows if row["code"] == "dormant_wakeup")
    assert wakeup["effect"]["runs"] == 1
    assert [w["days"] for w in wakeup["effect"]["windows"]] == [7, 30]
    assert api.get("/api/v1/stores/other/playbooks/").status_code == 404


def test_page_query_counts_do_not_grow_with_rows(shop, client):
    """Fixed numbers of queries: more orders, refunds, contacts or playbooks add none."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    store, ann, _stranger, wakeup = shop
    client = client_as(client, store)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    detail = reverse("customer_detail", args=[ann.pk])
    playbook = reverse("playbook_detail", args=[wakeup.pk])
    client.get(detail)  # the first request of a session also saves the session
    before = (count(detail), count(playbook), count(reverse("playbook_list")))
    for i in range(5):
        order = OrderFactory(
            store=store,
            customer=ann,
            created_at=at(SHANGHAI, N1, 10 + i),
            paid_at=at(SHANGHAI, N1, 10 + i, 1),
        )
        RefundFactory(order=order, amount=Decimal("1.00"))
        run = PlaybookRun.objects.create(
            store=store,
            playbook=wakeup,
            day=N1 - datetime.timedelta(days=i + 1),
            ran_at=at(SHANGHAI, N1, 9),
            triggered=1,
            contacted=1,
            held_out=0,
            status=RunStatus.DONE,
        )
        PlaybookContact.objects.create(
            store=store, run=run, playbook=wakeup, customer=ann, day=run.day, held_out=False
        )
    assert (count(detail), count(playbook), count(reverse("playbook_list"))) == before
    assert before == (14, 11, 5)  # the playbook page: + its latest run-now job


def test_playbooks_api_query_count_does_not_grow_with_playbooks(shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from users.playbooks import playbook_effect

    store, ann, _stranger, wakeup = shop
    api = APIClient()
    api.force_authenticate(MembershipFactory(store=store, role=Role.ANALYST).user)
    url = f"/api/v1/stores/{store.slug}/playbooks/"

    def count():
        with CaptureQueriesContext(connection) as queries:
            body = api.get(url).json()
        return len(queries), body

    before, _ = count()
    for i in range(4):
        playbook = Playbook.objects.create(store=store, name=f"extra {i}", trigger="birthday")
        run = PlaybookRun.objects.create(
            store=store,
            playbook=playbook,
            day=N1,
            ran_at=at(SHANGHAI, N1, 9),
            triggered=1,
            contacted=0,
            held_out=1,
            status=RunStatus.DONE,
        )
        PlaybookContact.objects.create(
            store=store, run=run, playbook=playbook, customer=ann, day=N1, held_out=True
        )
    after, body = count()
    assert after == before
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    assert len(rows) == 9
    row = next(r for r in rows if r["id"] == wakeup.pk)
    single = playbook_effect(playbook=wakeup)
    assert (
        row["effect"]["windows"][1]["contacted"]["customers"]
        == single.windows[1].contacted.customers
    )


def test_customers_api_carries_the_prediction_or_null(shop):
    store, ann, *_ = shop
    bob = CustomerFactory(store=store, external_id="bob")
    api = APIClient()
    api.force_authenticate(MembershipFactory(store=store, role=Role.ANALYST).user)
    body = api.get(f"/api/v1/stores/{store.slug}/customers/").json()
    rows = {row["external_id"]: row for row in body["results"]}
    assert rows["ann-01"]["prediction"] == {
        "p_alive": 0.8234,
        "churn_risk": pytest.approx(0.1766),
        "expected_purchases_90d": 1.25,
        "clv_90d": "390.00",
    }
    assert rows[bob.external_id]["prediction"] is None
    detail = api.get(f"/api/v1/stores/{store.slug}/customers/{ann.pk}/").json()
    assert detail["prediction"]["clv_90d"] == "390.00"
