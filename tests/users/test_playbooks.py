"""Playbooks (users.playbooks): triggers, deterministic hold-out, cool-down, the effect report
by hand, and the signed webhook with retries against a real local HTTP server."""

import datetime
import hashlib
import hmac
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scipy import stats

from analytics.models import EventType
from opsdesk.audit import Actor
from opsdesk.models import AuditEntry, AuditSource
from tests.analytics.handworked import SHANGHAI, at
from tests.factories import (
    BehaviourEventFactory,
    CustomerFactory,
    MemberLevelFactory,
    OrderFactory,
    StoreFactory,
    TierChangeFactory,
)
from tests.users.effect_example import seed_effect_example
from users.models import (
    ActionKind,
    CustomerPrediction,
    Playbook,
    PlaybookContact,
    PlaybookRun,
    PredictionFit,
    RunStatus,
    Tier,
    TriggerKind,
)
from users.playbooks import (
    fill_message,
    holdout_fraction,
    is_held_out,
    playbook_effect,
    playbook_run,
    playbooks_install_ready_made,
    proportion_difference,
    trigger_key,
    triggered_customers,
    webhook_deliver,
    welch_difference,
)

ACTOR = Actor(user=None, source=AuditSource.TASK)
D = datetime.date(2026, 11, 10)


def make_playbook(store, **values) -> Playbook:
    defaults = {
        "name": "Wake-up",
        "trigger": TriggerKind.ENTERED_TIER,
        "tier": Tier.DORMANT,
        "message_template": "{name}，3天内下单立减{coupon}元",
        "coupon_value": Decimal("30.00"),
        "enabled": True,
    }
    return Playbook.objects.create(store=store, **{**defaults, **values})


def enter(customer, tier, day, previous=Tier.ACTIVE):
    return TierChangeFactory(customer=customer, tier=tier, previous_tier=previous, day=day)


# --- hold-out ------------------------------------------------------------------------------


def test_holdout_fraction_is_the_sha256_of_playbook_and_customer():
    digest = hashlib.sha256(b"playbook:5:customer:42").digest()
    assert holdout_fraction(5, 42) == int.from_bytes(digest[:8], "big") / 2**64


def test_holdout_share_is_close_to_the_configured_share_and_per_playbook():
    ids = range(1, 20_001)
    held = [i for i in ids if is_held_out(7, i, Decimal("0.10"))]
    # 20,000 x 0.1 = 2,000 expected, sd = sqrt(20,000 x 0.1 x 0.9) = 42.4: within 3 sd.
    assert 2_000 - 128 <= len(held) <= 2_000 + 128
    other = [i for i in ids if is_held_out(8, i, Decimal("0.10"))]
    assert held != other  # another playbook holds out other customers
    assert sum(is_held_out(7, i, Decimal("0")) for i in ids) == 0


def test_a_rerun_keeps_the_same_holdout_and_list(db):
    store = StoreFactory()
    customers = [CustomerFactory(store=store) for _ in range(80)]
    for customer in customers:
        enter(customer, Tier.DORMANT, D)
    playbook = make_playbook(store, holdout_share=Decimal("0.25"))
    first = playbook_run(playbook=playbook, day=D, actor=ACTOR)
    held_first = set(
        PlaybookContact.objects.filter(run=first, held_out=True).values_list(
            "customer_id", flat=True
        )
    )
    second = playbook_run(playbook=playbook, day=D, actor=ACTOR)
    held_second = set(
        PlaybookContact.objects.filter(run=second, held_out=True).values_list(
            "customer_id", flat=True
        )
    )
    assert held_first == held_second
    assert held_first == {c.pk for c in customers if is_held_out(playbook.pk, c.pk, 0.25)}
    assert PlaybookRun.objects.filter(playbook=playbook).count() == 1  # replaced, not added
    assert (second.triggered, second.contacted + second.held_out) == (80, 80)
    assert second.held_out == len(held_first)
    assert AuditEntry.objects.filter(action="playbook.run", object_id=str(playbook.pk)).count() == 2


# --- cool-down -----------------------------------------------------------------------------


