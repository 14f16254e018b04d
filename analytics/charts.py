"""Chart builders: a report runner's result in, a Plotly figure out. No queries, no metrics.

Each builder returns a ``plotly.graph_objects.Figure``; ``figure_json`` turns one into plain
JSON-able data for Django's ``json_script`` (rendered by ``static/js/charts.js``). Labels
arrive already translated from the view, so builders stay free of request state.
"""

import datetime
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from django.core.cache import cache
from django.utils import translation

from analytics.reports.base import CACHE_SECONDS
from analytics.reports.daily import DailyMetricsResult
from analytics.reports.funnel import FunnelResult
from analytics.reports.rfm import RfmResult
from analytics.reports.tiers import TierResult

#: Colours shared by the CSS and the charts (opsdesk.css --accent etc.).
PALETTE = ("#c2410c", "#0f766e", "#1d4ed8", "#a16207", "#7c3aed", "#be185d", "#4d7c0f", "#475569")
PHASE_COLOURS = {
    "preparation": "#cbd5e1",
    "preheat": "#fbbf24",
    "burst": "#dc2626",
    "wrapup": "#0d9488",
    "festival": "#7c3aed",
}
_LAYOUT = {
    "margin": {"l": 56, "r": 24, "t": 36, "b": 48},
    "font": {"family": "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif"},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "legend": {"orientation": "h", "y": -0.18},
    "hovermode": "x unified",
}


def _number(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


def _percent(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def _label(labels: Mapping[str, Any], key: str) -> str:
    """``labels[key]`` as plain text (lazy translations resolved), else the key itself."""
    return str(labels.get(key, key))


def percent_change(current: Decimal | int | None, previous: Decimal | int | None) -> Decimal | None:
    """Change of ``current`` against ``previous`` in percent, 1 place; None when either is
    missing or ``previous`` is 0 (a comparison, not a metric: both values come from runners)."""
    if current is None or previous is None or not previous:
        return None
    change = (Decimal(current) - Decimal(previous)) / abs(Decimal(previous)) * 100
    return change.quantize(Decimal("0.1"))


def figure_json(figure: go.Figure) -> dict[str, Any]:
    """The figure as plain JSON data (``data`` and ``layout``) for ``json_script``."""
    return json.loads(figure.to_json())


def result_cache_key(result: object) -> str:
    """A ``cached_figure_json`` key for a result that has no runner cache key (a report that
    is not cached itself, like the product matrix): a digest of the result's content and the
    active language, so any change of the numbers or labels builds a new figure."""
    digest = hashlib.sha256(repr(result).encode()).hexdigest()[:32]
    return f"analytics:figure-result:{translation.get_language() or 'none'}:{digest}"


def cached_figure_json(
    result_key: str, chart: str, build: Callable[[], go.Figure], *, extra: object = None
) -> dict[str, Any]:
    """``figure_json(build())``, cached beside the report result it draws.

    ``result_key`` is the runner's cache key (store, time zone, language, rollup generation,
    query), so the figure is rebuilt exactly when the result or the language changes; the
    labels a builder gets are derived from the language. Building a figure validates every
    trace (~2 ms each), which dominated the cached page time of long ranges. ``extra`` is
    whatever else the figure shows that is not in the result (campaign shades): its repr is
    part of the key."""
    key = f"{result_key}:figure:{chart}"
    if extra is not None:
        key += ":" + hashlib.sha256(repr(extra).encode()).hexdigest()[:16]
    found = cache.get(key)
    if found is None:
        found = figure_json(build())
        cache.set(key, found, CACHE_SECONDS)
    return found


@dataclass(frozen=True)
class Shade:
    """A shaded window on a date axis (a campaign's burst), inclusive days."""

    label: str
    start: datetime.date
    end: datetime.date


def trend_figure(
    result: DailyMetricsResult,
    *,
    gmv_label: str,
    uv_label: str,
    shades: Sequence[Shade] = (),
) -> go.Figure:
    """GMV (bars, left axis) and UV (line, right axis) per point of ``result.series``, with
    ``shades`` drawn as bands behind them."""
    days = [point.start.isoformat() for point in result.series]
    # A day that is not rolled up has no value: a gap, never a zero.
    missing = set(result.missing_days) if result.interval == "day" else set()
    present = [point.start not in missing for point in result.series]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            name=str(gmv_label),
            x=days,
            y=[
                _number(point.metrics.gmv) if shown else None
                for point, shown in zip(result.series, present, strict=True)
            ],
            marker_color=PALETTE[0],
            opacity=0.8,
        )
    )
    figure.add_trace(
        go.Scatter(
            name=str(uv_label),
            x=days,
            y=[
                point.metrics.uv if shown else None
                for point, shown in zip(result.series, present, strict=True)
            ],
            yaxis="y2",
            mode="lines+markers",
            line={"color": PALETTE[2], "width": 2},
            marker={"size": 4},
        )
    )
    # Shapes are passed as plain layout data: ``add_vrect`` costs ~75 ms per band.
    shapes, annotations = [], []
    for shade in shades:
        x0 = datetime.datetime.combine(shade.start, datetime.time()) - datetime.timedelta(hours=12)
        x1 = datetime.datetime.combine(shade.end, datetime.time(12))
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": x0.isoformat(),
                "x1": x1.isoformat(),
                "y0": 0,
                "y1": 1,
                "fillcolor": PHASE_COLOURS["burst"],
                "opacity": 0.12,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        annotations.append(
            {
                "xref": "x",
                "yref": "paper",
                "x": x0.isoformat(),
                "y": 1,
                "yanchor": "bottom",
                "xanchor": "left",
                "text": shade.label,
                "showarrow": False,
                "font": {"size": 11},
            }
        )
    figure.update_layout(
        **_LAYOUT,
        height=340,
        shapes=shapes,
        annotations=annotations,
        yaxis={"title": {"text": gmv_label}, "rangemode": "tozero"},
        yaxis2={
            "title": {"text": uv_label},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
        },
    )
    return figure


