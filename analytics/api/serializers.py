"""Serializers of the analytics API: orders (read), events and ad spend (batch in), reports."""

import dataclasses

from django.utils.translation import gettext as _
from rest_framework import serializers

from analytics.ingest import AdSpendRow, EventRow
from analytics.metrics import METRICS, MetricValues
from analytics.models import AdSpend, BehaviourEvent, EventType, Order, OrderLine, Refund
from opsdesk.api.reports import DateRangeQuerySerializer, ReportDateField
from opsdesk.api.serializers import StoreDateTimeField, StoreModelSerializer
from opsdesk.channels import Channel

MONEY = {"max_digits": 14, "decimal_places": 2}


class OrderLineSerializer(StoreModelSerializer):
    sku_code = serializers.CharField(
        source="sku.code", read_only=True, help_text="The SKU's code (商家编码)."
    )

    class Meta:
        model = OrderLine
        fields = ["id", "sku", "sku_code", "quantity", "unit_price", "unit_cost"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Order line id."},
            "sku": {"help_text": "Id of the SKU sold."},
            "quantity": {"help_text": "Units."},
            "unit_price": {"help_text": "Unit price actually paid (decimal string)."},
            "unit_cost": {"help_text": "Unit cost at the time of the order (decimal string)."},
        }


class RefundSerializer(StoreModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "number", "amount", "refunded_at"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Refund id."},
            "number": {"help_text": "Refund number, unique in the store."},
            "amount": {"help_text": "Amount refunded (decimal string)."},
            "refunded_at": {"help_text": "When the money went back (counts on that day)."},
        }


class OrderSerializer(StoreModelSerializer):
    customer_external_id = serializers.CharField(
        source="customer.external_id", read_only=True, help_text="The buyer's platform id."
    )
    lines = OrderLineSerializer(many=True, read_only=True, help_text="The order's lines.")
    refunds = RefundSerializer(
        many=True, read_only=True, help_text="Refunds of the order, newest first."
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "customer",
            "customer_external_id",
            "created_at",
            "paid_at",
            "status",
            "channel",
            "goods_amount",
            "discount_amount",
            "shipping_amount",
            "paid_amount",
            "is_presale",
            "deposit_amount",
            "deposit_paid_at",
            "lines",
            "refunds",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Order id."},
            "number": {"help_text": "Order number (订单号), unique in the store."},
            "customer": {"help_text": "Id of the customer."},
            "created_at": {"help_text": "When the order was placed (拍下时间)."},
            "paid_at": {
                "help_text": "When it was paid (付款时间; for a pre-sale, the balance); null "
                "if never paid. GMV counts on this instant."
            },
            "status": {"help_text": "Order status."},
            "channel": {"help_text": "Traffic source (流量来源) the order came from."},
            "goods_amount": {"help_text": "Goods amount before discounts (decimal string)."},
            "discount_amount": {"help_text": "Discounts (decimal string)."},
            "shipping_amount": {"help_text": "Shipping charged (decimal string)."},
            "paid_amount": {"help_text": "Goods after discounts plus shipping (decimal string)."},
            "is_presale": {"help_text": "Deposit pre-sale (定金膨胀) order."},
            "deposit_amount": {"help_text": "Deposit paid up front; null if not a pre-sale."},
            "deposit_paid_at": {"help_text": "When the deposit was paid; null if none."},
        }


class EventSerializer(StoreModelSerializer):
    class Meta:
        model = BehaviourEvent
        fields = [
            "id",
            "client_event_id",
            "visitor_id",
            "customer",
            "event_type",
            "sku",
            "channel",
            "occurred_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Event id."},
            "client_event_id": {"help_text": "The sender's id of the event (idempotency key)."},
            "visitor_id": {"help_text": "Cookie or device id of the visitor."},
            "customer": {"help_text": "Id of the logged-in customer; null if anonymous."},
            "event_type": {"help_text": "view, add_to_cart, order or pay."},
            "sku": {"help_text": "Id of the SKU concerned; null if none."},
            "channel": {"help_text": "Traffic source of the visit."},
            "occurred_at": {"help_text": "When it happened."},
        }


