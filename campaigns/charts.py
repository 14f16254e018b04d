"""Campaign figures: a monitoring day against its target pace, and the review's gap split.
Results in, Plotly figures out (no queries, no metrics), in the style of
``analytics.charts``; labels arrive translated."""

from collections.abc import Mapping

import plotly.graph_objects as go

from analytics.charts import _LAYOUT, PALETTE, _number

from .monitoring import Pace
from .review import Effects


def pace_figure(pace: Pace, *, zone, labels: Mapping[str, str]) -> go.Figure:
    """GMV per hour (bars), cumulative GMV and cumulative target pace (lines, right axis).

    Only hours that were refreshed are drawn: an hour not computed yet is absent, never 0."""
    x = [hour.hour.astimezone(zone).strftime("%H:00") for hour in pace.hours]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            name=str(labels["gmv"]),
            x=x,
            y=[_number(hour.gmv) for hour in pace.hours],
            marker_color=[PALETTE[0] if hour.complete else "#fdba74" for hour in pace.hours],
        )
    )
    figure.add_trace(
        go.Scatter(
            name=str(labels["cumulative"]),
            x=x,
            y=[_number(hour.cumulative_gmv) for hour in pace.hours],
            yaxis="y2",
            mode="lines+markers",
            line={"color": PALETTE[2], "width": 2},
        )
    )
    if pace.day_target is not None:
        figure.add_trace(
            go.Scatter(
                name=str(labels["target"]),
                x=x,
                y=[_number(hour.cumulative_target) for hour in pace.hours],
                yaxis="y2",
                mode="lines",
                line={"color": PALETTE[1], "width": 2, "dash": "dash"},
            )
        )
    figure.update_layout(
        **_LAYOUT,
        height=340,
        xaxis={"type": "category"},
        yaxis={"title": {"text": str(labels["gmv"])}, "rangemode": "tozero"},
        yaxis2={
            "title": {"text": str(labels["cumulative"])},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
        },
    )
    return figure


def gap_figure(effects: Effects, *, labels: Mapping[str, str]) -> go.Figure:
    """A waterfall from the reference GMV through the traffic, conversion and spend-per-buyer
    effects to the actual GMV, drawn as floating bars (``base`` = the running total before
    each effect), which renders without inline styles under the site's CSP."""
    steps = [
        ("traffic", effects.traffic),
        ("conversion", effects.conversion),
        ("spend_per_buyer", effects.spend_per_buyer),
    ]
    names = [str(labels["reference"])] + [str(labels[key]) for key, _ in steps]
    names.append(str(labels["actual"]))
    bases, values, colours = [0.0], [_number(effects.reference_gmv)], [PALETTE[2]]
    running = effects.reference_gmv
    for _key, value in steps:
        bases.append(_number(running))
        values.append(_number(value))
        colours.append(PALETTE[1] if value >= 0 else PALETTE[0])
        running += value
    bases.append(0.0)
    values.append(_number(effects.actual_gmv))
    colours.append(PALETTE[2])
    figure = go.Figure(
        go.Bar(
            x=names,
            y=values,
            base=bases,
            marker_color=colours,
            text=[f"{value:,.2f}" for value in values],
            textposition="outside",
            hovertemplate="%{x}: %{y:,.2f}<extra></extra>",
        )
    )
    figure.update_layout(
        **{**_LAYOUT, "hovermode": "closest"},
        height=320,
        showlegend=False,
        xaxis={"type": "category"},
    )
    return figure
