"""Serializers of the customers API."""

from rest_framework import serializers

from opsdesk.api.serializers import StoreModelSerializer
from users.models import Customer, MemberLevel, Tier


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
