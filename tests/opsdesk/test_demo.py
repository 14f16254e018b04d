"""The demo shop generator (opsdesk/demo) and ``manage.py seed_demo``.

Most checks run on the generated frames (pure, fast); the command tests check that the
database receives exactly those frames, all or nothing per store, plus the demo login.
A 60-day window ending 2025-11-20 covers the Double 11 pre-heat (from 20 Oct), burst
(1-11 Nov) and wrap-up, and a daylight-saving change for the Europe/Berlin shop (26 Oct).
"""

import datetime
from decimal import Decimal
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Max, Min

from analytics.models import AdSpend, BehaviourEvent, Order, OrderLine, Refund
from campaigns.models import Campaign, LineupItem, Mechanic
from catalog.models import BannedTerm, Category, PriceChange, Sku
from opsdesk.demo import words
from opsdesk.demo.generate import store_generate
from opsdesk.demo.seasons import day_profile
from opsdesk.demo.specs import store_specs
from opsdesk.demo.write import DEMO_PASSWORD, DEMO_USERNAME
from opsdesk.models import Membership, Store
from opsdesk.roles import Role
from tests.factories import (
    BehaviourEventFactory,
    OrderFactory,
    OrderLineFactory,
    StoreFactory,
)
from users.models import Customer, MemberLevel, MemberLevelChange

END = datetime.date(2025, 11, 20)
DAYS = 60
SEED = 7
ORDERS_PER_DAY = 10
DAY = pd.Timedelta(days=1)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module", params=[0, 1, 2], ids=["tmall", "douyin", "berlin"])
def frames(request):
    spec = store_specs(3)[request.param]
    return store_generate(spec, end=END, days=DAYS, seed=SEED, orders_per_day=ORDERS_PER_DAY)


def _local_day(series: pd.Series, time_zone: str) -> pd.Series:
    return series.dt.tz_convert(time_zone).dt.date


def _paid(frames) -> pd.DataFrame:
    return frames.orders[frames.orders["paid_at"].notna()]


def _seed(**options) -> str:
    out = StringIO()
    defaults = {"stores": 1, "days": 21, "end": "2025-11-20", "orders_per_day": 4}
    call_command("seed_demo", no_progress=True, stdout=out, **{**defaults, **options})
    return out.getvalue()


def _delete_all_demo_rows() -> None:
    """Children before parents: orders PROTECT customers and SKUs, categories their parents."""
    for model in (LineupItem, Mechanic, Campaign, Refund, OrderLine, Order, BehaviourEvent):
        model.objects.all().delete()
    for model in (AdSpend, MemberLevelChange, Customer, MemberLevel, PriceChange, Sku):
        model.objects.all().delete()
    Category.objects.filter(parent__isnull=False).delete()
    for model in (Category, BannedTerm, Membership, Store):
        model.objects.all().delete()


# --- determinism ------------------------------------------------------------------------------


def test_the_same_seed_gives_identical_frames_and_another_seed_does_not():
    spec = store_specs(1)[0]
    first = store_generate(spec, end=END, days=21, seed=SEED, orders_per_day=4)
    again = store_generate(spec, end=END, days=21, seed=SEED, orders_per_day=4)
    other = store_generate(spec, end=END, days=21, seed=SEED + 1, orders_per_day=4)

    for name, frame in first.tables().items():
        pd.testing.assert_frame_equal(frame, again.tables()[name], check_exact=True)
    assert not first.orders["created_at"].equals(other.orders["created_at"])
    assert not first.skus["title"].equals(other.skus["title"])


def test_the_year_has_a_weekly_rhythm_festival_phases_and_a_spring_festival_dip():
    profile = day_profile(datetime.date(2025, 11, 22), datetime.date(2026, 11, 21))
    days = pd.DataFrame(
        {"kind": profile.kind, "multiplier": profile.multiplier}, index=profile.dates
    )
    ordinary = days[days["kind"] == "normal"]
    weekend = [day.weekday() >= 5 for day in ordinary.index]

    assert (
        ordinary["multiplier"][weekend].mean()
        > 1.1 * ordinary["multiplier"][~np.array(weekend)].mean()
    )
    assert days.loc[datetime.date(2026, 11, 11), "kind"] == "peak"
    assert days["multiplier"].idxmax() == datetime.date(2026, 11, 11)
    assert days.loc[datetime.date(2026, 6, 18), "kind"] == "peak"
    assert days.loc[datetime.date(2026, 5, 31), "kind"] == "preheat"
    assert days.loc[datetime.date(2026, 10, 20), "kind"] == "preheat"
    assert days.loc[datetime.date(2026, 11, 1), "kind"] == "opening"
    assert days.loc[datetime.date(2026, 2, 17), "kind"] == "dip"  # Spring Festival 2026
    assert (
        days.loc[datetime.date(2026, 2, 17), "multiplier"] < 0.5 * ordinary["multiplier"].median()
    )


