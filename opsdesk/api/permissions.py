"""Role checks for the store-scoped API: the caller's membership must grant the capability
the view's action needs (``opsdesk.roles``). Non-members never get here: the store lookup
answers them 404 first."""

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class HasStoreCapability(BasePermission):
    code = "permission_denied"

    def has_permission(self, request: Request, view) -> bool:
        membership = view.membership  # resolves the store: 404 for a store not reachable
        capability = view.required_capability()
        if membership.allows(capability):
            return True
        self.message = _(
            "Your role in this store (%(role)s) may not do this: it needs the "
            "'%(capability)s' capability."
        ) % {"role": membership.role, "capability": capability.value}
        return False
