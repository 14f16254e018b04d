"""The "New playbook" page (/customers/playbooks/new/) and ``users.services.playbook_create``:
an operator creates one of the store's own playbooks for every trigger kind; invalid input is
shown again on its field and writes nothing; roles, store scope and CSRF hold."""

import html
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from opsdesk.audit import Actor
from opsdesk.models import AuditEntry, AuditSource
from opsdesk.roles import Role
from tests.factories import MembershipFactory, StoreFactory
from users.models import Playbook, Tier, TriggerKind
from users.services import playbook_create, playbook_update

#: A valid form as the page posts it: the defaults of the blank form plus a name and trigger.
BASE = {
    "name": "Cart reminder",
    "trigger": "abandoned_cart",
    "tier": "",
    "segment": "",
    "cart_hours": "24",
    "churn_threshold": "0.700",
    "member_day": "18",
    "action": "export",
    "message_template": "{name}, your cart is waiting: ¥{coupon} off today",
    "webhook_url": "",
    "webhook_secret": "",
    "coupon_value": "5.00",
    "holdout_share": "0.100",
    "cooldown_days": "30",
}


@pytest.fixture
def stores(db):
    """Store "tea" and another store with one playbook of its own."""
    store = StoreFactory(slug="tea")
    other = StoreFactory(slug="coffee")
    theirs = Playbook.objects.create(
        store=other, name="Cart reminder", trigger=TriggerKind.BIRTHDAY, enabled=True
    )
    return store, other, theirs


def signed_in(store, role=Role.OPERATOR, username="op", **client_kwargs) -> Client:
    client = Client(**client_kwargs)
    client.force_login(MembershipFactory(store=store, role=role, user__username=username).user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def field_errors(page: str, field: str) -> list[str]:
    return [
        html.unescape(text)
        for text in re.findall(
            rf'<p class="field-error" role="alert" data-field="{field}">(.*?)</p>', page
        )
    ]


def assert_other_store_untouched(other, theirs) -> None:
    assert list(Playbook.objects.filter(store=other).values_list("pk", flat=True)) == [theirs.pk]
    theirs_now = Playbook.objects.get(pk=theirs.pk)
    assert (theirs_now.name, theirs_now.trigger, theirs_now.enabled) == (
        "Cart reminder",
        "birthday",
        True,
    )
    assert not AuditEntry.objects.filter(store=other).exists()


# One case per trigger kind: (posted changes, the values the playbook must then have).
TRIGGER_CASES = {
    "entered_tier": (
        {"name": "Dormant wake-up", "trigger": "entered_tier", "tier": "dormant"},
        {"trigger": "entered_tier", "tier": Tier.DORMANT},
    ),
    "rfm_segment": (
        {"name": "At-risk coupon", "trigger": "rfm_segment", "segment": "at_risk"},
        {"trigger": "rfm_segment", "segment": "at_risk"},
    ),
    "abandoned_cart": (
        {"name": "Cart in the last 6 hours", "trigger": "abandoned_cart", "cart_hours": "6"},
        {"trigger": "abandoned_cart", "cart_hours": 6},
    ),
    "churn_risk": (
        {"name": "Churn risk", "trigger": "churn_risk", "churn_threshold": "0.85"},
        {"trigger": "churn_risk", "churn_threshold": Decimal("0.850")},
    ),
    "birthday": (
        {"name": "Birthday greeting", "trigger": "birthday", "message_template": "Happy birthday!"},
        {"trigger": "birthday", "message_template": "Happy birthday!"},
    ),
    "member_day": (
        {"name": "Member day", "trigger": "member_day", "member_day": "8"},
        {"trigger": "member_day", "member_day": 8},
    ),
}


def test_every_trigger_kind_has_a_case():
    assert set(TRIGGER_CASES) == set(TriggerKind.values)


@pytest.mark.parametrize("kind", list(TRIGGER_CASES))
def test_creating_a_playbook_of_each_trigger_kind(stores, kind):
    store, other, theirs = stores
    client = signed_in(store)
    posted, expected = TRIGGER_CASES[kind]
    data = {**BASE, **posted, "holdout_share": "0.150", "cooldown_days": "14"}

    response = client.post(reverse("playbook_new"), data)

    playbook = Playbook.objects.get(store=store)  # exactly one, in this store
    assert response.status_code == 302
    assert response["Location"] == reverse("playbook_detail", args=[playbook.pk])
    assert playbook.name == posted["name"]
    for field, value in expected.items():
        assert getattr(playbook, field) == value, field
    assert (playbook.holdout_share, playbook.cooldown_days) == (Decimal("0.150"), 14)
    assert (playbook.action, playbook.coupon_value) == ("export", Decimal("5.00"))
    assert (playbook.enabled, playbook.code) == (False, "")  # disabled until enabled
    entry = AuditEntry.objects.get()
    assert (entry.store, entry.action, entry.source) == (store, "playbook.create", AuditSource.WEB)
    assert entry.user.username == "op"
    assert (entry.object_type, entry.object_id) == ("users.playbook", str(playbook.pk))
    assert entry.changes["name"] == [None, posted["name"]]
    assert entry.changes["trigger"] == [None, kind]
    assert entry.changes["enabled"] == [None, False]
    assert_other_store_untouched(other, theirs)
    page = client.get(response["Location"]).content.decode()
    assert "disabled: enable it when the settings are right" in page


def test_a_webhook_playbook_enabled_at_once(stores):
    store, other, theirs = stores
    data = {
        **BASE,
        "action": "webhook",
        "webhook_url": "https://hooks.example.com/cart",  # public (tests/users/conftest.py)
        "webhook_secret": "a-long-enough-secret",
        "enabled": "on",
    }

    response = signed_in(store).post(reverse("playbook_new"), data)

    assert response.status_code == 302
    playbook = Playbook.objects.get(store=store)
    assert (playbook.action, playbook.webhook_url, playbook.webhook_secret, playbook.enabled) == (
        "webhook",
        "https://hooks.example.com/cart",
        "a-long-enough-secret",
        True,
    )
    entry = AuditEntry.objects.get()
    assert entry.changes["webhook_url"] == [None, "https://hooks.example.com/cart"]
    assert "webhook_secret" not in entry.changes  # never in the log
    assert entry.changes["enabled"] == [None, True]
    assert_other_store_untouched(other, theirs)


def test_the_blank_form_has_the_defaults_and_get_writes_nothing(stores):
    store, _other, _theirs = stores
    response = signed_in(store).get(reverse("playbook_new"))

    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'name="holdout_share" value="0.100"', page)  # hold-out share 10%
    assert re.search(r'name="cooldown_days" value="30"', page)
    assert 'name="enabled"' in page and 'name="enabled" checked' not in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert not Playbook.objects.filter(store=store).exists()
    assert not AuditEntry.objects.exists()


