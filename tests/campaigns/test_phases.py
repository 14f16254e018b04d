import datetime

import pytest

from campaigns.models import Phase
from tests.factories import CampaignFactory

D = datetime.date


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "phase"),
    [
        # Double 11 2026 of the factory: preparation 27 Sep, pre-heat 20 Oct,
        # burst 1-11 Nov, wrap-up to 14 Nov.
        (D(2026, 9, 26), Phase.UPCOMING),
        (D(2026, 9, 27), Phase.PREPARATION),
        (D(2026, 10, 19), Phase.PREPARATION),
        (D(2026, 10, 20), Phase.PREHEAT),
        (D(2026, 10, 31), Phase.PREHEAT),
        (D(2026, 11, 1), Phase.BURST),
        (D(2026, 11, 11), Phase.BURST),
        (D(2026, 11, 12), Phase.WRAPUP),
        (D(2026, 11, 14), Phase.WRAPUP),
        (D(2026, 11, 15), Phase.REVIEW),
    ],
)
def test_phase_on_each_boundary(day, phase):
    assert CampaignFactory().phase_on(day) == phase