class EventInputSerializer(serializers.Serializer):
    """One event of a batch (POST a JSON array of these)."""

    client_event_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Your unique id for the event: re-sending it is a no-op (idempotency).",
    )
    visitor_id = serializers.CharField(
        max_length=64, help_text="Cookie or device id of the visitor."
    )
    customer = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Id of the logged-in customer (of this store); null if anonymous.",
    )
    event_type = serializers.ChoiceField(
        choices=EventType.choices, help_text="view, add_to_cart, order or pay."
    )
    sku = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Id of the SKU (of this store) concerned; null if none.",
    )
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="Traffic source.")
    occurred_at = StoreDateTimeField(
        help_text="When it happened, ISO 8601; without an offset it is store-local time."
    )

    def to_row(self, data: dict) -> EventRow:
        return EventRow(
            visitor_id=data["visitor_id"],
            event_type=data["event_type"],
            channel=data["channel"],
            occurred_at=data["occurred_at"],
            customer_id=data.get("customer"),
            sku_id=data.get("sku"),
            client_event_id=data.get("client_event_id") or None,
        )


class EventIngestResultSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Events in the batch.")
    created = serializers.IntegerField(help_text="Events stored.")
    duplicates = serializers.IntegerField(
        help_text="Events skipped because their client_event_id was already stored."
    )


class AdSpendSerializer(StoreModelSerializer):
    class Meta:
        model = AdSpend
        fields = ["id", "channel", "day", "spend", "impressions", "clicks"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Ad-spend row id."},
            "channel": {"help_text": "Paid channel the money went to."},
            "day": {"help_text": "Store-local day of the spend."},
            "spend": {"help_text": "Money spent (decimal string)."},
            "impressions": {"help_text": "Ad impressions."},
            "clicks": {"help_text": "Ad clicks (never more than impressions)."},
        }


class AdSpendInputSerializer(serializers.Serializer):
    """One row of an ad-spend batch (POST a JSON array); replaces (channel, day)."""

    channel = serializers.ChoiceField(choices=Channel.choices, help_text="Channel paid for.")
    day = serializers.DateField(help_text="Store-local day, YYYY-MM-DD.")
    spend = serializers.DecimalField(
        min_value=0, help_text="Money spent, a decimal string.", **MONEY
    )
    impressions = serializers.IntegerField(
        min_value=0, max_value=2**62, default=0, help_text="Ad impressions."
    )
    clicks = serializers.IntegerField(
        min_value=0, max_value=2**62, default=0, help_text="Ad clicks (at most impressions)."
    )

    def validate(self, attrs: dict) -> dict:
        if attrs["clicks"] > attrs["impressions"]:
            raise serializers.ValidationError({"clicks": ["Clicks cannot exceed impressions."]})
        return attrs

    def to_row(self, data: dict) -> AdSpendRow:
        return AdSpendRow(**data)


class AdSpendUpsertResultSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Rows in the batch.")
    created = serializers.IntegerField(help_text="New (channel, day) rows.")
    updated = serializers.IntegerField(help_text="Existing (channel, day) rows replaced.")


# --- reports ----------------------------------------------------------------------------------

_METRIC_HELP = {
    metric.key: f"{metric.name} ({metric.name_zh}): {metric.definition}" for metric in METRICS
}


def _metric_field(name: str, annotation: object) -> serializers.Field:
    help_text = _METRIC_HELP.get(name, name) + " Null when the denominator is 0."
    if annotation is int or annotation == "int":
        return serializers.IntegerField(help_text=_METRIC_HELP.get(name, name))
    return serializers.DecimalField(
        max_digits=None, decimal_places=None, allow_null=True, help_text=help_text
    )


MetricValuesSerializer = type(
    "MetricValuesSerializer",
    (serializers.Serializer,),
    {
        field.name: _metric_field(field.name, field.type)
        for field in dataclasses.fields(MetricValues)
    },
)


class DailyMetricsQuerySerializer(DateRangeQuerySerializer):
    """Query parameters of the daily-metrics report."""

    group_by = serializers.ChoiceField(
        choices=["day", "week", "month"],
        default="day",
        help_text="Bucket of the series: day, week (from Monday) or month.",
    )
    channels = serializers.BooleanField(
        default=False, help_text="Also break the totals down by channel."
    )
    skus = serializers.BooleanField(
        default=False, help_text="Also a table per SKU over the range (best GMV first)."
    )
    sku_limit = serializers.IntegerField(
        default=100,
        min_value=1,
        max_value=500,
        help_text="How many SKUs the SKU table holds (with skus=true), 1 to 500.",
    )


class SkuMetricsRowSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(help_text="SKU id.")
    code = serializers.CharField(help_text="SKU code.")
    title = serializers.CharField(help_text="Product title.")
    units = serializers.IntegerField(help_text="Units sold on paid orders.")
    gmv = serializers.DecimalField(
        help_text="Line GMV of paid orders.", max_digits=16, decimal_places=2
    )
    gross_profit = serializers.DecimalField(
        help_text="Line GMV minus unit costs.", max_digits=16, decimal_places=2
    )
    paid_orders = serializers.IntegerField(help_text="Paid orders with the SKU.")
    buyers = serializers.IntegerField(help_text="Distinct buyers of the SKU over the range.")
    first_orders = serializers.IntegerField(help_text="Buyers' first orders with the SKU.")
    views = serializers.IntegerField(help_text="Views of the SKU.")
    visitors = serializers.IntegerField(help_text="Distinct visitors who viewed the SKU.")
    cart_visitors = serializers.IntegerField(help_text="Distinct visitors who added it to cart.")
    conversion_rate = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        allow_null=True,
        help_text="Buyers / visitors of the SKU, a decimal string; null without visitors.",
    )


class SeriesPointSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the bucket.")
    end = serializers.DateField(help_text="Last day of the bucket (inclusive).")
    metrics = MetricValuesSerializer(help_text="Every metric of the bucket.")


class ChannelRowSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="Traffic source.")
    metrics = MetricValuesSerializer(help_text="Every metric of the channel over the range.")


class DailyMetricsSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the range.")
    end = serializers.DateField(help_text="Last day of the range (inclusive).")
    interval = serializers.CharField(help_text="Bucket of the series (day, week or month).")
    totals = MetricValuesSerializer(help_text="Every metric over the whole range.")
    series = SeriesPointSerializer(many=True, help_text="One point per bucket, oldest first.")
    channels = ChannelRowSerializer(
        many=True, help_text="Per channel over the range (only with channels=true)."
    )
    skus = SkuMetricsRowSerializer(
        many=True, help_text="Per SKU over the range, best GMV first (only with skus=true)."
    )
    missing_days = serializers.ListField(
        child=serializers.DateField(),
        help_text="Days of the range not rolled up yet (their numbers are missing).",
    )
    computed_at = StoreDateTimeField(
        allow_null=True, help_text="When the oldest rollup read was computed."
    )


# --- funnel -----------------------------------------------------------------------------------

ID_MAX = 2**63 - 1


class FunnelQuerySerializer(DateRangeQuerySerializer):
    """Query parameters of the funnel report."""

    channels = serializers.BooleanField(
        default=False, help_text="Also give one funnel per channel of the step-1 view."
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text="Only visitors whose step-1 view came from this channel (channel funnels "
        "add up to the total).",
    )
    sku = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        required=False,
        max_length=200,
        help_text="Only events of these SKU ids (repeat the parameter for several).",
    )
    category = serializers.IntegerField(
        min_value=1,
        max_value=ID_MAX,
        required=False,
        help_text="Only events of SKUs of this category id and its sub-categories.",
    )
    window_hours = serializers.IntegerField(
        min_value=1,
        max_value=720,
        required=False,
        help_text="Conversion window in hours (default: the store's setting).",
    )

    def to_internal_value(self, data):
        if hasattr(data, "getlist") and "sku" in data:
            data = data.copy()
            data.setlist("sku", [v for raw in data.getlist("sku") for v in raw.split(",") if v])
        return super().to_internal_value(data)

    def validate(self, attrs: dict) -> dict:
        from catalog.models import Category, Sku

        attrs = super().validate(attrs)
        store = self.context["store"]
        sku_ids = sorted(set(attrs.get("sku", [])))
        if sku_ids:
            found = set(
                Sku.objects.filter(store=store, pk__in=sku_ids).values_list("pk", flat=True)
            )
            missing = [str(pk) for pk in sku_ids if pk not in found]
            if missing:
                raise serializers.ValidationError(
                    {
                        "sku": [
                            _("No SKU with id %(ids)s in this store.") % {"ids": ", ".join(missing)}
                        ]
                    }
                )
        attrs["sku"] = tuple(sku_ids)
        category = attrs.get("category")
        if category is not None and not Category.objects.filter(store=store, pk=category).exists():
            raise serializers.ValidationError(
                {"category": [_("No category with id %(id)s in this store.") % {"id": category}]}
            )
        return attrs


