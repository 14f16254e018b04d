"""The monitoring tasks: the beat entry, the fan-out in each store's own time zone, guards."""

import datetime

import pytest

from campaigns import tasks
from campaigns.models import CampaignHour
from opsdesk.schedule import BEAT_SCHEDULE
from tests.campaigns.shop import D
from tests.factories import CampaignFactory, StoreFactory

pytestmark = pytest.mark.django_db


def campaign_in(zone, **dates):
    defaults = {
        "preparation_start": D(2026, 10, 1),
        "preheat_start": D(2026, 11, 9),
        "burst_start": D(2026, 11, 10),
        "burst_end": D(2026, 11, 10),
        "wrapup_end": D(2026, 11, 13),
    }
    return CampaignFactory(store=StoreFactory(time_zone=zone), **{**defaults, **dates})


def test_the_beat_schedule_runs_the_fan_out():
    entry = BEAT_SCHEDULE["campaigns-hours-refresh"]
    assert entry["task"] == "campaigns.tasks.refresh_running_campaigns"
    assert entry["task"] in tasks.refresh_running_campaigns.app.tasks
    # At least hourly (issue 6): every hour of every day, four times an hour.
    schedule = entry["schedule"]
    assert schedule.hour == set(range(24)) and schedule.day_of_week == set(range(7))
    assert schedule.minute == {2, 17, 32, 47}


def test_fan_out_uses_each_stores_local_day(monkeypatch):
    # 2026-11-10 16:30 UTC: Shanghai is at 00:30 on Nov 11 (its burst day Nov 10 just ended:
    # refresh yesterday too), Los Angeles at 08:30 on Nov 10 (burst day).
    shanghai = campaign_in("Asia/Shanghai")
    los_angeles = campaign_in("America/Los_Angeles")
    campaign_in(
        "Asia/Shanghai",
        preheat_start=D(2026, 12, 1),
        burst_start=D(2026, 12, 2),
        burst_end=D(2026, 12, 2),
        wrapup_end=D(2026, 12, 3),
    )  # not running
    monkeypatch.setattr(
        "django.utils.timezone.now",
        lambda: datetime.datetime(2026, 11, 10, 16, 30, tzinfo=datetime.UTC),
    )
    sent = []
    monkeypatch.setattr(tasks.refresh_campaign_hours, "delay", lambda *args: sent.append(args))

    assert tasks.refresh_running_campaigns() == 2
    assert sorted(sent) == sorted([(shanghai.pk, "2026-11-10"), (los_angeles.pk, "2026-11-10")])


def test_refresh_task_writes_hours_and_skips_gone_or_unmonitored(monkeypatch):
    campaign = campaign_in("Asia/Shanghai")
    monkeypatch.setattr(
        "django.utils.timezone.now",
        lambda: datetime.datetime(2026, 11, 9, 18, 30, tzinfo=datetime.UTC),  # 02:30 Nov 10
    )
    assert tasks.refresh_campaign_hours(campaign.pk, "2026-11-10") == 3
    assert tasks.refresh_campaign_hours(campaign.pk, "2026-11-10") == 3  # idempotent
    assert CampaignHour.objects.count() == 3
    assert tasks.refresh_campaign_hours(campaign.pk, "2026-11-12") == 0
    assert tasks.refresh_campaign_hours(campaign.pk + 1000, "2026-11-10") == 0
    assert CampaignHour.objects.count() == 3
