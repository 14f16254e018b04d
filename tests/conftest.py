import pytest

from opsdesk.roles import Role
from tests.factories import MembershipFactory, StoreFactory, UserFactory

PASSWORD = "correct horse battery"


@pytest.fixture
def store(db):
    return StoreFactory(name="Tea House", slug="tea-house")


@pytest.fixture
def other_store(db):
    return StoreFactory(name="Other Shop", slug="other-shop")


@pytest.fixture
def operator(store):
    return MembershipFactory(store=store, role=Role.OPERATOR, user__username="operator").user


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def make_member():
    """Build a staff member with ``role`` in ``store``."""

    def make(store, role=Role.OPERATOR, username=None):
        kwargs = {"user__username": username} if username else {}
        return MembershipFactory(store=store, role=role, **kwargs).user

    return make


__all__ = ["PASSWORD", "UserFactory"]