class FunnelStepSerializer(serializers.Serializer):
    step = serializers.CharField(help_text="view, add_to_cart, order or pay.")
    visitors = serializers.IntegerField(help_text="Visitors who reached this step.")
    conversion_from_previous = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        allow_null=True,
        help_text="visitors / visitors of the previous step; null for step 1 or a 0 base.",
    )
    conversion_from_first = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        allow_null=True,
        help_text="visitors / visitors of step 1; null when nobody viewed.",
    )
    drop_off = serializers.IntegerField(
        help_text="Visitors of the previous step who did not reach this one (0 for step 1)."
    )
    drop_off_rate = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        allow_null=True,
        help_text="drop_off / visitors of the previous step; null for step 1 or a 0 base.",
    )


class ChannelFunnelSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=Channel.choices, help_text="Channel of the step-1 view."
    )
    steps = FunnelStepSerializer(many=True, help_text="The channel's four steps.")


class FunnelReportSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the range.")
    end = serializers.DateField(help_text="Last day of the range (inclusive).")
    window_hours = serializers.IntegerField(help_text="Conversion window used, in hours.")
    channel = serializers.CharField(
        allow_null=True, help_text="The channel the funnel is limited to; null for all."
    )
    steps = FunnelStepSerializer(
        many=True, help_text="view -> add_to_cart -> order -> pay, in that order."
    )
    channels = ChannelFunnelSerializer(
        many=True, help_text="One funnel per channel (with channels=true or channel=...)."
    )
    abandoned_cart_visitors = serializers.IntegerField(
        help_text="Visitors who added to cart but did not order (加购未下单)."
    )
    abandoned_cart_sample = serializers.ListField(
        child=serializers.CharField(), help_text="Up to 100 of their visitor ids, sorted."
    )


# --- RFM --------------------------------------------------------------------------------------


class RfmQuerySerializer(serializers.Serializer):
    """Query parameters of the RFM report."""

    as_of = ReportDateField(
        required=False, help_text="Store-local day the scores are as of (default yesterday)."
    )
    segment = serializers.ChoiceField(
        choices=[], required=False, help_text="Also list this segment's customers."
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=500,
        default=100,
        help_text="At most this many customers of the segment (1-500), by spend.",
    )

    def __init__(self, *args, **kwargs) -> None:
        from analytics.rfm import SEGMENTS

        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [s.code for s in SEGMENTS]


class SegmentSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Segment code (champions, loyal, at_risk...).")
    name = serializers.CharField(help_text="English name.")
    name_zh = serializers.CharField(help_text="Chinese name.")
    customers = serializers.IntegerField(help_text="Customers in the segment.")
    revenue = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="Their paid amount in the window."
    )
    revenue_share = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        allow_null=True,
        help_text="revenue / revenue of all scored customers; null when that is 0.",
    )
    average_recency_days = serializers.DecimalField(
        max_digits=None, decimal_places=None, allow_null=True, help_text="Mean R (days)."
    )
    average_frequency = serializers.DecimalField(
        max_digits=None, decimal_places=None, allow_null=True, help_text="Mean F (orders)."
    )
    average_monetary = serializers.DecimalField(
        max_digits=None, decimal_places=None, allow_null=True, help_text="Mean M (paid amount)."
    )


class RfmCustomerSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(help_text="Customer id.")
    external_id = serializers.CharField(help_text="The buyer's platform id.")
    name = serializers.CharField(help_text="Customer name.")
    recency_days = serializers.IntegerField(help_text="Days since the last paid order.")
    frequency = serializers.IntegerField(help_text="Paid orders in the window.")
    monetary = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="Paid amount in the window."
    )
    r_score = serializers.IntegerField(help_text="R score 1-5.")
    f_score = serializers.IntegerField(help_text="F score 1-5.")
    m_score = serializers.IntegerField(help_text="M score 1-5.")
    segment = serializers.CharField(help_text="Segment code.")


class RfmReportSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text="Day the scores are as of.")
    window_days = serializers.IntegerField(help_text="Days of orders scored (up to as_of).")
    scored_customers = serializers.IntegerField(help_text="Customers with a paid order.")
    revenue = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="Paid amount of all scored customers."
    )
    segments = SegmentSerializer(many=True, help_text="Every segment, empty ones included.")
    grid = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="The 5x5 grid: grid[r - 1][f - 1] = customers with R score r and F score f.",
    )
    customers = RfmCustomerSerializer(
        many=True, help_text="Customers of the segment asked for, by spend (else empty)."
    )


