"""Serializers of the customers API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from opsdesk.api.serializers import StoreModelSerializer
from users.models import Customer, MemberLevel, Playbook, Tier
from users.playbooks import playbook_effect


class MemberLevelSerializer(StoreModelSerializer):
    class Meta:
        model = MemberLevel
        fields = ["id", "code", "name", "min_spend"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Member level id."},
            "code": {"help_text": "Level code (V1, V2...), unique in the store."},
            "name": {"help_text": "Level name."},
            "min_spend": {"help_text": "Cumulative spend from which the level applies."},
        }


class CustomerPredictionSerializer(serializers.Serializer):
    p_alive = serializers.FloatField(help_text="Probability the customer is still active (0..1).")
    churn_risk = serializers.FloatField(help_text="1 - p_alive.")
    expected_purchases_90d = serializers.FloatField(
        help_text="Expected purchase days in the next 90 days."
    )
    clv_90d = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="Expected spend in the next 90 days; null without a Gamma-Gamma fit.",
    )


class CustomerSerializer(StoreModelSerializer):
    member_level = MemberLevelSerializer(
        read_only=True, allow_null=True, help_text="The customer's member level (会员等级)."
    )
    tier = serializers.ChoiceField(
        choices=Tier.choices,
        read_only=True,
        help_text="Lifecycle tier (用户分层) from the latest tier change; prospect when the "
        "customer never had one.",
    )

    prediction = CustomerPredictionSerializer(
        read_only=True,
        allow_null=True,
        help_text="Churn risk and CLV from the store's latest BG/NBD + Gamma-Gamma fit; null "
        "before the first fit or for a customer without a paid order.",
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_id",
            "name",
            "region",
            "gender",
            "registered_on",
            "birthday",
            "member_level",
            "points",
            "tier",
            "prediction",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Customer id."},
            "external_id": {"help_text": "The platform's buyer id, unique in the store."},
            "name": {"help_text": "Display name."},
            "region": {"help_text": "Province or region."},
            "gender": {"help_text": "Gender as the platform reports it."},
            "registered_on": {"help_text": "Store-local date the buyer registered."},
            "birthday": {"help_text": "Birthday, when known."},
            "points": {"help_text": "Member points (积分)."},
            "created_at": {"help_text": "When the customer was first recorded."},
        }


class IntervalSerializer(serializers.Serializer):
    estimate = serializers.FloatField(help_text="Contacted minus held out.")
    low = serializers.FloatField(help_text="Lower end of the 95% confidence interval.")
    high = serializers.FloatField(help_text="Upper end of the 95% confidence interval.")


class GroupEffectSerializer(serializers.Serializer):
    customers = serializers.IntegerField(help_text="Customers in the group whose window ended.")
    converted = serializers.IntegerField(
        help_text="Customers with at least one paid order in the window after contact."
    )
    conversion = serializers.FloatField(
        allow_null=True, help_text="converted / customers; null for an empty group."
    )
    gmv = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Paid amount of the group in the window."
    )
    gmv_per_customer = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="gmv / customers (customers without orders count as 0); null when empty.",
    )


class WindowEffectSerializer(serializers.Serializer):
    days = serializers.IntegerField(help_text="Window length after contact, in days (7 or 30).")
    contacted = GroupEffectSerializer(help_text="Customers who were contacted.")
    held_out = GroupEffectSerializer(help_text="Customers deliberately not contacted.")
    conversion_uplift = IntervalSerializer(
        allow_null=True,
        help_text="Conversion difference with a normal-approximation 95% interval; null when "
        "a group is empty.",
    )
    gmv_uplift = IntervalSerializer(
        allow_null=True,
        help_text="GMV-per-customer difference with Welch's 95% interval; null when a group "
        "has fewer than 2 customers.",
    )
    coupon_cost = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="Coupon value x contacted customers who converted in the window.",
    )


class PlaybookEffectSerializer(serializers.Serializer):
    runs = serializers.IntegerField(help_text="Runs of the playbook so far.")
    windows = WindowEffectSerializer(many=True, help_text="The effect 7 and 30 days after contact.")


class PlaybookSerializer(StoreModelSerializer):
    tier = serializers.ChoiceField(
        choices=Tier.choices,
        allow_blank=True,
        read_only=True,
        help_text="Tier for the entered_tier trigger; empty for other triggers.",
    )
    effect = serializers.SerializerMethodField(
        help_text="Effect report: contacted vs held-out customers, uplift with 95% intervals "
        "and coupon cost."
    )

    class Meta:
        model = Playbook
        fields = [
            "id",
            "name",
            "code",
            "trigger",
            "tier",
            "segment",
            "cart_hours",
            "churn_threshold",
            "member_day",
            "action",
            "coupon_value",
            "holdout_share",
            "cooldown_days",
            "enabled",
            "effect",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Playbook id."},
            "name": {"help_text": "Playbook name."},
            "code": {"help_text": "Code of a ready-made playbook; empty for the store's own."},
            "trigger": {"help_text": "What picks the customers each day."},
            "segment": {"help_text": "RFM segment code for the rfm_segment trigger."},
            "cart_hours": {"help_text": "Look-back in hours for the abandoned_cart trigger."},
            "churn_threshold": {"help_text": "Churn risk (1 - P(alive)) threshold, churn_risk."},
            "member_day": {"help_text": "Day of the month of the member_day trigger."},
            "action": {"help_text": "export (CSV/XLSX list) or webhook (signed POST)."},
            "coupon_value": {"help_text": "Value of the coupon each contact gets."},
            "holdout_share": {"help_text": "Share of triggered customers held out (0..1)."},
            "cooldown_days": {
                "help_text": "Cool-down per trigger: a customer the same trigger reached "
                "(through any of the store's playbooks) is not reached again within this many "
                "days."
            },
            "enabled": {"help_text": "Runs daily when enabled."},
        }

    @extend_schema_field(PlaybookEffectSerializer)
    def get_effect(self, playbook: Playbook) -> dict:
        effects = self.context.get("effects") or {}
        effect = effects.get(playbook.pk) or playbook_effect(playbook=playbook)
        return PlaybookEffectSerializer(effect).data