INVALID_CASES = {
    "entered tier without a tier": (
        {"trigger": "entered_tier", "tier": ""},
        "tier",
        "Choose the tier whose entrants this playbook contacts.",
    ),
    "segment without a segment": (
        {"trigger": "rfm_segment", "segment": ""},
        "segment",
        "Choose the RFM segment this playbook contacts.",
    ),
    "abandoned cart without hours": (
        {"trigger": "abandoned_cart", "cart_hours": ""},
        "cart_hours",
        "This field is required.",
    ),
    "abandoned cart over 30 days": (
        {"trigger": "abandoned_cart", "cart_hours": "721"},
        "cart_hours",
        "Look back 1 to 720 hours for abandoned carts.",
    ),
    "churn threshold of 1": (
        {"trigger": "churn_risk", "churn_threshold": "1"},
        "churn_threshold",
        "The churn risk threshold must be between 0 and 1.",
    ),
    "member day 32": (
        {"trigger": "member_day", "member_day": "32"},
        "member_day",
        "The member day is a day of the month, 1 to 31.",
    ),
    "hold-out share of 1": (
        {"holdout_share": "1"},
        "holdout_share",
        "The hold-out share must be at least 0 and below 1.",
    ),
    "negative hold-out share": (
        {"holdout_share": "-0.1"},
        "holdout_share",
        "The hold-out share must be at least 0 and below 1.",
    ),
    "hold-out share not a number": (
        {"holdout_share": "ten"},
        "holdout_share",
        "Enter a number.",
    ),
    "webhook to an internal address": (
        {
            "action": "webhook",
            "webhook_url": "http://10.0.0.5/hook",
            "webhook_secret": "a-long-enough-secret",
        },
        "webhook_url",
        "The webhook URL may not point at 10.0.0.5: 10.0.0.5 is a private network address.",
    ),
    "webhook to localhost": (
        {
            "action": "webhook",
            "webhook_url": "http://localhost:8000/hook",
            "webhook_secret": "a-long-enough-secret",
        },
        "webhook_url",
        "The webhook URL may not point at",
    ),
    "webhook without a URL": (
        {"action": "webhook", "webhook_url": "", "webhook_secret": "a-long-enough-secret"},
        "webhook_url",
        "A webhook playbook needs the URL to POST to.",
    ),
    "webhook with a short secret": (
        {"action": "webhook", "webhook_url": "https://hooks.example.com/x", "webhook_secret": "x"},
        "webhook_secret",
        "Give a signing secret of at least 16 characters",
    ),
    "no name": ({"name": ""}, "name", "This field is required."),
    "no trigger": ({"trigger": ""}, "trigger", "This field is required."),
}


