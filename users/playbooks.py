"""Playbooks (运营剧本): trigger -> contact all but a hold-out share -> measure the effect.

Run of playbook P for store-local day D (the nightly task runs yesterday; an operator can run
the latest day from the page):

1. **Triggered** customers, by ``P.trigger``:
   entered_tier — a ``TierChange`` into ``P.tier`` on D; rfm_segment — in ``P.segment`` of
   the RFM scores as of D; abandoned_cart — an add-to-cart event of a signed-in customer in
   the ``P.cart_hours`` hours before the end of D with no order created by that customer
   after it (up to the end of D); churn_risk — churn risk (1 - P(alive)) of the latest fit
   at least ``P.churn_threshold``; birthday — birthday (month and day) on D, and on 28
   February of a common year also the birthdays of 29 February; member_day — D is day
   ``P.member_day`` of the month, or the month's last day when the month is shorter (day 31
   is the 30th of April, the 28th or 29th of February): every customer with a member level.
2. **Cool-down, per trigger**: the store never reaches a customer twice for the same trigger
   within a cool-down. The trigger is the kind with its parameters (``trigger_key``:
   ``entered_tier:dormant``, ``rfm_segment:at_risk``, ``abandoned_cart:24h``,
   ``churn_risk:0.7``, ``birthday``, ``member_day:18``), recorded on every contact, so it
   is shared by all the store's playbooks with that trigger and survives later edits of a
   playbook. A customer triggered for key K (contacted or held out — a held-out customer
   must not be contacted by a sibling playbook while being measured) on a day E with
   ``D - P.cooldown_days < E <= D`` by any playbook of the store is skipped (counted in
   ``cooled_down``, listed in ``cooled_down_customers``); P's own earlier run of D is
   replaced, so it does not count. With a 30-day cool-down, a customer reached on 1 November
   is skipped up to 30 November and can be reached again on 1 December; 0 days means no
   cool-down.
3. **Hold-out**: customer c is held out when ``h(P, c) < P.holdout_share``, with
   ``h`` = the first 8 bytes of SHA-256("playbook:<P.id>:customer:<c.id>") as a fraction of
   2^64: uniform, independent of the day and of who else was triggered, so a re-run (or the
   next day's run) never reshuffles anyone.
4. **Action**: the contacted customers' list with the message template filled in (exported
   as CSV/XLSX through ``opsdesk.exports``), or a webhook POST of the run as JSON, signed
   with HMAC-SHA256 of the body under ``P.webhook_secret`` (header
   ``X-Opsdesk-Signature: sha256=<hex>``), retried on connection errors, 5xx and 429, only
   to public addresses (``users.webhooks``: checked again before every attempt, connected to
   the checked address).

A re-run of the same (P, D) replaces that run's rows with the same assignment.

Effect (``playbook_effect``): for every contact whose window has ended, the customer's paid
orders in ``[ran_at, ran_at + N days)`` for N = 7 and 30; per group (contacted, held out)
customers, conversion (share with at least one paid order) and GMV per customer; the uplift
contacted - held out with a 95% interval: normal approximation for the difference of two
proportions, Welch's t for the difference of means; coupon cost = coupon value x contacted
customers who converted (one coupon used per converting contact).
"""

import calendar
import datetime
import hashlib
import hmac
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from scipy import stats

from analytics.models import BehaviourEvent, EventType, Order
from analytics.rollups.days import day_bounds
from opsdesk.audit import Actor, audit_as
from opsdesk.models import Store

from . import webhooks
from .models import (
    ActionKind,
    Customer,
    CustomerPrediction,
    Playbook,
    PlaybookContact,
    PlaybookRun,
    RunStatus,
    Tier,
    TierChange,
    TriggerKind,
)

logger = logging.getLogger(__name__)

EFFECT_WINDOWS = (7, 30)
Z_95 = 1.959963984540054
WEBHOOK_TIMEOUT_SECONDS = 10
WEBHOOK_ATTEMPTS = 3


# --- trigger ---------------------------------------------------------------------------------


