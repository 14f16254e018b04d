"""The Celery application. Broker and eager mode come from settings (REDIS_URL)."""

import os

from celery import Celery

from .schedule import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")

app = Celery("opsdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()
# Task modules below an app package (not found by the app-level discovery above).
app.autodiscover_tasks(["analytics.imports"])
