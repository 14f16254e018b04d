"""Cell parsers: exact money, Chinese and ISO dates, the store's time zone for naive times."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from analytics.imports import values

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("¥1,288.00", "1288.00"),
        ("￥12", "12.00"),
        (" 1 234.5 元", "1234.50"),
        ("99.9", "99.90"),
        (12.3, "12.30"),
        (7, "7.00"),
        ("-5.00", "-5.00"),
    ],
)
def test_money(raw, expected):
    assert values.money(raw) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("12.345", "more than 2 decimal places"), ("abc", "not an amount"), ("1e400", "too large")],
)
def test_bad_money(raw, reason):
    with pytest.raises(ValueError, match=reason):
        values.money(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-01 10:05:00",
        "2026/11/1 10:05",
        "2026年11月1日 10:05:00",
        "2026年11月1日 10时05分",
        "2026-11-01T10:05:00+08:00",
        "2026-11-01 02:05:00 +0000",
        "2026-11-01T02:05:00Z",
        datetime.datetime(2026, 11, 1, 10, 5),
    ],
)
def test_instants_are_store_local_unless_an_offset_is_given(raw):
    expected = datetime.datetime(2026, 11, 1, 2, 5, tzinfo=UTC)
    assert values.instant(raw, SHANGHAI) == expected


def test_bad_instants():
    with pytest.raises(ValueError, match="no such date"):
        values.instant("2026-02-30 10:00:00", SHANGHAI)
    with pytest.raises(ValueError, match="not a date and time"):
        values.instant("yesterday", SHANGHAI)


@pytest.mark.parametrize("raw", ["2026-11-01", "2026/11/1", "2026年11月1日", "2026.11.01"])
def test_dates(raw):
    assert values.date(raw) == datetime.date(2026, 11, 1)


def test_text_strips_excel_guards():
    assert values.text('="000123"') == "000123"
    assert values.text("\t12345678901234567890 ") == "12345678901234567890"
    assert values.text(1001.0) == "1001"
