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
        ("opsdesk", "0002_api_tokens_audit"),
        ("users", "0003_playbook_trigger_cooldown_and_jobs"),
    ]

    operations = [
        drop_store_index("customer", "users_customer", "users_customer_store_id_67eb944f"),
    ]