# --- product matrix ---------------------------------------------------------------------------


def test_prices_sit_in_their_role_band_and_about_30_percent_are_traffic_items(frames):
    skus = frames.skus
    bands = skus.groupby("role")["price"].agg(["min", "max", "size"])

    assert bands.loc["traffic", "min"] >= 990 and bands.loc["traffic", "max"] <= 2990
    assert bands.loc["profit", "min"] >= 9900 and bands.loc["profit", "max"] <= 29900
    assert bands.loc["image", "min"] >= 59900
    assert bands.loc["traffic", "size"] == round(len(skus) * 0.3)
    assert 1 <= bands.loc["image", "size"] <= 0.1 * len(skus)


def test_traffic_items_run_on_thin_margins_and_profit_items_on_fat_ones(frames):
    skus = frames.skus
    margin = 1 - skus["cost"] / skus["price"]

    assert margin[skus["role"] == "traffic"].max() <= 0.30
    assert margin[skus["role"] == "profit"].min() >= 0.58
    assert (skus["cost"] > 0).all()


def test_catalog_has_listing_days_stock_outs_overstock_and_banned_terms(frames):
    skus = frames.skus
    weekdays = pd.to_datetime(skus["listed_on"]).dt.day_of_week
    paid = _paid(frames)
    last_two_weeks = paid[paid["paid_at"] >= pd.Timestamp(END, tz=frames.spec.time_zone) - 13 * DAY]
    sold = frames.lines[frames.lines["order_key"].isin(last_two_weeks["key"])]
    daily = sold.groupby("sku_key")["quantity"].sum().reindex(skus["key"], fill_value=0) / 14
    selling = daily.to_numpy() > 0
    cover = skus["stock"].to_numpy()[selling] / daily.to_numpy()[selling]

    assert set(weekdays) <= {1, 4}  # Tuesday, Friday
    assert ((skus["stock"] == 0) & (skus["status"] == "on_shelf") & selling).any()
    assert (cover > 90).sum() >= 2  # overstock (DOMAIN.md: > 90 days of cover)
    banned = [term for term, _, _ in words.BANNED_TERMS]
    assert sum(any(term in title for term in banned) for title in skus["title"]) >= 3
    assert list(frames.banned_terms["term"]) == banned
    terms = frames.banned_terms.set_index("term")
    assert terms.loc["最佳", "replacement"] == "优选"
    assert terms.loc["第一", "replacement"] == "领先"
    assert terms.loc["全网最低", "replacement"] == "超值"
    assert terms.loc["顶级", "replacement"] == "高品质"
    assert "最近" in terms.loc["最", "allowed_phrases"].split(",")


@pytest.mark.parametrize("theme", [words.HOME, words.BEAUTY, words.TEA, words.DIGITAL])
def test_category_names_of_a_theme_are_unique(theme):
    names = [leaf.name for leaf in theme.leaves] + list({leaf.parent for leaf in theme.leaves})

    assert len(names) == len(set(names))


def test_the_latest_price_change_of_a_sku_ends_at_its_current_price(frames):
    changes = frames.price_changes.sort_values("changed_at")
    skus = frames.skus.set_index("key")

    assert len(changes) >= 3
    assert (changes["old_price"] != changes["new_price"]).all()
    for sku_key, history in changes.groupby("sku_key"):
        assert history["new_price"].iloc[-1] == skus.loc[sku_key, "price"]
        assert list(history["old_price"].iloc[1:]) == list(history["new_price"].iloc[:-1])
        assert history["old_price"].iloc[0] == skus.loc[sku_key, "initial_price"]
    end = pd.Timestamp(END + datetime.timedelta(days=1)).tz_localize(frames.spec.time_zone)
    assert (changes["changed_at"] < end).all()


