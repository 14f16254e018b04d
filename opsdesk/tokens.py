"""Personal REST API tokens: create (the key is shown once), authenticate, revoke.

Only ``sha256(key)`` is stored. A key looks like ``ops_<43 url-safe characters>``; its first
``PREFIX_LENGTH`` characters are kept in clear as ``ApiToken.prefix`` so people can tell their
tokens apart in lists.
"""

import datetime
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .audit import Actor, audit_as, audit_record
from .models import ApiToken, AuditSource, Membership, Store

KEY_PREFIX = "ops_"
PREFIX_LENGTH = 10
#: How long a token lives when the caller does not say, and the longest it may live.
DEFAULT_LIFETIME = datetime.timedelta(days=90)
MAX_LIFETIME = datetime.timedelta(days=366)
#: ``last_used_at`` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedToken:
    """A new token and its plain key; the key exists only here and is never stored."""

    token: ApiToken
    key: str


def hash_key(key: str) -> str:
    """Hex SHA-256 of a token key (what ``ApiToken.key_hash`` holds)."""
    return hashlib.sha256(key.encode()).hexdigest()


def token_create(
    *,
    user: AbstractBaseUser,
    name: str,
    stores: Iterable[Store] = (),
    expires_at: datetime.datetime | None = None,
    source: str = AuditSource.API,
) -> CreatedToken:
    """Create a token for ``user`` and return it with its plain key (shown once).

    Contract:
    - ``stores`` must all be stores ``user`` belongs to (else ``ValidationError`` on
      ``stores``); empty means "every store the user belongs to".
    - ``expires_at`` defaults to now + ``DEFAULT_LIFETIME`` and must lie in the future and
      within ``MAX_LIFETIME`` (else ``ValidationError`` on ``expires_at``).
    - The key is ``secrets.token_urlsafe(32)`` behind ``KEY_PREFIX``; only its SHA-256 is
      written.
    - One audit entry per store the token reaches, all in one transaction.
    """
    now = timezone.now()
    if expires_at is None:
        expires_at = now + DEFAULT_LIFETIME
    if expires_at <= now:
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    if expires_at > now + MAX_LIFETIME:
        raise ValidationError(
            {"expires_at": [f"A token may live at most {MAX_LIFETIME.days} days."]}
        )
    store_list = list(stores)
    member_of = set(
        Membership.objects.filter(user=user, store__in=store_list).values_list(
            "store_id", flat=True
        )
    )
    if any(store.pk not in member_of for store in store_list):
        raise ValidationError({"stores": ["A token can only reach stores you belong to."]})
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=key[:PREFIX_LENGTH],
            key_hash=hash_key(key),
            expires_at=expires_at,
        )
        token.stores.set(store_list)
        for store in token_reach(token=token):
            audit_record(
                store=store,
                user=user,
                action="token.create",
                obj=token,
                changes={"name": name, "expires_at": expires_at.isoformat()},
                source=source,
            )
    return CreatedToken(token=token, key=key)


def token_reach(*, token: ApiToken) -> QuerySet[Store]:
    """The stores a token can reach now: its listed stores (or, with none listed, all of
    them) that its user still belongs to."""
    stores = Store.objects.filter(memberships__user_id=token.user_id)
    listed = token.stores.all()
    if listed.exists():
        stores = stores.filter(pk__in=listed.values("pk"))
    return stores.order_by("name", "pk")


def token_authenticate(*, key: str) -> ApiToken | None:
    """The live token whose key is ``key`` (user loaded), or None when there is no such
    token or it is expired or revoked. Refreshes ``last_used_at`` at most once a minute."""
    if not key.startswith(KEY_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, token: ApiToken, actor: Actor) -> ApiToken:
    """Revoke ``token`` now (idempotent: an already revoked token keeps its first revocation
    time). Writes one audit entry per store the token reached, by ``actor`` (with the token
    the actor's request came through, when it is an API request)."""
    with transaction.atomic():
        if token.revoked_at is None:
            stores = list(token_reach(token=token))
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            for store in stores:
                audit_as(
                    actor,
                    store=store,
                    action="token.revoke",
                    obj=token,
                    changes={"owner": token.user.get_username()},
                )
    return token


def tokens_reaching_store(*, store: Store) -> QuerySet[ApiToken]:
    """Tokens of the store's members that can reach ``store`` (listed on it, or unlimited),
    newest first, users loaded."""
    return (
        ApiToken.objects.filter(user__memberships__store=store)
        .filter(Q(stores=store) | Q(stores__isnull=True))
        .select_related("user")
        .prefetch_related("stores")
        .distinct()
        .order_by("-created_at", "-pk")
    )


def tokens_of_user(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The user's own tokens, live or not, newest first, their stores loaded."""
    return (
        ApiToken.objects.filter(user=user).prefetch_related("stores").order_by("-created_at", "-pk")
    )


def token_revocable_by(
    *, user: AbstractBaseUser, token_id: int, managed_store: Store | None = None
) -> ApiToken | None:
    """The token ``token_id`` if ``user`` may revoke it: their own, or (with
    ``managed_store``, a store the user manages the staff of) a token reaching that store.
    None otherwise, so another user's token is indistinguishable from a missing one."""
    allowed = Q(user=user)
    if managed_store is not None:
        allowed |= Q(pk__in=tokens_reaching_store(store=managed_store).values("pk"))
    return ApiToken.objects.select_related("user").filter(allowed, pk=token_id).first()
