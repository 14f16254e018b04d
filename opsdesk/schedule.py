"""The Celery beat schedule: every periodic job of opsdesk, in one place.

Crontab entries only, in UTC (CELERY_TIMEZONE). Tasks that work per store local day fan out
per store and work out "yesterday" in each store's own time zone, so one UTC time serves all.
Each entry says why it runs when it does.
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # A StockSnapshot for day D is "stock at the end of the store-local day D", and the nightly
    # rollup of D (run after local midnight) reads it for days of cover and turnover, so it
    # must exist before D ends. One UTC time cannot be "late evening" in every time zone, so
    # this runs every hour at :55 UTC and fans out only to stores whose local clock reads
    # 23:xx: each store is snapshotted once a day, in the last hour of its own day, labelled
    # with that same local day (Asia/Shanghai, UTC+8: 15:55 UTC = 23:55 on day D -> day D;
    # America/Los_Angeles: 07:55 UTC (PST) = 23:55 on the previous UTC date -> that local
    # day; half-hour zones land at 23:25 or 23:40). The fan-out fixes each store's day when
    # it enqueues, so a task delayed past midnight still writes the intended day.
    "catalog-stock-snapshot": {
        "task": "catalog.tasks.snapshot_stock_all_stores",
        "schedule": crontab(minute=55),
        "kwargs": {"local_hour": 23},
    },
    # Nightly analytics rollup (queue "analytics"). 16:30 UTC is 00:30 in Asia/Shanghai, the
    # default and most common store zone: the Chinese day has just ended and late events of
    # its last minutes had half an hour to arrive, and the numbers are ready long before the
    # operators' morning. The task takes "yesterday" in each store's own zone, which has ended
    # for every zone at any UTC time, and also rolls up any of the 7 days before it that were
    # missed (a night the worker was down).
    "analytics-rollup-nightly": {
        "task": "analytics.tasks.rollup_nightly",
        "schedule": crontab(minute=30, hour=16),
    },
    # Late facts (a refund days after the order, an imported file) mark their days stale;
    # re-roll them every hour at :45, off the :55 stock snapshot and the nightly 16:30, so a
    # late refund shows in the dashboard within the hour without re-rolling whole ranges.
    "analytics-rollup-stale": {
        "task": "analytics.tasks.rollup_stale_days",
        "schedule": crontab(minute=45),
    },
    # Nightly Advertising-Law scan of every SKU text. 18:20 UTC is 02:20 in Asia/Shanghai:
    # after the 16:30 rollup and the night's bulk imports, so texts changed by imports that
    # skipped the on-save scan are caught, and findings are on the compliance page before the
    # operators' morning (their 24-hour clear-up clock is visible from then on).
    "catalog-compliance-nightly": {
        "task": "catalog.tasks.compliance_scan_all_stores",
        "schedule": crontab(minute=20, hour=18),
    },
    # Member points and levels of yesterday (Asia/Shanghai 01:40): after the 16:30 rollup and
    # the :45 re-roll of late refunds, so refunds of the day already take their points back.
    "users-members-nightly": {
        "task": "users.tasks.members_recompute_all_stores",
        "schedule": crontab(minute=40, hour=17),
    },
    # Uploaded import files of runs finished more than OPSDESK_IMPORT_RETENTION_DAYS ago are
    # deleted (the runs stay) at 19:10 UTC = 03:10 Shanghai: after the night's imports and the
    # 18:20 compliance scan, off the :45 re-roll and the 18:50 predictions fit.
    "analytics-imports-purge-files": {
        "task": "analytics.imports.tasks.purge_import_files",
        "schedule": crontab(minute=10, hour=19),
    },
    # Churn/CLV fit per store (analytics queue, 02:50 Shanghai): after the members recompute
    # and the RFM snapshot of the rollup, which the prediction summaries read; off the 18:20
    # compliance scan so the two heavy jobs do not share the 2 cores.
    "users-predictions-nightly": {
        "task": "users.tasks.predictions_fit_all_stores",
        "schedule": crontab(minute=50, hour=18),
    },
    # Daily playbooks at 01:10 UTC = 09:10 Shanghai: tiers, RFM and predictions of yesterday
    # are all in, and the lists and webhooks reach the operators and the SMS/coupon tools at
    # the start of the working day, not at night.
    "users-playbooks-daily": {
        "task": "users.tasks.playbooks_run_daily",
        "schedule": crontab(minute=10, hour=1),
    },
    # Day-of monitoring (实时盯盘): campaigns in pre-heat or burst get their hourly rows
    # recomputed from the facts every 15 minutes, so the pace page is never more than a
    # quarter of an hour behind (issue 6 asks for at least hourly) and a finished hour is final
    # minutes after it ends (:02, off the :45 stale rollup and the :55 stock snapshot). The
    # task works out each store's local day itself, so one UTC schedule serves every time
    # zone; off-season it finds no running campaign and returns at once.
    "campaigns-hours-refresh": {
        "task": "campaigns.tasks.refresh_running_campaigns",
        "schedule": crontab(minute="2,17,32,47"),
    },
}
