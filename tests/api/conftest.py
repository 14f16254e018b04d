"""A seeded world for the API tests: store A (``tea-house``) with one member per role and one
row of every resource, store B (``other-shop``) with its own rows and an outsider who belongs
only to B."""

import datetime
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.db import models
from rest_framework.test import APIClient

from opsdesk.audit import Actor, audit_as
from opsdesk.models import ApiToken, AuditEntry, Membership, Store
from opsdesk.roles import Role
from opsdesk.tokens import token_create
from tests.factories import (
    AdSpendFactory,
    BehaviourEventFactory,
    CampaignFactory,
    CategoryFactory,
    CustomerFactory,
    LineupItemFactory,
    MechanicFactory,
    MemberLevelFactory,
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
    PriceChangeFactory,
    RefundFactory,
    SkuFactory,
    StoreFactory,
    TierChangeFactory,
)

ROLES = [Role.ADMIN, Role.MANAGER, Role.OPERATOR, Role.ANALYST]


@dataclass
class StoreRows:
    """One row of every resource of a store, by model."""

    store: Store
    rows: dict[type[models.Model], models.Model] = field(default_factory=dict)

    def __getitem__(self, model: type[models.Model]) -> models.Model:
        return self.rows[model]


@dataclass
class World:
    a: StoreRows
    b: StoreRows
    users: dict[str, object]  # role name -> member of A; "outsider" -> member of B only
    tokens: dict[str, ApiToken]  # one live token per user, unlimited

    @property
    def store(self) -> Store:
        return self.a.store


def seed_store(store: Store, admin, copy: int = 0) -> StoreRows:
    """One row of each store resource of ``store``; ``copy`` numbers further seedings of the
    same store (ad spend is unique per day)."""
    from analytics.models import AdSpend, BehaviourEvent, ImportRun, Order
    from campaigns.models import Campaign, LineupItem, Mechanic
    from catalog.models import Category, PriceChange, Sku
    from users.models import ActionKind, Customer, Playbook, TriggerKind

    category = CategoryFactory(store=store)
    sku = SkuFactory(store=store, category=category)
    level = MemberLevelFactory(store=store)
    customer = CustomerFactory(store=store, member_level=level)
    TierChangeFactory(customer=customer)
    order = OrderFactory(store=store, customer=customer)
    OrderLineFactory(order=order, sku=sku)
    RefundFactory(order=order)
    campaign = CampaignFactory(store=store)
    rows = {
        Category: category,
        Sku: sku,
        PriceChange: PriceChangeFactory(sku=sku),
        Customer: customer,
        Order: order,
        BehaviourEvent: BehaviourEventFactory(store=store, sku=sku, customer=customer),
        AdSpend: AdSpendFactory(
            store=store, day=datetime.date(2026, 11, 1) + datetime.timedelta(days=copy)
        ),
        Campaign: campaign,
        LineupItem: LineupItemFactory(campaign=campaign, sku=sku),
        Mechanic: MechanicFactory(campaign=campaign),
        ImportRun: ImportRun.objects.create(
            store=store, kind="orders", preset="generic", file_name=f"orders-{copy}.csv", sha256=""
        ),
        Playbook: Playbook.objects.create(
            store=store,
            name=f"Wake-up {copy}",
            code=f"seeded-{copy}",
            trigger=TriggerKind.values[0],
            action=ActionKind.EXPORT,
        ),
    }
    rows[AuditEntry] = audit_as(
        Actor(user=admin), store=store, action="seed", obj=sku, changes={"seeded": True}
    )
    return StoreRows(store=store, rows=rows)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The world has five users; real PBKDF2 would make every test take seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and report results live in the cache: start every test empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db) -> World:
    store_a = StoreFactory(name="Tea House", slug="tea-house")
    store_b = StoreFactory(name="Other Shop", slug="other-shop")
    users = {
        role.value: MembershipFactory(store=store_a, role=role, user__username=role.value).user
        for role in ROLES
    }
    users["outsider"] = MembershipFactory(
        store=store_b, role=Role.ADMIN, user__username="outsider"
    ).user
    a = seed_store(store_a, users["admin"])
    b = seed_store(store_b, users["outsider"])
    tokens = {
        name: token_create(user=user, name=f"{name} script").token for name, user in users.items()
    }
    a.rows[ApiToken] = tokens["operator"]
    b.rows[ApiToken] = tokens["outsider"]
    a.rows[Membership] = Membership.objects.get(store=store_a, user=users["analyst"])
    b.rows[Membership] = Membership.objects.get(store=store_b, user=users["outsider"])
    return World(a=a, b=b, users=users, tokens=tokens)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def client_for(world):
    """An API client signed in (session) as ``name`` (a role, "outsider" or None)."""

    def make(name: str | None) -> APIClient:
        client = APIClient()
        if name is not None:
            client.force_login(world.users[name])
        return client

    return make
