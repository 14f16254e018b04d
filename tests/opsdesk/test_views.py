"""The web shell: sign-in, store scoping, the store switcher, language, and the first pages.

Every page test creates rows in two stores and asserts the other store's rows are absent.
Times are built in the store's time zone (Asia/Shanghai, UTC+8, unless a test says otherwise).
"""

import datetime
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.views import serve
from django.urls import reverse
from django.utils import timezone

from analytics import selectors as fact_selectors
from analytics.models import OrderStatus
from campaigns.models import CampaignKind, MechanicKind
from catalog.models import ProductRole, SkuStatus
from opsdesk.channels import Channel
from opsdesk.roles import Role
from opsdesk.staticfinders import PUBLIC_PATH, PlotlyFinder
from opsdesk.templatetags.opsdesk_ui import money, percent
from opsdesk.tenancy import SESSION_KEY
from tests.conftest import PASSWORD
from tests.factories import (
    AdSpendFactory,
    CampaignFactory,
    CustomerFactory,
    LineupItemFactory,
    MechanicFactory,
    MemberLevelFactory,
    MembershipFactory,
    OrderFactory,
    RefundFactory,
    SkuFactory,
    StockSnapshotFactory,
    StoreFactory,
    TierChangeFactory,
    UserFactory,
)
from users.models import Tier

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
BASE_DIR = Path(settings.BASE_DIR)

# Three queries every signed-in page makes before its own: session, user, memberships.
BASE_QUERIES = 3

STORE_PAGES = [
    "overview",
    "sku_list",
    "customer_list",
    "campaign_list",
    "order_list",
    "refund_list",
    "traffic",
    "customer_insights",
    "metric_dictionary",
]


def local(day: datetime.date, hour: int, minute: int = 0, zone=SHANGHAI) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)


def shanghai_today() -> datetime.date:
    return timezone.localdate(timezone=SHANGHAI)


def paid_order(store, paid_at: datetime.datetime, amount: str, **kwargs):
    return OrderFactory(
        store=store,
        created_at=paid_at - datetime.timedelta(minutes=5),
        paid_at=paid_at,
        goods_amount=Decimal(amount),
        **kwargs,
    )


def warm_up(client) -> None:
    """The first page after sign-in stores the current store in the session (one write);
    query budgets are for the pages a signed-in user opens after that."""
    assert client.get(reverse("overview")).status_code == 200


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def html(response) -> str:
    return response.content.decode()


def positions(text: str, *needles: str) -> list[int]:
    return [text.index(needle) for needle in needles]


