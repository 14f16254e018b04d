import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from opsdesk.roles import ROLE_CAPABILITIES, Capability, Role, role_allows
from opsdesk.tenancy import SESSION_KEY, CurrentStoreMiddleware
from tests.factories import MembershipFactory, StoreFactory, UserFactory


def _run_middleware(user, session: dict):
    request = RequestFactory().get("/")
    request.user = user
    request.session = session
    CurrentStoreMiddleware(lambda r: HttpResponse())(request)
    return request


@pytest.mark.django_db
def test_first_store_by_name_is_current_when_none_chosen():
    user = UserFactory()
    zebra = StoreFactory(name="Zebra", slug="zebra")
    alpha = StoreFactory(name="Alpha", slug="alpha")
    MembershipFactory(user=user, store=zebra, role=Role.ANALYST)
    MembershipFactory(user=user, store=alpha, role=Role.MANAGER)
    session: dict = {}

    request = _run_middleware(user, session)

    assert request.store == alpha
    assert request.membership.role == Role.MANAGER
    assert session[SESSION_KEY] == alpha.id
    assert [m.store for m in request.memberships] == [alpha, zebra]


@pytest.mark.django_db
def test_a_store_the_user_does_not_belong_to_is_never_current():
    user = UserFactory()
    mine = StoreFactory(name="Mine", slug="mine")
    foreign = StoreFactory(name="Foreign", slug="foreign")
    MembershipFactory(user=user, store=mine)
    session = {SESSION_KEY: foreign.id}

    request = _run_middleware(user, session)

    assert request.store == mine
    assert session[SESSION_KEY] == mine.id


@pytest.mark.django_db
def test_user_without_membership_has_no_store():
    StoreFactory()
    request = _run_middleware(UserFactory(), {})
    assert request.store is None
    assert request.membership is None


@pytest.mark.parametrize(
    ("role", "capability", "allowed"),
    [
        (Role.ADMIN, Capability.MANAGE_STAFF, True),
        (Role.MANAGER, Capability.MANAGE_STAFF, False),
        (Role.MANAGER, Capability.SET_TARGETS, True),
        (Role.OPERATOR, Capability.SET_TARGETS, False),
        (Role.OPERATOR, Capability.EDIT_CATALOG, True),
        (Role.OPERATOR, Capability.IMPORT_DATA, True),
        (Role.ANALYST, Capability.VIEW, True),
        (Role.ANALYST, Capability.EDIT_CATALOG, False),
        ("owner", Capability.VIEW, False),
    ],
)
def test_role_capabilities(role, capability, allowed):
    assert role_allows(role, capability) is allowed


def test_every_role_can_view_and_only_admin_manages_staff():
    assert all(Capability.VIEW in caps for caps in ROLE_CAPABILITIES.values())
    assert [r for r, caps in ROLE_CAPABILITIES.items() if Capability.MANAGE_STAFF in caps] == [
        Role.ADMIN
    ]
