"""View-only admin of the import runs (registered from ``analytics/admin.py``): a run is a
record of what an import did; it is never edited by hand."""

from django.contrib import admin

from analytics.models import ImportRun
from opsdesk.admin_scoping import ReadOnlyStoreAdmin, StoreListFilter


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyStoreAdmin):
    list_display = (
        "created_at", "file_name", "kind", "preset", "status", "dry_run", "rows", "created",
        "updated", "unchanged", "rejected", "created_by", "store",
    )  # fmt: skip
    list_filter = (StoreListFilter, "kind", "status")
    list_select_related = ("store", "created_by")
    search_fields = ("file_name", "sha256")
