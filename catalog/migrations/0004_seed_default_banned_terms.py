"""Give the handbook's banned-term list to existing stores that never had a list.

Until ``store_create`` seeded it, a store started with an empty list. A store whose list is
empty AND whose audit log has no banned-term write at all never had a list: it gets the
default list. A store with any terms keeps exactly its terms, and a store whose list was
emptied on purpose (its audit log shows banned-term writes) stays empty. No re-scan is queued
here (a migration must not depend on the task queue): the nightly scan opens the findings.
"""

from django.db import migrations

#: Frozen copy of ``catalog.compliance.DEFAULT_TERMS`` as of this migration.
DEFAULT_TERMS = (
    ("最", "很", "最近,最后,最初,最终"),
    ("最佳", "优选", ""),
    ("最好", "很好", ""),
    ("最低", "实惠", ""),
    ("第一", "领先", "第一次,第一步,第一天"),
    ("唯一", "独特", ""),
    ("首个", "较早", ""),
    ("首选", "推荐", ""),
    ("顶级", "高品质", ""),
    ("国家级", "专业级", ""),
    ("世界级", "国际水准", ""),
    ("极品", "精品", ""),
    ("绝对", "非常", ""),
    ("万能", "多用途", ""),
    ("100%", "高比例", ""),
    ("全网最低", "超值", ""),
)


def seed_never_listed_stores(apps, schema_editor):
    Store = apps.get_model("opsdesk", "Store")
    BannedTerm = apps.get_model("catalog", "BannedTerm")
    AuditEntry = apps.get_model("opsdesk", "AuditEntry")
    listed = set(BannedTerm.objects.values_list("store_id", flat=True).distinct())
    edited = set(
        AuditEntry.objects.filter(action__startswith="bannedterm.")
        .values_list("store_id", flat=True)
        .distinct()
    )
    for store_id in Store.objects.exclude(pk__in=listed | edited).values_list("pk", flat=True):
        BannedTerm.objects.bulk_create(
            BannedTerm(
                store_id=store_id, term=term, replacement=replacement, allowed_phrases=allowed
            )
            for term, replacement, allowed in DEFAULT_TERMS
        )
        AuditEntry.objects.create(
            store_id=store_id,
            source="task",
            action="bannedterm.seed",
            object_type="catalog.bannedterm",
            changes={"added": [term for term, _, _ in DEFAULT_TERMS], "by": "migration"},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_sku_status_history"),
        ("opsdesk", "0002_api_tokens_audit"),
    ]

    operations = [
        migrations.RunPython(seed_never_listed_stores, migrations.RunPython.noop),
    ]
