"""The users app's nightly and daily work is on the beat schedule (one crontab entry each, at
the hours opsdesk/schedule.py explains) and names tasks that exist; the fit goes to the
analytics queue."""

import pytest
from celery import current_app
from celery.schedules import crontab

from opsdesk.schedule import BEAT_SCHEDULE


@pytest.mark.parametrize(
    ("entry", "task", "hour", "minute"),
    [
        ("users-members-nightly", "users.tasks.members_recompute_all_stores", 17, 40),
        ("users-predictions-nightly", "users.tasks.predictions_fit_all_stores", 18, 50),
        ("users-playbooks-daily", "users.tasks.playbooks_run_daily", 1, 10),
    ],
)
def test_users_work_is_scheduled_once_a_day(entry, task, hour, minute):
    scheduled = BEAT_SCHEDULE[entry]
    assert scheduled["task"] == task
    assert isinstance(scheduled["schedule"], crontab)
    assert scheduled["schedule"].hour == {hour}
    assert scheduled["schedule"].minute == {minute}
    import users.tasks  # noqa: F401  (registers the tasks)

    assert task in current_app.tasks


def test_the_fit_runs_on_the_analytics_queue():
    from users.tasks import predictions_fit_for_store

    assert predictions_fit_for_store.queue == "analytics"
