"""Drop the single-column ``store_id`` index of tables whose every index starts with the
store (see ``opsdesk.models.store_key``): one index less to write per row. Only the index
goes: the foreign key stays as it is (``DROP INDEX``, no table rewrite or re-validation)."""

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
        ("analytics", "0005_visitor_sets_funnel_days"),
        ("opsdesk", "0002_api_tokens_audit"),
    ]

    operations = [
        drop_store_index("order", "analytics_order", "analytics_order_store_id_f4a74742"),
        drop_store_index(
            "orderline", "analytics_orderline", "analytics_orderline_store_id_07056861"
        ),
        drop_store_index("refund", "analytics_refund", "analytics_refund_store_id_7c4ab4f9"),
    ]
