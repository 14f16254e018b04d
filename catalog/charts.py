"""Chart builders of the catalog pages: a runner's result in, a Plotly figure out.

Follows ``analytics.charts``: no queries, labels arrive translated from the view, figures go
to the page through ``figure_json`` + ``json_script`` (rendered by ``static/js/charts.js``).
"""

from decimal import Decimal

import plotly.graph_objects as go

from analytics.charts import PALETTE

from .matrix import ROLE_ORDER, MatrixResult
from .models import ProductRole

ROLE_COLOURS = {
    ProductRole.TRAFFIC: PALETTE[1],
    ProductRole.PROFIT: PALETTE[0],
    ProductRole.IMAGE: PALETTE[4],
    "": PALETTE[7],
}
_LAYOUT = {
    "margin": {"l": 56, "r": 24, "t": 36, "b": 48},
    "font": {"family": "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif"},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "legend": {"orientation": "h", "y": -0.2},
}


def _percent(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def role_share_figure(
    result: MatrixResult,
    *,
    role_labels: dict[str, str],
    measure_labels: dict[str, str],
    target_label: str,
) -> go.Figure:
    """Grouped bars: per measure (SKUs, GMV, gross profit, views, first orders), each role's
    share in percent; a dashed line marks the target traffic share of SKUs."""
    measures = ["sku_share", "gmv_share", "gross_profit_share", "views_share", "first_orders_share"]
    x = [str(measure_labels[m]) for m in measures]
    figure = go.Figure()
    for role in ROLE_ORDER:
        row = result.role(role)
        figure.add_trace(
            go.Bar(
                name=str(role_labels[role]),
                x=x,
                y=[_percent(getattr(row, m)) for m in measures],
                marker_color=ROLE_COLOURS[role],
            )
        )
    figure.add_hline(
        y=_percent(result.traffic_share_target),
        line_dash="dash",
        line_color=ROLE_COLOURS[ProductRole.TRAFFIC],
        annotation_text=str(target_label),
        annotation_position="top right",
    )
    figure.update_layout(
        **_LAYOUT,
        barmode="group",
        height=340,
        yaxis={"ticksuffix": "%", "rangemode": "tozero"},
    )
    return figure


def price_margin_figure(
    result: MatrixResult,
    *,
    role_labels: dict[str, str],
    price_label: str,
    margin_label: str,
) -> go.Figure:
    """Scatter of list price (log axis: ¥9.9 and ¥999 on one chart) against list margin, one
    trace per role so the legend names the colours; hover shows code and title."""
    figure = go.Figure()
    for role in ROLE_ORDER:
        points = [p for p in result.skus if p.role == role and p.list_margin is not None]
        if not points:
            continue
        figure.add_trace(
            go.Scatter(
                name=str(role_labels[role]),
                x=[float(p.price) for p in points],
                y=[_percent(p.list_margin) for p in points],
                text=[f"{p.code} {p.title}" for p in points],
                mode="markers",
                marker={"color": ROLE_COLOURS[role], "size": 9, "opacity": 0.85},
                hovertemplate="%{text}<br>¥%{x}<br>%{y}%<extra></extra>",
            )
        )
    figure.update_layout(
        **_LAYOUT,
        height=360,
        xaxis={"type": "log", "title": {"text": str(price_label)}, "tickprefix": "¥"},
        yaxis={"title": {"text": str(margin_label)}, "ticksuffix": "%"},
    )
    return figure
