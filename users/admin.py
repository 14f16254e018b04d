from django.contrib import admin

from opsdesk.admin_scoping import StoreListFilter, StoreScopedAdmin
from opsdesk.roles import Capability

from .models import Customer, MemberLevel, MemberLevelChange, TierChange


class CustomersAdmin(StoreScopedAdmin):
    write_capability = Capability.EDIT_CUSTOMERS


@admin.register(MemberLevel)
class MemberLevelAdmin(CustomersAdmin):
    list_display = ("code", "name", "min_spend", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("store",)
    search_fields = ("code", "name")


@admin.register(Customer)
class CustomerAdmin(CustomersAdmin):
    list_display = (
        "external_id",
        "name",
        "region",
        "gender",
        "member_level",
        "points",
        "registered_on",
        "store",
    )
    list_filter = (StoreListFilter, "gender")
    list_select_related = ("member_level", "store")
    search_fields = ("external_id", "name")


@admin.register(TierChange)
class TierChangeAdmin(CustomersAdmin):
    list_display = ("customer", "day", "previous_tier", "tier", "store")
    list_filter = (StoreListFilter, "tier")
    list_select_related = ("customer", "store")
    search_fields = ("customer__external_id", "customer__name")
    autocomplete_fields = ("customer",)


@admin.register(MemberLevelChange)
class MemberLevelChangeAdmin(CustomersAdmin):
    list_display = ("customer", "day", "previous_level", "level", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("customer", "level", "previous_level", "store")
    search_fields = ("customer__external_id", "customer__name")
    autocomplete_fields = ("customer",)
