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