@pytest.mark.parametrize("case", list(INVALID_CASES))
def test_invalid_input_is_shown_on_its_field_and_writes_nothing(stores, case):
    store, other, theirs = stores
    changes, field, message = INVALID_CASES[case]

    response = signed_in(store).post(reverse("playbook_new"), {**BASE, **changes})

    assert response.status_code == 400
    page = response.content.decode()
    errors = field_errors(page, field)
    assert any(error.startswith(message) for error in errors), (field, errors)
    assert 'value="Cart reminder"' in page or field == "name"  # the form keeps what was typed
    assert not Playbook.objects.filter(store=store).exists()
    assert not AuditEntry.objects.exists()
    assert_other_store_untouched(other, theirs)


def test_a_name_already_used_in_the_store_is_refused_another_stores_is_not(stores):
    store, other, theirs = stores
    client = signed_in(store)
    assert client.post(reverse("playbook_new"), BASE).status_code == 302  # "Cart reminder"
    AuditEntry.objects.all().delete()

    response = client.post(reverse("playbook_new"), {**BASE, "trigger": "birthday"})

    assert response.status_code == 400
    assert field_errors(response.content.decode(), "name") == [
        "This store already has a playbook named Cart reminder; choose another name."
    ]
    assert Playbook.objects.filter(store=store).count() == 1
    assert not AuditEntry.objects.exists()
    assert_other_store_untouched(other, theirs)


def test_renaming_onto_another_playbooks_name_is_refused(stores):
    store, _other, _theirs = stores
    actor = Actor(user=None, source=AuditSource.TASK)
    playbook_create(store=store, actor=actor, name="A", trigger="birthday")
    second = playbook_create(store=store, actor=actor, name="B", trigger="birthday")

    with pytest.raises(ValidationError) as refused:
        playbook_update(playbook=Playbook.objects.get(pk=second.pk), actor=actor, name="A")

    assert list(refused.value.message_dict) == ["name"]
    assert Playbook.objects.get(pk=second.pk).name == "B"
    # saving a playbook under its own name is no conflict
    playbook_update(playbook=Playbook.objects.get(pk=second.pk), actor=actor, name="B")


def test_the_service_refuses_unknown_fields_and_writes_nothing(stores):
    store, _other, _theirs = stores
    with pytest.raises(ValueError, match="code"):
        playbook_create(
            store=store,
            actor=Actor(user=None, source=AuditSource.TASK),
            name="x",
            trigger="birthday",
            code="y",
        )
    assert not Playbook.objects.filter(store=store).exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_analyst_is_refused_and_nothing_is_written(stores, method):
    store, other, theirs = stores
    client = signed_in(store, role=Role.ANALYST, username="analyst")

    response = getattr(client, method)(reverse("playbook_new"), BASE)

    assert response.status_code == 403  # what the edit page answers an analyst
    assert not Playbook.objects.filter(store=store).exists()
    assert not AuditEntry.objects.exists()
    assert_other_store_untouched(other, theirs)


def test_the_new_button_shows_only_to_roles_that_edit_playbooks(stores):
    store, _other, _theirs = stores
    operator = signed_in(store).get(reverse("playbook_list")).content.decode()
    analyst = signed_in(store, role=Role.ANALYST, username="analyst")
    analyst_page = analyst.get(reverse("playbook_list")).content.decode()

    button = f'href="{reverse("playbook_new")}" data-testid="new-playbook"'
    assert button in operator
    assert button not in analyst_page


def test_a_post_without_the_csrf_token_is_refused(stores):
    store, other, theirs = stores
    client = signed_in(store, enforce_csrf_checks=True)

    response = client.post(reverse("playbook_new"), BASE)

    assert response.status_code == 403
    assert not Playbook.objects.filter(store=store).exists()
    assert not AuditEntry.objects.exists()
    assert_other_store_untouched(other, theirs)


def test_the_playbook_goes_to_the_signed_in_store_whatever_is_posted(stores):
    """A store in the form is ignored: the page writes only to the session's store."""
    store, other, theirs = stores
    response = signed_in(store).post(
        reverse("playbook_new"), {**BASE, "name": "Mine", "store": other.pk}
    )

    assert response.status_code == 302
    assert Playbook.objects.get(name="Mine").store == store
    assert_other_store_untouched(other, theirs)


def test_the_page_and_its_errors_in_chinese(stores):
    store, _other, _theirs = stores
    client = signed_in(store)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    page = client.get(reverse("playbook_new")).content.decode()
    assert "<h1>新建剧本" in page and "创建剧本" in page and "创建后立即启用" in page

    response = client.post(reverse("playbook_new"), {**BASE, "holdout_share": "1"})
    assert field_errors(response.content.decode(), "holdout_share") == [
        "对照组比例必须大于等于 0 且小于 1。"
    ]
    client.post(reverse("playbook_new"), BASE)
    response = client.post(reverse("playbook_new"), BASE)
    assert field_errors(response.content.decode(), "name") == [
        "本店已有名为 Cart reminder 的剧本，请换一个名称。"
    ]
