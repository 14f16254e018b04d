import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.factories import StoreFactory


@pytest.mark.django_db
def test_store_defaults_follow_the_domain_handbook():
    store = StoreFactory()
    assert store.time_zone == "Asia/Shanghai"
    assert store.currency == "CNY"
    assert (store.new_customer_days, store.dormant_after_days, store.churned_after_days) == (
        30,
        90,
        180,
    )
    assert store.high_value_min_orders == 3
    assert str(store.high_value_min_average) == "200.00"
    assert store.rfm_window_days == 365
    assert store.funnel_window_hours == 24
    assert str(store.traffic_share_target) == "0.300"
    assert str(store.delisting_sell_through) == "0.050"
    assert store.replenishment_lead_days == 7
    assert store.overstock_cover_days == 90
    assert store.listing_weekday_numbers == [2, 5]  # Tuesday and Friday
    assert store.price_protection_days == 30
    assert str(store.lineup_min_conversion) == "0.080"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus", "not a known time zone"),
        ("listing_weekdays", "2,9", "1 (Monday) to 7 (Sunday)"),
        ("listing_weekdays", "tue", "1 (Monday) to 7 (Sunday)"),
    ],
)
def test_bad_store_settings_are_rejected_with_a_clear_message(field, value, message):
    store = StoreFactory.build(slug="bad", **{field: value})
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        store.full_clean()
    assert field in excinfo.value.message_dict
    with translation.override("en"):
        assert message in excinfo.value.message_dict[field][0]