@pytest.mark.django_db
def test_the_demo_matrix_shows_flags_and_role_suggestions(client):
    # The demo leaves its newest listings untagged and one profit item tagged as an image item
    # (opsdesk/demo/tagging.py), so the matrix checks have something to show.
    from django.urls import reverse

    from analytics.rollups.services import rollup_range
    from catalog.matrix import MatrixQuery, ProductMatrixRunner

    expected = store_generate(store_specs(1)[0], end=END, days=30, seed=42, orders_per_day=4)
    _seed(days=30)
    store = Store.objects.get()
    start = END - datetime.timedelta(days=29)
    rollup_range(store=store, start=start, end=END, tiers=False)

    result = ProductMatrixRunner(store=store, query=MatrixQuery(start, END)).run()

    generated = expected.skus.set_index("code")["role"]
    tagged = dict(Sku.objects.filter(store=store).values_list("code", "role"))
    retagged = {code: role for code, role in tagged.items() if role != generated[code]}
    untagged_traffic = sorted(c for c, r in retagged.items() if not r and generated[c] == "traffic")
    untagged_profit = sorted(c for c, r in retagged.items() if not r and generated[c] == "profit")
    as_image = [c for c, r in retagged.items() if r == "image"]
    assert len(untagged_profit) == 2 and len(as_image) == 1 and untagged_traffic
    assert set(retagged) == set(untagged_traffic) | set(untagged_profit) | set(as_image)
    flags = {flag.code: flag for flag in result.flags}
    # traffic share of SKUs below 30% - 10 points (the fewest untagged that get it there)
    share = flags["traffic_share_off_target"].numbers["sku_share"]
    traffic = result.role("traffic")
    assert share == Decimal(traffic.skus) / result.total_skus < Decimal("0.2")
    assert Decimal(traffic.skus + 1) / result.total_skus >= Decimal("0.2")
    # the mis-tagged profit item is an image item below the top of the profit band
    image_flag = flags["image_below_profit_band"]
    assert image_flag.skus == tuple(as_image)
    profit_prices = [p.price for p in result.skus if p.role == "profit"]
    assert image_flag.numbers == {"band_low": min(profit_prices), "band_high": max(profit_prices)}
    assert Sku.objects.get(store=store, code=as_image[0]).price < max(profit_prices)
    # every untagged traffic listing (cheapest third) is suggested back as a traffic item, and
    # each untagged SKU gets a suggestion
    suggested = {s.code: s.suggested_role for s in result.suggestions}
    assert {code: suggested.get(code) for code in untagged_traffic} == dict.fromkeys(
        untagged_traffic, "traffic"
    )
    assert set(untagged_profit) <= set(suggested)

    # and the page shows them to the demo login
    client.force_login(get_user_model().objects.get(username=DEMO_USERNAME))
    page = client.get(
        reverse("product_matrix"), {"start": start.isoformat(), "end": END.isoformat()}
    ).content.decode()
    assert 'data-flag="traffic_share_off_target"' in page
    assert 'data-flag="image_below_profit_band"' in page
    table = page.split('id="suggestion-table"')[1].split("</table>")[0]
    assert table.count('name="sku"') == len(result.suggestions) >= len(untagged_traffic) + 2


# --- orders -----------------------------------------------------------------------------------


def test_order_amounts_add_up_exactly_in_cents(frames):
    orders, lines = frames.orders.set_index("key"), frames.lines
    by_order = (
        lines.assign(
            listed=lines["list_price"] * lines["quantity"],
            paid=lines["unit_price"] * lines["quantity"],
        )
        .groupby("order_key")[["listed", "paid"]]
        .sum()
    )
    costs = frames.skus.set_index("key")["cost"]

    assert (orders["goods_amount"] == by_order["listed"]).all()
    assert (
        orders["paid_amount"]
        == orders["goods_amount"] - orders["discount_amount"] + orders["shipping_amount"]
    ).all()
    assert (orders["paid_amount"] == by_order["paid"] + orders["shipping_amount"]).all()
    assert (lines["unit_cost"].to_numpy() == costs.loc[lines["sku_key"]].to_numpy()).all()
    assert (lines["unit_price"] > 0).all() and (lines["quantity"] >= 1).all()
    assert (orders["discount_amount"] >= 0).all() and (orders["discount_amount"] > 0).any()
    assert orders["number"].is_unique


def test_about_five_percent_never_pay_and_statuses_follow_payment(frames):
    orders = frames.orders
    unpaid = orders["paid_at"].isna()

    assert 0.02 <= unpaid.mean() <= 0.09
    assert set(orders.loc[unpaid, "status"]) <= {"created", "cancelled"}
    assert set(orders.loc[~unpaid, "status"]) <= {"paid", "shipped", "completed", "refunded"}
    assert (orders.loc[~unpaid, "paid_at"] >= orders.loc[~unpaid, "created_at"]).all()


