"""Mechanics (玩法) in campaigns/services.py: what each kind needs, the deposit's inflation,
audited, nothing written on an error."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Mechanic
from campaigns.services import mechanic_create, mechanic_update
from opsdesk.audit import Actor
from opsdesk.models import AuditEntry, AuditSource
from tests.factories import CampaignFactory, MechanicFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def actor():
    return Actor(user=UserFactory(), source=AuditSource.WEB)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"kind": "coupon"}, {"amount": ["Coupon needs this."]}),
        (
            {"kind": "full_reduction", "amount": Decimal("50")},
            {"threshold": ["Full reduction needs this."]},
        ),
        ({"kind": "discount"}, {"rate": ["Discount needs this."]}),
        (
            {"kind": "deposit", "amount": Decimal("50")},
            {"inflated_amount": ["Deposit pre-sale needs this."]},
        ),
        (
            # Pay 50 now, worth 40 at the balance: a deposit never shrinks.
            {"kind": "deposit", "amount": Decimal("50"), "inflated_amount": Decimal("40")},
            {"inflated_amount": ["A deposit is worth at least what was paid: 50.00 or more."]},
        ),
        (
            {"kind": "discount", "rate": Decimal("1.2")},
            {"rate": ["A rate is above 0 and at most 1 (0.85 = 15% off)."]},
        ),
    ],
)
def test_a_mechanic_needs_the_values_of_its_kind(actor, values, errors):
    campaign = CampaignFactory()
    with pytest.raises(ValidationError) as error:
        mechanic_create(campaign=campaign, actor=actor, **values)
    assert error.value.message_dict == errors
    assert not Mechanic.objects.exists() and not AuditEntry.objects.exists()


def test_each_kind_with_its_values_is_added_and_audited(actor):
    campaign = CampaignFactory()
    made = [
        mechanic_create(campaign=campaign, actor=actor, kind="coupon", amount=Decimal("10")),
        mechanic_create(
            campaign=campaign,
            actor=actor,
            kind="full_reduction",
            threshold=Decimal("300"),
            amount=Decimal("50"),
            description="满300减50",
        ),
        mechanic_create(campaign=campaign, actor=actor, kind="discount", rate=Decimal("0.85")),
        mechanic_create(
            campaign=campaign,
            actor=actor,
            kind="deposit",
            amount=Decimal("50"),
            inflated_amount=Decimal("50"),  # no inflation is allowed
        ),
    ]
    assert [m.kind for m in Mechanic.objects.filter(campaign=campaign).order_by("pk")] == [
        m.kind for m in made
    ]
    assert AuditEntry.objects.filter(action="mechanic.create").count() == 4


def test_an_update_is_checked_on_the_resulting_values(actor):
    mechanic = MechanicFactory(kind="full_reduction")  # 满300减50
    with pytest.raises(ValidationError) as error:
        mechanic_update(mechanic=mechanic, actor=actor, kind="discount")  # no rate
    assert error.value.message_dict == {"rate": ["Discount needs this."]}
    updated = mechanic_update(mechanic=mechanic, actor=actor, kind="discount", rate=Decimal("0.9"))
    assert (updated.kind, updated.rate) == ("discount", Decimal("0.9"))
