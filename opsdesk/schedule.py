"""The Celery beat schedule: every periodic job of opsdesk, in one place.

Crontab entries only, in UTC (CELERY_TIMEZONE). Tasks that work per store local day fan out
per store and work out "yesterday" in each store's own time zone, so one UTC time serves all.
Each entry says why it runs when it does.
"""

from celery.schedules import crontab  # noqa: F401  (used by the entries below)

BEAT_SCHEDULE: dict[str, dict] = {}
