"""Serializers of the analytics API: orders (read), events and ad spend (batch in), reports."""

import dataclasses

from rest_framework import serializers

from analytics.ingest import AdSpendRow, EventRow
from analytics.metrics import METRICS, MetricValues
from analytics.models import AdSpend, BehaviourEvent, EventType, Order, OrderLine, Refund
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


class DailyMetricsQuerySerializer(serializers.Serializer):
    """Query parameters of the daily-metrics report."""

    start = serializers.DateField(help_text="First store-local day, YYYY-MM-DD.")
    end = serializers.DateField(help_text="Last store-local day (inclusive), YYYY-MM-DD.")
    group_by = serializers.ChoiceField(
        choices=["day", "week", "month"],
        default="day",
        help_text="Bucket of the series: day, week (from Monday) or month.",
    )
    channels = serializers.BooleanField(
        default=False, help_text="Also break the totals down by channel."
    )

    #: Longest range one request may ask for.
    MAX_DAYS = 731

    def validate(self, attrs: dict) -> dict:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["end is before start."]})
        if (attrs["end"] - attrs["start"]).days >= self.MAX_DAYS:
            raise serializers.ValidationError(
                {"end": [f"The range may cover at most {self.MAX_DAYS} days."]}
            )
        return attrs


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
    missing_days = serializers.ListField(
        child=serializers.DateField(),
        help_text="Days of the range not rolled up yet (their numbers are missing).",
    )
    computed_at = StoreDateTimeField(
        allow_null=True, help_text="When the oldest rollup read was computed."
    )