def test_cooldown_skips_customers_triggered_within_n_days(db):
    store = StoreFactory()
    ann, bob, cat = (CustomerFactory(store=store, external_id=n) for n in ("ann", "bob", "cat"))
    playbook = make_playbook(store, cooldown_days=30, holdout_share=Decimal("0"))
    enter(ann, Tier.DORMANT, D)
    enter(bob, Tier.DORMANT, D)
    playbook_run(playbook=playbook, day=D, actor=ACTOR)

    # Ann leaves dormant and comes back 10 days later: inside the 30-day cool-down.
    enter(ann, Tier.ACTIVE, D + datetime.timedelta(days=5), previous=Tier.DORMANT)
    enter(ann, Tier.DORMANT, D + datetime.timedelta(days=10))
    enter(cat, Tier.DORMANT, D + datetime.timedelta(days=10))
    later = playbook_run(playbook=playbook, day=D + datetime.timedelta(days=10), actor=ACTOR)
    assert (later.triggered, later.contacted, later.cooled_down) == (1, 1, 1)
    assert list(PlaybookContact.objects.filter(run=later).values_list("customer", flat=True)) == [
        cat.pk
    ]

    # 30 days after her last contact the cool-down is over.
    enter(ann, Tier.ACTIVE, D + datetime.timedelta(days=20), previous=Tier.DORMANT)
    enter(ann, Tier.DORMANT, D + datetime.timedelta(days=30))
    last = playbook_run(playbook=playbook, day=D + datetime.timedelta(days=30), actor=ACTOR)
    assert (last.triggered, last.cooled_down) == (1, 0)


def test_held_out_customers_are_cooled_down_too(db):
    store = StoreFactory()
    customer = CustomerFactory(store=store)
    playbook = make_playbook(store, holdout_share=Decimal("0.999"), cooldown_days=7)
    enter(customer, Tier.DORMANT, D)
    run = playbook_run(playbook=playbook, day=D, actor=ACTOR)
    assert run.held_out == 1
    enter(customer, Tier.ACTIVE, D + datetime.timedelta(days=1), previous=Tier.DORMANT)
    enter(customer, Tier.DORMANT, D + datetime.timedelta(days=3))
    again = playbook_run(playbook=playbook, day=D + datetime.timedelta(days=3), actor=ACTOR)
    assert (again.triggered, again.cooled_down) == (0, 1)


def test_trigger_key_is_the_kind_with_its_parameters(db):
    store = StoreFactory()
    cases = [
        ({"trigger": TriggerKind.ENTERED_TIER, "tier": Tier.DORMANT}, "entered_tier:dormant"),
        ({"trigger": TriggerKind.RFM_SEGMENT, "segment": "at_risk"}, "rfm_segment:at_risk"),
        ({"trigger": TriggerKind.ABANDONED_CART, "cart_hours": 24}, "abandoned_cart:24h"),
        (
            {"trigger": TriggerKind.CHURN_RISK, "churn_threshold": Decimal("0.700")},
            "churn_risk:0.7",
        ),
        ({"trigger": TriggerKind.BIRTHDAY, "tier": ""}, "birthday"),
        ({"trigger": TriggerKind.MEMBER_DAY, "member_day": 18}, "member_day:18"),
    ]
    for values, key in cases:
        assert trigger_key(make_playbook(store, **values)) == key


