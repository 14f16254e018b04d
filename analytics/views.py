"""Report pages (报表): order and refund lists of the raw facts, the traffic and funnel
dashboard and the metric dictionary."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from analytics import charts
from analytics.dashboards import traffic_runners
from analytics.metrics import METRICS
from analytics.models import EventType
from catalog.models import Category, Sku
from opsdesk.channels import Channel
from opsdesk.templatetags.opsdesk_ui import money, number, share
from opsdesk.views import (
    metric_label,
    paginate,
    picked_range,
    store_page,
    valid_filters,
)

from . import selectors


class FactFilterForm(forms.Form):
    """Store-local date range (both days inclusive) and channel."""

    start = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        required=False,
        choices=[("", gettext_lazy("All channels")), *Channel.choices],
    )

    def __init__(self, *args, start_label: str, end_label: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start"].label = start_label
        self.fields["end"].label = end_label

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            # A reversed range matches nothing; say so and list without the range instead.
            cleaned.pop("start")
            cleaned.pop("end")
            self.add_error(
                None,
                _("The start date %(start)s is after the end date %(end)s; dates ignored.")
                % {"start": start.isoformat(), "end": end.isoformat()},
            )
        return cleaned


def _fact_filters(
    request: HttpRequest, *, start_label: str, end_label: str
) -> tuple[FactFilterForm, dict]:
    form = FactFilterForm(request.GET, start_label=start_label, end_label=end_label)
    return form, valid_filters(request, form, {"start": None, "end": None, "channel": ""})


@require_GET
@store_page
def order_list(request: HttpRequest) -> HttpResponse:
    """Orders placed in a store-local date range, optionally from one channel; paginated."""
    form, filters = _fact_filters(request, start_label=_("Placed from"), end_label=_("Placed to"))
    orders = selectors.order_list(
        store=request.store, start=filters["start"], end=filters["end"], channel=filters["channel"]
    )
    context = {"form": form, "filters": filters, "page": paginate(request, orders)}
    return render(request, "analytics/order_list.html", context)


@require_GET
@store_page
def refund_list(request: HttpRequest) -> HttpResponse:
    """Refunds made in a store-local date range, optionally of one channel's orders."""
    form, filters = _fact_filters(
        request, start_label=_("Refunded from"), end_label=_("Refunded to")
    )
    refunds = selectors.refund_list(
        store=request.store, start=filters["start"], end=filters["end"], channel=filters["channel"]
    )
    context = {"form": form, "filters": filters, "page": paginate(request, refunds)}
    return render(request, "analytics/refund_list.html", context)


