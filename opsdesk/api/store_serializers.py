"""Serializers of the opsdesk core resources: stores, tokens, memberships, the audit log."""

from django.utils import timezone
from rest_framework import serializers

from opsdesk.models import ApiToken, AuditEntry, AuditSource, Membership, Store
from opsdesk.roles import ROLE_CAPABILITIES, Role

from .serializers import StoreDateTimeField, StoreModelSerializer


class StoreSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="Your role in this store.")
    capabilities = serializers.SerializerMethodField(
        help_text="What your role allows in this store (see the README's permission table)."
    )

    class Meta:
        model = Store
        fields = ["slug", "name", "platform", "time_zone", "currency", "role", "capabilities"]
        read_only_fields = fields
        extra_kwargs = {
            "slug": {"help_text": "The store's URL key: /api/v1/stores/{slug}/..."},
            "name": {"help_text": "Display name."},
            "platform": {"help_text": "Marketplace or site the store sells on (tmall, jd...)."},
            "time_zone": {
                "help_text": "IANA time zone; days and datetimes of this store are in it."
            },
            "currency": {"help_text": "ISO 4217 code of the store's money amounts."},
        }

    def get_role(self, store: Store) -> str:
        return self.context["roles"].get(store.pk, "")

    def get_capabilities(self, store: Store) -> list[str]:
        role = self.context["roles"].get(store.pk, "")
        return sorted(c.value for c in ROLE_CAPABILITIES.get(role, frozenset()))


class TokenSerializer(serializers.ModelSerializer):
    stores = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        read_only=True,
        help_text="Slugs of the stores the token is limited to; empty: all your stores.",
    )
    created_at = StoreDateTimeField(read_only=True, help_text="When the token was created.")
    expires_at = StoreDateTimeField(
        read_only=True, help_text="After this instant the token is refused (401)."
    )
    last_used_at = StoreDateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Last authenticated request (to the minute); null if never used.",
    )
    revoked_at = StoreDateTimeField(
        read_only=True, allow_null=True, help_text="When the token was revoked; null if live."
    )
    is_active = serializers.SerializerMethodField(
        help_text="True while the token is neither revoked nor expired."
    )

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "stores",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "is_active",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Token id (use it to revoke the token)."},
            "name": {"help_text": "Your label for the token (what uses it)."},
            "prefix": {"help_text": "The key's first characters, to recognise it."},
        }

    def get_is_active(self, token: ApiToken) -> bool:
        return token.revoked_at is None and token.expires_at > timezone.now()


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, help_text="A label for the token.")
    stores = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        required=False,
        queryset=Store.objects.none(),
        help_text="Slugs of stores to limit the token to (stores you belong to); "
        "leave out for all your stores.",
    )
    expires_at = serializers.DateTimeField(
        required=False,
        help_text="Expiry, at most 366 days ahead; default 90 days from now.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["stores"].child_relation.queryset = Store.objects.filter(
                memberships__user=request.user
            )


class TokenCreatedSerializer(TokenSerializer):
    key = serializers.CharField(
        read_only=True,
        help_text="The token's secret key. Shown only in this response: store it now.",
    )

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


class StoreTokenSerializer(TokenSerializer):
    username = serializers.CharField(
        source="user.username", read_only=True, help_text="Owner of the token."
    )

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "username"]
        read_only_fields = fields


class MembershipSerializer(StoreModelSerializer):
    username = serializers.CharField(
        source="user.username", read_only=True, help_text="The staff member's user name."
    )
    email = serializers.EmailField(
        source="user.email", read_only=True, help_text="The staff member's e-mail address."
    )
    role = serializers.ChoiceField(
        choices=Role.choices, read_only=True, help_text="Role in this store."
    )

    class Meta:
        model = Membership
        fields = ["id", "username", "email", "role", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Membership id."},
            "created_at": {"help_text": "When the member joined the store."},
        }


class MembershipCreateSerializer(serializers.Serializer):
    """Add an existing user to the store."""

    username = serializers.CharField(
        max_length=150, help_text="User name of an existing opsdesk user."
    )
    role = serializers.ChoiceField(choices=Role.choices, help_text="Role in this store.")


class MembershipUpdateSerializer(serializers.Serializer):
    """Change a member's role (the store's last admin cannot be demoted)."""

    role = serializers.ChoiceField(choices=Role.choices, help_text="New role in this store.")


class AuditEntrySerializer(StoreModelSerializer):
    username = serializers.SerializerMethodField(
        help_text="Who wrote (null when the user is gone or it was a background task)."
    )
    token = serializers.SerializerMethodField(
        help_text="Prefix of the API token the write came through; null otherwise."
    )
    source = serializers.ChoiceField(
        choices=AuditSource.choices, read_only=True, help_text="Channel of the write."
    )

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "username",
            "token",
            "source",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Entry id (increasing)."},
            "created_at": {"help_text": "When the write committed."},
            "action": {"help_text": "What was done, as object.verb (sku.update, events.ingest)."},
            "object_type": {"help_text": "app_label.model of the written row(s)."},
            "object_id": {"help_text": "Id of the written row; empty for batches."},
            "object_repr": {"help_text": "The row as text at the time of the write."},
            "changes": {
                "help_text": "Changed fields as {field: [old, new]}, or the written values / "
                "counts of a create or a batch."
            },
        }

    def get_username(self, entry: AuditEntry) -> str | None:
        return entry.user.get_username() if entry.user is not None else None

    def get_token(self, entry: AuditEntry) -> str | None:
        return entry.token.prefix if entry.token is not None else None
