"""Parsing of cell values: exact money, integers, Chinese and ISO dates, booleans.

Every parser takes the raw cell (text from a CSV, or a number / datetime from an XLSX) and
returns the value or raises ``ValueError`` with a reason the operator can act on.
"""

import datetime
import re
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

CENT = Decimal("0.01")
_MONEY_NOISE = re.compile(r"[\s¥￥$,，元]|CNY|RMB|USD", re.IGNORECASE)
_DATETIME = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:\.(\d{1,6}))?\s*秒?)?\s*分?)?"
    r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}:\d{2}|Z)?$")
_TRUE = {"1", "true", "yes", "y", "是", "t", "x"}
_FALSE = {"0", "false", "no", "n", "否", "f", ""}


def text(raw: Any) -> str:
    """A cell as clean text: strip spaces, tabs and the ``="..."`` wrapper Chinese platforms
    put around long numbers so Excel keeps them as text."""
    if raw is None:
        return ""
    if type(raw) is str:
        value = raw.strip()
        if not value or value[0] not in "='\t":
            return value
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    value = str(raw).strip().strip("\t").strip()
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1].strip()
    elif value.startswith("'"):
        value = value[1:].strip()
    return value


def money(raw: Any) -> Decimal:
    """An amount of money, exact to the cent: ``¥1,234.50``, ``1234.5``, ``￥12``..."""
    if isinstance(raw, bool):
        raise ValueError(_("not an amount"))
    if isinstance(raw, int | Decimal):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
        rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
        if abs(rounded - value) < Decimal("0.000001"):
            value = rounded
    else:
        cleaned = text(raw)
        if not _PLAIN_NUMBER.match(cleaned):
            cleaned = _MONEY_NOISE.sub("", cleaned)
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError(_("not an amount (use digits, e.g. 1234.50)")) from None
    if not value.is_finite():
        raise ValueError(_("not an amount (use digits, e.g. 1234.50)"))
    if abs(value) >= Decimal("1e12"):
        raise ValueError(_("amount too large"))
    if value != value.quantize(CENT):
        raise ValueError(_("more than 2 decimal places"))
    return value.quantize(CENT)


def integer(raw: Any) -> int:
    """A whole number (``1,200`` accepted)."""
    if isinstance(raw, bool):
        raise ValueError(_("not a whole number"))
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    cleaned = text(raw).replace(",", "").replace("，", "")
    if not re.fullmatch(r"[+-]?\d+(\.0+)?", cleaned):
        raise ValueError(_("not a whole number"))
    return int(Decimal(cleaned))


def boolean(raw: Any) -> bool:
    value = text(raw).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(_("not yes/no (use 1 or 0)"))


def _offset(token: str) -> datetime.tzinfo:
    if token.upper() in ("Z", "UTC"):
        return datetime.UTC
    sign = -1 if token[0] == "-" else 1
    digits = token[1:].replace(":", "")
    return datetime.timezone(
        sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    )


def instant(raw: Any, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    """An aware datetime; a time without an offset is the store's local time.

    Accepts ``2026-11-01 10:00:00``, ``2026/11/1 10:00``, ``2026年11月1日 10:00:00``,
    ``2026-11-01T10:00:00+08:00``, ``2026-11-01 10:00:00 +0800`` (Shopify) and a date alone
    (midnight)."""
    if isinstance(raw, datetime.datetime):
        value = raw
    elif isinstance(raw, datetime.date):
        value = datetime.datetime.combine(raw, datetime.time.min)
    elif _ISO.match(cleaned := text(raw)):  # the common case, parsed in C
        try:
            value = datetime.datetime.fromisoformat(cleaned)
        except ValueError:
            raise ValueError(_("no such date or time")) from None
    else:
        match = _DATETIME.match(cleaned)
        if match is None:
            raise ValueError(_("not a date and time (use 2026-11-01 10:00:00)"))
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        try:
            value = datetime.datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0").ljust(6, "0")),
                tzinfo=_offset(offset) if offset else None,
            )
        except ValueError:
            raise ValueError(_("no such date or time")) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(datetime.UTC)


def date(raw: Any) -> datetime.date:
    """A calendar date: ``2026-11-01``, ``2026/11/1``, ``2026年11月1日``."""
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    match = _DATETIME.match(text(raw))
    if match is None or match.group(4) is not None:
        raise ValueError(_("not a date (use 2026-11-01)"))
    try:
        return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValueError(_("no such date")) from None