def triggered_customers(*, playbook: Playbook, day: datetime.date) -> list[int]:
    """Ids (ascending) of the store's customers the playbook's trigger picks on local ``day``."""
    store = playbook.store
    customers = Customer.objects.filter(store=store)
    _start, end = day_bounds(store.zone, day)
    kind = playbook.trigger
    if kind == TriggerKind.ENTERED_TIER:
        ids = TierChange.objects.filter(store=store, day=day, tier=playbook.tier).values_list(
            "customer_id", flat=True
        )
    elif kind == TriggerKind.RFM_SEGMENT:
        from analytics.rfm import rfm_frame, snapshot_frame

        frame = snapshot_frame(store=store, as_of=day)
        if frame is None:
            frame = rfm_frame(store=store, as_of=day)
        ids = [int(c) for c in frame.loc[frame["segment"] == playbook.segment, "customer_id"]]
    elif kind == TriggerKind.ABANDONED_CART:
        since = end - datetime.timedelta(hours=playbook.cart_hours)
        later_order = Order.objects.filter(
            store=store,
            customer_id=OuterRef("customer_id"),
            created_at__gte=OuterRef("occurred_at"),
            created_at__lt=end,
        )
        ids = (
            BehaviourEvent.objects.filter(
                store=store,
                event_type=EventType.ADD_TO_CART,
                customer__isnull=False,
                occurred_at__gte=since,
                occurred_at__lt=end,
            )
            .annotate(ordered=Exists(later_order))
            .filter(ordered=False)
            .values_list("customer_id", flat=True)
        )
    elif kind == TriggerKind.CHURN_RISK:
        ids = CustomerPrediction.objects.filter(
            store=store, p_alive__lte=1 - float(playbook.churn_threshold)
        ).values_list("customer_id", flat=True)
    elif kind == TriggerKind.BIRTHDAY:
        born = Q(birthday__month=day.month, birthday__day=day.day)
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            born |= Q(birthday__month=2, birthday__day=29)  # celebrated on the 28th
        ids = customers.filter(born).values_list("pk", flat=True)
    elif kind == TriggerKind.MEMBER_DAY:
        last_day = calendar.monthrange(day.year, day.month)[1]
        if day.day != min(playbook.member_day, last_day):
            return []
        ids = customers.filter(member_level__isnull=False).values_list("pk", flat=True)
    else:  # pragma: no cover - the check constraint allows nothing else
        raise ValueError(f"unknown trigger {kind}")
    return sorted({int(i) for i in ids})


def trigger_key(playbook: Playbook) -> str:
    """The cool-down key of the playbook's trigger: the kind and the parameters that define
    it (see the module docstring)."""
    kind = playbook.trigger
    if kind == TriggerKind.ENTERED_TIER:
        return f"entered_tier:{playbook.tier}"
    if kind == TriggerKind.RFM_SEGMENT:
        return f"rfm_segment:{playbook.segment}"
    if kind == TriggerKind.ABANDONED_CART:
        return f"abandoned_cart:{playbook.cart_hours}h"
    if kind == TriggerKind.CHURN_RISK:
        return f"churn_risk:{Decimal(playbook.churn_threshold).normalize():f}"
    if kind == TriggerKind.MEMBER_DAY:
        return f"member_day:{playbook.member_day}"
    return str(kind)


# --- hold-out --------------------------------------------------------------------------------


