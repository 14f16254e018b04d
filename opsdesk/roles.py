"""Staff roles per store and what each may do.

One table, read by the pages, the admin and (later) the API, so a role means the same thing
everywhere. Capabilities are coarse verbs over the business areas of DOMAIN.md.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Store admin")
    MANAGER = "manager", _("Manager")
    OPERATOR = "operator", _("Operator")
    ANALYST = "analyst", _("Analyst")


class Capability(StrEnum):
    VIEW = "view"  # read everything of the store, reports included
    EDIT_CATALOG = "edit_catalog"  # SKUs, categories, prices, compliance terms
    EDIT_CUSTOMERS = "edit_customers"  # customers, segments, member levels, playbooks
    IMPORT_DATA = "import_data"  # facts in: orders, refunds, events, ad spend
    EDIT_CAMPAIGNS = "edit_campaigns"  # campaigns, lineups, mechanics
    SET_TARGETS = "set_targets"  # GMV targets and ad budgets
    MANAGE_STAFF = "manage_staff"  # memberships, the store's settings, tokens of others


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.MANAGER: frozenset(Capability) - {Capability.MANAGE_STAFF},
    Role.OPERATOR: frozenset(
        {
            Capability.VIEW,
            Capability.EDIT_CATALOG,
            Capability.EDIT_CUSTOMERS,
            Capability.IMPORT_DATA,
            Capability.EDIT_CAMPAIGNS,
        }
    ),
    Role.ANALYST: frozenset({Capability.VIEW}),
}


def role_allows(role: str, capability: Capability) -> bool:
    """True when ``role`` grants ``capability``; unknown roles grant nothing."""
    return capability in ROLE_CAPABILITIES.get(role, frozenset())
