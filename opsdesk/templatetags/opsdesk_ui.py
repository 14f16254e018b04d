"""Template helpers of the web shell: money, percentages, query strings, choice labels."""

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.http import QueryDict

register = template.Library()

CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "¥"}
NO_VALUE = "-"
CENT = Decimal("0.01")


@register.filter
def money(value: Any, currency: str = "CNY") -> str:
    """``Decimal("12345.6")`` -> ``"¥12,345.60"``; None or non-numbers -> ``"-"``.

    The symbol follows the store's currency code (default CNY, shown as ¥); an unknown code
    is shown as a prefix, e.g. ``"SGD 10.00"``.
    """
    if value is None or value == "":
        return NO_VALUE
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return NO_VALUE
    code = (currency or "CNY").upper()
    symbol = CURRENCY_SYMBOLS.get(code, f"{code} ")
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


@register.filter
def percent(value: Any, digits: int = 1) -> str:
    """``42.345`` (already in percent) -> ``"42.3%"``; None -> ``"-"``."""
    if value is None or value == "":
        return NO_VALUE
    try:
        number = Decimal(str(value)).quantize(Decimal(1).scaleb(-int(digits)), ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return NO_VALUE
    return f"{number}%"


@register.filter
def lookup(mapping: Mapping | None, key: Any) -> Any:
    """``{{ labels|lookup:row.code }}``: the mapping's value for ``key``, or None."""
    if not mapping:
        return None
    return mapping.get(key)


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with ``changes`` applied, starting with ``?``.

    A change to None or "" removes the parameter. Changing anything but ``page`` resets the
    page, so a new sort or filter starts at page 1.
    """
    request = context.get("request")
    query: QueryDict = request.GET.copy() if request is not None else QueryDict(mutable=True)
    if "page" not in changes:
        query.pop("page", None)
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def share(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage: ``Decimal("0.123456")`` -> ``"12.3%"``; None -> ``"-"``."""
    if value is None or value == "":
        return NO_VALUE
    try:
        return percent(Decimal(str(value)) * 100, digits)
    except (InvalidOperation, ValueError):
        return NO_VALUE


@register.filter
def number(value: Any, digits: int = 0) -> str:
    """``12345`` -> ``"12,345"`` (``digits`` decimal places); None -> ``"-"``."""
    if value is None or value == "":
        return NO_VALUE
    try:
        amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-int(digits)), ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return NO_VALUE
    return f"{amount:,.{int(digits)}f}"


@register.filter
def change(value: Any) -> str:
    """A percent change with its sign: ``Decimal("12.3")`` -> ``"+12.3%"``; None -> ``"-"``."""
    if value is None or value == "":
        return NO_VALUE
    text = percent(value, 1)
    return text if text.startswith("-") or text == NO_VALUE else f"+{text}"


@register.simple_tag
def metric_value(value: Any, unit: str, currency: str = "CNY") -> str:
    """``value`` formatted for a metric ``unit`` (analytics.metrics.Unit)."""
    if unit in ("money", "money_per"):
        return money(value, currency)
    if unit == "rate":
        return share(value)
    if unit == "ratio":
        return number(value, 2)
    return number(value)
