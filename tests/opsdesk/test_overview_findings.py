"""The overview names the store's open Advertising-Law findings and the age of the oldest
against the 24-hour rule (DOMAIN.md, "Content compliance"), counted from this store's rows
only (catalog.compliance.open_findings_summary)."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.compliance import open_findings_summary
from catalog.models import ComplianceFinding
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC)


def finding(store, *, hours_ago: float, resolved: bool = False, position: int = 0):
    sku = SkuFactory(store=store)
    return ComplianceFinding.objects.create(
        store=store,
        sku=sku,
        field=ComplianceFinding.Field.TITLE,
        term="最佳",
        position=position,
        first_seen_at=NOW - datetime.timedelta(hours=hours_ago),
        resolved_at=NOW if resolved else None,
    )


def test_summary_counts_open_findings_overdue_ones_and_the_oldest(store, other_store):
    # Open: 30 h (past the rule), 25 h (past), 2 h; resolved 50 h ago: not open; the other
    # store's 99 h finding is not ours. Oldest open = 30 h, 2 of 3 past 24 h.
    finding(store, hours_ago=30)
    finding(store, hours_ago=25)
    finding(store, hours_ago=2)
    finding(store, hours_ago=50, resolved=True)
    finding(other_store, hours_ago=99)

    summary = open_findings_summary(store=store, now=NOW)

    assert summary.count == 3
    assert summary.overdue == 2
    assert summary.oldest_age == datetime.timedelta(hours=30)
    assert summary.oldest_hours == 30


def test_a_finding_exactly_24_hours_old_is_not_yet_past_the_rule(store):
    finding(store, hours_ago=24)
    summary = open_findings_summary(store=store, now=NOW)
    assert (summary.count, summary.overdue) == (1, 0)


def test_no_open_finding_has_no_age(store, other_store):
    finding(store, hours_ago=40, resolved=True)
    finding(other_store, hours_ago=40)
    summary = open_findings_summary(store=store, now=NOW)
    assert (summary.count, summary.overdue, summary.oldest_age) == (0, 0, None)


def test_overview_shows_the_findings_and_links_to_them(operator_client, store, other_store):
    now = timezone.now()
    for hours in (30, 3):
        sku = SkuFactory(store=store)
        ComplianceFinding.objects.create(
            store=store,
            sku=sku,
            field=ComplianceFinding.Field.TITLE,
            term="第一",
            position=0,
            first_seen_at=now - datetime.timedelta(hours=hours, minutes=10),
        )
    finding(other_store, hours_ago=500)

    response = operator_client.get(reverse("overview"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    section = re.search(r'data-testid="compliance-findings".*?</section>', html, re.S).group(0)
    text = " ".join(re.sub(r"<[^>]+>", " ", section).split())
    assert "2 open findings; the oldest open for 30 h." in text
    assert "1 is past the 24-hour rule." in text
    assert reverse("compliance") in section
    assert "500" not in text  # the other store's finding


def test_overview_without_findings_says_so_in_chinese(operator_client, store):
    response = operator_client.get(reverse("overview"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    section = re.search(r'data-testid="compliance-findings".*?</section>', html, re.S).group(0)
    assert "没有未处理问题" in section
    assert "row-flagged" not in section
