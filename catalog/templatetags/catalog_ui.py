"""Template helpers of the catalog pages."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def share(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage: ``Decimal("0.3")`` -> ``"30.0%"``; None -> ``"-"``."""
    if value is None or value == "":
        return "-"
    try:
        number = (Decimal(str(value)) * 100).quantize(
            Decimal(1).scaleb(-int(digits)), ROUND_HALF_UP
        )
    except (InvalidOperation, ValueError):
        return "-"
    return f"{number}%"


@register.filter
def decimal1(value: Any) -> str:
    """A number with one decimal place; None -> ``"-"``."""
    if value is None or value == "":
        return "-"
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        return "-"