def funnel_figure(result: FunnelResult, *, step_labels: Mapping[str, str]) -> go.Figure:
    """Visitors per funnel step, with the share of step 1 shown on each bar."""
    figure = go.Figure(
        go.Funnel(
            y=[_label(step_labels, step.step) for step in result.steps],
            x=[step.visitors for step in result.steps],
            textinfo="value+percent initial",
            marker={"color": list(PALETTE[: len(result.steps)])},
        )
    )
    figure.update_layout(**{**_LAYOUT, "hovermode": "closest"}, height=320)
    return figure


def channel_funnel_figure(
    result: FunnelResult, *, step_labels: Mapping[str, str], channel_labels: Mapping[str, str]
) -> go.Figure:
    """Grouped bars: one group per channel (of the step-1 event), one bar per step."""
    figure = go.Figure()
    channels = [_label(channel_labels, row.channel) for row in result.channels]
    step_codes = [step.step for step in result.steps]
    for position, code in enumerate(step_codes):
        figure.add_trace(
            go.Bar(
                name=_label(step_labels, code),
                x=channels,
                y=[row.steps[position].visitors for row in result.channels],
                marker_color=PALETTE[position % len(PALETTE)],
            )
        )
    figure.update_layout(**_LAYOUT, barmode="group", height=340)
    return figure


def channel_bars_figure(
    result: DailyMetricsResult,
    *,
    gmv_label: str,
    uv_label: str,
    channel_labels: Mapping[str, str],
) -> go.Figure:
    """GMV and UV per channel over the range (UV is per channel, never summed)."""
    names = [_label(channel_labels, row.channel) for row in result.channels]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            name=str(gmv_label),
            x=names,
            y=[_number(row.metrics.gmv) for row in result.channels],
            marker_color=PALETTE[0],
            offsetgroup=0,
        )
    )
    figure.add_trace(
        go.Bar(
            name=str(uv_label),
            x=names,
            y=[row.metrics.uv for row in result.channels],
            marker_color=PALETTE[2],
            yaxis="y2",
            offsetgroup=1,
        )
    )
    figure.update_layout(
        **_LAYOUT,
        barmode="group",
        height=340,
        yaxis={"title": {"text": gmv_label}},
        yaxis2={"title": {"text": uv_label}, "overlaying": "y", "side": "right"},
    )
    return figure


def _day_axis(result: DailyMetricsResult, *, anchor: str) -> dict[str, Any]:
    """A date axis labelled with days (never hours): one tick a day for up to two weeks of
    daily points, otherwise Plotly's own spacing."""
    axis: dict[str, Any] = {"anchor": anchor, "type": "date", "tickformat": "%m-%d"}
    if result.interval == "day" and len(result.series) <= 14:
        axis["dtick"] = 24 * 60 * 60 * 1000
    return axis


#: The metrics of the channel trends, top to bottom, and how each is plotted.
CHANNEL_TREND_METRICS = ("gmv", "uv", "conversion_rate")


def channel_trends_figure(
    result: DailyMetricsResult,
    *,
    metric_labels: Mapping[str, str],
    channel_labels: Mapping[str, str],
) -> go.Figure:
    """GMV, UV and conversion rate (in %) per channel per point of ``result.channel_series``:
    three stacked panels sharing the date axis, one line per channel, the same colour for a
    channel in every panel and one legend entry toggling it everywhere. A bucket that is not
    rolled up is a gap, never a zero."""
    missing = set(result.missing_days) if result.interval == "day" else set()
    rows = len(CHANNEL_TREND_METRICS)
    gap = 0.06
    height = (1 - gap * (rows - 1)) / rows
    figure = go.Figure()
    for index, series in enumerate(result.channel_series):
        colour = PALETTE[index % len(PALETTE)]
        days = [point.start.isoformat() for point in series.points]
        name = _label(channel_labels, series.channel)
        for row, key in enumerate(CHANNEL_TREND_METRICS):
            values = []
            for point in series.points:
                value = getattr(point.metrics, key)
                if point.start in missing:
                    values.append(None)
                elif key == "conversion_rate":
                    values.append(_percent(value))
                else:
                    values.append(_number(value))
            figure.add_trace(
                go.Scatter(
                    name=name,
                    legendgroup=series.channel,
                    showlegend=row == 0,
                    x=days,
                    y=values,
                    xaxis="x",
                    yaxis="y" if row == 0 else f"y{row + 1}",
                    mode="lines+markers",
                    line={"color": colour, "width": 2},
                    marker={"size": 4},
                )
            )
    axes = {}
    for row, key in enumerate(CHANNEL_TREND_METRICS):
        top = 1 - row * (height + gap)
        title = _label(metric_labels, key) + (" (%)" if key == "conversion_rate" else "")
        axes["yaxis" if row == 0 else f"yaxis{row + 1}"] = {
            "title": {"text": title},
            "domain": [round(top - height, 4), round(top, 4)],
            "rangemode": "tozero",
            "anchor": "x",
        }
    figure.update_layout(
        **{**_LAYOUT, "hovermode": "x"},
        height=620,
        xaxis=_day_axis(result, anchor=f"y{rows}"),
        **axes,
    )
    return figure