def test_deposit_presales_are_taken_in_pre_heat_and_paid_on_the_first_burst_day(frames):
    time_zone = frames.spec.time_zone
    presale = frames.orders[frames.orders["is_presale"]]

    assert len(presale) >= 1
    created = _local_day(presale["created_at"], time_zone)
    assert created.between(datetime.date(2025, 10, 20), datetime.date(2025, 10, 31)).all()
    assert (presale["deposit_amount"] == 5000).all()
    assert (presale["deposit_paid_at"] >= presale["created_at"]).all()
    paid = presale[presale["paid_at"].notna()]
    assert (_local_day(paid["paid_at"], time_zone) == datetime.date(2025, 11, 1)).all()
    regular = frames.orders[~frames.orders["is_presale"]]
    assert regular["deposit_amount"].isna().all() and regular["deposit_paid_at"].isna().all()


def test_some_orders_are_paid_just_after_midnight_of_the_day_they_were_created(frames):
    paid = _paid(frames)
    time_zone = frames.spec.time_zone
    created = paid["created_at"].dt.tz_convert(time_zone)
    paid_at = paid["paid_at"].dt.tz_convert(time_zone)
    after_midnight = (
        (paid_at.dt.date == created.dt.date + datetime.timedelta(days=1))
        & (paid_at.dt.hour == 0)
        & (paid_at.dt.minute < 15)
        & (created.dt.hour == 23)
        & ~paid["is_presale"]
    )

    assert after_midnight.sum() >= 2


def test_double_11_is_the_biggest_day_and_its_first_hour_is_strong(frames):
    paid = _paid(frames)
    time_zone = frames.spec.time_zone
    gmv = paid.groupby(_local_day(paid["paid_at"], time_zone))["paid_amount"].sum()
    double_11 = paid[_local_day(paid["paid_at"], time_zone) == datetime.date(2025, 11, 11)]
    first_hour = double_11["paid_at"].dt.tz_convert(time_zone).dt.hour == 0

    assert gmv.idxmax() == datetime.date(2025, 11, 11)
    assert gmv.max() >= 3 * gmv.median()
    assert first_hour.mean() >= 0.15


def test_the_campaign_channel_grows_during_the_festival(frames):
    orders = frames.orders
    day = _local_day(orders["created_at"], frames.spec.time_zone)
    burst = day.between(datetime.date(2025, 11, 1), datetime.date(2025, 11, 11))
    campaign = orders["channel"] == "campaign"

    assert campaign[burst].mean() > 2 * campaign[day < datetime.date(2025, 10, 20)].mean()


def test_repeat_buying_is_long_tailed(frames):
    per_buyer = _paid(frames).groupby("customer_key").size()

    assert (per_buyer == 1).mean() > 0.6
    assert (per_buyer >= 3).sum() >= 1


# --- refunds ----------------------------------------------------------------------------------


def test_refunds_come_after_payment_and_never_exceed_the_paid_amount(frames):
    orders = frames.orders.set_index("key")
    refunds = frames.refunds
    paid_at = orders.loc[refunds["order_key"], "paid_at"].to_numpy()
    lag = refunds["refunded_at"].to_numpy() - paid_at
    total = refunds.groupby("order_key")["amount"].sum()
    end = pd.Timestamp(END + datetime.timedelta(days=1)).tz_localize(frames.spec.time_zone)

    assert len(refunds) >= 1
    assert (lag > pd.Timedelta(days=1) - pd.Timedelta(hours=1)).all()  # a DST day has 23 hours
    assert (lag <= pd.Timedelta(days=14)).all()
    assert (refunds["refunded_at"] < end).all()
    assert (refunds["amount"] > 0).all()
    assert (total <= orders.loc[total.index, "paid_amount"]).all()
    assert refunds["number"].is_unique
    fully = total.index[total == orders.loc[total.index, "paid_amount"]]
    assert set(orders.index[orders["status"] == "refunded"]) == set(fully)
    assert (refunds["amount"] < orders.loc[refunds["order_key"], "paid_amount"].to_numpy()).any()


# --- customers and members --------------------------------------------------------------------


