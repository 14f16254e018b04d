"""Report runners: one per report, typed query in, typed result out, cached.

Callers import the submodule::

    from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
    result = DailyMetricsRunner(store=store, query=DailyMetricsQuery(start=d0, end=d1)).run()
"""