# --- Sign-in, sign-out, access --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", STORE_PAGES)
def test_every_page_redirects_an_anonymous_visitor_to_sign_in(client, name):
    # given an anonymous visitor / when they open a page
    url = reverse(name)
    response = client.get(url)
    # then they are sent to the sign-in page, coming back afterwards
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.django_db
def test_campaign_detail_redirects_an_anonymous_visitor_to_sign_in(client, store):
    campaign = CampaignFactory(store=store)
    response = client.get(reverse("campaign_detail", args=[campaign.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_sign_in_form_signs_in_and_opens_the_overview(client, operator, store):
    # given the sign-in page
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in html(page)
    # when the operator signs in with the right password
    response = client.post(reverse("login"), {"username": "operator", "password": PASSWORD})
    # then they land on the overview of their store
    assert response.status_code == 302
    assert response["Location"] == reverse("overview")
    overview = client.get(reverse("overview"))
    assert overview.status_code == 200
    assert "Tea House" in html(overview)


@pytest.mark.django_db
def test_sign_in_with_a_wrong_password_shows_an_error_and_signs_nobody_in(client, operator):
    response = english(client).post(reverse("login"), {"username": "operator", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in html(response)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_out_needs_a_post_and_ends_the_session(operator_client):
    # when signing out with GET, nothing happens
    assert operator_client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in operator_client.session
    # when signing out with POST, the session ends and the sign-in page follows
    response = operator_client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in operator_client.session
    assert operator_client.get(reverse("overview")).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("name", STORE_PAGES)
def test_a_user_without_membership_sees_the_no_store_page_on_every_page(client, name):
    # given a signed-in user who belongs to no store, while another store has data
    OrderFactory(number="O-SECRET")
    client.force_login(UserFactory(username="loner"))
    # when they open a page
    response = english(client).get(reverse(name))
    # then they see a clear page without data, not an error
    assert response.status_code == 200
    assert response.templates[0].name == "opsdesk/no_store.html"
    assert "You do not belong to any store yet" in html(response)
    assert "O-SECRET" not in html(response)


@pytest.mark.django_db
def test_a_superuser_without_membership_sees_the_no_store_page_and_the_admin_link(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    response = english(client).get(reverse("overview"))
    assert response.status_code == 200
    assert "You do not belong to any store yet" in html(response)
    assert reverse("admin:index") in html(response)


# --- Layout, navigation, language ------------------------------------------------------------


@pytest.mark.django_db
def test_layout_shows_navigation_user_and_role_in_chinese_by_default(operator_client):
    response = operator_client.get(reverse("overview"))
    page = html(response)
    assert '<html lang="zh-hans">' in page
    for label in ("经营概况", "商品", "用户", "活动", "报表"):
        assert label in page
    assert "Overview" not in page
    assert "operator" in page
    assert "运营" in page  # the operator's role
    assert 'aria-current="page"' in page
    assert 'href="#main"' in page  # skip link
    # no admin link for a user who is not staff
    assert reverse("admin:index") not in page


@pytest.mark.django_db
def test_staff_see_the_admin_link(client, store):
    user = MembershipFactory(store=store, role=Role.ADMIN, user__is_staff=True).user
    client.force_login(user)
    assert reverse("admin:index") in html(client.get(reverse("overview")))


@pytest.mark.django_db
def test_language_switch_changes_the_navigation_labels(operator_client):
    # given the default Chinese UI
    assert "经营概况" in html(operator_client.get(reverse("overview")))
    # when the user switches to English
    response = operator_client.post(
        reverse("set_language"), {"language": "en", "next": reverse("sku_list")}
    )
    # then they return to the page they were on and the labels are English
    assert response.status_code == 302
    assert response["Location"] == reverse("sku_list")
    page = html(operator_client.get(reverse("overview")))
    assert '<html lang="en">' in page
    assert "Overview" in page
    assert "经营概况" not in page
    # and back to Chinese
    operator_client.post(reverse("set_language"), {"language": "zh-hans"})
    assert "经营概况" in html(operator_client.get(reverse("overview")))


@pytest.mark.django_db
def test_store_switcher_is_shown_only_with_more_than_one_membership(
    operator_client, operator, other_store
):
    assert 'name="store"' not in html(operator_client.get(reverse("overview")))
    MembershipFactory(user=operator, store=other_store, role=Role.ANALYST)
    page = html(operator_client.get(reverse("overview")))
    assert 'action="/store/switch/"' in page
    assert "Other Shop" in page
    assert "Tea House" in page


# --- Store switcher ---------------------------------------------------------------------------


@pytest.fixture
def two_store_client(client, operator, store, other_store):
    """The operator also belongs to Other Shop; Tea House is the current store."""
    MembershipFactory(user=operator, store=other_store, role=Role.ANALYST)
    client.force_login(operator)
    session = client.session
    session[SESSION_KEY] = store.pk
    session.save()
    return client


@pytest.mark.django_db
def test_switching_to_a_store_of_the_user_changes_the_data_shown(
    two_store_client, store, other_store
):
    # given an order in each store
    OrderFactory(store=store, number="O-TEA")
    OrderFactory(store=other_store, number="O-OTHER")
    assert "O-TEA" in html(two_store_client.get(reverse("order_list")))
    # when switching to Other Shop
    response = two_store_client.post(
        reverse("switch_store"), {"store": other_store.pk, "next": reverse("order_list")}
    )
    # then the session holds it and the page shows only its rows
    assert response.status_code == 302
    assert response["Location"] == reverse("order_list")
    assert two_store_client.session[SESSION_KEY] == other_store.pk
    page = html(two_store_client.get(reverse("order_list")))
    assert "O-OTHER" in page
    assert "O-TEA" not in page


@pytest.mark.django_db
def test_switching_to_a_store_the_user_does_not_belong_to_is_a_404_and_changes_nothing(
    two_store_client, store
):
    stranger = StoreFactory(name="Stranger", slug="stranger")
    OrderFactory(store=stranger, number="O-STRANGER")
    response = two_store_client.post(reverse("switch_store"), {"store": stranger.pk})
    assert response.status_code == 404
    assert two_store_client.session[SESSION_KEY] == store.pk
    assert "O-STRANGER" not in html(two_store_client.get(reverse("order_list")))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "status"),
    [({"store": "abc"}, 400), ({}, 400), ({"store": "999999"}, 404), ({"store": "-1"}, 404)],
)
def test_switching_with_a_bad_store_id_is_rejected_and_changes_nothing(
    two_store_client, store, data, status
):
    response = two_store_client.post(reverse("switch_store"), data)
    assert response.status_code == status
    assert two_store_client.session[SESSION_KEY] == store.pk


@pytest.mark.django_db
def test_switching_needs_a_post(two_store_client, store, other_store):
    response = two_store_client.get(reverse("switch_store"), {"store": other_store.pk})
    assert response.status_code == 405
    assert two_store_client.session[SESSION_KEY] == store.pk


@pytest.mark.django_db
def test_switching_never_redirects_off_site(two_store_client, other_store):
    response = two_store_client.post(
        reverse("switch_store"), {"store": other_store.pk, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("overview")


@pytest.mark.django_db
def test_switching_requires_sign_in(client, store):
    response = client.post(reverse("switch_store"), {"store": store.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert SESSION_KEY not in client.session


# --- Overview ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_daily_sales_buckets_paid_orders_by_the_store_local_day(store, other_store):
    # given, in Asia/Shanghai (UTC+8):
    #   A paid 2026-11-10 07:00 local = 11-09 23:00 UTC  -> local day 11-10, ¥100.00
    #   B paid 2026-11-10 23:30 local = 11-10 15:30 UTC  -> local day 11-10, ¥250.50
    #   C paid 2026-11-11 00:10 local = 11-10 16:10 UTC  -> local day 11-11, ¥1,000.00
    #   D never paid                                       -> no day
    #   another store's order on 11-10                     -> not this store
    # and ad spend 11-10: ¥300.00 + ¥20.50 = ¥320.50 (another store's ¥999 ignored)
    day10, day11 = datetime.date(2026, 11, 10), datetime.date(2026, 11, 11)
    paid_order(store, local(day10, 7), "100.00")
    paid_order(store, local(day10, 23, 30), "250.50")
    paid_order(store, local(day11, 0, 10), "1000.00")
    OrderFactory(store=store, created_at=local(day10, 12), paid_at=None, goods_amount=999)
    paid_order(other_store, local(day10, 12), "5000.00")
    AdSpendFactory(store=store, day=day10, channel=Channel.PAID_SEARCH, spend=Decimal("300"))
    AdSpendFactory(store=store, day=day10, channel=Channel.PAID_FEED, spend=Decimal("20.50"))
    AdSpendFactory(store=other_store, day=day10, spend=Decimal("999"))
    # when the last 3 days up to 11-11 are read
    rows = fact_selectors.daily_sales(store=store, last_day=day11, days=3)
    # then (newest first) 11-11 has C, 11-10 has A and B, 11-09 has nothing
    assert rows == [
        fact_selectors.DailySales(day11, 1, Decimal("1000.00"), Decimal("0.00")),
        fact_selectors.DailySales(day10, 2, Decimal("350.50"), Decimal("320.50")),
        fact_selectors.DailySales(datetime.date(2026, 11, 9), 0, Decimal("0"), Decimal("0")),
    ]


@pytest.mark.django_db
def test_daily_sales_uses_the_store_time_zone_not_the_server_time_zone():
    # given a Los Angeles store (UTC-8 in November): paid 2026-11-11 07:00 UTC = 11-10 23:00
    store = StoreFactory(time_zone="America/Los_Angeles")
    paid_order(store, datetime.datetime(2026, 11, 11, 7, tzinfo=datetime.UTC), "42.00")
    rows = fact_selectors.daily_sales(store=store, last_day=datetime.date(2026, 11, 11), days=2)
    assert [(row.day.isoformat(), row.paid_orders, row.gmv) for row in rows] == [
        ("2026-11-11", 0, Decimal("0.00")),
        ("2026-11-10", 1, Decimal("42.00")),
    ]


@pytest.fixture
def fresh_cache():
    """Report results are cached by store id, which SQLite reuses after a rollback."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_overview_shows_yesterdays_rolled_up_figures_of_the_current_store_only(
    operator_client, store, other_store, fresh_cache
):
    # given, relative to today in Asia/Shanghai (T = today, Y = yesterday):
    #   A paid Y 07:00 -> Y, ¥100.00; B paid Y 23:30 -> Y, ¥250.50; C paid T 00:10 -> T
    #   Other Shop paid Y ¥5,000.00; ad spend Y ¥300 + ¥20.50 (Other Shop ¥999)
    # so yesterday's GMV is ¥350.50 and its ad spend ¥320.50 (the default range is yesterday).
    from analytics.rollups.services import rollup_range

    today = shanghai_today()
    yesterday = today - datetime.timedelta(days=1)
    paid_order(store, local(yesterday, 7), "100.00")
    paid_order(store, local(yesterday, 23, 30), "250.50")
    paid_order(store, local(today, 0, 10), "1000.00")
    paid_order(other_store, local(yesterday, 12), "5000.00", number="O-OTHER")
    AdSpendFactory(store=store, day=yesterday, channel=Channel.PAID_SEARCH, spend=Decimal("300"))
    AdSpendFactory(store=store, day=yesterday, channel=Channel.PAID_FEED, spend=Decimal("20.5"))
    AdSpendFactory(store=other_store, day=yesterday, spend=Decimal("999"))
    for shop in (store, other_store):
        rollup_range(store=shop, start=yesterday - datetime.timedelta(days=1), end=yesterday)
    # when the operator opens the overview
    response = operator_client.get(reverse("overview"))
    page = html(response)
    # then
    assert response.status_code == 200
    assert 'data-testid="kpi-gmv">¥350.50<' in page
    assert 'data-testid="kpi-ad_spend">¥320.50<' in page
    assert "¥1,000.00" not in page  # today is not in the default range
    assert "¥5,000.00" not in page
    assert "¥999" not in page


@pytest.mark.django_db
def test_overview_of_an_empty_store_says_not_rolled_up_and_shows_dashes(
    operator_client, fresh_cache
):
    response = operator_client.get(reverse("overview"))
    page = html(response)
    assert response.status_code == 200
    assert 'data-testid="not-rolled-up"' in page
    assert 'data-testid="kpi-gmv">-<' in page
    assert "¥0.00" not in page


@pytest.mark.django_db
def test_overview_query_count(operator_client, store, django_assert_max_num_queries):
    for offset in range(20):
        paid_order(store, timezone.now() - datetime.timedelta(hours=offset * 9), "10.00")
    for offset in range(7):
        AdSpendFactory(store=store, day=shanghai_today() - datetime.timedelta(days=offset))
    warm_up(operator_client)
    with django_assert_max_num_queries(BASE_QUERIES + 5):
        assert operator_client.get(reverse("overview")).status_code == 200


# --- Catalog ----------------------------------------------------------------------------------


@pytest.fixture
def catalog(store, other_store):
    """Three SKUs of Tea House and one of Other Shop. Margins by hand:
    TEA-001 (9.90 - 5.00) / 9.90 = 49.49%; TEA-002 (199 - 80) / 199 = 59.80%;
    CUP-001 (599 - 200) / 599 = 66.61%."""
    return {
        "tea1": SkuFactory(
            store=store,
            code="TEA-001",
            title="Longjing green tea",
            role=ProductRole.TRAFFIC,
            price=Decimal("9.90"),
            cost=Decimal("5.00"),
            stock=50,
        ),
        "tea2": SkuFactory(
            store=store,
            code="TEA-002",
            title="Pu'er cake",
            role=ProductRole.PROFIT,
            price=Decimal("199.00"),
            cost=Decimal("80.00"),
        ),
        "cup": SkuFactory(
            store=store,
            code="CUP-001",
            title="Glass cup",
            role=ProductRole.IMAGE,
            price=Decimal("599.00"),
            cost=Decimal("200.00"),
            status=SkuStatus.OFF_SHELF,
        ),
        "other": SkuFactory(store=other_store, code="TEA-999", title="Other tea"),
    }


def sku_codes(response) -> list[str]:
    return [sku.code for sku in response.context["page"]]


@pytest.mark.django_db
def test_catalog_lists_the_store_skus_with_money_and_margin(operator_client, catalog):
    response = operator_client.get(reverse("sku_list"))
    page = html(response)
    assert sku_codes(response) == ["CUP-001", "TEA-001", "TEA-002"]
    assert "TEA-999" not in page
    assert "Other tea" not in page
    assert "¥9.90" in page
    assert "¥599.00" in page
    assert "49.5%" in page
    assert "59.8%" in page
    assert "66.6%" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "tea"}, ["TEA-001", "TEA-002"]),
        ({"q": "CUP"}, ["CUP-001"]),
        ({"q": "pu'er"}, ["TEA-002"]),
        ({"q": "999"}, []),  # another store's code is never found
        ({"role": "profit"}, ["TEA-002"]),
        ({"status": "off_shelf"}, ["CUP-001"]),
        ({"q": "tea", "role": "traffic"}, ["TEA-001"]),
        ({"sort": "-price"}, ["CUP-001", "TEA-002", "TEA-001"]),
        ({"sort": "price"}, ["TEA-001", "TEA-002", "CUP-001"]),
        ({"sort": "-margin"}, ["CUP-001", "TEA-002", "TEA-001"]),
        ({"sort": "title"}, ["CUP-001", "TEA-001", "TEA-002"]),
    ],
)
def test_catalog_search_filter_and_sort(operator_client, catalog, query, expected):
    response = operator_client.get(reverse("sku_list"), query)
    assert response.status_code == 200
    assert sku_codes(response) == expected


@pytest.mark.django_db
def test_catalog_sort_header_marks_the_sorted_column_and_links_the_reverse(
    operator_client, catalog
):
    page = html(operator_client.get(reverse("sku_list"), {"sort": "price", "q": "tea"}))
    assert 'aria-sort="ascending"' in page
    assert 'href="?sort=-price&amp;q=tea"' in page or 'href="?q=tea&amp;sort=-price"' in page


@pytest.mark.django_db
def test_catalog_margin_of_a_free_sku_is_no_value(operator_client, store):
    SkuFactory(store=store, code="FREE", price=Decimal("0"), cost=Decimal("1.00"))
    response = operator_client.get(reverse("sku_list"))
    assert response.context["page"][0].margin_rate is None
    assert '<td class="num">-</td>' in html(response)


@pytest.mark.django_db
def test_catalog_paginates_fifty_per_page(operator_client, store):
    SkuFactory.create_batch(51, store=store)
    first = operator_client.get(reverse("sku_list"))
    second = operator_client.get(reverse("sku_list"), {"page": "2"})
    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 1
    assert set(sku_codes(first)).isdisjoint(sku_codes(second))
    assert 'rel="next"' in html(first)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected_page", "message"),
    [
        ({"page": "abc"}, 1, "There is no page “abc”; showing page 1 of 2."),
        ({"page": "999"}, 2, "There is no page “999”; showing page 2 of 2."),
        ({"page": "-3"}, 2, "There is no page “-3”; showing page 2 of 2."),
        ({"sort": "password"}, 1, "Unknown sort order."),
        ({"sort": "-category__name"}, 1, "Unknown sort order."),
        ({"role": "boss"}, 1, "Select a valid choice."),
        ({"q": "x" * 101}, 1, "Ensure this value has at most 100 characters"),
    ],
)
def test_catalog_bad_params_fall_back_with_a_message(
    english_operator_client, store, query, expected_page, message
):
    SkuFactory.create_batch(51, store=store)
    response = english_operator_client.get(reverse("sku_list"), query)
    assert response.status_code == 200
    assert response.context["page"].number == expected_page
    assert message in html(response)


@pytest.fixture
def english_operator_client(operator_client):
    return english(operator_client)


@pytest.mark.django_db
def test_catalog_query_count(operator_client, store, django_assert_max_num_queries):
    SkuFactory.create_batch(30, store=store)
    warm_up(operator_client)
    with django_assert_max_num_queries(BASE_QUERIES + 2):
        response = operator_client.get(reverse("sku_list"), {"sort": "-margin"})
    assert len(response.context["page"]) == 30


# --- Customers --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_customers_show_the_latest_tier_member_level_and_only_this_store(
    english_operator_client, store, other_store
):
    # given Alice entered "new" on 11-01 then "active" on 11-20; Bob never had a tier
    level = MemberLevelFactory(store=store, name="Gold")
    alice = CustomerFactory(
        store=store, external_id="tb-alice", name="Alice", member_level=level, points=1234
    )
    TierChangeFactory(customer=alice, day=datetime.date(2026, 11, 1), tier=Tier.NEW)
    TierChangeFactory(
        customer=alice,
        day=datetime.date(2026, 11, 20),
        tier=Tier.ACTIVE,
        previous_tier=Tier.NEW,
    )
    CustomerFactory(store=store, external_id="tb-bob", name="Bob", region="上海")
    CustomerFactory(store=other_store, external_id="tb-mallory", name="Mallory")
    # when
    response = english_operator_client.get(reverse("customer_list"))
    page = html(response)
    # then
    rows = {c.external_id: c for c in response.context["page"]}
    assert sorted(rows) == ["tb-alice", "tb-bob"]
    assert rows["tb-alice"].latest_tier == Tier.ACTIVE
    assert rows["tb-bob"].latest_tier is None
    assert "Gold" in page
    assert "1234" in page
    assert ">Active<" in page
    assert ">New<" not in page
    assert "tb-mallory" not in page
    assert "Mallory" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "expected"), [("alice", ["tb-alice"]), ("上海", ["tb-bob"]), ("mallory", [])]
)
def test_customer_search(operator_client, store, other_store, q, expected):
    CustomerFactory(store=store, external_id="tb-alice", name="Alice")
    CustomerFactory(store=store, external_id="tb-bob", name="Bob", region="上海")
    CustomerFactory(store=other_store, external_id="tb-mallory", name="Mallory")
    response = operator_client.get(reverse("customer_list"), {"q": q})
    assert [c.external_id for c in response.context["page"]] == expected


@pytest.mark.django_db
def test_customers_query_count(operator_client, store, django_assert_max_num_queries):
    for customer in CustomerFactory.create_batch(
        30, store=store, member_level=MemberLevelFactory(store=store)
    ):
        TierChangeFactory(customer=customer)
    warm_up(operator_client)
    with django_assert_max_num_queries(BASE_QUERIES + 2):
        response = operator_client.get(reverse("customer_list"))
    assert len(response.context["page"]) == 30


# --- Campaigns --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_campaigns_list_shows_the_phase_of_today_in_the_store_zone(
    english_operator_client, store, other_store
):
    today = shanghai_today()
    CampaignFactory(
        store=store,
        name="Member day",
        kind=CampaignKind.MEMBER_DAY,
        preparation_start=today - datetime.timedelta(days=10),
        preheat_start=today - datetime.timedelta(days=3),
        burst_start=today,
        burst_end=today,
        wrapup_end=today + datetime.timedelta(days=3),
        gmv_target=Decimal("1234567.8"),
        ad_budget=None,
    )
    CampaignFactory(store=other_store, name="Secret sale")
    response = english_operator_client.get(reverse("campaign_list"))
    page = html(response)
    assert [c.name for c in response.context["page"]] == ["Member day"]
    assert response.context["page"][0].current_phase == "burst"
    assert ">Burst<" in page
    assert "¥1,234,567.80" in page
    assert "Secret sale" not in page


@pytest.mark.django_db
def test_campaign_detail_flags_lineup_skus_with_too_little_stock(english_operator_client, store):
    campaign = CampaignFactory(store=store, name="Double 11 2026")
    low = SkuFactory(store=store, code="LOW", stock=10)
    enough = SkuFactory(store=store, code="OK", stock=100)
    LineupItemFactory(campaign=campaign, sku=low, planned_units=50)
    LineupItemFactory(campaign=campaign, sku=enough, planned_units=20)
    # Once the burst (Nov 1) has begun, the check reads the stock it started with: the eve's
    # snapshot, the same as the current stock here, so the flags hold whatever today is.
    StockSnapshotFactory(sku=low, day=datetime.date(2026, 10, 31), stock=10)
    StockSnapshotFactory(sku=enough, day=datetime.date(2026, 10, 31), stock=100)
    MechanicFactory(campaign=campaign, kind=MechanicKind.FULL_REDUCTION, description="满300减50")
    response = english_operator_client.get(reverse("campaign_detail", args=[campaign.pk]))
    page = html(response)
    assert response.status_code == 200
    flags = {item.sku.code: item.stock_short for item in response.context["lineup"]}
    assert flags == {"LOW": True, "OK": False}
    assert page.count("Stock below planned units") == 1
    assert page.count("Enough stock") == 1
    assert "满300减50" in page
    assert "¥300.00" in page
    assert "Full reduction" in page


@pytest.mark.django_db
def test_campaign_detail_shows_each_phase_as_inclusive_store_days(english_operator_client, store):
    # given the factory's Double 11: preparation from 09-27, pre-heat from 10-20, burst
    # 11-01..11-11, wrap-up until 11-14; so pre-heat's last day is 10-31 (burst starts 11-01)
    campaign = CampaignFactory(store=store)
    response = english_operator_client.get(reverse("campaign_detail", args=[campaign.pk]))
    spans = [
        (span.phase.value, str(span.first_day), str(span.last_day))
        for span in response.context["phases"]
    ]
    assert spans == [
        ("preparation", "2026-09-27", "2026-10-19"),
        ("preheat", "2026-10-20", "2026-10-31"),
        ("burst", "2026-11-01", "2026-11-11"),
        ("wrapup", "2026-11-12", "2026-11-14"),
    ]
    assert "2026-10-20 – 2026-10-31" in html(response)


@pytest.mark.django_db
def test_a_campaign_of_another_store_is_a_404(operator_client, other_store):
    campaign = CampaignFactory(store=other_store, name="Secret sale")
    response = operator_client.get(reverse("campaign_detail", args=[campaign.pk]))
    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    assert "Secret sale" not in html(response)
    assert operator_client.get("/campaigns/999999/").status_code == 404


@pytest.mark.django_db
def test_campaign_pages_query_count(
    operator_client, store, django_assert_max_num_queries, fresh_cache
):
    campaigns = CampaignFactory.create_batch(10, store=store)
    for campaign in campaigns:
        LineupItemFactory.create_batch(3, campaign=campaign)
        MechanicFactory(campaign=campaign)
    warm_up(operator_client)
    # one more than the list: the timeline's campaigns (one query, not one per campaign), and
    # one for the date-range picker's campaign windows
    with django_assert_max_num_queries(BASE_QUERIES + 4):
        assert operator_client.get(reverse("campaign_list")).status_code == 200
    # the progress panel's DailyMetricsRunner result is cached after the first view (a fixed
    # handful of queries, independent of the lineup size); the budget is for the cached page:
    # the campaign, its lineup (with the stock check), mechanics and channel budgets
    detail = reverse("campaign_detail", args=[campaigns[0].pk])
    assert operator_client.get(detail).status_code == 200
    with django_assert_max_num_queries(BASE_QUERIES + 4):
        response = operator_client.get(detail)
    assert len(response.context["lineup"]) == 3


# --- Reports ----------------------------------------------------------------------------------


@pytest.fixture
def orders(store, other_store):
    """Placed either side of local midnight 2026-11-10/11 in Asia/Shanghai:
    O-LATE 11-10 23:30 local (= 11-10 15:30 UTC), search, refunds ¥20.00 + ¥30.50;
    O-EARLY 11-11 00:30 local (= 11-10 16:30 UTC), paid search, never paid;
    and Other Shop's O-OTHER on 11-11."""
    late = OrderFactory(
        store=store,
        number="O-LATE",
        created_at=local(datetime.date(2026, 11, 10), 23, 30),
        channel=Channel.SEARCH,
        goods_amount=Decimal("1288.00"),
    )
    RefundFactory(order=late, number="R-1", amount=Decimal("20.00"))
    RefundFactory(order=late, number="R-2", amount=Decimal("30.50"))
    early = OrderFactory(
        store=store,
        number="O-EARLY",
        created_at=local(datetime.date(2026, 11, 11), 0, 30),
        paid_at=None,
        status=OrderStatus.CREATED,
        channel=Channel.PAID_SEARCH,
    )
    other = OrderFactory(
        store=other_store, number="O-OTHER", created_at=local(datetime.date(2026, 11, 11), 9)
    )
    RefundFactory(order=other, number="R-OTHER")
    return {"late": late, "early": early}


def order_numbers(response) -> list[str]:
    return [order.number for order in response.context["page"]]


@pytest.mark.django_db
def test_orders_list_shows_store_local_times_channel_and_refunds(english_operator_client, orders):
    response = english_operator_client.get(reverse("order_list"))
    page = html(response)
    assert order_numbers(response) == ["O-EARLY", "O-LATE"]
    assert "O-OTHER" not in page
    assert "2026-11-11 00:30" in page  # not 2026-11-10 16:30 (UTC)
    assert "2026-11-10 23:30" in page
    assert "¥1,288.00" in page
    assert "¥50.50" in page
    assert "Paid search" in page
    assert "Awaiting payment" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"start": "2026-11-11", "end": "2026-11-11"}, ["O-EARLY"]),
        ({"start": "2026-11-10", "end": "2026-11-10"}, ["O-LATE"]),
        ({"start": "2026-11-11"}, ["O-EARLY"]),
        ({"end": "2026-11-10"}, ["O-LATE"]),
        ({"start": "2026-11-12"}, []),
        ({"channel": "paid_search"}, ["O-EARLY"]),
        ({"channel": "search", "start": "2026-11-11"}, []),
    ],
)
def test_orders_filter_by_store_local_date_range_and_channel(
    operator_client, orders, query, expected
):
    response = operator_client.get(reverse("order_list"), query)
    assert response.status_code == 200
    assert order_numbers(response) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-13-45"}, "Ignored Placed from: Enter a valid date."),
        ({"end": "yesterday"}, "Ignored Placed to: Enter a valid date."),
        (
            {"start": "2026-11-11", "end": "2026-11-10"},
            "The start date 2026-11-11 is after the end date 2026-11-10; dates ignored.",
        ),
        ({"channel": "tv"}, "Select a valid choice."),
    ],
)
def test_orders_bad_filters_show_a_message_and_list_without_them(
    english_operator_client, orders, query, message
):
    response = english_operator_client.get(reverse("order_list"), query)
    assert response.status_code == 200
    assert message in html(response)
    assert order_numbers(response) == ["O-EARLY", "O-LATE"]


@pytest.mark.django_db
def test_refund_list_filters_by_refund_day_and_hides_other_stores(operator_client, store):
    order = OrderFactory(store=store, number="O-1")
    RefundFactory(order=order, number="R-A", refunded_at=local(datetime.date(2026, 11, 12), 0, 1))
    RefundFactory(order=order, number="R-B", refunded_at=local(datetime.date(2026, 11, 11), 23))
    RefundFactory(number="R-OTHER", refunded_at=local(datetime.date(2026, 11, 12), 9))
    response = operator_client.get(reverse("refund_list"), {"start": "2026-11-12"})
    assert [refund.number for refund in response.context["page"]] == ["R-A"]
    assert "R-OTHER" not in html(operator_client.get(reverse("refund_list")))


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["order_list", "refund_list"])
def test_report_lists_query_count(operator_client, store, name, django_assert_max_num_queries):
    for order in OrderFactory.create_batch(30, store=store):
        RefundFactory(order=order)
    warm_up(operator_client)
    with django_assert_max_num_queries(BASE_QUERIES + 2):
        response = operator_client.get(reverse(name), {"start": "2020-01-01"})
    assert len(response.context["page"]) == 30


# --- Every page: scoped to the current store -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", STORE_PAGES)
def test_no_page_shows_another_store_rows(operator_client, store, other_store, name):
    # given the same kinds of rows in both stores, the other store's named "LEAK"
    for target, marker in ((store, "MINE"), (other_store, "LEAK")):
        sku = SkuFactory(store=target, code=f"SKU-{marker}", title=f"title-{marker}")
        customer = CustomerFactory(store=target, external_id=f"buyer-{marker}", name=marker)
        order = OrderFactory(store=target, number=f"O-{marker}", customer=customer)
        RefundFactory(order=order, number=f"R-{marker}")
        campaign = CampaignFactory(store=target, name=f"campaign-{marker}")
        LineupItemFactory(campaign=campaign, sku=sku)
    # when the operator of Tea House opens the page
    response = operator_client.get(reverse(name))
    # then nothing of Other Shop appears
    assert response.status_code == 200
    assert "LEAK" not in html(response)


# --- Static files and formatting -------------------------------------------------------------


def test_plotly_is_served_from_the_installed_package_and_nothing_else_is():
    found = finders.find("vendor/plotly/plotly.min.js")
    assert found is not None
    assert found.endswith("plotly/package_data/plotly.min.js")
    assert finders.find("vendor/plotly/widgetbundle.js") is None
    assert [path for path, _storage in PlotlyFinder().list([])] == ["plotly.min.js"]
    assert PlotlyFinder().check() == []


def test_plotly_bundle_is_served_under_the_static_url_by_the_finders(rf):
    # the development static view (runserver, live_server) serves through the finders
    response = serve(rf.get("/static/vendor/plotly/plotly.min.js"), PUBLIC_PATH, insecure=True)
    assert response.status_code == 200
    assert b"plotly" in b"".join(response.streaming_content)[:2000].lower()


ASSET_FROM_NETWORK = re.compile(
    r"""(?:src|href)\s*=\s*["']\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import\s+["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def test_no_template_or_stylesheet_loads_anything_from_the_network():
    files = [*(BASE_DIR / "templates").rglob("*.html"), *(BASE_DIR / "static").rglob("*.css")]
    assert files
    offenders = [str(f) for f in files if ASSET_FROM_NETWORK.search(f.read_text())]
    assert offenders == []


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (Decimal("1234567.8"), "CNY", "¥1,234,567.80"),
        (Decimal("0"), "CNY", "¥0.00"),
        (Decimal("9.905"), "CNY", "¥9.91"),
        (Decimal("-20.5"), "CNY", "-¥20.50"),
        (12, "CNY", "¥12.00"),
        (None, "CNY", "-"),
        ("", "CNY", "-"),
        ("abc", "CNY", "-"),
        (Decimal("10"), "USD", "$10.00"),
        (Decimal("10"), "SGD", "SGD 10.00"),
        (Decimal("10"), "", "¥10.00"),
    ],
)
def test_money_filter(value, currency, expected):
    assert money(value, currency) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(49.494949, "49.5%"), (0, "0.0%"), (None, "-"), (100.0, "100.0%")]
)
def test_percent_filter(value, expected):
    assert percent(value) == expected


def test_every_dashboard_template_shows_percentages_with_one_decimal():
    """The dashboards' rule (issue #4): percentages with one decimal on the overview, traffic,
    product matrix, SKU health, customers and campaign pages. No such template asks the
    ``share``/``percent`` filters for another precision."""
    templates = BASE_DIR / "templates"
    dashboards = [
        templates / "overview.html",
        *(templates / "analytics").glob("*.html"),
        *(templates / "catalog").glob("*.html"),
        *(templates / "campaigns").glob("*.html"),
        templates / "users" / "insights.html",
    ]
    other_precision = re.compile(r"\|(?:share|percent):")
    offenders = [
        str(path.relative_to(BASE_DIR))
        for path in dashboards
        if other_precision.search(path.read_text())
    ]
    assert len(dashboards) > 15
    assert offenders == []