def test_cooldown_is_per_trigger_across_the_stores_playbooks(db):
    """30-day cool-down. Nov 1: Ann and Bob enter dormant; A (dormant) reaches both, then B
    (also dormant) the same day skips both. Nov 5: Ann enters churned: C (churned, another
    trigger) reaches her. Nov 30: Ann is dormant again: B skips her (Nov 1 > Nov 30 - 30 =
    Oct 31). Dec 1: Bob is dormant again: B reaches him (Nov 1 is not > Dec 1 - 30 = Nov 1).
    Another store's dormant playbook is not affected."""
    nov = lambda day: datetime.date(2026, 11, day)  # noqa: E731
    dec1 = datetime.date(2026, 12, 1)
    store, other_store = StoreFactory(), StoreFactory()
    ann = CustomerFactory(store=store, external_id="ann")
    bob = CustomerFactory(store=store, external_id="bob")
    stranger = CustomerFactory(store=other_store, external_id="ann")
    a = make_playbook(store, name="A", cooldown_days=30, holdout_share=Decimal("0"))
    b = make_playbook(store, name="B", cooldown_days=30, holdout_share=Decimal("0"))
    c = make_playbook(
        store, name="C", tier=Tier.CHURNED, cooldown_days=30, holdout_share=Decimal("0")
    )
    elsewhere = make_playbook(other_store, cooldown_days=30, holdout_share=Decimal("0"))
    enter(ann, Tier.DORMANT, nov(1))
    enter(bob, Tier.DORMANT, nov(1))
    enter(stranger, Tier.DORMANT, nov(1))

    first = playbook_run(playbook=a, day=nov(1), actor=ACTOR)
    assert (first.triggered, first.contacted, first.cooled_down) == (2, 2, 0)
    sibling = playbook_run(playbook=b, day=nov(1), actor=ACTOR)
    assert (sibling.triggered, sibling.contacted, sibling.cooled_down) == (0, 0, 2)
    assert sibling.cooled_down_customers == sorted([ann.pk, bob.pk])  # who, not only how many
    assert playbook_run(playbook=a, day=nov(1), actor=ACTOR).contacted == 2  # own re-run
    assert playbook_run(playbook=elsewhere, day=nov(1), actor=ACTOR).contacted == 1

    enter(ann, Tier.CHURNED, nov(5), previous=Tier.DORMANT)
    churned = playbook_run(playbook=c, day=nov(5), actor=ACTOR)
    assert (churned.contacted, churned.cooled_down) == (1, 0)

    # Editing A afterwards does not change the trigger its past contacts were made for.
    a.tier = Tier.CHURNED
    a.save()
    enter(ann, Tier.ACTIVE, nov(20), previous=Tier.CHURNED)
    enter(ann, Tier.DORMANT, nov(30))
    day_30 = playbook_run(playbook=b, day=nov(30), actor=ACTOR)
    assert (day_30.triggered, day_30.contacted, day_30.cooled_down) == (0, 0, 1)
    assert day_30.cooled_down_customers == [ann.pk]

    enter(bob, Tier.ACTIVE, nov(20), previous=Tier.DORMANT)
    enter(bob, Tier.DORMANT, dec1)
    day_31 = playbook_run(playbook=b, day=dec1, actor=ACTOR)
    assert (day_31.triggered, day_31.contacted, day_31.cooled_down) == (1, 1, 0)
    assert day_31.cooled_down_customers == []
    assert set(
        PlaybookContact.objects.filter(run=day_31).values_list("customer_id", "trigger_key")
    ) == {(bob.pk, "entered_tier:dormant")}


def test_cooldown_of_zero_days_is_none_and_one_day_is_the_same_day(db):
    store = StoreFactory()
    ann = CustomerFactory(store=store)
    enter(ann, Tier.DORMANT, D)
    a = make_playbook(store, name="A", cooldown_days=0, holdout_share=Decimal("0"))
    b = make_playbook(store, name="B", cooldown_days=0, holdout_share=Decimal("0"))
    playbook_run(playbook=a, day=D, actor=ACTOR)
    assert playbook_run(playbook=b, day=D, actor=ACTOR).contacted == 1
    b.cooldown_days = 1
    b.save()
    assert playbook_run(playbook=b, day=D, actor=ACTOR).cooled_down == 1  # A reached her on D


# --- triggers ------------------------------------------------------------------------------


def test_entered_tier_lists_only_that_tier_that_day_and_store(db):
    store, other = StoreFactory(), StoreFactory()
    yes = CustomerFactory(store=store)
    enter(yes, Tier.DORMANT, D)
    enter(CustomerFactory(store=store), Tier.CHURNED, D)
    enter(CustomerFactory(store=store), Tier.DORMANT, D - datetime.timedelta(days=1))
    enter(CustomerFactory(store=other), Tier.DORMANT, D)
    assert triggered_customers(playbook=make_playbook(store), day=D) == [yes.pk]


