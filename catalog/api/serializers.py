"""Serializers of the catalog API: categories, SKUs and their price history."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from catalog.models import Category, PriceChange, ProductRole, RoleSuggestionDecision, Sku
from opsdesk.api.serializers import StoreModelSerializer, store_of

ID_MAX = 2**63 - 1


class CategorySerializer(StoreModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "parent"]
        extra_kwargs = {
            "id": {"help_text": "Category id."},
            "name": {"help_text": "Name, unique in the store.", "validators": []},
            "parent": {"help_text": "Id of the parent category of this store; null at the top."},
        }

    def validate_name(self, value: str) -> str:
        taken = Category.objects.filter(store=store_of(self), name=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("This store already has this category.")
        return value


class SkuSerializer(StoreModelSerializer):
    price = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text="Current selling price, a decimal string in the store's currency.",
    )
    cost = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text="Unit cost, a decimal string in the store's currency.",
    )
    # Bounds of a 32-bit integer column, the narrowest of the supported databases, so the schema
    # is the same whichever database generated it.
    stock = serializers.IntegerField(
        min_value=-(2**31),
        max_value=2**31 - 1,
        required=False,
        help_text="Units in stock now (negative when oversold).",
    )
    price_note = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="Why the price changes; kept with the price-change record.",
    )
    price_confirmation = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Needed when the new price exposes paid orders of the last price-protection "
        "days to claims (保价): the `confirmation` of that exposure from "
        "`reports/price-exposure/?sku=&new_price=`. Without it, or when the exposure changed "
        "since (orders paid, refunded or aged out, another price), the change is refused "
        "with a 400 naming the current exposure; fetch it again and confirm.",
    )

    class Meta:
        model = Sku
        fields = [
            "id",
            "code",
            "title",
            "description",
            "category",
            "role",
            "price",
            "cost",
            "stock",
            "status",
            "listed_on",
            "created_at",
            "updated_at",
            "price_note",
            "price_confirmation",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            "id": {"help_text": "SKU id."},
            "code": {"help_text": "The shop's SKU code (商家编码), unique in the store."},
            "title": {"help_text": "Product title (checked against banned terms)."},
            "description": {"help_text": "Product description."},
            "category": {"help_text": "Id of a category of this store, or null."},
            "role": {
                "help_text": "Product-matrix role: traffic (引流款), profit (利润款), image "
                "(形象款), or empty when not assigned."
            },
            "status": {"help_text": "On shelf, off shelf or delisted."},
            "listed_on": {"help_text": "Store-local date the SKU was first listed."},
            "created_at": {"help_text": "When the SKU was created."},
            "updated_at": {"help_text": "When the SKU last changed."},
        }

    def validate_code(self, value: str) -> str:
        taken = Sku.objects.filter(store=store_of(self), code=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("This store already has a SKU with this code.")
        return value


class PriceChangeSerializer(StoreModelSerializer):
    changed_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="User name of who changed the price; null when unknown.",
    )

    class Meta:
        model = PriceChange
        fields = ["id", "sku", "old_price", "new_price", "changed_at", "changed_by", "note"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Price-change id."},
            "sku": {"help_text": "Id of the SKU whose price changed."},
            "old_price": {"help_text": "Price before the change (decimal string)."},
            "new_price": {"help_text": "Price after the change (decimal string)."},
            "changed_at": {"help_text": "When the price changed."},
            "note": {"help_text": "Why the price changed."},
        }


# --- acting on the reports: delisting candidates, role suggestions, compliance findings -------


class SkuDelistSerializer(serializers.Serializer):
    skus = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        min_length=1,
        max_length=1000,
        help_text="Ids of SKUs of this store to delist, e.g. the delisting candidates of "
        "reports/sku-health/?only=delisting_candidate. All or nothing: an id that is not a SKU "
        "of this store refuses the whole request.",
    )


class SkuDelistResultSerializer(serializers.Serializer):
    delisted = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Ids delisted by this request (SKUs already delisted are left out).",
    )


class RoleDecisionRequestSerializer(serializers.Serializer):
    # A string checked against the roles (not a second enum of the same choices in the schema).
    suggested_role = serializers.CharField(
        max_length=10,
        help_text="The suggested role answered (reports/product-matrix/ suggestions): traffic, "
        "profit or image.",
    )
    accepted = serializers.BooleanField(
        help_text="true: the SKU takes the role; false: the role is not suggested again."
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        default="",
        help_text="The suggestion's reason or the operator's, kept with the decision.",
    )

    def validate_suggested_role(self, value: str) -> str:
        if value not in ProductRole.values:
            raise serializers.ValidationError(
                _("Unknown role %(role)s: traffic, profit or image.") % {"role": value}
            )
        return value


class RoleDecisionSerializer(StoreModelSerializer):
    # Plain strings: the role choice sets already have their names in the schema.
    suggested_role = serializers.CharField(
        read_only=True, help_text="The role suggested: traffic, profit or image."
    )
    previous_role = serializers.CharField(
        read_only=True, help_text="The SKU's role before; empty when untagged."
    )
    decided_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="User name of who decided; null when unknown.",
    )

    class Meta:
        model = RoleSuggestionDecision
        fields = [
            "id",
            "sku",
            "suggested_role",
            "previous_role",
            "accepted",
            "reason",
            "decided_at",
            "decided_by",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Decision id."},
            "sku": {"help_text": "Id of the SKU."},
            "accepted": {"help_text": "Whether the suggestion was accepted."},
            "reason": {"help_text": "Why."},
            "decided_at": {"help_text": "When it was decided."},
        }


class ApplyReplacementSerializer(serializers.Serializer):
    finding = serializers.IntegerField(
        min_value=1,
        max_value=ID_MAX,
        help_text="Id of an open compliance finding of this SKU (reports/compliance/): every "
        "hit of its term in that field is replaced by the term's neutral replacement.",
    )