# --- tiers ------------------------------------------------------------------------------------


class TierQuerySerializer(DateRangeQuerySerializer):
    """Query parameters of the tier report."""

    flow_from = ReportDateField(
        required=False, help_text="Flows: tier of each customer on this day (with flow_to)."
    )
    flow_to = ReportDateField(
        required=False, help_text="Flows: ... against their tier on this day (with flow_from)."
    )
    entered_day = ReportDateField(
        required=False, help_text="List who entered entered_tier on this day."
    )
    entered_tier = serializers.ChoiceField(
        choices=[], required=False, help_text="The tier of entered_day's list."
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=500, default=500, help_text="At most this many entries (1-500)."
    )

    def __init__(self, *args, **kwargs) -> None:
        from users.models import Tier

        super().__init__(*args, **kwargs)
        self.fields["entered_tier"].choices = Tier.choices

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        for first, second in (("flow_from", "flow_to"), ("entered_day", "entered_tier")):
            if (first in attrs) != (second in attrs):
                missing = second if first in attrs else first
                raise serializers.ValidationError(
                    {
                        missing: [
                            _("Give %(first)s and %(second)s together.")
                            % {"first": first, "second": second}
                        ]
                    }
                )
        if "flow_from" in attrs and attrs["flow_to"] < attrs["flow_from"]:
            raise serializers.ValidationError({"flow_to": [_("flow_to is before flow_from.")]})
        return attrs


class TierCountSerializer(serializers.Serializer):
    tier = serializers.CharField(help_text="Tier code.")
    customers = serializers.IntegerField(help_text="Customers in the tier that day.")


class TierSizesSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="Store-local day.")
    tiers = TierCountSerializer(many=True, help_text="Every tier, in DOMAIN.md's order.")


class TierFlowSerializer(serializers.Serializer):
    from_tier = serializers.CharField(
        help_text="Tier on flow_from; empty = not a customer yet then."
    )
    to_tier = serializers.CharField(help_text="Tier on flow_to.")
    customers = serializers.IntegerField(help_text="Customers who moved so.")


class TierEntrySerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(help_text="Customer id.")
    external_id = serializers.CharField(help_text="The buyer's platform id.")
    name = serializers.CharField(help_text="Customer name.")
    previous_tier = serializers.CharField(help_text="Tier before (empty if none).")
    tier = serializers.CharField(help_text="Tier entered.")
    recommended_action = serializers.CharField(help_text="What DOMAIN.md recommends doing.")


class TierReportSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the sizes.")
    end = serializers.DateField(help_text="Last day of the sizes (inclusive).")
    sizes = TierSizesSerializer(
        many=True, help_text="Tier sizes per rolled-up day of the range, oldest first."
    )
    flows = TierFlowSerializer(
        many=True, help_text="Tier-to-tier flows between flow_from and flow_to (if given)."
    )
    entered = TierEntrySerializer(
        many=True, help_text="Who entered entered_tier on entered_day (if given)."
    )


# --- flags ------------------------------------------------------------------------------------


class FlagsQuerySerializer(serializers.Serializer):
    day = ReportDateField(
        required=False, help_text="Store-local day of the flags (default yesterday)."
    )


class ContributorSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="channel or sku.")
    key = serializers.CharField(help_text="Channel code or SKU code.")
    value = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="Its GMV on the day."
    )
    baseline = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="Its median GMV on the comparison days."
    )
    delta = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="value - baseline."
    )


class FlagSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="consider_pausing, cpc_above_median or gmv_anomaly.")
    day = serializers.DateField(help_text="Day flagged.")
    channel = serializers.CharField(allow_null=True, help_text="Channel flagged, if any.")
    value = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="The flagged value: ROI, CPC or GMV."
    )
    low = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        allow_null=True,
        help_text="Lower bound compared with.",
    )
    high = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        allow_null=True,
        help_text="Upper bound / threshold compared with.",
    )
    message = serializers.CharField(help_text="The flag for a person.")
    contributors = ContributorSerializer(
        many=True, help_text="Biggest contributors of a GMV anomaly."
    )


class FlagsReportSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="Day of the flags.")
    flags = FlagSerializer(many=True, help_text="Pausing, CPC and GMV-anomaly flags.")