def tier_area_figure(result: TierResult, *, tier_labels: Mapping[str, str]) -> go.Figure:
    """Stacked areas: customers per tier per day."""
    days = [row.day.isoformat() for row in result.sizes]
    tiers = [tier for tier, _count in result.sizes[0].sizes] if result.sizes else []
    figure = go.Figure()
    for position, tier in enumerate(tiers):
        figure.add_trace(
            go.Scatter(
                name=_label(tier_labels, tier),
                x=days,
                y=[dict(row.sizes).get(tier, 0) for row in result.sizes],
                stackgroup="tiers",
                mode="lines",
                line={"color": PALETTE[position % len(PALETTE)], "width": 1},
            )
        )
    figure.update_layout(**_LAYOUT, height=320)
    return figure


def tier_sankey_figure(
    result: TierResult, *, tier_labels: Mapping[str, str], start_label: str, end_label: str
) -> go.Figure:
    """Sankey of ``result.flows``: tiers on the from-date on the left, on the to-date on the
    right ("" is "not yet a customer")."""
    left = sorted({flow.from_tier for flow in result.flows})
    right = sorted({flow.to_tier for flow in result.flows})
    labels = [f"{_label(tier_labels, t)} · {start_label}" for t in left] + [
        f"{_label(tier_labels, t)} · {end_label}" for t in right
    ]
    figure = go.Figure(
        go.Sankey(
            node={"label": labels, "pad": 14, "thickness": 14, "color": PALETTE[2]},
            link={
                "source": [left.index(flow.from_tier) for flow in result.flows],
                "target": [len(left) + right.index(flow.to_tier) for flow in result.flows],
                "value": [flow.customers for flow in result.flows],
            },
        )
    )
    figure.update_layout(**{**_LAYOUT, "hovermode": "closest"}, height=360)
    return figure


def rfm_heatmap_figure(result: RfmResult, *, r_label: str, f_label: str) -> go.Figure:
    """5x5 grid of customers by R score (rows) and F score (columns), counts on the cells."""
    figure = go.Figure(
        go.Heatmap(
            z=[list(row) for row in result.grid],
            x=[str(score) for score in range(1, 6)],
            y=[str(score) for score in range(1, 6)],
            text=[[str(count) for count in row] for row in result.grid],
            texttemplate="%{text}",
            colorscale="Oranges",
            showscale=False,
        )
    )
    figure.update_layout(
        **{**_LAYOUT, "hovermode": "closest"},
        height=340,
        xaxis={"title": {"text": f_label}, "type": "category"},
        yaxis={"title": {"text": r_label}, "type": "category"},
    )
    return figure


@dataclass(frozen=True)
class TimelineBar:
    """One bar of the calendar timeline: a row label, a phase (colour key), inclusive days."""

    row: str
    phase: str
    phase_label: str
    start: datetime.date
    end: datetime.date


def timeline_figure(bars: Sequence[TimelineBar]) -> go.Figure:
    """Horizontal bars on a date axis (like ``px.timeline``), one trace per phase so the
    legend names the colours; rows keep the order of first appearance."""
    day_ms = 24 * 60 * 60 * 1000
    rows = list(dict.fromkeys(bar.row for bar in bars))
    figure = go.Figure()
    for phase in dict.fromkeys(bar.phase for bar in bars):
        mine = [bar for bar in bars if bar.phase == phase]
        figure.add_trace(
            go.Bar(
                name=mine[0].phase_label,
                orientation="h",
                y=[bar.row for bar in mine],
                base=[bar.start.isoformat() for bar in mine],
                x=[((bar.end - bar.start).days + 1) * day_ms for bar in mine],
                marker_color=PHASE_COLOURS.get(phase, PALETTE[-1]),
                customdata=[[bar.start.isoformat(), bar.end.isoformat()] for bar in mine],
                hovertemplate="%{y}: %{customdata[0]} – %{customdata[1]}<extra></extra>",
            )
        )
    figure.update_layout(
        **{**_LAYOUT, "hovermode": "closest"},
        barmode="overlay",
        height=max(240, 60 + 34 * len(rows)),
        xaxis={"type": "date"},
        yaxis={"autorange": "reversed", "categoryorder": "array", "categoryarray": rows},
    )
    return figure
