"""Indexes no query needs, each one more write per row imported: the single-column
``store_id`` index of tables whose other indexes start with the store (see
``opsdesk.models.store_key``), order lines' (store, SKU) index, and orders' customer index,
now the lead of (customer, paid_at), which replaces (store, customer, paid_at). The foreign
keys stay as they are (``DROP INDEX``, no table rewrite or re-validation)."""

import django.db.models.deletion
from django.db import migrations, models

FIELD = models.ForeignKey(
    db_index=False,
    on_delete=django.db.models.deletion.CASCADE,
    related_name="+",
    to="opsdesk.store",
    verbose_name="store",
)


def drop_store_index(
    model_name: str, table: str, index: str
) -> migrations.SeparateDatabaseAndState:
    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name="store", field=FIELD)],
        database_operations=[
            migrations.RunSQL(
                f'DROP INDEX IF EXISTS "{index}"',
                reverse_sql=f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("store_id")',
            )
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0006_import_price_cuts"),
        ("opsdesk", "0002_api_tokens_audit"),
    ]

    operations = [
        drop_store_index("order", "analytics_order", "analytics_order_store_id_f4a74742"),
        drop_store_index(
            "orderline", "analytics_orderline", "analytics_orderline_store_id_07056861"
        ),
        drop_store_index("refund", "analytics_refund", "analytics_refund_store_id_7c4ab4f9"),
        # Lines are looked up by order or by SKU (a SKU belongs to one store).
        migrations.RemoveIndex(model_name="orderline", name="orderline_store_sku_idx"),
        # A customer's orders by (customer, paid_at), which also serves the customer key: a
        # customer belongs to one store, the store in front added nothing.
        migrations.RemoveIndex(model_name="order", name="order_customer_paid_idx"),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["customer", "paid_at"], name="order_customer_paid_idx"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="order",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="orders",
                        to="users.customer",
                        verbose_name="customer",
                    ),
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "analytics_order_customer_id_33db038a"',
                    reverse_sql='CREATE INDEX IF NOT EXISTS "analytics_order_customer_id_33db038a" '
                    'ON "analytics_order" ("customer_id")',
                )
            ],
        ),
    ]