def holdout_fraction(playbook_id: int, customer_id: int) -> float:
    """A uniform number in [0, 1) fixed by the playbook and the customer (see the module)."""
    digest = hashlib.sha256(f"playbook:{playbook_id}:customer:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_held_out(playbook_id: int, customer_id: int, share: Decimal | float) -> bool:
    return holdout_fraction(playbook_id, customer_id) < float(share)


# --- message ---------------------------------------------------------------------------------


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill_message(template: str, customer: Customer, playbook: Playbook) -> str:
    """``template`` with {name}, {external_id}, {level}, {points}, {coupon} filled in; any
    other brace is left as written."""
    values = _Blank(
        name=customer.name or customer.external_id,
        external_id=customer.external_id,
        level=customer.member_level.name if customer.member_level_id else "",
        points=customer.points,
        coupon=f"{playbook.coupon_value:.2f}".rstrip("0").rstrip("."),
    )
    try:
        return template.format_map(values)
    except (ValueError, IndexError):
        return template


# --- webhook ---------------------------------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex HMAC-SHA256 of body under secret>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    attempts: int
    error: str


def webhook_deliver(
    *,
    url: str,
    secret: str,
    payload: dict,
    attempts: int = WEBHOOK_ATTEMPTS,
    backoff_seconds: float = 2.0,
    timeout: float = WEBHOOK_TIMEOUT_SECONDS,
    on_attempt: Callable[[int], None] | None = None,
) -> Delivery:
    """POST ``payload`` as JSON with its signature; retry connection errors, timeouts, 5xx and
    429 up to ``attempts`` tries in all, waiting ``backoff_seconds`` x 2^(try - 1) between.
    Any other status is final: 4xx (the receiver rejected the request), 3xx (redirects are
    not followed). Before every try the URL is checked and resolved again
    (``users.webhooks.webhook_target``); a refused target is final. ``on_attempt(n)`` is
    called before try n (progress for the page)."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "opsdesk-playbooks/1",
        "X-Opsdesk-Signature": sign(body, secret),
        "X-Opsdesk-Delivery": str(payload.get("run_id", "")),
    }
    error = ""
    for attempt in range(1, attempts + 1):
        if on_attempt is not None:
            on_attempt(attempt)
        try:
            target = webhooks.webhook_target(url)
        except webhooks.WebhookRefused as exc:
            logger.warning("playbook_webhook_refused url=%s error=%s", url, exc)
            return Delivery(False, attempt, str(exc))
        try:
            status = webhooks.post(target, body=body, headers=headers, timeout=timeout)
        except OSError as exc:  # refused, reset, timeout, TLS failure
            error = str(exc) or exc.__class__.__name__
        else:
            if 200 <= status < 300:
                return Delivery(True, attempt, "")
            error = f"HTTP {status}"
            if status < 500 and status != 429:
                return Delivery(False, attempt, error)
        logger.warning("playbook_webhook_failed url=%s attempt=%s error=%s", url, attempt, error)
        if attempt < attempts:
            time.sleep(backoff_seconds * 2 ** (attempt - 1))
    return Delivery(False, attempts, error)


# --- run -------------------------------------------------------------------------------------


def _cooled_down(playbook: Playbook, key: str, day: datetime.date, ids: list[int]) -> set[int]:
    """Of ``ids``, those the store's playbooks triggered for ``key`` on a day in
    (day - cooldown_days, day]."""
    if not playbook.cooldown_days or not ids:
        return set()
    since = day - datetime.timedelta(days=playbook.cooldown_days - 1)
    return set(
        PlaybookContact.objects.filter(
            store_id=playbook.store_id,
            trigger_key=key,
            day__gte=since,
            day__lte=day,
            customer_id__in=ids,
        ).values_list("customer_id", flat=True)
    )


def playbook_run(
    *,
    playbook: Playbook,
    day: datetime.date,
    actor: Actor,
    now: datetime.datetime | None = None,
    backoff_seconds: float = 2.0,
    on_delivery_attempt: Callable[[PlaybookRun, int], None] | None = None,
) -> PlaybookRun:
    """Run ``playbook`` for local ``day`` (see the module docstring): replace that day's run
    and contacts in one transaction (keeping the first run's ``ran_at``), then deliver the
    webhook (outside the transaction, so a slow receiver holds no lock) and record its
    outcome on the run. ``on_delivery_attempt(run, n)`` is called before webhook try n."""
    now = now or timezone.now()
    key = trigger_key(playbook)
    ids = triggered_customers(playbook=playbook, day=day)
    with transaction.atomic():
        # One run of a trigger at a time in the store: two playbooks sharing a trigger must
        # see each other's contacts for the cool-down (the lock is on the store row).
        Store.objects.select_for_update().filter(pk=playbook.store_id).first()
        earlier = PlaybookRun.objects.filter(playbook=playbook, day=day).first()
        if earlier is not None:
            # A re-run keeps the first contact time: the effect windows start when the
            # customers were first contacted, not when a retry happened.
            now = earlier.ran_at
            earlier.delete()
        skipped = _cooled_down(playbook, key, day, ids)
        eligible = [i for i in ids if i not in skipped]
        held = {i for i in eligible if is_held_out(playbook.pk, i, playbook.holdout_share)}
        customers = {
            c.pk: c
            for c in Customer.objects.filter(store=playbook.store, pk__in=eligible).select_related(
                "member_level"
            )
        }
        run = PlaybookRun.objects.create(
            store=playbook.store,
            playbook=playbook,
            day=day,
            ran_at=now,
            triggered=len(eligible),
            contacted=len(eligible) - len(held),
            held_out=len(held),
            cooled_down=len(skipped),
            cooled_down_customers=sorted(skipped),
            status=RunStatus.DONE,
        )
        PlaybookContact.objects.bulk_create(
            [
                PlaybookContact(
                    store=playbook.store,
                    run=run,
                    playbook=playbook,
                    customer_id=i,
                    day=day,
                    trigger_key=key,
                    held_out=i in held,
                    message=""
                    if i in held
                    else fill_message(playbook.message_template, customers[i], playbook),
                )
                for i in eligible
            ],
            batch_size=5_000,
        )
        audit_as(
            actor,
            store=playbook.store,
            action="playbook.run",
            obj=playbook,
            changes={
                "day": day,
                "trigger": key,
                "triggered": run.triggered,
                "contacted": run.contacted,
                "held_out": run.held_out,
                "cooled_down": run.cooled_down,
            },
        )
    if playbook.action == ActionKind.WEBHOOK and playbook.webhook_url:
        delivery = webhook_deliver(
            url=playbook.webhook_url,
            secret=playbook.webhook_secret,
            payload=webhook_payload(run),
            backoff_seconds=backoff_seconds,
            on_attempt=(
                (lambda attempt: on_delivery_attempt(run, attempt))
                if on_delivery_attempt is not None
                else None
            ),
        )
        run.status = RunStatus.DELIVERED if delivery.delivered else RunStatus.FAILED
        run.attempts = delivery.attempts
        run.error = delivery.error[:1000]
        run.save(update_fields=["status", "attempts", "error"])
    return run


def contact_rows(run: PlaybookRun) -> list[tuple[Customer, PlaybookContact]]:
    """The run's contacted customers (not the held-out ones) with their contact, by id."""
    contacts = (
        PlaybookContact.objects.filter(run=run, held_out=False)
        .select_related("customer", "customer__member_level")
        .order_by("customer__external_id")
    )
    return [(contact.customer, contact) for contact in contacts]


def webhook_payload(run: PlaybookRun) -> dict:
    """The JSON body a webhook receives for a run: the contacted customers and messages."""
    playbook = run.playbook
    return {
        "run_id": run.pk,
        "store": playbook.store.slug,
        "playbook": {"id": playbook.pk, "name": playbook.name, "trigger": playbook.trigger},
        "day": run.day.isoformat(),
        "coupon_value": str(playbook.coupon_value),
        "customers": [
            {
                "external_id": customer.external_id,
                "name": customer.name,
                "message": contact.message,
            }
            for customer, contact in contact_rows(run)
        ],
    }


# --- effect ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class GroupEffect:
    customers: int
    converted: int
    conversion: float | None
    gmv: Decimal
    gmv_per_customer: Decimal | None


@dataclass(frozen=True)
class WindowEffect:
    days: int
    contacted: GroupEffect
    held_out: GroupEffect
    conversion_uplift: Interval | None  # contacted - held out, 95% CI
    gmv_uplift: Interval | None  # per customer, Welch 95% CI
    coupon_cost: Decimal


@dataclass(frozen=True)
class PlaybookEffect:
    playbook_id: int
    runs: int
    windows: tuple[WindowEffect, ...]


def proportion_difference(
    converted_a: int, n_a: int, converted_b: int, n_b: int
) -> Interval | None:
    """p_a - p_b with the normal-approximation 95% interval
    ± 1.96 sqrt(p_a(1-p_a)/n_a + p_b(1-p_b)/n_b); None if a group is empty."""
    if not n_a or not n_b:
        return None
    p_a, p_b = converted_a / n_a, converted_b / n_b
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    diff = p_a - p_b
    return Interval(diff, diff - Z_95 * se, diff + Z_95 * se)


def welch_difference(a: np.ndarray, b: np.ndarray) -> Interval | None:
    """mean(a) - mean(b) with Welch's 95% interval (t quantile at the Welch-Satterthwaite
    degrees of freedom); None if a group has fewer than 2 values."""
    n_a, n_b = len(a), len(b)
    if n_a < 2 or n_b < 2:
        return None
    var_a, var_b = float(np.var(a, ddof=1)) / n_a, float(np.var(b, ddof=1)) / n_b
    diff = float(np.mean(a) - np.mean(b))
    se = math.sqrt(var_a + var_b)
    if se == 0:
        return Interval(diff, diff, diff)
    df = (var_a + var_b) ** 2 / (var_a**2 / (n_a - 1) + var_b**2 / (n_b - 1))
    half = float(stats.t.ppf(0.975, df)) * se
    return Interval(diff, diff - half, diff + half)


def _group(values: np.ndarray) -> GroupEffect:
    n = len(values)
    converted = int((values > 0).sum())
    gmv = (Decimal(int(values.sum())) / 100).quantize(Decimal("0.01"))
    return GroupEffect(
        customers=n,
        converted=converted,
        conversion=converted / n if n else None,
        gmv=gmv,
        gmv_per_customer=(gmv / n).quantize(Decimal("0.01")) if n else None,
    )


def playbook_effect(*, playbook: Playbook, now: datetime.datetime | None = None) -> PlaybookEffect:
    """The effect of the playbook's runs over 7 and 30 days after contact (module docstring).
    Only contacts whose window has fully passed by ``now`` count in that window."""
    return playbook_effects(playbooks=[playbook], now=now)[playbook.pk]


def _empty_effect(playbook: Playbook, runs: int) -> PlaybookEffect:
    empty = np.array([], dtype=np.int64)
    return PlaybookEffect(
        playbook.pk,
        runs,
        tuple(
            WindowEffect(days, _group(empty), _group(empty), None, None, Decimal("0.00"))
            for days in EFFECT_WINDOWS
        ),
    )


def playbook_effects(
    *, playbooks: list[Playbook], now: datetime.datetime | None = None
) -> dict[int, PlaybookEffect]:
    """``playbook_effect`` of several playbooks of one store in three queries (contacts, run
    counts, the contacted customers' orders), keyed by playbook id."""
    now = now or timezone.now()
    if not playbooks:
        return {}
    store_id = playbooks[0].store_id
    by_id = {p.pk: p for p in playbooks}
    contacts = pd.DataFrame.from_records(
        PlaybookContact.objects.filter(playbook_id__in=by_id).values_list(
            "playbook_id", "customer_id", "held_out", "run__ran_at"
        ),
        columns=["playbook_id", "customer_id", "held_out", "ran_at"],
    )
    runs = dict(
        PlaybookRun.objects.filter(playbook_id__in=by_id)
        .values("playbook_id")
        .annotate(n=Count("id"))
        .values_list("playbook_id", "n")
    )
    effects = {pk: _empty_effect(p, runs.get(pk, 0)) for pk, p in by_id.items()}
    if contacts.empty:
        return effects
    contacts["ran_at"] = pd.to_datetime(contacts["ran_at"], utc=True)
    first = contacts["ran_at"].min().to_pydatetime()
    last = contacts["ran_at"].max().to_pydatetime() + datetime.timedelta(days=max(EFFECT_WINDOWS))
    orders = pd.DataFrame.from_records(
        Order.objects.filter(
            store_id=store_id,
            customer_id__in=contacts["customer_id"].unique().tolist(),
            paid_at__gte=first,
            paid_at__lt=last,
        ).values_list("customer_id", "paid_at", "paid_amount"),
        columns=["customer_id", "paid_at", "paid_amount"],
    )
    orders["paid_at"] = pd.to_datetime(orders["paid_at"], utc=True)
    orders["cents"] = (orders["paid_amount"].astype(float) * 100).round().astype(np.int64)
    contacts = contacts.reset_index(names="contact")
    joined = contacts.merge(orders[["customer_id", "paid_at", "cents"]], on="customer_id")
    now_ts = pd.Timestamp(now).tz_convert("UTC")
    for playbook_id, part in contacts.groupby("playbook_id"):
        playbook = by_id[int(playbook_id)]
        part_joined = joined[joined["playbook_id"] == playbook_id]
        effects[playbook.pk] = PlaybookEffect(
            playbook.pk,
            runs.get(playbook.pk, 0),
            tuple(
                _window_effect(playbook, part, part_joined, days, now_ts) for days in EFFECT_WINDOWS
            ),
        )
    return effects


def _window_effect(
    playbook: Playbook,
    contacts: pd.DataFrame,
    joined: pd.DataFrame,
    days: int,
    now: pd.Timestamp,
) -> WindowEffect:
    span = pd.Timedelta(days=days)
    matured = contacts[contacts["ran_at"] + span <= now]
    inside = joined[
        (joined["paid_at"] >= joined["ran_at"]) & (joined["paid_at"] < joined["ran_at"] + span)
    ]
    cents = inside.groupby("contact")["cents"].sum()
    values = matured["contact"].map(cents).fillna(0).astype(np.int64)
    held_mask = matured["held_out"].to_numpy(dtype=bool)
    contacted = values[~held_mask].to_numpy()
    held = values[held_mask].to_numpy()
    contacted_group, held_group = _group(contacted), _group(held)
    return WindowEffect(
        days=days,
        contacted=contacted_group,
        held_out=held_group,
        conversion_uplift=proportion_difference(
            contacted_group.converted, len(contacted), held_group.converted, len(held)
        ),
        gmv_uplift=welch_difference(contacted / 100, held / 100),
        coupon_cost=(playbook.coupon_value * contacted_group.converted).quantize(Decimal("0.01")),
    )


# --- ready-made ------------------------------------------------------------------------------

#: The tier actions of DOMAIN.md as playbooks (installed disabled). Names and templates are
#: in Chinese first: they go to the store's customers.
READY_MADE: tuple[dict, ...] = (
    {
        "code": "new_gift_pack",
        "name": "新客礼包 / New-customer gift pack",
        "trigger": TriggerKind.ENTERED_TIER,
        "tier": Tier.NEW,
        "coupon_value": Decimal("10.00"),
        "message_template": (
            "{name}，欢迎加入！新人礼包已到账，首单立减{coupon}元，首单攻略请查收。"
        ),
    },
    {
        "code": "high_value_coupon",
        "name": "高价值专属券 / High-value exclusive coupon",
        "trigger": TriggerKind.ENTERED_TIER,
        "tier": Tier.HIGH_VALUE,
        "coupon_value": Decimal("50.00"),
        "message_template": (
            "{name}，感谢一直以来的支持！为您准备了{coupon}元专属折扣券，复购还有满赠。"
        ),
    },
    {
        "code": "dormant_wakeup",
        "name": "沉睡唤醒：3天内下单立减30元 / Dormant wake-up: ¥30 off within 3 days",
        "trigger": TriggerKind.ENTERED_TIER,
        "tier": Tier.DORMANT,
        "coupon_value": Decimal("30.00"),
        "message_template": "{name}，好久不见！3天内下单立减{coupon}元，限时有效。",
    },
    {
        "code": "churned_winback",
        "name": "流失挽回券 / Churned win-back coupon",
        "trigger": TriggerKind.ENTERED_TIER,
        "tier": Tier.CHURNED,
        "coupon_value": Decimal("40.00"),
        "message_template": "{name}，我们想念您！送您{coupon}元回归券，专属客服随时为您服务。",
    },
    {
        "code": "member_day_points",
        "name": "会员日积分 / Member day and points",
        "trigger": TriggerKind.MEMBER_DAY,
        "tier": "",
        "coupon_value": Decimal("0.00"),
        "message_template": "{name}，今天是会员日！您是{level}，当前积分{points}，积分可抵现。",
    },
)


def playbooks_install_ready_made(*, store: Store, actor: Actor) -> list[Playbook]:
    """Create the ready-made playbooks the store does not have yet (disabled); return the
    created ones. Idempotent."""
    existing = set(
        Playbook.objects.filter(store=store).exclude(code="").values_list("code", flat=True)
    )
    created = []
    with transaction.atomic():
        for spec in READY_MADE:
            if spec["code"] in existing:
                continue
            playbook = Playbook.objects.create(store=store, enabled=False, **spec)
            audit_as(actor, store=store, action="playbook.create", obj=playbook, changes=spec)
            created.append(playbook)
    return created


__all__ = [
    "READY_MADE",
    "Delivery",
    "PlaybookEffect",
    "contact_rows",
    "fill_message",
    "holdout_fraction",
    "is_held_out",
    "playbook_effect",
    "playbook_effects",
    "playbook_run",
    "playbooks_install_ready_made",
    "proportion_difference",
    "sign",
    "trigger_key",
    "triggered_customers",
    "webhook_deliver",
    "welch_difference",
]
