"""Import resources under ``/api/v1/stores/{store_slug}/``:

- ``imports/``: GET the store's import runs (newest first); POST a file (multipart: ``kind``,
  ``file``, optional ``preset``, ``dry_run``, ``encoding``, ``mapping``,
  ``price_cuts_confirmation``) to import or preview it. The answer is the run, its counts and
  its error report; a large file is imported by a task and the run is ``pending`` /
  ``running`` (poll the list with ``?id=``). A SKU file whose price cuts expose paid orders to
  price-protection claims (保价) is imported only with the ``price_cuts_confirmation`` of its
  preview, while the exposure is still the one the preview listed in ``price_cuts``.
- ``order-batches/``: POST a JSON array of up to 1000 orders with their lines, idempotent on
  the client-supplied order ``number``: a re-sent order changes nothing, a changed one is
  updated. All or nothing.
"""

import json

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from analytics.ingest import MAX_BATCH_SIZE
from analytics.models import ImportKind, ImportRun, ImportStatus, Order, OrderStatus
from opsdesk.api.exceptions import PayloadTooLarge
from opsdesk.api.serializers import StoreDateTimeField
from opsdesk.api.viewsets import StoreScopedViewSet
from opsdesk.channels import Channel
from opsdesk.models import Store
from opsdesk.roles import Capability

from .presets import PresetError
from .services import create_run, progress_of, start, write_rows

MONEY = {"max_digits": 14, "decimal_places": 2}


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Spreadsheet row (the header is row 1).")
    column = serializers.CharField(help_text="The file's column (or the field).")
    value = serializers.CharField(help_text="The cell as written.")
    reason = serializers.CharField(help_text="What is wrong.")


class PriceCutSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Spreadsheet row of the SKU.")
    sku_code = serializers.CharField(help_text="SKU code.")
    old_price = serializers.DecimalField(help_text="Price before the import.", **MONEY)
    new_price = serializers.DecimalField(help_text="Price in the file (a cut).", **MONEY)
    orders = serializers.IntegerField(
        help_text="Paid orders of the store's price-protection window (30 days by default) "
        "that paid more than new_price (not cancelled or refunded)."
    )
    units = serializers.IntegerField(help_text="Units of the SKU on those orders.")
    amount = serializers.DecimalField(
        help_text="Most buyers could claim: sum of (unit price paid - new price) x units.",
        **MONEY,
    )


