import datetime

from django.utils import translation

from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner


def test_cache_key_differs_per_language_because_results_carry_translated_text(store):
    query = DailyMetricsQuery(start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 7))

    with translation.override("zh-hans"):
        chinese = DailyMetricsRunner(store=store, query=query).cache_key()
    with translation.override("en"):
        english = DailyMetricsRunner(store=store, query=query).cache_key()
        english_again = DailyMetricsRunner(store=store, query=query).cache_key()

    assert chinese != english
    assert english == english_again
    assert ":zh-hans:" in chinese
    assert ":en:" in english
