"""The metric dictionary: definitions are translated on the page, while the API's field
descriptions (built at import time, English in the OpenAPI schema) stay English whatever
language is active."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from analytics import metrics
from analytics.metrics import METRICS, METRICS_BY_KEY
from tests.factories import MembershipFactory, StoreFactory

ZH = {
    "GMV / UV.": "支付金额 / 访客数。",
    "Paying buyers / UV.": "支付买家数 / 访客数。",
}


@pytest.fixture
def member_client(client, db):
    store = StoreFactory(name="Tea House", slug="tea-house")
    client.force_login(MembershipFactory(store=store, user__username="op").user)
    return client


def definition_cell(page: str, key: str) -> str:
    match = re.search(rf'data-testid="definition-{key}">([^<]*)<', page)
    assert match, f"no definition of {key}"
    return match.group(1)


def test_every_definition_is_plain_english_text_for_the_api():
    # A lazy string would be rendered at the serializers' import in the language active then
    # (zh-hans by default) and put Chinese into the English schema.
    for metric in METRICS:
        assert type(metric.definition) is str, metric.key
        assert metric.definition.isascii(), metric.key
    from analytics.api.serializers import _METRIC_HELP

    with translation.override("zh-hans"):
        assert _METRIC_HELP["uv_value"] == "UV value (UV价值): GMV / UV."


def test_local_definition_follows_the_active_language(monkeypatch):
    monkeypatch.setattr(metrics, "gettext", lambda text: ZH.get(text, text))
    assert METRICS_BY_KEY["uv_value"].local_definition == "支付金额 / 访客数。"
    # The API text is untouched by the translation.
    assert METRICS_BY_KEY["uv_value"].definition == "GMV / UV."


def test_dictionary_page_shows_the_translated_definition_of_every_metric(
    member_client, monkeypatch
):
    seen = []

    def fake_gettext(text):
        seen.append(text)
        return ZH.get(text, text)

    monkeypatch.setattr(metrics, "gettext", fake_gettext)
    member_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = member_client.get(reverse("metric_dictionary")).content.decode()
    assert definition_cell(page, "uv_value") == "支付金额 / 访客数。"
    assert definition_cell(page, "conversion_rate") == "支付买家数 / 访客数。"
    assert 'lang="zh-hans" data-testid="definition-uv_value"' in page
    # Every metric's definition went through the translation, in the registry's order.
    assert seen == [metric.definition for metric in METRICS]


def test_dictionary_page_in_english_shows_the_english_definitions(member_client):
    member_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = member_client.get(reverse("metric_dictionary")).content.decode()
    assert definition_cell(page, "uv_value") == "GMV / UV."
    assert definition_cell(page, "refund_rate") == "Refund amount / GMV of the same period."


def dictionary_links(html: str) -> set[str]:
    return set(re.findall(rf'href="{reverse("metric_dictionary")}#metric-([a-z_]+)"', html))


def test_metric_names_on_the_pages_link_to_their_definitions(client, db):
    """Every metric named on the overview, traffic, matrix, campaign monitor and review
    pages links to its dictionary entry, and every link points at an entry that exists."""
    import datetime

    from analytics.rollups.services import rollup_range
    from tests.analytics.handworked import D1, D2, D3, build_shop
    from tests.factories import CampaignFactory

    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    day = datetime.timedelta(days=1)
    campaign = CampaignFactory(
        store=shop.a,
        preparation_start=D1 - 40 * day,
        preheat_start=D1 - 10 * day,
        burst_start=D2,
        burst_end=D2,
        wrapup_end=D3,
    )
    client.force_login(MembershipFactory(store=shop.a, user__username="op").user)
    whole = {"range": "custom", "start": D1.isoformat(), "end": D3.isoformat()}
    expected = {
        reverse("overview"): {"gmv", "uv", "conversion_rate", "roi", "ad_spend"},
        reverse("traffic"): {"gmv", "uv", "conversion_rate"},
        reverse("product_matrix"): {"gmv", "gross_profit", "pv"},
        reverse("campaign_monitor", args=[campaign.pk]): {"gmv", "uv", "conversion_rate"},
        reverse("campaign_review", args=[campaign.pk]): {
            "gmv",
            "uv",
            "conversion_rate",
            "spend_per_buyer",
            "new_buyer_share",
            "roi",
        },
    }

    for path, keys in expected.items():
        response = client.get(path, whole if "campaigns" not in path else {})
        assert response.status_code == 200, path
        links = dictionary_links(response.content.decode())
        assert keys <= links, (path, keys - links)
        assert links <= set(METRICS_BY_KEY), (path, links - set(METRICS_BY_KEY))