class ImportRunSerializer(serializers.ModelSerializer):
    errors = ProblemSerializer(many=True, read_only=True, help_text="The error report.")
    price_cuts = PriceCutSerializer(
        many=True,
        read_only=True,
        help_text="SKU price cuts of the file that expose paid orders to price-protection "
        "claims (保价), by row: to confirm (a preview, or an import refused without a valid "
        "confirmation) or confirmed (an import that succeeded). Empty for other kinds.",
    )
    progress = serializers.SerializerMethodField(help_text="Percent done (0-100).")
    created_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Who uploaded it (null: a script).",
    )

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "kind",
            "preset",
            "file_name",
            "file_size",
            "sha256",
            "encoding",
            "mapping",
            "dry_run",
            "status",
            "rows",
            "created",
            "updated",
            "unchanged",
            "rejected",
            "errors",
            "message",
            "price_cuts",
            "price_cuts_confirmation",
            "progress",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Run id."},
            "kind": {"help_text": "What was imported."},
            "preset": {"help_text": "Preset id (file layout)."},
            "file_name": {"help_text": "Name of the uploaded file."},
            "file_size": {"help_text": "Bytes."},
            "sha256": {"help_text": "SHA-256 of the file."},
            "dry_run": {"help_text": "A preview: nothing was written."},
            "status": {
                "help_text": "pending, running, previewed, needs_mapping, rejected, "
                "succeeded or failed."
            },
            "rows": {"help_text": "Data rows read."},
            "created": {"help_text": "Rows created (would be, for a preview)."},
            "updated": {"help_text": "Rows updated."},
            "unchanged": {"help_text": "Rows already identical."},
            "rejected": {"help_text": "Rows with problems (then nothing is written)."},
            "message": {"help_text": "Outcome in words."},
            "price_cuts_confirmation": {
                "help_text": "A preview's signed confirmation of exactly the exposures in "
                "price_cuts: send it as price_cuts_confirmation with the import of the same "
                "file. Empty when there is nothing to confirm, and on other runs."
            },
            "created_at": {"help_text": "When it was uploaded."},
            "started_at": {"help_text": "When it started."},
            "finished_at": {"help_text": "When it finished."},
        }

    def get_progress(self, run: ImportRun) -> int:
        return progress_of(run)


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices, help_text="What the file holds.")
    file = serializers.FileField(help_text="CSV (UTF-8, UTF-8-BOM, GBK, GB18030) or XLSX.")
    preset = serializers.CharField(
        required=False, help_text="Preset id (taobao_orders, shopify_orders...); default generic."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Preview: validate and count, write nothing."
    )
    encoding = serializers.ChoiceField(
        choices=["", "utf-8", "utf-8-sig", "gbk", "gb18030"],
        required=False,
        default="",
        help_text="CSV encoding; empty: detected.",
    )
    mapping = serializers.CharField(
        required=False,
        default="",
        help_text='JSON object field -> file header, e.g. {"order_number": "Order No"}.',
    )

    price_cuts_confirmation = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text="Needed to import a SKU file whose price cuts expose paid orders to "
        "price-protection claims (保价): the price_cuts_confirmation of its preview (dry_run). "
        "Without it, or when the exposure changed since the preview (orders paid, refunded or "
        "aged out), the run is rejected, nothing is written, and price_cuts lists the current "
        "exposure: preview again and confirm.",
    )

    def validate_mapping(self, value: str) -> dict:
        if not value:
            return {}
        try:
            mapping = json.loads(value)
        except ValueError:
            raise serializers.ValidationError(_("Not JSON.")) from None
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise serializers.ValidationError(_("A JSON object of field: header."))
        return mapping


class ImportRunViewSet(mixins.ListModelMixin, StoreScopedViewSet):
    """Import runs of the store; POST a file to import (or preview) it."""

    model = ImportRun
    serializer_class = ImportRunSerializer
    write_capability = Capability.IMPORT_DATA
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    ordering = ["-created_at", "-id"]
    ordering_fields = ["created_at"]

    def scoped_queryset(self, store: Store) -> QuerySet[ImportRun]:
        queryset = ImportRun.objects.filter(store=store).select_related("created_by")
        run_id = self.request.query_params.get("id", "") if self.request else ""
        if run_id:
            if not run_id.isdigit():
                raise exceptions.ValidationError({"id": [_("A run id is a number.")]})
            queryset = queryset.filter(pk=int(run_id))
        return queryset

    @extend_schema(
        parameters=[OpenApiParameter("id", int, description="Only this run (poll progress).")]
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ImportRunSerializer},
        summary="Import or preview a file (all or nothing)",
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        try:
            run = create_run(
                store=self.store,
                kind=data["kind"],
                source=data["file"],
                file_name=data["file"].name,
                user=request.user,
                preset=data.get("preset"),
                dry_run=data["dry_run"],
                encoding=data["encoding"],
                mapping=data["mapping"],
            )
        except PresetError as error:
            raise exceptions.ValidationError({"preset": [str(error)]}) from error
        run = start(
            run, actor=self.actor, price_confirmation=data["price_cuts_confirmation"] or None
        )
        body = ImportRunSerializer(run, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


class LineInputSerializer(serializers.Serializer):
    sku_code = serializers.CharField(max_length=64, help_text="SKU code (must exist).")
    quantity = serializers.IntegerField(min_value=1, max_value=10**6, help_text="Units.")
    unit_price = serializers.DecimalField(min_value=0, help_text="Unit price paid.", **MONEY)
    unit_cost = serializers.DecimalField(
        min_value=0, required=False, allow_null=True, help_text="Default: the SKU's cost.", **MONEY
    )


class OrderInputSerializer(serializers.Serializer):
    number = serializers.CharField(
        max_length=64, help_text="Your order number: the idempotency key (re-sending is a no-op)."
    )
    customer_id = serializers.CharField(
        max_length=64, help_text="Buyer's external id; created if the store lacks it."
    )
    customer_name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, help_text="Name for a new customer."
    )
    created_at = StoreDateTimeField(help_text="ISO 8601; no offset: store-local time.")
    paid_at = StoreDateTimeField(required=False, allow_null=True, help_text="Null if unpaid.")
    status = serializers.ChoiceField(choices=OrderStatus.choices, help_text="Order status.")
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, default="other", help_text="Traffic source."
    )
    goods_amount = serializers.DecimalField(
        required=False, allow_null=True, help_text="Default: sum of the lines.", **MONEY
    )
    discount_amount = serializers.DecimalField(
        required=False, allow_null=True, help_text="Default 0.", **MONEY
    )
    shipping_amount = serializers.DecimalField(
        required=False, allow_null=True, help_text="Default 0.", **MONEY
    )
    paid_amount = serializers.DecimalField(
        help_text="Goods after discounts plus shipping.", **MONEY
    )
    lines = LineInputSerializer(many=True, required=False, help_text="The order's lines.")


class OrderBatchResultSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Orders in the batch.")
    created = serializers.IntegerField(help_text="Orders created.")
    updated = serializers.IntegerField(help_text="Orders changed by this batch.")
    unchanged = serializers.IntegerField(help_text="Orders already identical (re-sent).")


class OrderBatchViewSet(StoreScopedViewSet):
    """Push orders with lines: POST a JSON array of up to 1000 orders, idempotent on
    ``number``. All or nothing; errors are keyed ``<index>.<field>``."""

    model = Order
    write_capability = Capability.IMPORT_DATA
    schema_extra_errors = {"POST": ["413"]}
    serializer_class = OrderInputSerializer
    filter_backends = []
    pagination_class = None

    def scoped_queryset(self, store: Store) -> QuerySet[Order]:
        return Order.objects.filter(store=store)

    @extend_schema(
        request=OrderInputSerializer(many=True),
        responses={200: OrderBatchResultSerializer},
        summary="Push a batch of orders (idempotent on number)",
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        if not isinstance(request.data, list):
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Send a JSON array of objects.")]}
            )
        if len(request.data) > MAX_BATCH_SIZE:
            raise PayloadTooLarge(
                _("A batch holds at most %(max)d items; this one has %(count)d. Split it.")
                % {"max": MAX_BATCH_SIZE, "count": len(request.data)}
            )
        if not request.data:
            raise exceptions.ValidationError({"non_field_errors": [_("The batch is empty.")]})
        serializer = OrderInputSerializer(
            data=request.data, many=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        rows, seen = [], {}
        for index, order in enumerate(serializer.validated_data):
            if order["number"] in seen:
                raise exceptions.ValidationError(
                    {f"{index}.number": [_("Repeats item %(i)d.") % {"i": seen[order["number"]]}]}
                )
            seen[order["number"]] = index
            values = {k: v for k, v in order.items() if k not in ("lines", "number")}
            values["order_number"] = order["number"]
            lines = order.get("lines") or [{}]
            rows.append((index, {**values, **lines[0]}))
            rows.extend((index, {"order_number": order["number"], **line}) for line in lines[1:])
        ctx = write_rows(
            store=self.store,
            kind=ImportKind.ORDERS,
            rows=rows,
            actor=self.actor,
            action="orders.push",
        )
        if ctx.problems:
            raise exceptions.ValidationError(
                {
                    f"{p.row}.{p.column}": [f"{p.reason} ({p.value})" if p.value else p.reason]
                    for p in ctx.problems
                }
            )
        result = {
            "received": len(serializer.validated_data),
            "created": ctx.created,
            "updated": ctx.updated,
            "unchanged": ctx.unchanged,
        }
        return Response(OrderBatchResultSerializer(result).data)


__all__ = ["ImportRunViewSet", "ImportStatus", "OrderBatchViewSet"]
