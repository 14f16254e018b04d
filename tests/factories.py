"""factory_boy factories for every model. Related rows share the store of the row they
belong to, so a factory never builds a cross-store row by accident."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from analytics.models import (
    AdSpend,
    BehaviourEvent,
    EventType,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
)
from campaigns.models import (
    Campaign,
    CampaignKind,
    ChannelBudget,
    LineupItem,
    Mechanic,
    MechanicKind,
)
from catalog.models import BannedTerm, Category, PriceChange, ProductRole, Sku, StockSnapshot
from opsdesk.channels import Channel
from opsdesk.models import Membership, Store
from opsdesk.roles import Role
from users.models import Customer, MemberLevel, Tier, TierChange


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Store {n}")
    slug = factory.Sequence(lambda n: f"store-{n}")
    platform = "tmall"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    store = factory.SubFactory(StoreFactory)
    role = Role.OPERATOR


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class SkuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sku

    store = factory.SubFactory(StoreFactory)
    code = factory.Sequence(lambda n: f"SKU{n:05d}")
    title = factory.Sequence(lambda n: f"Item {n}")
    category = factory.SubFactory(CategoryFactory, store=factory.SelfAttribute("..store"))
    role = ProductRole.PROFIT
    price = Decimal("199.00")
    cost = Decimal("80.00")
    stock = 100
    listed_on = datetime.date(2026, 1, 6)


class PriceChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceChange

    sku = factory.SubFactory(SkuFactory)
    store = factory.SelfAttribute("sku.store")
    old_price = Decimal("199.00")
    new_price = Decimal("179.00")
    changed_at = factory.LazyFunction(timezone.now)


class StockSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockSnapshot

    sku = factory.SubFactory(SkuFactory)
    store = factory.SelfAttribute("sku.store")
    day = datetime.date(2026, 11, 1)
    stock = 10


class BannedTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BannedTerm

    store = factory.SubFactory(StoreFactory)
    term = "最佳"
    replacement = "优选"


class MemberLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberLevel

    store = factory.SubFactory(StoreFactory)
    code = factory.Sequence(lambda n: f"V{n}")
    name = factory.Sequence(lambda n: f"Level {n}")
    min_spend = factory.Sequence(lambda n: Decimal(n * 500))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    store = factory.SubFactory(StoreFactory)
    external_id = factory.Sequence(lambda n: f"buyer{n}")
    name = factory.Sequence(lambda n: f"Buyer {n}")
    region = "浙江"
    registered_on = datetime.date(2025, 1, 1)


class TierChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierChange

    customer = factory.SubFactory(CustomerFactory)
    store = factory.SelfAttribute("customer.store")
    day = datetime.date(2026, 11, 1)
    tier = Tier.NEW
    previous_tier = Tier.PROSPECT


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    store = factory.SubFactory(StoreFactory)
    number = factory.Sequence(lambda n: f"O{n:08d}")
    customer = factory.SubFactory(CustomerFactory, store=factory.SelfAttribute("..store"))
    created_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
    paid_at = factory.LazyAttribute(lambda o: o.created_at + datetime.timedelta(minutes=2))
    status = OrderStatus.PAID
    channel = Channel.SEARCH
    goods_amount = Decimal("199.00")
    discount_amount = Decimal("0.00")
    shipping_amount = Decimal("0.00")
    paid_amount = factory.LazyAttribute(
        lambda o: o.goods_amount - o.discount_amount + o.shipping_amount
    )


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    store = factory.SelfAttribute("order.store")
    sku = factory.SubFactory(SkuFactory, store=factory.SelfAttribute("..store"))
    quantity = 1
    unit_price = Decimal("199.00")
    unit_cost = Decimal("80.00")


def sold(
    sku,
    *,
    days_ago: float,
    unit_price: str,
    quantity: int,
    status=OrderStatus.PAID,
    now: datetime.datetime | None = None,
) -> OrderLine:
    """One order of ``quantity`` x ``sku`` at ``unit_price`` (a string: exact), paid
    ``days_ago`` days before ``now`` (default: the present) and created 5 minutes before."""
    paid_at = (now or timezone.now()) - datetime.timedelta(days=days_ago)
    order = OrderFactory(
        store=sku.store,
        created_at=paid_at - datetime.timedelta(minutes=5),
        paid_at=paid_at,
        status=status,
    )
    return OrderLineFactory(order=order, sku=sku, unit_price=Decimal(unit_price), quantity=quantity)


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    order = factory.SubFactory(OrderFactory)
    store = factory.SelfAttribute("order.store")
    number = factory.Sequence(lambda n: f"R{n:08d}")
    amount = Decimal("50.00")
    refunded_at = factory.LazyAttribute(lambda o: o.order.paid_at + datetime.timedelta(days=3))


class BehaviourEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BehaviourEvent

    store = factory.SubFactory(StoreFactory)
    visitor_id = factory.Sequence(lambda n: f"v{n}")
    event_type = EventType.VIEW
    channel = Channel.SEARCH
    occurred_at = factory.LazyFunction(timezone.now)


class AdSpendFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdSpend

    store = factory.SubFactory(StoreFactory)
    channel = Channel.PAID_SEARCH
    day = datetime.date(2026, 11, 1)
    spend = Decimal("100.00")
    impressions = 10_000
    clicks = 200


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    store = factory.SubFactory(StoreFactory)
    name = "Double 11 2026"
    kind = CampaignKind.DOUBLE_11
    preparation_start = datetime.date(2026, 9, 27)
    preheat_start = datetime.date(2026, 10, 20)
    burst_start = datetime.date(2026, 11, 1)
    burst_end = datetime.date(2026, 11, 11)
    wrapup_end = datetime.date(2026, 11, 14)
    gmv_target = Decimal("1000000.00")
    ad_budget = Decimal("100000.00")


class LineupItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LineupItem

    campaign = factory.SubFactory(CampaignFactory)
    store = factory.SelfAttribute("campaign.store")
    sku = factory.SubFactory(SkuFactory, store=factory.SelfAttribute("..store"))
    planned_units = 100


class ChannelBudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelBudget

    campaign = factory.SubFactory(CampaignFactory)
    store = factory.SelfAttribute("campaign.store")
    channel = Channel.PAID_SEARCH
    budget = Decimal("10000.00")


class MechanicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mechanic

    campaign = factory.SubFactory(CampaignFactory)
    store = factory.SelfAttribute("campaign.store")
    kind = MechanicKind.FULL_REDUCTION
    threshold = Decimal("300.00")
    amount = Decimal("50.00")
