"""Serializers of the promotion-calendar API: campaigns, lineup items, mechanics."""

from itertools import pairwise

from django.utils import timezone
from rest_framework import serializers

from campaigns.models import Campaign, LineupItem, Mechanic, Phase
from campaigns.services import PHASE_DATES
from opsdesk.api.serializers import StoreModelSerializer, store_of
from opsdesk.channels import Channel

MONEY = {"max_digits": 14, "decimal_places": 2}


class LineupItemSerializer(StoreModelSerializer):
    planned_units = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        help_text="Units planned for the campaign.",
    )
    sku_code = serializers.CharField(
        source="sku.code", read_only=True, help_text="The SKU's code (商家编码)."
    )
    chosen_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="User name of who put the SKU in the lineup; null when unknown.",
    )

    class Meta:
        model = LineupItem
        fields = ["id", "sku", "sku_code", "planned_units", "chosen_by", "chosen_at"]
        read_only_fields = ["id", "chosen_at"]
        extra_kwargs = {
            "id": {"help_text": "Lineup item id."},
            "sku": {"help_text": "Id of a SKU of this store; cannot change once added."},
            "chosen_at": {"help_text": "When the SKU was put in the lineup."},
        }

    def validate_sku(self, sku):
        if self.instance is not None and sku.pk != self.instance.sku_id:
            raise serializers.ValidationError(
                "A lineup item's SKU cannot change: remove it and add the other SKU."
            )
        campaign = self.context.get("campaign")
        if (
            self.instance is None
            and campaign is not None
            and LineupItem.objects.filter(campaign=campaign, sku=sku).exists()
        ):
            raise serializers.ValidationError("This SKU is already in the lineup.")
        return sku


class MechanicSerializer(StoreModelSerializer):
    threshold = serializers.DecimalField(
        min_value=0,
        allow_null=True,
        required=False,
        help_text="Spend that unlocks a coupon or full reduction (满 threshold).",
        **MONEY,
    )
    amount = serializers.DecimalField(
        min_value=0,
        allow_null=True,
        required=False,
        help_text="Amount off (减 amount), or the deposit of a pre-sale.",
        **MONEY,
    )
    rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        allow_null=True,
        required=False,
        help_text="Discount rate, above 0 and at most 1 (0.85 = 15% off).",
    )
    inflated_amount = serializers.DecimalField(
        min_value=0,
        allow_null=True,
        required=False,
        help_text="What a pre-sale deposit is worth at the balance (定金膨胀).",
        **MONEY,
    )

    class Meta:
        model = Mechanic
        fields = ["id", "kind", "threshold", "amount", "rate", "inflated_amount", "description"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "id": {"help_text": "Mechanic id."},
            "kind": {"help_text": "coupon, full_reduction, discount or deposit."},
            "description": {"help_text": "Free text shown with the mechanic."},
        }

    def validate_rate(self, value):
        if value is not None and not (0 < value <= 1):
            raise serializers.ValidationError("A rate is above 0 and at most 1.")
        return value


class CampaignSerializer(StoreModelSerializer):
    gmv_target = serializers.DecimalField(
        min_value=0,
        allow_null=True,
        required=False,
        help_text="GMV target (decimal string). Setting or changing it needs the set_targets "
        "capability (manager, admin).",
        **MONEY,
    )
    ad_budget = serializers.DecimalField(
        min_value=0,
        allow_null=True,
        required=False,
        help_text="Ad budget (decimal string). Setting or changing it needs the set_targets "
        "capability (manager, admin).",
        **MONEY,
    )
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices),
        required=False,
        help_text="Channels the campaign runs on.",
    )
    created_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="User name of who created it; null when unknown.",
    )
    phase = serializers.SerializerMethodField(
        help_text="The campaign's phase today (store-local date)."
    )
    lineup = LineupItemSerializer(
        many=True, read_only=True, help_text="Lineup (write it under .../lineup/)."
    )
    mechanics = MechanicSerializer(
        many=True, read_only=True, help_text="Mechanics (write them under .../mechanics/)."
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "kind",
            "preparation_start",
            "preheat_start",
            "burst_start",
            "burst_end",
            "wrapup_end",
            "phase",
            "gmv_target",
            "ad_budget",
            "channels",
            "baseline",
            "notes",
            "created_by",
            "created_at",
            "lineup",
            "mechanics",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "id": {"help_text": "Campaign id."},
            "name": {"help_text": "Campaign name."},
            "kind": {"help_text": "Platform festival, store event or flash sale."},
            "preparation_start": {"help_text": "Preparation (筹备) starts, store-local date."},
            "preheat_start": {"help_text": "Pre-heat (预热) starts, store-local date."},
            "burst_start": {"help_text": "Burst (爆发) starts, store-local date."},
            "burst_end": {"help_text": "Burst ends (inclusive), store-local date."},
            "wrapup_end": {"help_text": "Wrap-up (返场) ends (inclusive); review follows."},
            "baseline": {"help_text": "Id of an earlier campaign of this store to compare with."},
            "notes": {"help_text": "Free notes."},
            "created_at": {"help_text": "When the campaign was created."},
        }

    def get_phase(self, campaign: Campaign) -> Phase:
        today = timezone.localdate(timezone=store_of(self).zone)
        return campaign.phase_on(today)

    def validate(self, attrs: dict) -> dict:
        values = {name: getattr(self.instance, name, None) for name in PHASE_DATES}
        values.update({name: attrs[name] for name in PHASE_DATES if name in attrs})
        dates = [values[name] for name in PHASE_DATES]
        if None not in dates and any(b < a for a, b in pairwise(dates)):
            raise serializers.ValidationError(
                "Phase dates must be in order: preparation_start <= preheat_start <= "
                "burst_start <= burst_end <= wrapup_end."
            )
        baseline = attrs.get("baseline")
        if baseline is not None and self.instance is not None and baseline.pk == self.instance.pk:
            raise serializers.ValidationError(
                {"baseline": ["A campaign cannot be its own baseline."]}
            )
        return attrs
