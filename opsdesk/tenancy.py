"""The current store of a request.

A signed-in staff member works in one store at a time, chosen with the store switcher and kept
in the session. ``request.store`` and ``request.membership`` are only ever set to a store the
user belongs to; everything else reads the store from there, never from the URL or a form.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .models import Membership, Store

SESSION_KEY = "opsdesk_store_id"


def memberships_of(user) -> list[Membership]:
    """The user's memberships, stores loaded, ordered by store name."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user).select_related("store").order_by("store__name")
    )


def stores_of(user):
    """Queryset of the stores a user belongs to (every store for a superuser)."""
    if user.is_superuser:
        return Store.objects.all()
    return Store.objects.filter(memberships__user=user)


class CurrentStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.store = None
        request.membership = None
        request.memberships = []
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = memberships_of(user)
            request.memberships = memberships
            chosen = request.session.get(SESSION_KEY)
            current = next((m for m in memberships if m.store_id == chosen), None)
            if current is None and memberships:
                current = memberships[0]
                request.session[SESSION_KEY] = current.store_id
            if current is not None:
                request.membership = current
                request.store = current.store
        return self.get_response(request)


def store_context(request: HttpRequest) -> dict:
    return {
        "current_store": getattr(request, "store", None),
        "current_membership": getattr(request, "membership", None),
        "store_memberships": getattr(request, "memberships", []),
    }