def test_birthday_and_member_day_triggers(db):
    store = StoreFactory()
    level = MemberLevelFactory(store=store)
    born = CustomerFactory(store=store, birthday=datetime.date(1990, 11, 10))
    CustomerFactory(store=store, birthday=datetime.date(1990, 11, 11))
    member = CustomerFactory(store=store, member_level=level)
    birthday = make_playbook(store, trigger=TriggerKind.BIRTHDAY, tier="")
    assert triggered_customers(playbook=birthday, day=D) == [born.pk]
    member_day = make_playbook(store, trigger=TriggerKind.MEMBER_DAY, tier="", member_day=10)
    assert triggered_customers(playbook=member_day, day=D) == [member.pk]
    assert triggered_customers(playbook=member_day, day=D + datetime.timedelta(days=1)) == []


def test_leap_day_birthdays_and_member_days_past_the_months_end_still_come(db):
    """Born 29 Feb 2000: triggered on 28 Feb 2027 (a common year), on 29 Feb 2028 and not on
    28 Feb 2028. Member day 31: the 30th of April, the 28th of February 2027 and the 29th of
    February 2028, the 31st of May; never the 30th of May."""
    store = StoreFactory()
    leap = CustomerFactory(store=store, birthday=datetime.date(2000, 2, 29))
    feb28 = CustomerFactory(store=store, birthday=datetime.date(1990, 2, 28))
    member = CustomerFactory(store=store, member_level=MemberLevelFactory(store=store))
    birthday = make_playbook(store, trigger=TriggerKind.BIRTHDAY, tier="")
    date = datetime.date
    assert triggered_customers(playbook=birthday, day=date(2027, 2, 28)) == [leap.pk, feb28.pk]
    assert triggered_customers(playbook=birthday, day=date(2028, 2, 28)) == [feb28.pk]
    assert triggered_customers(playbook=birthday, day=date(2028, 2, 29)) == [leap.pk]
    assert triggered_customers(playbook=birthday, day=date(2027, 3, 1)) == []

    day_31 = make_playbook(store, trigger=TriggerKind.MEMBER_DAY, tier="", member_day=31)
    for day, picked in [
        (date(2027, 4, 30), True),
        (date(2027, 2, 28), True),
        (date(2028, 2, 28), False),
        (date(2028, 2, 29), True),
        (date(2027, 5, 30), False),
        (date(2027, 5, 31), True),
    ]:
        expected = [member.pk] if picked else []
        assert triggered_customers(playbook=day_31, day=day) == expected, day


def test_abandoned_cart_within_n_hours_without_a_later_order(db):
    store = StoreFactory()
    left, bought, early = (CustomerFactory(store=store) for _ in range(3))
    for customer, hour in ((left, 20), (bought, 21), (early, 1)):
        BehaviourEventFactory(
            store=store,
            customer=customer,
            event_type=EventType.ADD_TO_CART,
            occurred_at=at(SHANGHAI, D, hour),
        )
    OrderFactory(store=store, customer=bought, created_at=at(SHANGHAI, D, 22), paid_at=None)
    playbook = make_playbook(store, trigger=TriggerKind.ABANDONED_CART, tier="", cart_hours=12)
    # End of D is 24:00; 12 hours back is 12:00: the 01:00 cart is too old.
    assert triggered_customers(playbook=playbook, day=D) == [left.pk]


def test_churn_risk_and_rfm_segment_triggers(db):
    store = StoreFactory()
    risky, safe = CustomerFactory(store=store), CustomerFactory(store=store)
    fit = PredictionFit.objects.create(
        store=store,
        as_of=D,
        fitted_at=at(SHANGHAI, D, 3),
        customers=2,
        repeat_buyers=1,
        r=1,
        alpha=1,
        a=1,
        b=1,
        log_likelihood=0,
        seconds=0,
    )
    for customer, p_alive in ((risky, 0.25), (safe, 0.8)):
        CustomerPrediction.objects.create(
            store=store,
            customer=customer,
            fit=fit,
            repeat_purchases=1,
            p_alive=p_alive,
            expected_purchases_90d=0.1,
        )
    churn = make_playbook(
        store, trigger=TriggerKind.CHURN_RISK, tier="", churn_threshold=Decimal("0.75")
    )
    assert triggered_customers(playbook=churn, day=D) == [risky.pk]  # risk 0.75 >= 0.75

    # One scored customer: R = F = 1 + floor(5 x 0) = 1 -> hibernating.
    OrderFactory(
        store=store, customer=safe, created_at=at(SHANGHAI, D, 9), paid_at=at(SHANGHAI, D, 9)
    )
    hibernating = make_playbook(
        store, trigger=TriggerKind.RFM_SEGMENT, tier="", segment="hibernating"
    )
    assert triggered_customers(playbook=hibernating, day=D) == [safe.pk]


