"""Figures cached beside their report result: built once per result key (and extra), rebuilt
when the key or the extra changes."""

import plotly.graph_objects as go

from analytics.charts import cached_figure_json


def counting_builder(calls: list):
    def build() -> go.Figure:
        calls.append(1)
        return go.Figure(go.Bar(x=["a"], y=[len(calls)]))

    return build


def test_figure_is_built_once_per_result_key_and_extra():
    calls: list = []
    build = counting_builder(calls)
    first = cached_figure_json("analytics:daily:v2:store1:g5:abc", "trend", build)
    again = cached_figure_json("analytics:daily:v2:store1:g5:abc", "trend", build)
    assert calls == [1] and again == first and first["data"][0]["y"] == [1]
    # A new rollup generation (another result key) rebuilds.
    moved = cached_figure_json("analytics:daily:v2:store1:g6:abc", "trend", build)
    assert len(calls) == 2 and moved["data"][0]["y"] == [2]
    # Another chart of the same result, or other campaign shades, is a figure of its own.
    cached_figure_json("analytics:daily:v2:store1:g6:abc", "bars", build)
    cached_figure_json("analytics:daily:v2:store1:g6:abc", "trend", build, extra=("618",))
    cached_figure_json("analytics:daily:v2:store1:g6:abc", "trend", build, extra=("618",))
    assert len(calls) == 4


def test_result_cache_key_follows_the_content_and_the_language():
    from dataclasses import dataclass

    from django.utils import translation

    from analytics.charts import result_cache_key

    @dataclass(frozen=True)
    class Result:
        gmv: int

    with translation.override("en"):
        english = result_cache_key(Result(1))
        assert result_cache_key(Result(1)) == english
        assert result_cache_key(Result(2)) != english
    with translation.override("zh-hans"):
        assert result_cache_key(Result(1)) != english