def test_points_and_member_levels_follow_paid_orders_minus_refunds(frames):
    customers = frames.customers.set_index("key")
    paid = _paid(frames).groupby("customer_key")["paid_amount"].sum()
    refund_customer = frames.orders.set_index("key").loc[
        frames.refunds["order_key"], "customer_key"
    ]
    refunded = frames.refunds.groupby(refund_customer.to_numpy())["amount"].sum()
    net = paid.reindex(customers.index, fill_value=0) - refunded.reindex(
        customers.index, fill_value=0
    )
    thresholds = frames.member_levels.set_index("key")["min_spend"]

    assert list(frames.member_levels["code"]) == ["V1", "V2", "V3", "V4"]
    assert list(thresholds) == [0, 50000, 200000, 500000]
    assert (customers["points"] == net // 100).all()
    level = customers["member_level_key"].to_numpy()
    next_floor = np.append(thresholds.to_numpy()[1:], np.iinfo(np.int64).max)
    assert (thresholds.to_numpy()[level] <= net.to_numpy()).all()
    assert (net.to_numpy() < next_floor[level]).all()
    assert level.max() >= 1  # somebody spent enough for V2
    latest = frames.level_changes.sort_values("day").groupby("customer_key")["level_key"].last()
    assert (latest == customers.loc[latest.index, "member_level_key"]).all()


def test_customers_register_before_their_first_order_and_look_like_people(frames):
    customers = frames.customers.set_index("key")
    first = frames.orders.groupby("customer_key")["created_at"].min()
    first_day = _local_day(first, frames.spec.time_zone)

    assert (pd.to_datetime(customers.loc[first.index, "registered_on"]).dt.date <= first_day).all()
    assert customers["external_id"].is_unique
    assert set(customers["gender"]) == {"female", "male", "unknown"}
    assert customers["region"].nunique() >= 10
    assert "广东" in customers["region"].value_counts().index[:3]
    assert 0.2 <= customers["birthday"].notna().mean() <= 0.6
    assert len(customers) > len(first)  # a few registered prospects never ordered


# --- behaviour events -------------------------------------------------------------------------


def _buyer_events(frames, event_type: str) -> pd.DataFrame:
    events = frames.events[
        frames.events["customer_key"].notna() & (frames.events["event_type"] == event_type)
    ]
    return events.astype({"customer_key": np.int64}).sort_values("occurred_at")


def test_every_order_line_has_its_funnel_path_under_the_buyers_visitor_id(frames):
    orders = frames.orders.set_index("key")
    lines = frames.lines.assign(
        customer_key=orders.loc[frames.lines["order_key"], "customer_key"].to_numpy(),
        created_at=orders.loc[frames.lines["order_key"], "created_at"].to_numpy(),
        paid_at=orders.loc[frames.lines["order_key"], "paid_at"].to_numpy(),
        channel=orders.loc[frames.lines["order_key"], "channel"].to_numpy(),
    ).sort_values("created_at")
    by = ["customer_key", "sku_key"]

    # The latest cart before the order, the latest view before that cart, the order event at
    # created_at and (if paid) the pay event at paid_at: same visitor, SKU and channel.
    path = pd.merge_asof(
        lines,
        _buyer_events(frames, "add_to_cart")[[*by, "occurred_at", "visitor_id", "channel"]]
        .rename(columns={"occurred_at": "cart_at", "channel": "cart_channel"})
        .assign(cart_time=lambda f: f["cart_at"]),
        left_on="created_at",
        right_on="cart_at",
        by=by,
    ).sort_values("cart_time")
    path = pd.merge_asof(
        path,
        _buyer_events(frames, "view")[[*by, "occurred_at", "visitor_id"]].rename(
            columns={"occurred_at": "view_at", "visitor_id": "view_visitor"}
        ),
        left_on="cart_time",
        right_on="view_at",
        by=by,
    )
    order_events = _buyer_events(frames, "order").set_index([*by, "occurred_at"])
    pay_events = _buyer_events(frames, "pay").set_index([*by, "occurred_at"])
    paid = path[path["paid_at"].notna()]

    assert path["cart_at"].notna().all() and path["view_at"].notna().all()
    assert (path["view_at"] <= path["cart_at"]).all() and (
        path["cart_at"] <= path["created_at"]
    ).all()
    assert (path["visitor_id"] == path["view_visitor"]).all()
    assert (path["cart_channel"] == path["channel"]).all()
    order_keys = pd.MultiIndex.from_frame(path[[*by, "created_at"]])
    assert order_keys.isin(order_events.index).all()
    pay_keys = pd.MultiIndex.from_frame(paid[[*by, "paid_at"]])
    assert pay_keys.isin(pay_events.index).all()
    assert (paid["created_at"] <= paid["paid_at"]).all()
    visitors = frames.events[frames.events["customer_key"].notna()]
    assert (visitors.groupby("customer_key")["visitor_id"].nunique() == 1).all()
    assert visitors.groupby("visitor_id")["customer_key"].nunique().max() == 1


def test_order_and_pay_events_match_the_orders_one_per_line(frames):
    orders = frames.orders.set_index("key")
    lines = frames.lines
    paid_line = orders.loc[lines["order_key"], "paid_at"].notna().to_numpy()
    order_events = _buyer_events(frames, "order")
    pay_events = _buyer_events(frames, "pay")

    assert len(order_events) == len(lines)
    assert len(pay_events) == paid_line.sum()
    expected = orders.loc[lines["order_key"]]
    assert sorted(zip(order_events["occurred_at"], order_events["channel"], strict=True)) == sorted(
        zip(expected["created_at"], expected["channel"], strict=True)
    )
    assert frames.events["occurred_at"].is_monotonic_increasing


def test_unpaid_orders_have_no_pay_event(frames):
    orders = frames.orders
    only_unpaid = set(orders["customer_key"]) - set(_paid(frames)["customer_key"])
    events = frames.events

    assert only_unpaid
    never_paying = events[events["customer_key"].isin(only_unpaid)]
    assert set(never_paying["event_type"]) == {"view", "add_to_cart", "order"}


def test_conversion_is_a_few_percent_and_weekly_uv_is_not_the_sum_of_daily_uv(frames):
    time_zone = frames.spec.time_zone
    events = frames.events.assign(day=_local_day(frames.events["occurred_at"], time_zone))
    paid = _paid(frames)
    buyers = paid.groupby(_local_day(paid["paid_at"], time_zone))["customer_key"].nunique()
    uv = events.groupby("day")["visitor_id"].nunique()
    conversion = (buyers / uv).dropna()
    busy = buyers[buyers >= 5].index
    week = pd.to_datetime(events["day"]).dt.to_period("W")
    weekly = events.groupby(week)["visitor_id"].nunique()

    assert conversion.loc[busy].between(0.01, 0.08).all()
    assert 0.02 <= conversion.mean() <= 0.05
    for period in weekly.index:
        in_week = events[week == period]
        assert weekly[period] < in_week.groupby("day")["visitor_id"].nunique().sum()
    assert len(weekly) >= 8
    carts = events[(events["event_type"] == "add_to_cart") & events["customer_key"].isna()]
    assert len(carts) > 0  # abandoned carts of anonymous visitors
    assert (
        frames.events["occurred_at"]
        >= pd.Timestamp(END - datetime.timedelta(days=DAYS - 1)).tz_localize(time_zone)
    ).all()


# --- ad spend ---------------------------------------------------------------------------------


def test_paid_channels_have_different_rois_and_one_is_below_1(frames):
    paid = _paid(frames)
    spend = frames.ad_spend.groupby("channel")["spend"].sum()
    gmv = paid.groupby("channel")["paid_amount"].sum()
    roi = (gmv.reindex(spend.index) / spend).round(2)

    assert set(spend.index) == {"paid_search", "paid_feed", "content"}
    assert roi["paid_feed"] < 1
    assert roi["paid_search"] > 2
    assert 1 < roi["content"] < 2
    assert (frames.ad_spend["impressions"] >= frames.ad_spend["clicks"]).all()
    assert (frames.ad_spend["spend"] > 0).all()
    assert len(frames.ad_spend) == 3 * DAYS


# --- campaigns --------------------------------------------------------------------------------


def test_campaigns_cover_past_festivals_and_plan_the_next_ones(frames):
    campaigns = frames.campaigns.set_index("name")
    double_11 = campaigns.loc["2025 双11全球狂欢节"]
    upcoming = frames.campaigns[pd.to_datetime(frames.campaigns["burst_start"]).dt.date > END]
    mechanics = frames.mechanics[frames.mechanics["campaign_key"] == double_11["key"]]
    lineup = frames.lineup_items[frames.lineup_items["campaign_key"] == double_11["key"]]

    assert pd.Timestamp(double_11["preheat_start"]).date() == datetime.date(2025, 10, 20)
    assert pd.Timestamp(double_11["burst_start"]).date() == datetime.date(2025, 11, 1)
    assert pd.Timestamp(double_11["burst_end"]).date() == datetime.date(2025, 11, 11)
    assert pd.Timestamp(double_11["wrapup_end"]).date() == datetime.date(2025, 11, 14)
    assert pd.Timestamp(double_11["preparation_start"]).date() == datetime.date(2025, 9, 17)
    assert double_11["gmv_target"] > 0 and 0 < double_11["ad_budget"] < double_11["gmv_target"]
    assert set(mechanics["kind"]) == {"full_reduction", "coupon", "deposit"}
    assert "满300减50" in set(mechanics["description"]) or "跨店满300减50" in set(
        mechanics["description"]
    )
    assert len(lineup) >= 5 and (lineup["planned_units"] >= 10).all()
    assert set(upcoming["kind"]) >= {"double_12", "new_year", "queens_day"}
    assert "member_day" in set(frames.campaigns["kind"])
    for column in ("preparation_start", "preheat_start", "burst_start", "burst_end"):
        following = {"preparation_start": "preheat_start", "preheat_start": "burst_start"}.get(
            column, "wrapup_end"
        )
        assert (frames.campaigns[column] <= frames.campaigns[following]).all()


# --- the command and the database -------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_writes_exactly_the_generated_frames():
    expected = store_generate(store_specs(1)[0], end=END, days=21, seed=42, orders_per_day=4)

    output = _seed()

    store = Store.objects.get()
    assert (store.slug, store.name, store.platform, store.time_zone) == (
        "demo-tmall",
        "示例天猫旗舰店",
        "tmall",
        "Asia/Shanghai",
    )
    counts = {
        Category: "categories",
        Sku: "skus",
        PriceChange: "price_changes",
        BannedTerm: "banned_terms",
        MemberLevel: "member_levels",
        Customer: "customers",
        MemberLevelChange: "level_changes",
        Order: "orders",
        OrderLine: "lines",
        Refund: "refunds",
        BehaviourEvent: "events",
        AdSpend: "ad_spend",
        Campaign: "campaigns",
        LineupItem: "lineup_items",
        Mechanic: "mechanics",
    }
    for model, name in counts.items():
        assert model.objects.filter(store=store).count() == len(getattr(expected, name)), name
    orders = pd.DataFrame(
        Order.objects.order_by("id").values_list(
            "number", "created_at", "paid_at", "status", "paid_amount"
        ),
        columns=["number", "created_at", "paid_at", "status", "paid_amount"],
    )
    assert list(orders["number"]) == list(expected.orders["number"])
    assert list(orders["created_at"]) == list(expected.orders["created_at"])
    assert list(orders["paid_at"].isna()) == list(expected.orders["paid_at"].isna())
    assert list(orders["status"]) == list(expected.orders["status"])
    assert list(orders["paid_amount"]) == [Decimal(c) / 100 for c in expected.orders["paid_amount"]]
    lines = OrderLine.objects.select_related("order", "sku").order_by("id")
    assert [(line.order.number, line.sku.code, line.unit_price) for line in lines] == [
        (expected.orders["number"][o], expected.skus["code"][s], Decimal(int(p)) / 100)
        for o, s, p in expected.lines[["order_key", "sku_key", "unit_price"]].itertuples(
            index=False
        )
    ]
    sku = Sku.objects.get(code=expected.skus["code"][0])
    assert (sku.price, sku.cost, sku.stock) == (
        Decimal(int(expected.skus["price"][0])) / 100,
        Decimal(int(expected.skus["cost"][0])) / 100,
        expected.skus["stock"][0],
    )
    assert sku.created_at == expected.skus["created_at"][0]
    campaigns = Campaign.objects.order_by("id").values_list("name", "baseline__name", "channels")
    names = list(expected.campaigns["name"])
    assert list(campaigns) == [
        (name, None if pd.isna(base) else names[base], channels)
        for name, base, channels in expected.campaigns[
            ["name", "baseline_key", "channels"]
        ].itertuples(index=False)
    ]
    assert Customer.objects.filter(member_level__isnull=True).count() == 0
    assert "demo-tmall" in output and "http://127.0.0.1:8000/" in output and DEMO_PASSWORD in output


@pytest.mark.django_db
def test_seeding_again_after_deleting_gives_identical_rows():
    def snapshot() -> dict[str, list]:
        return {
            "orders": list(
                Order.objects.order_by("id").values_list(
                    "id",
                    "number",
                    "customer_id",
                    "created_at",
                    "paid_at",
                    "paid_amount",
                    "discount_amount",
                    "status",
                    "channel",
                )
            ),
            "lines": list(
                OrderLine.objects.order_by("id").values_list(
                    "id", "order_id", "sku_id", "quantity", "unit_price", "unit_cost"
                )
            ),
            "events": list(
                BehaviourEvent.objects.order_by("id").values_list(
                    "id",
                    "visitor_id",
                    "customer_id",
                    "event_type",
                    "sku_id",
                    "channel",
                    "occurred_at",
                )
            ),
            "refunds": list(
                Refund.objects.order_by("id").values_list(
                    "id", "number", "order_id", "amount", "refunded_at"
                )
            ),
            "customers": list(
                Customer.objects.order_by("id").values_list(
                    "id", "external_id", "name", "registered_on", "points", "member_level__code"
                )
            ),
            "spend": list(
                AdSpend.objects.order_by("id").values_list(
                    "channel", "day", "spend", "clicks", "impressions"
                )
            ),
        }

    _seed(days=14)
    first = snapshot()
    _delete_all_demo_rows()
    _seed(days=14)

    assert snapshot() == first
    assert len(first["events"]) > 100


@pytest.mark.django_db
def test_if_empty_does_nothing_when_a_store_exists():
    StoreFactory(slug="tea-house")

    output = _seed(if_empty=True)

    assert "nothing was seeded" in output
    assert list(Store.objects.values_list("slug", flat=True)) == ["tea-house"]
    assert Order.objects.count() == 0
    assert not get_user_model().objects.filter(username=DEMO_USERNAME).exists()


@pytest.mark.django_db
def test_an_existing_demo_slug_is_a_command_error_and_nothing_is_written():
    StoreFactory(slug="demo-douyin", name="Somebody's shop")

    with pytest.raises(CommandError, match="demo-douyin"):
        _seed(stores=2)

    assert list(Store.objects.values_list("slug", flat=True)) == ["demo-douyin"]
    assert Order.objects.count() == 0 and Sku.objects.count() == 0
    assert not get_user_model().objects.filter(username=DEMO_USERNAME).exists()


@pytest.mark.django_db
def test_a_slug_taken_while_seeding_is_a_command_error(monkeypatch):
    from opsdesk.management.commands import seed_demo

    StoreFactory(slug="demo-tmall", name="Raced in")
    monkeypatch.setattr(seed_demo, "demo_slugs_taken", lambda slugs: [])  # lost the race

    with pytest.raises(CommandError, match="nothing of it was kept"):
        _seed()

    assert list(Store.objects.values_list("name", flat=True)) == ["Raced in"]
    assert Order.objects.count() == 0 and Customer.objects.count() == 0


@pytest.mark.django_db
def test_a_failure_while_writing_leaves_nothing_of_that_store(monkeypatch):
    from opsdesk.demo import write

    original = write._insert

    def failing(model, frame, **kwargs):
        if model is BehaviourEvent:
            raise RuntimeError("disk full")
        return original(model, frame, **kwargs)

    monkeypatch.setattr(write, "_insert", failing)

    with pytest.raises(RuntimeError, match="disk full"):
        _seed()

    assert Store.objects.count() == 0
    assert Order.objects.count() == 0 and Customer.objects.count() == 0 and Sku.objects.count() == 0


@pytest.mark.django_db
def test_the_demo_login_is_an_admin_of_every_seeded_store():
    _seed(stores=2, days=7)

    user = authenticate(username=DEMO_USERNAME, password=DEMO_PASSWORD)
    assert user is not None
    assert user.is_staff and not user.is_superuser
    memberships = Membership.objects.filter(user=user).order_by("store__slug")
    assert [(m.store.slug, m.role) for m in memberships] == [
        ("demo-douyin", Role.ADMIN),
        ("demo-tmall", Role.ADMIN),
    ]
    douyin = Store.objects.get(slug="demo-douyin")
    assert (douyin.name, douyin.platform) == ("示例抖音小店", "douyin")
    assert Order.objects.filter(store=douyin).count() < Order.objects.exclude(store=douyin).count()


@pytest.mark.django_db
def test_ids_continue_after_existing_rows_and_the_orm_can_insert_afterwards():
    existing = OrderLineFactory()

    _seed(days=7)

    seeded = Order.objects.exclude(store=existing.store)
    assert seeded.aggregate(first=Min("id"))["first"] == existing.order.pk + 1
    assert OrderLine.objects.get(pk=existing.pk).order == existing.order
    later = OrderFactory(store=existing.store)
    event = BehaviourEventFactory(store=existing.store)
    assert later.pk == seeded.aggregate(last=Max("id"))["last"] + 1
    assert (
        event.pk
        == BehaviourEvent.objects.exclude(pk=event.pk).aggregate(last=Max("id"))["last"] + 1
    )
