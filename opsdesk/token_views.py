"""API token pages (API 令牌) under the user's account.

* ``/accounts/tokens/``: the user's own tokens (name, stores it is limited to, created,
  expires, last used, revoked) and the form that creates one; the new key is shown once, in the
  answer to that POST (never stored, never cached).
* ``/accounts/tokens/store/``: for store admins (MANAGE_STAFF), the tokens of the current
  store's staff that reach the store, without naming the other stores a token reaches.
* ``/accounts/tokens/<id>/revoke/``: a confirmation page, then the revocation (the owner, or an
  admin of a store the token reaches). Another user's token is a 404 for anyone else.

Every write goes through ``opsdesk.tokens`` (``token_create``, ``token_revoke``), which writes
one audit entry (source "web") per store the token reaches.
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_http_methods

from .audit import Actor
from .models import ApiToken, AuditSource, Store
from .roles import Capability
from .tokens import (
    DEFAULT_LIFETIME,
    token_create,
    token_revocable_by,
    token_revoke,
    tokens_of_user,
    tokens_reaching_store,
)
from .views import paginate, store_page

#: The lifetimes offered, in days (the longest is within ``opsdesk.tokens.MAX_LIFETIME``).
LIFETIME_DAYS = (7, 30, 90, 180, 365)


def _lifetime_choices() -> list[tuple[int, str]]:
    """The lifetimes in the active language (called when the form is built)."""
    return [
        (days, ngettext("%(days)d day", "%(days)d days", days) % {"days": days})
        for days in LIFETIME_DAYS
    ]


class TokenCreateForm(forms.Form):
    """Name, lifetime and the stores (among the user's memberships) of a new token."""

    name = forms.CharField(
        label=pgettext_lazy("token", "Name"),
        max_length=80,
        help_text=gettext_lazy("What uses the token, e.g. the BI export or a sync script."),
    )
    lifetime_days = forms.TypedChoiceField(
        label=gettext_lazy("Expires after"),
        coerce=int,
        choices=_lifetime_choices,
        initial=DEFAULT_LIFETIME.days,
    )
    stores = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Stores it may reach"),
        queryset=Store.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Only these stores, with your role in each; scripts get 404 for any other."
        ),
        error_messages={
            "required": gettext_lazy("Choose at least one store."),
            "invalid_choice": gettext_lazy("Choose stores you belong to."),
            "invalid_pk_value": gettext_lazy("Choose stores you belong to."),
        },
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].queryset = Store.objects.filter(memberships__user=user).order_by(
            "name", "pk"
        )


@dataclass(frozen=True)
class TokenRow:
    """A token as a row of the lists: ``state`` is "active", "expired" or "revoked";
    ``stores`` the names of the stores it is limited to (empty: every store of its owner);
    ``reach`` (store list only) is "only", "more" or "all"."""

    token: ApiToken
    state: str
    stores: tuple[str, ...] = ()
    reach: str = ""


def _state(token: ApiToken, now: datetime.datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "active" if token.expires_at > now else "expired"


def _may_manage_tokens(request: HttpRequest) -> bool:
    return request.membership.allows(Capability.MANAGE_STAFF)


def _form_errors(form: forms.Form, error: ValidationError) -> None:
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


@require_http_methods(["GET", "POST"])
@store_page
def token_list(request: HttpRequest) -> HttpResponse:
    """The user's own tokens and the create form. A valid POST creates the token and answers
    this page with its key (shown this once); an invalid one is a 400 with the form's errors
    and writes nothing."""
    created = None
    status = 200
    if request.method == "POST":
        form = TokenCreateForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                created = token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    stores=form.cleaned_data["stores"],
                    expires_at=timezone.now()
                    + datetime.timedelta(days=form.cleaned_data["lifetime_days"]),
                    source=AuditSource.WEB,
                )
            except ValidationError as error:
                _form_errors(form, error)
        if created is None:
            status = 400
        else:
            form = TokenCreateForm(user=request.user, initial={"stores": [request.store.pk]})
    else:
        form = TokenCreateForm(user=request.user, initial={"stores": [request.store.pk]})
    member_of = {membership.store_id for membership in request.memberships}
    now = timezone.now()
    page = paginate(request, tokens_of_user(user=request.user))
    rows = [
        TokenRow(
            token=token,
            state=_state(token, now),
            stores=tuple(store.name for store in token.stores.all() if store.pk in member_of),
        )
        for token in page
    ]
    response = render(
        request,
        "opsdesk/token_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "created": created,
            "can_manage": _may_manage_tokens(request),
            "roles": {m.store_id: m.get_role_display() for m in request.memberships},
            "api_root": request.build_absolute_uri("/api/v1/stores/"),
        },
        status=status,
    )
    # The answer may hold a new key: no cache may keep it.
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET"])
@store_page
def token_store_list(request: HttpRequest) -> HttpResponse:
    """The tokens of the current store's staff that reach it (store admins only)."""
    if not _may_manage_tokens(request):
        raise PermissionDenied
    store = request.store
    now = timezone.now()
    page = paginate(request, tokens_reaching_store(store=store))
    rows = []
    for token in page:
        listed = {listed_store.pk for listed_store in token.stores.all()}
        reach = "all" if not listed else ("only" if listed == {store.pk} else "more")
        rows.append(TokenRow(token=token, state=_state(token, now), reach=reach))
    return render(
        request, "opsdesk/token_store_list.html", {"page": page, "rows": rows, "can_manage": True}
    )


@require_http_methods(["GET", "POST"])
@store_page
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    """GET asks for confirmation; POST revokes (audited). The token must be the user's own or
    reach the current store whose staff the user manages; anything else is a 404."""
    token = token_revocable_by(
        user=request.user,
        token_id=token_id,
        managed_store=request.store if _may_manage_tokens(request) else None,
    )
    if token is None:
        raise Http404(_("No such token."))
    back = "token_list" if token.user_id == request.user.pk else "token_store_list"
    if token.revoked_at is not None:
        messages.info(request, _("Token %(name)s was already revoked.") % {"name": token.name})
        return redirect(back)
    if request.method == "POST":
        token_revoke(token=token, actor=Actor(user=request.user, source=AuditSource.WEB))
        messages.success(
            request,
            _("Token %(name)s revoked: requests with it are now refused (401).")
            % {"name": token.name},
        )
        return redirect(back)
    return render(
        request,
        "opsdesk/token_revoke.html",
        {
            "token": token,
            "own": token.user_id == request.user.pk,
            "back": back,
            "can_manage": _may_manage_tokens(request),
        },
    )