class FunnelFilterForm(forms.Form):
    """Funnel filters besides the date range: a category, one SKU code, the window."""

    category = forms.TypedChoiceField(
        label=gettext_lazy("Category"), required=False, coerce=int, empty_value=None
    )
    sku = forms.CharField(label=gettext_lazy("SKU code"), required=False, max_length=64)
    window = forms.IntegerField(
        label=gettext_lazy("Conversion window (hours)"),
        required=False,
        min_value=1,
        max_value=24 * 30,
    )

    def __init__(self, *args, store, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.store = store
        # Only this store's categories are offered (and accepted).
        self.fields["category"].choices = [
            ("", gettext_lazy("All categories")),
            *Category.objects.filter(store=store).order_by("name").values_list("id", "name"),
        ]

    def clean_sku(self) -> int | None:
        code = self.cleaned_data["sku"].strip()
        if not code:
            return None
        sku_id = Sku.objects.filter(store=self.store, code=code).values_list("id", flat=True)
        if not sku_id:
            raise forms.ValidationError(_("No SKU with this code in this store."))
        return sku_id[0]


STEP_LABELS = dict(EventType.choices)


def _trend_table_rows(result, *, currency: str, channel_labels: dict) -> SafeString:
    """The channel trends as the rows of a table, newest day first: per day, each channel's
    GMV, UV and conversion (the runner's numbers, formatted like the template filters); days
    not rolled up are left out. Built here rather than in the template: a 90-day range has
    ~800 rows, and rendering them through the template engine took ~200 ms per request."""
    missing = set(result.missing_days)
    by_day: dict = {}
    for series in result.channel_series:
        for point in series.points:
            if point.start not in missing:
                by_day.setdefault(point.start, []).append((series.channel, point.metrics))
    rows = []
    for day in sorted(by_day, reverse=True):
        channels = by_day[day]
        for position, (channel, metrics) in enumerate(channels):
            day_cell = (
                format_html(
                    '<th scope="rowgroup" rowspan="{}">{}</th>', len(channels), day.isoformat()
                )
                if position == 0
                else ""
            )
            rows.append(
                format_html(
                    '<tr data-day="{}" data-channel="{}">{}<th scope="row">{}</th>'
                    '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>',
                    day.isoformat(),
                    channel,
                    day_cell,
                    channel_labels.get(channel, channel),
                    money(metrics.gmv, currency),
                    number(metrics.uv),
                    share(metrics.conversion_rate),
                )
            )
    return mark_safe("\n".join(rows))  # every part went through format_html


@require_GET
@store_page
def traffic(request: HttpRequest) -> HttpResponse:
    """流量/转化漏斗: the funnel of the range (overall and per channel), channel GMV/UV, the
    per-day channel trends (GMV, UV, conversion per channel) and the abandoned carts, from
    FunnelRunner and DailyMetricsRunner only."""
    store = request.store
    chosen, picker, error = picked_range(request, default="last_7")
    form = FunnelFilterForm(request.GET, store=store)
    filters = valid_filters(request, form, {"category": None, "sku": None, "window": None})
    runners = traffic_runners(
        store,
        start=chosen.start,
        end=chosen.end,
        sku_id=filters["sku"],
        category_id=filters["category"],
        window_hours=filters["window"],
    )
    funnel_runner, daily_runner = runners["funnel"], runners["daily"]
    funnel = funnel_runner.run(use_cache=True)
    daily = daily_runner.run(use_cache=True)
    channel_labels = dict(Channel.choices)
    step_labels = {str(code): str(label) for code, label in STEP_LABELS.items()}
    has_funnel = bool(funnel.steps) and funnel.steps[0].visitors > 0
    funnel_key, daily_key = funnel_runner.cache_key(), daily_runner.cache_key()
    context = {
        "picker": picker,
        "form": form,
        "funnel": funnel,
        "daily": daily,
        "has_funnel": has_funnel,
        "step_labels": step_labels,
        "channel_labels": channel_labels,
        "gmv_label": metric_label("gmv"),
        "uv_label": metric_label("uv"),
        "funnel_chart": charts.cached_figure_json(
            funnel_key,
            "funnel",
            lambda: charts.funnel_figure(funnel, step_labels=step_labels),
        ),
        "channel_funnel_chart": charts.cached_figure_json(
            funnel_key,
            "channel_funnel",
            lambda: charts.channel_funnel_figure(
                funnel, step_labels=step_labels, channel_labels=channel_labels
            ),
        ),
        "channel_chart": charts.cached_figure_json(
            daily_key,
            "channel_bars",
            lambda: charts.channel_bars_figure(
                daily,
                gmv_label=metric_label("gmv"),
                uv_label=metric_label("uv"),
                channel_labels=channel_labels,
            ),
        ),
        "trend_chart": charts.cached_figure_json(
            daily_key,
            "channel_trends",
            lambda: charts.channel_trends_figure(
                daily,
                metric_labels={key: metric_label(key) for key in charts.CHANNEL_TREND_METRICS},
                channel_labels=channel_labels,
            ),
        ),
        "trend_rows": _trend_table_rows(
            daily, currency=store.currency, channel_labels=channel_labels
        ),
        "conversion_label": metric_label("conversion_rate"),
        "rolled_up": len(daily.missing_days) < chosen.days,
        "has_charts": True,
    }
    return render(request, "analytics/traffic.html", context, status=400 if error else 200)


@require_GET
@store_page
def metric_dictionary(request: HttpRequest) -> HttpResponse:
    """The metric dictionary, generated from ``analytics.metrics.METRICS``."""
    units = {
        "money": _("Money"),
        "money_per": _("Money per unit"),
        "count": _("Count"),
        "rate": _("Percentage"),
        "ratio": _("Ratio"),
    }
    return render(request, "analytics/metric_dictionary.html", {"metrics": METRICS, "units": units})