def test_message_template_is_filled_and_unknown_braces_are_kept(db):
    store = StoreFactory()
    customer = CustomerFactory(
        store=store,
        name="王芳",
        member_level=MemberLevelFactory(store=store, name="金卡"),
        points=120,
    )
    playbook = make_playbook(store, coupon_value=Decimal("30.00"))
    text = fill_message("{name}/{level}/{points}/{coupon}/{unknown}", customer, playbook)
    assert text == "王芳/金卡/120/30/{unknown}"


def test_ready_made_playbooks_are_installed_once_and_disabled(db):
    store = StoreFactory()
    created = playbooks_install_ready_made(store=store, actor=ACTOR)
    assert {p.code for p in created} == {
        "new_gift_pack",
        "high_value_coupon",
        "dormant_wakeup",
        "churned_winback",
        "member_day_points",
    }
    assert not any(p.enabled for p in created)
    assert playbooks_install_ready_made(store=store, actor=ACTOR) == []
    wakeup = Playbook.objects.get(store=store, code="dormant_wakeup")
    assert (wakeup.tier, wakeup.coupon_value, wakeup.holdout_share) == (
        Tier.DORMANT,
        Decimal("30.00"),
        Decimal("0.100"),
    )


# --- effect by hand ------------------------------------------------------------------------

T0 = at(SHANGHAI, datetime.date(2026, 10, 1), 10)


def test_effect_report_by_hand(db):
    """One run at T0. Contacted c1..c4, held out h1..h3. Paid orders after T0:
    c1 ¥100 at +2d; c2 ¥50 at +10d; c3 none; c4 ¥30 at +1h and ¥20 at +3d;
    h1 ¥40 at +20d; h2 none; h3 ¥10 one hour BEFORE T0 (does not count).

    7 days:  contacted [100, 0, 0, 50] -> 2/4 converted, ¥37.50 per customer;
             held out  [0, 0, 0]       -> 0/3, ¥0.00.
             conversion uplift 0.5, se = sqrt(.5 x .5 / 4 + 0) = 0.25;
             GMV uplift 37.50, se = sqrt(var[100,0,0,50] / 4) = sqrt(2291.67 / 4), df = 3;
             coupon cost = ¥30 x 2 = ¥60.
    30 days: contacted [100, 50, 0, 50] -> 3/4, ¥50.00; held out [40, 0, 0] -> 1/3, ¥13.33;
             conversion uplift 0.75 - 1/3, se = sqrt(.75 x .25 / 4 + (1/3)(2/3) / 3);
             GMV uplift 36.67 with Welch df = (416.67 + 177.78)^2 /
             (416.67^2 / 3 + 177.78^2 / 2) = 4.796; coupon cost ¥90.
    """
    store = StoreFactory()
    playbook = make_playbook(store)
    seed_effect_example(store=store, playbook=playbook, t0=T0)
    dayd = datetime.timedelta(days=1)

    effect = playbook_effect(playbook=playbook, now=T0 + 40 * dayd)
    seven, thirty = effect.windows
    assert (seven.contacted.customers, seven.contacted.converted) == (4, 2)
    assert seven.contacted.gmv_per_customer == Decimal("37.50")
    assert (seven.held_out.customers, seven.held_out.converted, seven.held_out.gmv) == (
        3,
        0,
        Decimal("0.00"),
    )
    assert seven.conversion_uplift.estimate == pytest.approx(0.5)
    assert seven.conversion_uplift.low == pytest.approx(0.5 - 1.959964 * 0.25)
    assert seven.conversion_uplift.high == pytest.approx(0.5 + 1.959964 * 0.25)
    se7 = (2291.6667 / 4) ** 0.5
    half7 = stats.t.ppf(0.975, 3) * se7
    assert seven.gmv_uplift.estimate == pytest.approx(37.5)
    assert seven.gmv_uplift.low == pytest.approx(37.5 - half7, rel=1e-4)
    assert seven.coupon_cost == Decimal("60.00")

    assert (thirty.contacted.converted, thirty.held_out.converted) == (3, 1)
    assert thirty.contacted.gmv_per_customer == Decimal("50.00")
    assert thirty.held_out.gmv_per_customer == Decimal("13.33")
    se_p = (0.75 * 0.25 / 4 + (1 / 3) * (2 / 3) / 3) ** 0.5
    assert thirty.conversion_uplift.estimate == pytest.approx(0.75 - 1 / 3)
    assert thirty.conversion_uplift.high == pytest.approx(0.75 - 1 / 3 + 1.959964 * se_p)
    var_c, var_h = 5000 / 3 / 4, (3200 / 3 / 2) / 3
    df = (var_c + var_h) ** 2 / (var_c**2 / 3 + var_h**2 / 2)
    assert df == pytest.approx(4.796, abs=0.001)
    half30 = stats.t.ppf(0.975, df) * (var_c + var_h) ** 0.5
    assert thirty.gmv_uplift.estimate == pytest.approx(50 - 40 / 3)
    assert thirty.gmv_uplift.high == pytest.approx(50 - 40 / 3 + half30, rel=1e-6)
    assert thirty.coupon_cost == Decimal("90.00")

    # 20 days after T0 the 30-day window has not ended: nobody counts in it yet.
    early = playbook_effect(playbook=playbook, now=T0 + 20 * dayd)
    assert early.windows[1].contacted.customers == 0
    assert early.windows[1].conversion_uplift is None
    assert early.windows[0].contacted.customers == 4


