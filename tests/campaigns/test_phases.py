import datetime

import pytest

from campaigns.models import Phase
from tests.factories import CampaignFactory, StoreFactory

D = datetime.date


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "phase"),
    [
        # Double 11 2026 of the factory: preparation 27 Sep, pre-heat 20 Oct,
        # burst 1-11 Nov, wrap-up to 14 Nov.
        (D(2026, 9, 26), Phase.UPCOMING),
        (D(2026, 9, 27), Phase.PREPARATION),
        (D(2026, 10, 19), Phase.PREPARATION),
        (D(2026, 10, 20), Phase.PREHEAT),
        (D(2026, 10, 31), Phase.PREHEAT),
        (D(2026, 11, 1), Phase.BURST),
        (D(2026, 11, 11), Phase.BURST),
        (D(2026, 11, 12), Phase.WRAPUP),
        (D(2026, 11, 14), Phase.WRAPUP),
        (D(2026, 11, 15), Phase.REVIEW),
    ],
)
def test_phase_on_each_boundary(day, phase):
    assert CampaignFactory().phase_on(day) == phase


UTC = datetime.UTC


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "instant", "phase"),
    [
        # 2026-10-31 15:59 UTC is 23:59 on 31 Oct in Shanghai: still pre-heat;
        # a minute later it is 00:00 on 1 Nov there: the burst.
        ("Asia/Shanghai", datetime.datetime(2026, 10, 31, 15, 59, tzinfo=UTC), Phase.PREHEAT),
        ("Asia/Shanghai", datetime.datetime(2026, 10, 31, 16, 0, tzinfo=UTC), Phase.BURST),
        # The same instant is still 31 Oct (08:00) in Los Angeles: pre-heat.
        ("America/Los_Angeles", datetime.datetime(2026, 10, 31, 16, 0, tzinfo=UTC), Phase.PREHEAT),
        # 1 Nov 06:59 UTC is 23:59 on 31 Oct in Los Angeles (PDT ends on 1 Nov at 09:00 UTC).
        ("America/Los_Angeles", datetime.datetime(2026, 11, 1, 6, 59, tzinfo=UTC), Phase.PREHEAT),
        ("America/Los_Angeles", datetime.datetime(2026, 11, 1, 7, 0, tzinfo=UTC), Phase.BURST),
        # Wrap-up ends 14 Nov: 14 Nov 16:00 UTC is 15 Nov in Shanghai: review.
        ("Asia/Shanghai", datetime.datetime(2026, 11, 14, 15, 59, tzinfo=UTC), Phase.WRAPUP),
        ("Asia/Shanghai", datetime.datetime(2026, 11, 14, 16, 0, tzinfo=UTC), Phase.REVIEW),
    ],
)
def test_phase_at_an_instant_follows_the_store_local_day(zone, instant, phase):
    campaign = CampaignFactory(store=StoreFactory(time_zone=zone))
    assert campaign.phase_at(instant) == phase


@pytest.mark.django_db
def test_the_calendar_shows_each_stores_phase_by_its_own_local_day(client, monkeypatch):
    """At 2026-10-31 16:00 UTC it is 00:00 on 1 Nov in Shanghai (burst) and 09:00 on 31 Oct
    in Los Angeles (pre-heat): the same campaign dates are in a different phase per store."""
    from django.conf import settings
    from django.urls import reverse

    from opsdesk.roles import Role
    from tests.factories import MembershipFactory

    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: datetime.datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    )
    found = {}
    for zone, slug in (("Asia/Shanghai", "shanghai"), ("America/Los_Angeles", "la")):
        store = StoreFactory(slug=slug, time_zone=zone)
        CampaignFactory(store=store, name=f"Double 11 {slug}")
        client.force_login(
            MembershipFactory(store=store, role=Role.MANAGER, user__username=slug).user
        )
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        page = client.get(reverse("campaign_list")).content.decode()
        assert f"Double 11 {slug}" in page
        found[zone] = [p for p in ("preheat", "burst") if f'class="phase phase-{p}"' in page]
    assert found == {"Asia/Shanghai": ["burst"], "America/Los_Angeles": ["preheat"]}
