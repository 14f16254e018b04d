"""The GMV gap split into traffic, conversion and spend-per-buyer effects (pure, no queries).

GMV = UV x CR x SPB with CR = buyers / UV and SPB = GMV / buyers, so the identity holds
exactly for any period with buyers. Between a reference (plan or baseline, index 0) and the
actual (index 1), the additive log-mean Divisia index (LMDI-I) gives

    effect_x = L(GMV1, GMV0) x ln(x1 / x0)   for x in (UV, CR, SPB),
    L(a, b) = (a - b) / (ln a - ln b), and L(a, a) = a,

and since ln(GMV1/GMV0) = ln(UV1/UV0) + ln(CR1/CR0) + ln(SPB1/SPB0), the three effects add up
to GMV1 - GMV0 exactly in real arithmetic; in floating point to within 1e-9 x |GMV|. The
order of the factors does not matter (unlike a sequential substitution). Every factor must be
positive: a period without UV, buyers or GMV has no decomposition (``None``).

The money values shown are rounded to cents; the rounding residual (at most 1.5 cents) is
added to the largest effect so the shown effects add up to the shown gap to the cent.
"""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Factors:
    """UV, conversion rate and spend per buyer of a period (their product is its GMV)."""

    uv: float
    conversion_rate: float
    spend_per_buyer: float

    @property
    def gmv(self) -> float:
        return self.uv * self.conversion_rate * self.spend_per_buyer

    @classmethod
    def of(cls, *, gmv: Decimal | float, buyers: int | float, uv: int | float) -> "Factors | None":
        """Factors of a period from its GMV, paying buyers and UV; None when any is 0."""
        if not gmv or not buyers or not uv:
            return None
        return cls(float(uv), float(buyers) / float(uv), float(gmv) / float(buyers))

    @classmethod
    def implied(
        cls, *, gmv: Decimal | float, conversion_rate: float, spend_per_buyer: float
    ) -> "Factors | None":
        """The UV a GMV implies at given conversion and spend per buyer (a plan)."""
        if not gmv or not conversion_rate or not spend_per_buyer:
            return None
        uv = float(gmv) / (conversion_rate * spend_per_buyer)
        return cls(uv, conversion_rate, spend_per_buyer)


@dataclass(frozen=True)
class Decomposition:
    """``actual.gmv - reference.gmv`` = traffic + conversion + spend per buyer effects."""

    reference: Factors
    actual: Factors
    gap: float
    traffic: float
    conversion: float
    spend_per_buyer: float

    def rounded(self) -> dict[str, Decimal]:
        """Gap and effects in cents; the effects add up to the gap exactly."""
        gap = Decimal(repr(self.gap)).quantize(CENT, rounding=ROUND_HALF_UP)
        effects = {
            name: Decimal(repr(getattr(self, name))).quantize(CENT, rounding=ROUND_HALF_UP)
            for name in ("traffic", "conversion", "spend_per_buyer")
        }
        residual = gap - sum(effects.values())
        if residual:
            largest = max(effects, key=lambda name: abs(effects[name]))
            effects[largest] += residual
        return {"gap": gap, **effects}


def _log_mean(a: float, b: float) -> float:
    if math.isclose(a, b, rel_tol=1e-15):
        return a
    return (a - b) / (math.log(a) - math.log(b))


def lmdi(reference: Factors | None, actual: Factors | None) -> Decomposition | None:
    """LMDI-I split of the GMV gap between ``reference`` and ``actual``; None when either is
    missing."""
    if reference is None or actual is None:
        return None
    weight = _log_mean(actual.gmv, reference.gmv)
    return Decomposition(
        reference=reference,
        actual=actual,
        gap=actual.gmv - reference.gmv,
        traffic=weight * math.log(actual.uv / reference.uv),
        conversion=weight * math.log(actual.conversion_rate / reference.conversion_rate),
        spend_per_buyer=weight * math.log(actual.spend_per_buyer / reference.spend_per_buyer),
    )