def test_interval_helpers_refuse_too_small_groups():
    assert proportion_difference(1, 2, 0, 0) is None
    import numpy as np

    assert welch_difference(np.array([1.0]), np.array([1.0, 2.0])) is None
    same = welch_difference(np.array([5.0, 5.0]), np.array([1.0, 1.0]))
    assert (same.estimate, same.low, same.high) == (4.0, 4.0, 4.0)


# --- webhook against a real local server ---------------------------------------------------


@pytest.fixture
def allow_private(settings):
    """The receiver runs on this machine: allowed only with OPSDESK_WEBHOOK_ALLOW_PRIVATE."""
    settings.OPSDESK_WEBHOOK_ALLOW_PRIVATE = True


class Receiver:
    """A real HTTP server on 127.0.0.1 answering the queued statuses in order (then 200)."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                receiver.requests.append((dict(self.headers), self.rfile.read(length)))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


SECRET = "s3cret-signing-key-0123"


def test_webhook_is_retried_after_a_server_error_and_signed(allow_private):
    with Receiver([500, 503]) as receiver:
        delivery = webhook_deliver(
            url=receiver.url, secret=SECRET, payload={"run_id": 9, "x": "数据"}, backoff_seconds=0
        )
    assert (delivery.delivered, delivery.attempts) == (True, 3)
    assert len(receiver.requests) == 3
    headers, body = receiver.requests[-1]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Opsdesk-Signature"] == expected
    assert json.loads(body) == {"run_id": 9, "x": "数据"}
    assert all(r[1] == body for r in receiver.requests)  # the same body every try


def test_webhook_gives_up_after_the_attempts_and_does_not_retry_a_client_error(allow_private):
    with Receiver([500, 500, 500, 500]) as receiver:
        failed = webhook_deliver(url=receiver.url, secret=SECRET, payload={}, backoff_seconds=0)
    assert (failed.delivered, failed.attempts, failed.error) == (False, 3, "HTTP 500")
    assert len(receiver.requests) == 3
    with Receiver([400]) as receiver:
        rejected = webhook_deliver(url=receiver.url, secret=SECRET, payload={}, backoff_seconds=0)
    assert (rejected.delivered, rejected.attempts, len(receiver.requests)) == (False, 1, 1)


def test_webhook_to_a_closed_port_is_a_failure_not_an_exception(allow_private):
    with Receiver([]) as receiver:
        url = receiver.url
    delivery = webhook_deliver(url=url, secret=SECRET, payload={}, attempts=2, backoff_seconds=0)
    assert (delivery.delivered, delivery.attempts) == (False, 2)


def test_a_webhook_playbook_run_posts_the_contacted_list_and_records_delivery(db, allow_private):
    store = StoreFactory(slug="tea")
    ann = CustomerFactory(store=store, external_id="ann", name="Ann")
    enter(ann, Tier.DORMANT, D)
    with Receiver([502]) as receiver:
        playbook = make_playbook(
            store,
            action=ActionKind.WEBHOOK,
            webhook_url=receiver.url,
            webhook_secret=SECRET,
            holdout_share=Decimal("0"),
        )
        run = playbook_run(playbook=playbook, day=D, actor=ACTOR, backoff_seconds=0)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == (RunStatus.DELIVERED, 2, "")
    headers, body = receiver.requests[-1]
    assert (
        headers["X-Opsdesk-Signature"]
        == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    )
    payload = json.loads(body)
    assert payload["run_id"] == run.pk
    assert payload["store"] == "tea"
    assert payload["customers"] == [
        {"external_id": "ann", "name": "Ann", "message": "Ann，3天内下单立减30元"}
    ]


# --- services and tasks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"trigger": TriggerKind.ENTERED_TIER, "tier": ""}, "tier"),
        ({"trigger": TriggerKind.RFM_SEGMENT, "segment": "nope"}, "segment"),
        ({"trigger": TriggerKind.CHURN_RISK, "churn_threshold": Decimal("1.5")}, "churn_threshold"),
        ({"trigger": TriggerKind.MEMBER_DAY, "member_day": 32}, "member_day"),
        (
            {"action": ActionKind.WEBHOOK, "webhook_url": "", "webhook_secret": SECRET},
            "webhook_url",
        ),
        (
            {
                "action": ActionKind.WEBHOOK,
                "webhook_url": "ftp://x.test/",
                "webhook_secret": SECRET,
            },
            "webhook_url",
        ),
        ({"holdout_share": Decimal("1")}, "holdout_share"),
    ],
)
def test_invalid_playbook_settings_name_the_field_and_write_nothing(db, values, field):
    from django.core.exceptions import ValidationError

    from users.services import playbook_update

    store = StoreFactory()
    playbook = make_playbook(store, enabled=False)
    with pytest.raises(ValidationError) as error:
        playbook_update(playbook=playbook, actor=ACTOR, **values)
    assert field in error.value.message_dict
    playbook.refresh_from_db()
    assert (playbook.trigger, playbook.tier, playbook.action) == (
        TriggerKind.ENTERED_TIER,
        Tier.DORMANT,
        ActionKind.EXPORT,
    )
    assert not AuditEntry.objects.filter(action="playbook.update").exists()


def test_daily_task_installs_ready_made_and_runs_only_enabled_playbooks(db, monkeypatch):
    from django.utils import timezone

    from users.tasks import playbooks_run_daily

    now = at(SHANGHAI, D + datetime.timedelta(days=1), 9, 10)
    monkeypatch.setattr(timezone, "now", lambda: now)
    store = StoreFactory()
    customer = CustomerFactory(store=store)
    enter(customer, Tier.DORMANT, D)
    enabled = make_playbook(store, holdout_share=Decimal("0"))
    make_playbook(store, name="off", enabled=False)
    assert playbooks_run_daily() == 1
    assert Playbook.objects.filter(store=store).exclude(code="").count() == 5
    run = PlaybookRun.objects.get()
    assert (run.playbook, run.day, run.contacted) == (enabled, D, 1)


def test_a_rerun_keeps_the_first_contact_time(db):
    store = StoreFactory()
    enter(CustomerFactory(store=store), Tier.DORMANT, D)
    playbook = make_playbook(store)
    first = playbook_run(playbook=playbook, day=D, actor=ACTOR, now=at(SHANGHAI, D, 9))
    again = playbook_run(playbook=playbook, day=D, actor=ACTOR, now=at(SHANGHAI, D, 15))
    assert again.ran_at == first.ran_at == at(SHANGHAI, D, 9)
