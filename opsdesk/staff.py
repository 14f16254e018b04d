"""Staff of a store: add a member, change a member's role, remove a member.

Every write is audited and runs in one transaction that locks the store's admin memberships,
so two concurrent requests cannot both take away the last admin.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .audit import Actor, audit_as
from .models import Membership, Store
from .roles import Role


class LastAdminError(ValidationError):
    """The change would leave the store without an admin."""


def _lock_admins(store: Store) -> list[int]:
    """Lock and return the ids of the store's admin memberships (inside a transaction)."""
    return list(
        Membership.objects.select_for_update()
        .filter(store=store, role=Role.ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def membership_add(*, store: Store, actor: Actor, username: str, role: str) -> Membership:
    """Give the existing user ``username`` ``role`` in ``store``."""
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role %(role)s.") % {"role": role}]})
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError(
            {"username": [_("No user named %(username)s.") % {"username": username}]}
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, store=store, role=role)
            audit_as(
                actor,
                store=store,
                action="membership.create",
                obj=membership,
                changes={"username": username, "role": role},
            )
    except IntegrityError as error:
        raise ValidationError(
            {"username": [_("%(username)s is already a member.") % {"username": username}]}
        ) from error
    return membership


def membership_change_role(*, membership: Membership, actor: Actor, role: str) -> Membership:
    """Change a member's role; demoting the last admin is refused."""
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role %(role)s.") % {"role": role}]})
    with transaction.atomic():
        admins = _lock_admins(membership.store)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        old = membership.role
        if old == role:
            return membership
        if old == Role.ADMIN and admins == [membership.pk]:
            raise LastAdminError(
                {"role": [_("This is the store's last admin: make someone else admin first.")]}
            )
        membership.role = role
        membership.save(update_fields=["role"])
        audit_as(
            actor,
            store=membership.store,
            action="membership.update",
            obj=membership,
            changes={"role": [old, role]},
        )
    return membership


def membership_remove(*, membership: Membership, actor: Actor) -> None:
    """Remove a member from the store; removing the last admin is refused."""
    with transaction.atomic():
        admins = _lock_admins(membership.store)
        if membership.role == Role.ADMIN and admins == [membership.pk]:
            raise LastAdminError(
                {"non_field_errors": [_("This is the store's last admin and cannot be removed.")]}
            )
        audit_as(
            actor,
            store=membership.store,
            action="membership.delete",
            obj=membership,
            changes={"username": membership.user.get_username(), "role": membership.role},
        )
        membership.delete()
