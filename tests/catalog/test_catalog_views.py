"""Catalog pages: product matrix, SKU health, compliance, price change.

Roles (analyst is read-only), store isolation (another store's rows are absent, their ids are
404s) and query counts.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import DailySkuMetrics
from catalog.models import (
    BannedTerm,
    ComplianceFinding,
    PriceChange,
    ProductRole,
    RoleSuggestionDecision,
    SkuStatus,
)
from opsdesk.models import AuditEntry
from opsdesk.roles import Role
from tests.catalog.test_matrix import metrics
from tests.factories import BannedTermFactory, OrderFactory, OrderLineFactory, SkuFactory

PAGES = ["product_matrix", "sku_health", "compliance"]
LONG_AGO = datetime.date(2025, 1, 6)


@pytest.fixture
def analyst_client(client, store, make_member):
    client.force_login(make_member(store, Role.ANALYST))
    return client


def stale_sku(store, code, **kwargs):
    """On shelf since long ago, stock 100, nothing sold: sell-through 0, a delisting candidate."""
    return SkuFactory(store=store, code=code, listed_on=LONG_AGO, stock=100, **kwargs)


def finding(sku, term="最佳", position=0):
    return ComplianceFinding.objects.create(
        store=sku.store,
        sku=sku,
        field="title",
        term=term,
        position=position,
        first_seen_at=timezone.now() - datetime.timedelta(hours=30),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_pages_render_for_an_analyst(analyst_client, store, name):
    stale_sku(store, "MINE")

    response = analyst_client.get(reverse(name))

    assert response.status_code == 200
    # Read-only: no write forms on the page.
    assert b'name="csrfmiddlewaretoken"' not in response.content.split(b"<main")[1]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_pages_show_only_the_current_stores_skus(operator_client, store, other_store, name):
    mine = stale_sku(store, "MINE-1", title="最佳 本店")
    theirs = stale_sku(other_store, "THEIRS-1", title="最佳 别店")
    finding(mine)
    finding(theirs)

    content = operator_client.get(reverse(name)).content.decode()

    assert "MINE-1" in content
    assert "THEIRS-1" not in content


@pytest.mark.django_db
def test_pages_need_a_login(client):
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_health_page_lists_candidates_with_a_delist_form(operator_client, store):
    stale_sku(store, "STALE")
    sku = SkuFactory(store=store, code="FRESH", listed_on=LONG_AGO, stock=10)
    yesterday = timezone.localdate(timezone=store.zone) - datetime.timedelta(days=1)
    DailySkuMetrics.objects.create(
        store=store, sku=sku, day=yesterday, units=10, computed_at=timezone.now()
    )

    response = operator_client.get(reverse("sku_health"))

    candidates = [row.code for row in response.context["result"].delisting_candidates]
    assert candidates == ["STALE"]
    assert reverse("sku_delist") in response.content.decode()


@pytest.mark.django_db
def test_operator_delists_in_bulk_and_it_is_recorded(operator_client, store):
    first, second, kept = (stale_sku(store, code) for code in ("A", "B", "C"))

    response = operator_client.post(reverse("sku_delist"), {"sku": [first.pk, second.pk]})

    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    kept.refresh_from_db()
    assert (first.status, second.status, kept.status) == (
        SkuStatus.DELISTED,
        SkuStatus.DELISTED,
        SkuStatus.ON_SHELF,
    )
    entry = AuditEntry.objects.get(action="sku.delist")
    assert [row["code"] for row in entry.changes["skus"]] == ["A", "B"]


@pytest.mark.django_db
def test_analyst_cannot_delist(analyst_client, store):
    sku = stale_sku(store, "A")

    response = analyst_client.post(reverse("sku_delist"), {"sku": [sku.pk]})

    assert response.status_code == 403
    sku.refresh_from_db()
    assert sku.status == SkuStatus.ON_SHELF
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_delisting_another_stores_sku_is_404_and_writes_nothing(
    operator_client, store, other_store
):
    mine = stale_sku(store, "MINE")
    theirs = stale_sku(other_store, "THEIRS")

    response = operator_client.post(reverse("sku_delist"), {"sku": [mine.pk, theirs.pk]})

    assert response.status_code == 404
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (SkuStatus.ON_SHELF, SkuStatus.ON_SHELF)
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_apply_replacement(operator_client, store):
    BannedTermFactory(store=store, term="最佳", replacement="优选")
    sku = SkuFactory(store=store, title="最佳绿茶")
    row = finding(sku)

    response = operator_client.post(reverse("finding_apply", args=[row.pk]))

    assert response.status_code == 302
    sku.refresh_from_db()
    row.refresh_from_db()
    assert sku.title == "优选绿茶"
    assert row.resolved_at is not None


@pytest.mark.django_db
def test_analyst_cannot_apply_a_replacement(analyst_client, store):
    BannedTermFactory(store=store, term="最佳", replacement="优选")
    sku = SkuFactory(store=store, title="最佳绿茶")
    row = finding(sku)

    response = analyst_client.post(reverse("finding_apply", args=[row.pk]))

    assert response.status_code == 403
    sku.refresh_from_db()
    assert sku.title == "最佳绿茶"
    assert ComplianceFinding.objects.get(pk=row.pk).resolved_at is None


@pytest.mark.django_db
def test_applying_another_stores_finding_is_404(operator_client, other_store):
    BannedTermFactory(store=other_store, term="最佳", replacement="优选")
    sku = SkuFactory(store=other_store, title="最佳绿茶")
    row = finding(sku)

    response = operator_client.post(reverse("finding_apply", args=[row.pk]))

    assert response.status_code == 404
    sku.refresh_from_db()
    assert sku.title == "最佳绿茶"


@pytest.mark.django_db
def test_compliance_page_shows_the_oldest_age_against_24_hours(operator_client, store):
    finding(SkuFactory(store=store, title="最佳绿茶"))

    response = operator_client.get(reverse("compliance"))

    assert response.context["report"].oldest_is_overdue
    assert response.context["report"].overdue == 1


@pytest.mark.django_db
def test_term_list_editing_rescans(operator_client, store, django_capture_on_commit_callbacks):
    sku = SkuFactory(store=store, title="全网最低价")

    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            reverse("banned_term_save"), {"term": "全网最低", "replacement": "超值"}
        )

    assert response.status_code == 302
    assert BannedTerm.objects.filter(store=store, term="全网最低").exists()
    assert ComplianceFinding.objects.filter(sku=sku, resolved_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_analyst_cannot_edit_terms(analyst_client, store):
    term = BannedTermFactory(store=store)

    assert analyst_client.post(reverse("banned_term_save"), {"term": "第一"}).status_code == 403
    assert analyst_client.post(reverse("banned_term_delete", args=[term.pk])).status_code == 403
    assert analyst_client.post(reverse("banned_terms_seed")).status_code == 403
    assert list(BannedTerm.objects.values_list("term", flat=True)) == ["最佳"]


def hidden(page: str, name: str) -> str:
    """The value of the hidden input ``name`` of a rendered form."""
    return page.split(f'name="{name}" value="')[1].split('"')[0]


@pytest.mark.django_db
def test_price_cut_with_exposure_needs_confirmation(operator_client, store):
    sku = SkuFactory(store=store, price=Decimal("199.00"))
    order = OrderFactory(store=store)
    OrderLineFactory(order=order, sku=sku, unit_price=Decimal("199.00"), quantity=2)
    url = reverse("sku_price", args=[sku.pk])

    first = operator_client.post(url, {"new_price": "159.00"})

    # (199 - 159) x 2 = 80.00 shown, nothing changed yet.
    assert first.status_code == 200
    assert first.context["exposure"].amount == Decimal("80.00")
    page = first.content.decode()
    assert "¥80.00" in page
    assert 'data-testid="exposure-changed"' not in page
    sku.refresh_from_db()
    assert sku.price == Decimal("199.00")
    assert not PriceChange.objects.exists()
    # Ticking "confirmed" without the exposure's token does not pass.
    blind = operator_client.post(url, {"new_price": "159.00", "confirmed": "on"})
    assert blind.status_code == 200 and not PriceChange.objects.exists()

    second = operator_client.post(
        url, {"new_price": "159.00", "confirmation": hidden(page, "confirmation")}
    )

    assert second.status_code == 302
    sku.refresh_from_db()
    assert sku.price == Decimal("159.00")
    assert PriceChange.objects.get().new_price == Decimal("159.00")


@pytest.mark.django_db
def test_an_order_paid_before_the_confirmation_shows_the_new_exposure(operator_client, store):
    sku = SkuFactory(store=store, code="TEA", price=Decimal("199.00"))
    OrderLineFactory(
        order=OrderFactory(store=store), sku=sku, unit_price=Decimal("199.00"), quantity=2
    )
    url = reverse("sku_price", args=[sku.pk])
    shown = operator_client.post(url, {"new_price": "159.00"}).content.decode()
    # Another buyer pays 3 units at 189.00 while the operator reads: (189 - 159) x 3 = 90.00.
    OrderLineFactory(
        order=OrderFactory(store=store), sku=sku, unit_price=Decimal("189.00"), quantity=3
    )

    refused = operator_client.post(
        url, {"new_price": "159.00", "confirmation": hidden(shown, "confirmation")}
    )

    assert refused.status_code == 200
    sku.refresh_from_db()
    assert sku.price == Decimal("199.00")
    assert not PriceChange.objects.exists()
    assert not AuditEntry.objects.exists()
    page = refused.content.decode()
    assert 'data-testid="exposure-changed"' in page
    # Seen: 1 order, 2 units, 80.00; now 2 orders, 5 units, 80.00 + 90.00 = 170.00.
    assert refused.context["seen"].amount == Decimal("80.00")
    exposure = refused.context["exposure"]
    assert (exposure.orders, exposure.units, exposure.amount) == (2, 5, Decimal("170.00"))
    assert "¥170.00" in page
    fresh = hidden(page, "confirmation")
    assert fresh != hidden(shown, "confirmation")

    confirmed = operator_client.post(url, {"new_price": "159.00", "confirmation": fresh})

    assert confirmed.status_code == 302
    change = PriceChange.objects.get()
    assert (change.old_price, change.new_price) == (Decimal("199.00"), Decimal("159.00"))
    assert "2 orders, 5 units, exposure 170.00" in change.note


@pytest.mark.django_db
def test_analyst_cannot_change_a_price(analyst_client, store):
    sku = SkuFactory(store=store, price=Decimal("199.00"))

    response = analyst_client.post(reverse("sku_price", args=[sku.pk]), {"new_price": "99.00"})

    assert response.status_code == 403
    sku.refresh_from_db()
    assert sku.price == Decimal("199.00")
    assert not PriceChange.objects.exists()


@pytest.mark.django_db
def test_another_stores_sku_price_is_404(operator_client, other_store):
    sku = SkuFactory(store=other_store, price=Decimal("199.00"))
    url = reverse("sku_price", args=[sku.pk])

    assert operator_client.get(url).status_code == 404
    assert operator_client.post(url, {"new_price": "1.00"}).status_code == 404
    sku.refresh_from_db()
    assert sku.price == Decimal("199.00")


@pytest.mark.django_db
def test_role_suggestion_accept_and_isolation(operator_client, store, other_store):
    sku = SkuFactory(store=store, role="")
    theirs = SkuFactory(store=other_store, role="")
    url = reverse("role_suggestion_decision")
    data = {"suggested_role": ProductRole.TRAFFIC, "decision": "accept"}

    assert operator_client.post(url, {**data, "sku": theirs.pk}).status_code == 404
    assert operator_client.post(url, {**data, "sku": sku.pk}).status_code == 302

    sku.refresh_from_db()
    theirs.refresh_from_db()
    assert (sku.role, theirs.role) == (ProductRole.TRAFFIC, "")
    assert RoleSuggestionDecision.objects.get().sku == sku


@pytest.mark.django_db
def test_analyst_cannot_decide_a_role(analyst_client, store):
    sku = SkuFactory(store=store, role="")

    response = analyst_client.post(
        reverse("role_suggestion_decision"),
        {"sku": sku.pk, "suggested_role": ProductRole.TRAFFIC, "decision": "accept"},
    )

    assert response.status_code == 403
    sku.refresh_from_db()
    assert sku.role == ""
    assert not RoleSuggestionDecision.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_page_query_count_does_not_grow_with_skus(
    operator_client, store, name, django_assert_max_num_queries
):
    for number in range(3):
        finding(stale_sku(store, f"S{number}", title="最佳"), position=number)
    operator_client.get(reverse(name))  # warm the session and caches
    with django_assert_max_num_queries(15) as few:
        operator_client.get(reverse(name))
    for number in range(3, 30):
        finding(stale_sku(store, f"S{number}", title="最佳"), position=number)
    with django_assert_max_num_queries(len(few.captured_queries)):
        operator_client.get(reverse(name))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "heading"),
    [("product_matrix", "商品矩阵"), ("sku_health", "动销率"), ("compliance", "广告法极限词")],
)
def test_pages_speak_the_operators_words_in_chinese(operator_client, store, name, heading):
    from django.conf import settings

    stale_sku(store, "A")
    operator_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    page = operator_client.get(reverse(name)).content.decode()

    assert heading in page


@pytest.mark.django_db
def test_health_page_shows_the_last_delisting_review_and_when_one_is_due(
    operator_client, store, monkeypatch
):
    from django.conf import settings

    from catalog.services import sku_delist_bulk
    from opsdesk.audit import Actor

    operator_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    first, second, third = (stale_sku(store, code) for code in ("A", "B", "C"))
    stale_sku(store, "D")  # kept on shelf: still a candidate at the end

    def notice() -> str:
        page = operator_client.get(reverse("sku_health")).content.decode()
        return page.split('id="last-delisting">')[1].split("</p>")[0]

    # Never reviewed, and A..D are candidates: due.
    assert "No SKU has been delisted in bulk yet." in notice()
    assert 'data-testid="review-due"' in notice()

    # 31 days ago (store-local) A and B were delisted: the review is due again for C and D.
    today = timezone.localdate(timezone=store.zone)
    long_ago = timezone.now() - datetime.timedelta(days=31)
    monkeypatch.setattr("catalog.services.timezone.now", lambda: long_ago)
    sku_delist_bulk(store=store, sku_ids=[first.pk, second.pk], actor=Actor(user=None))
    monkeypatch.undo()
    day = (today - datetime.timedelta(days=31)).isoformat()
    assert f"Last review: 2 SKUs delisted on {day} by -." in notice()
    assert "Monthly review due: nothing delisted in the last 30 days" in notice()

    # Today the operator delists C on the page and keeps D: reviewed this month, not due.
    operator_client.post(reverse("sku_delist"), {"sku": [third.pk]})
    assert f"Last review: 1 SKU delisted on {today.isoformat()} by operator." in notice()
    assert 'data-testid="review-due"' not in notice()
    result = operator_client.get(reverse("sku_health")).context["result"]
    assert [row.code for row in result.delisting_candidates] == ["D"]


def _english(client):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def small_matrix(store):
    """Four SKUs, sales yesterday (inside the page's default 30 days):

    | SKU | role     | price  | cost | GMV | profit | views | first orders |
    | T1  | traffic  | 9.90   | 7.90 | 100 | 20     | 10    | 0            |
    | P1  | profit   | 199.00 | 80   | 600 | 300    | 100   | 3            |
    | I1  | image    | 129.00 | 40   | -   | -      | -     | -            |
    | U1  | untagged | 10.00  | 8    | -   | -      | -     | -            |

    Traffic: 1 of 4 SKUs = 25.0%; first orders 0 of 3 = 0.0%; views 10 of 110 = 9.1%.
    Profit margin 300/600 = 50% >= store 320/700 = 45.7%: not flagged. Traffic share 25% is
    5 points off the 30% target: within 10. I1 (¥129) is below the top of the profit band
    (¥199). Prices 9.90, 10, 129, 199 in thirds of ceil(4/3) = 2: lowest third up to ¥10,
    highest from ¥129 -> U1 is suggested as a traffic item; no other SKU (P1 is a profit item
    in the highest third, not a clear mis-tag).
    """
    yesterday = timezone.localdate(timezone=store.zone) - datetime.timedelta(days=1)
    made = {}
    for code, role, price, cost in [
        ("T1", ProductRole.TRAFFIC, "9.90", "7.90"),
        ("P1", ProductRole.PROFIT, "199.00", "80.00"),
        ("I1", ProductRole.IMAGE, "129.00", "40.00"),
        ("U1", "", "10.00", "8.00"),
    ]:
        made[code] = SkuFactory(
            store=store, code=code, role=role, price=Decimal(price), cost=Decimal(cost)
        )
    metrics(made["T1"], 100, 20, 10, 0, day=yesterday)
    metrics(made["P1"], 600, 300, 100, 3, day=yesterday)
    return made


def flag_text(page: str, code: str) -> str:
    return page.split(f'data-flag="{code}">')[1].split("</li>")[0]


@pytest.mark.django_db
def test_matrix_page_shows_each_flag_with_its_numbers(operator_client, small_matrix):
    page = _english(operator_client).get(reverse("product_matrix")).content.decode()

    flags = page.split('id="matrix-flags"')[1].split("</ul>")[0]
    assert flags.count("data-flag=") == 3
    assert (
        flag_text(page, "traffic_few_first_orders")
        == "Traffic items are 25.0% of SKUs but bring only 0.0% of first orders."
    )
    assert (
        flag_text(page, "traffic_few_views")
        == "Traffic items are 25.0% of SKUs but get only 9.1% of views."
    )
    assert flag_text(page, "image_below_profit_band") == (
        "1 image item(s) priced below the top of the profit band (profit items ¥199.00 to "
        '¥199.00). <span class="mono">I1</span>'
    )
    assert 'data-flag="profit_margin_below_average"' not in page
    assert 'data-flag="traffic_share_off_target"' not in page
    suggestions = page.split('id="suggestion-table"')[1].split("</table>")[0]
    assert suggestions.count('name="sku"') == 1
    assert f'name="sku" value="{small_matrix["U1"].pk}"' in suggestions


@pytest.mark.django_db
def test_rejecting_a_suggestion_on_the_page_is_recorded_and_not_offered_again(
    operator_client, operator, small_matrix
):
    u1 = small_matrix["U1"]

    response = operator_client.post(
        reverse("role_suggestion_decision"),
        {"sku": u1.pk, "suggested_role": ProductRole.TRAFFIC, "decision": "reject"},
    )

    assert response.status_code == 302
    u1.refresh_from_db()
    assert u1.role == ""
    decision = RoleSuggestionDecision.objects.get()
    assert (decision.sku, decision.suggested_role, decision.accepted, decision.decided_by) == (
        u1,
        ProductRole.TRAFFIC,
        False,
        operator,
    )
    assert AuditEntry.objects.get(action="sku.role_suggestion_reject").changes == {
        "suggested_role": "traffic"
    }
    page = operator_client.get(reverse("product_matrix")).content.decode()
    suggestions = page.split('id="suggestion-table"')[1].split("</table>")[0]
    assert 'name="sku"' not in suggestions


@pytest.mark.django_db
def test_price_page_lists_the_price_changes_with_who_when_old_and_new(
    operator_client, operator, store
):
    sku = SkuFactory(store=store, price=Decimal("199.00"))
    url = reverse("sku_price", args=[sku.pk])
    operator_client.post(url, {"new_price": "219.00", "note": "cost up"})  # a raise: no exposure
    operator_client.post(url, {"new_price": "209.00"})  # no paid orders: no exposure either

    page = _english(operator_client).get(url).content.decode()

    table = page.split('id="price-change-table"')[1].split("</table>")[0]
    rows = table.split("<tbody>")[1].split("</tr>")[:2]
    changes = list(PriceChange.objects.order_by("-changed_at", "-pk"))
    assert [(c.old_price, c.new_price, c.changed_by) for c in changes] == [
        (Decimal("219.00"), Decimal("209.00"), operator),
        (Decimal("199.00"), Decimal("219.00"), operator),
    ]
    for row, change, old, new in zip(
        rows, changes, ["¥219.00", "¥199.00"], ["¥209.00", "¥219.00"], strict=True
    ):
        when = timezone.localtime(change.changed_at).strftime("%Y-%m-%d %H:%M")
        assert when in row and old in row and new in row
        assert f"<td>{operator.get_username()}</td>" in row
    assert "cost up" in rows[1]


@pytest.mark.django_db
def test_sku_list_links_each_price_to_its_price_change_page(operator_client, store):
    sku = SkuFactory(store=store, code="TEA", price=Decimal("199.00"))

    page = operator_client.get(reverse("sku_list")).content.decode()

    row = page.split('<td class="mono">TEA</td>')[1].split("</tr>")[0]
    assert f'<a href="{reverse("sku_price", args=[sku.pk])}"' in row
    assert "¥199.00</a>" in row


# --- SKU health: the table of every SKU is searchable, sortable, paginated --------------------


def health_table_codes(client, **params) -> list[str]:
    response = client.get(reverse("sku_health"), params)
    assert response.status_code == 200
    return [row.code for row in response.context["page"]]


def sold(sku, units: int) -> None:
    """``units`` sold yesterday (store-local): in the 30-day and 14-day windows."""
    yesterday = timezone.localdate(timezone=sku.store.zone) - datetime.timedelta(days=1)
    DailySkuMetrics.objects.create(
        store=sku.store, sku=sku, day=yesterday, units=units, computed_at=timezone.now()
    )


@pytest.mark.django_db
def test_health_table_sorts_by_a_figure_with_no_value_last(operator_client, store):
    # Sell-through = units / (units + stock): A 1/(1+99) = 1%, B 30/(30+10) = 75%,
    # C 0/(0+100) = 0%, D 0/(0+0) = no value (nothing sold, nothing in stock).
    sold(SkuFactory(store=store, code="A", listed_on=LONG_AGO, stock=99), 1)
    sold(SkuFactory(store=store, code="B", listed_on=LONG_AGO, stock=10), 30)
    stale_sku(store, "C")
    SkuFactory(store=store, code="D", listed_on=LONG_AGO, stock=0)

    assert health_table_codes(operator_client) == ["A", "B", "C", "D"]  # by code
    assert health_table_codes(operator_client, sort="sell_through") == ["C", "A", "B", "D"]
    assert health_table_codes(operator_client, sort="-sell_through") == ["B", "A", "C", "D"]
    assert health_table_codes(operator_client, sort="-stock") == ["C", "A", "B", "D"]


@pytest.mark.django_db
def test_health_table_shows_and_sorts_by_open_findings(operator_client, store):
    clean, one, two = (stale_sku(store, code) for code in ("CLEAN", "ONE", "TWO"))
    finding(one)
    finding(two, position=0)
    finding(two, term="第一", position=3)
    resolved = finding(clean)
    resolved.resolved_at = timezone.now()
    resolved.save()

    response = operator_client.get(reverse("sku_health"), {"sort": "-findings"})

    assert [row.code for row in response.context["page"]] == ["TWO", "ONE", "CLEAN"]
    content = response.content.decode()
    assert f'<a href="{reverse("compliance")}" data-testid="findings-TWO">2</a>' in content
    assert 'data-testid="findings-ONE">1</a>' in content
    assert 'data-testid="findings-CLEAN"' not in content  # the resolved one is not open


@pytest.mark.django_db
def test_health_table_search_matches_code_or_title(operator_client, store):
    stale_sku(store, "TEA-1", title="西湖龙井")
    stale_sku(store, "TEA-2", title="Keemun black")
    stale_sku(store, "CUP-1", title="青瓷杯")

    assert health_table_codes(operator_client, q="tea") == ["TEA-1", "TEA-2"]
    assert health_table_codes(operator_client, q="龙井") == ["TEA-1"]
    assert health_table_codes(operator_client, q="KEEMUN") == ["TEA-2"]
    response = operator_client.get(reverse("sku_health"), {"q": "nothing"})
    assert response.context["page"].paginator.count == 0
    assert response.context["result"].skus  # the figures above the table still count all


@pytest.mark.django_db
def test_health_table_paginates_and_a_bad_sort_is_a_400_sorted_by_code_with_a_message(
    operator_client, store
):
    for number in range(55):
        stale_sku(store, f"S{number:02d}")

    first = operator_client.get(reverse("sku_health"))
    second = operator_client.get(reverse("sku_health"), {"page": 2, "sort": "-code"})
    bad = operator_client.get(reverse("sku_health"), {"sort": "price; drop"})

    assert len(first.context["page"]) == 50
    assert [row.code for row in second.context["page"]] == ["S04", "S03", "S02", "S01", "S00"]
    assert bad.status_code == 400  # like a bad day, the page says what it ignored
    assert [row.code for row in bad.context["page"]][:2] == ["S00", "S01"]
    assert any("排序" in str(message) for message in bad.context["messages"])  # "Ignored Sort"


# --- Product matrix: the shared date-range picker --------------------------------------------


@pytest.mark.django_db
def test_matrix_page_takes_the_pickers_presets_custom_range_and_campaign(operator_client, store):
    from tests.factories import CampaignFactory

    yesterday = timezone.localdate(timezone=store.zone) - datetime.timedelta(days=1)
    campaign = CampaignFactory(store=store)

    def chosen(**params):
        response = operator_client.get(reverse("product_matrix"), params)
        assert response.status_code == 200
        result = response.context["result"]
        return result.start, result.end

    assert chosen() == (yesterday - datetime.timedelta(days=29), yesterday)
    assert chosen(range="yesterday") == (yesterday, yesterday)
    assert chosen(range="last_7") == (yesterday - datetime.timedelta(days=6), yesterday)
    assert chosen(range="last_90") == (yesterday - datetime.timedelta(days=89), yesterday)
    assert chosen(range="custom", start="2026-03-01", end="2026-03-31") == (
        datetime.date(2026, 3, 1),
        datetime.date(2026, 3, 31),
    )
    assert chosen(range="campaign", campaign=campaign.pk) == (
        campaign.preheat_start,
        campaign.wrapup_end,
    )
    page = operator_client.get(reverse("product_matrix")).content.decode()
    assert 'id="range-select"' in page
    assert f'<option value="{campaign.pk}"' in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"range": "fortnight"},
        {"range": "custom", "start": "2026-03-31", "end": "2026-03-01"},
        {"range": "custom", "start": "2026-13-01", "end": "2026-03-01"},
    ],
)
def test_matrix_page_bad_range_is_a_400_with_the_default_range(operator_client, store, params):
    yesterday = timezone.localdate(timezone=store.zone) - datetime.timedelta(days=1)

    response = operator_client.get(reverse("product_matrix"), params)

    assert response.status_code == 400
    assert 'data-testid="range-error"' in response.content.decode()
    assert response.context["result"].start == yesterday - datetime.timedelta(days=29)


@pytest.mark.django_db
def test_matrix_page_metric_names_link_to_the_dictionary(operator_client, store):
    stale_sku(store, "A")

    page = operator_client.get(reverse("product_matrix")).content.decode()

    role_head = page.split('id="role-table"')[1].split("</thead>")[0]
    for key in ("gmv", "gross_profit", "pv"):
        assert f'href="{reverse("metric_dictionary")}#metric-{key}"' in role_head
