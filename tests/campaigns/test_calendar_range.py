"""The campaign calendar's date-range picker: without a choice the timeline shows the last 60
days and every coming campaign; a preset, a campaign's window or a custom range (past or
coming) narrows the timeline, its festivals and its overlaps to that range; a bad choice is a
400 with the picker's message."""

import datetime
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from tests.campaigns.test_views import campaign
from tests.factories import MembershipFactory, StoreFactory

DAY = datetime.timedelta(days=1)


@pytest.fixture
def store(db):
    return StoreFactory(name="Tea House", slug="tea-house", time_zone="Asia/Shanghai")


@pytest.fixture
def today(store):
    return timezone.localdate(timezone=store.zone)


@pytest.fixture
def calendar(client, store, today):
    """Double 11 two years ago, one 40 days ago, two overlapping coming ones."""
    campaign(store, "Double 11 two years ago", datetime.date(today.year - 2, 11, 11))
    campaign(store, "Spring sale", today - 40 * DAY)
    campaign(store, "Autumn sale", today + 10 * DAY)
    campaign(store, "Member day", today + 12 * DAY)
    foreign = StoreFactory(name="Other Shop", slug="other-shop")
    campaign(foreign, "Foreign sale", datetime.date(today.year - 2, 11, 11))
    client.force_login(MembershipFactory(store=store, user__username="op").user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def timeline(response) -> list[str]:
    table = response.content.decode().split('id="timeline-table"')[1].split("</table>")[0]
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', table)


def test_without_a_choice_the_timeline_is_the_last_60_days_and_what_comes(calendar, today):
    response = calendar.get(reverse("campaign_list"))

    assert response.status_code == 200
    assert timeline(response) == ["Spring sale", "Autumn sale", "Member day"]
    assert 'data-testid="calendar-window"' in response.content.decode()
    # the picker offers the presets with nothing chosen yet
    assert (
        '<select id="range-select" name="range">\n      <option value="" selected>-</option>'
        in (response.content.decode())
    )
    assert calendar.get(reverse("campaign_list"), {"range": ""}).status_code == 200


def test_a_custom_range_in_the_past_shows_that_periods_campaigns_and_festivals(calendar, today):
    start = datetime.date(today.year - 2, 10, 1)
    end = datetime.date(today.year - 2, 11, 30)

    response = calendar.get(
        reverse("campaign_list"),
        {"range": "custom", "start": start.isoformat(), "end": end.isoformat()},
    )

    assert response.status_code == 200
    assert timeline(response) == ["Double 11 two years ago"]
    assert "Foreign sale" not in response.content.decode()
    page = response.content.decode()
    assert f"{start.year}-11-11" in page.split('id="timeline-chart-data"')[1].split("</script>")[0]
    assert 'data-testid="calendar-window"' not in page


def test_a_campaign_window_shows_it_and_the_campaigns_overlapping_it(calendar, store, today):
    autumn = Campaign.objects.get(store=store, name="Autumn sale")

    response = calendar.get(reverse("campaign_list"), {"range": "campaign", "campaign": autumn.pk})

    assert timeline(response) == ["Autumn sale", "Member day"]
    assert "Autumn sale and Member day overlap" in response.content.decode()


def test_last_90_days_preset_keeps_only_campaigns_touching_it(calendar, today):
    response = calendar.get(reverse("campaign_list"), {"range": "last_90"})

    # Spring sale (40 days ago) is inside; the coming ones start preparing 20 days ago
    # (burst in 10 and 12 days, preparation 30 days before): they touch the range too.
    assert timeline(response) == ["Spring sale", "Autumn sale", "Member day"]
    response = calendar.get(reverse("campaign_list"), {"range": "last_month"})
    first = today.replace(day=1) - DAY
    expected = [
        name
        for name, burst in [
            ("Spring sale", today - 40 * DAY),
            ("Autumn sale", today + 10 * DAY),
            ("Member day", today + 12 * DAY),
        ]
        if burst - 30 * DAY <= first and burst + 3 * DAY >= first.replace(day=1)
    ]
    assert timeline(response) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"range": "fortnight"},
        {"range": "custom", "start": "2026-03-31", "end": "2026-03-01"},
        {"range": "campaign", "campaign": "999999"},
    ],
)
def test_a_bad_range_is_a_400_with_the_pickers_message(calendar, params):
    response = calendar.get(reverse("campaign_list"), params)

    assert response.status_code == 400
    assert 'data-testid="range-error"' in response.content.decode()
