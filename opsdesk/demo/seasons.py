"""The promotion calendar and the rhythm of a shop's year, as plain data.

A demo shop's traffic follows the weekday, a mild season, the Spring Festival logistics stop,
and the platform festivals of DOMAIN.md with their phases: pre-heat, burst (opening day, peak
day) and wrap-up. Store events (member day, a weekend flash sale) add smaller bumps. Every
promotion carries the mechanics (满减, coupons, deposits, discounts) that the order generator
applies, so the campaign rows and the order discounts tell the same story.

All dates are store-local calendar dates; nothing here reads the clock.
"""

import datetime
from dataclasses import dataclass

import numpy as np

#: Spring Festival (农历新年) dates; the New Year goods festival and the logistics stop hang
#: off them. Years outside the table simply have neither.
SPRING_FESTIVAL: dict[int, datetime.date] = {
    2020: datetime.date(2020, 1, 25),
    2021: datetime.date(2021, 2, 12),
    2022: datetime.date(2022, 2, 1),
    2023: datetime.date(2023, 1, 22),
    2024: datetime.date(2024, 2, 10),
    2025: datetime.date(2025, 1, 29),
    2026: datetime.date(2026, 2, 17),
    2027: datetime.date(2027, 2, 6),
    2028: datetime.date(2028, 1, 26),
    2029: datetime.date(2029, 2, 13),
    2030: datetime.date(2030, 2, 3),
    2031: datetime.date(2031, 1, 23),
    2032: datetime.date(2032, 2, 11),
    2033: datetime.date(2033, 1, 31),
    2034: datetime.date(2034, 2, 19),
    2035: datetime.date(2035, 2, 8),
}

PREPARATION_DAYS = 45  # DOMAIN.md: preparation starts about 45 days before the burst
WRAPUP_DAYS = 3  # DOMAIN.md: wrap-up is the 3 days after the burst

#: Monday..Sunday: weekends sell more.
WEEKDAY_FACTORS = np.array([0.92, 0.94, 0.95, 0.97, 1.03, 1.10, 1.09])

#: Store-local hourly curve of an ordinary day: quiet at night, lunch bump, evening peak.
HOURLY_BASE = np.array(
    [
        *(3.0, 1.6, 0.8, 0.5, 0.4, 0.4, 0.8, 1.6, 2.8, 3.8, 4.6, 4.6),  # 00:00-11:59
        *(4.8, 4.4, 4.3, 4.3, 4.3, 4.0, 4.2, 5.2, 6.6, 7.6, 7.4, 5.5),  # 12:00-23:59
    ]
)
CURVE_NORMAL, CURVE_OPENING, CURVE_PEAK = 0, 1, 2


def _hourly_curves() -> np.ndarray:
    opening = HOURLY_BASE.copy()
    opening[0] *= 4.0  # the sale opens at midnight
    opening[20] *= 1.5
    peak = HOURLY_BASE.copy()
    peak[0] = 0.33 * HOURLY_BASE.sum()  # about a quarter of the peak day in its first hour
    peak[1] *= 3.0
    curves = np.vstack([HOURLY_BASE, opening, peak])
    return curves / curves.sum(axis=1, keepdims=True)


HOURLY_CURVES = _hourly_curves()


@dataclass(frozen=True)
class MechanicPlan:
    """A promotion mechanic as the campaign shows it and the order generator applies it.

    Money in cents, ``rate`` in thousandths (850 = 15% off). ``usage`` is the share of eligible
    orders that use it; ``lineup_only`` limits a discount to the campaign's lineup SKUs.
    """

    kind: str
    description: str
    threshold: int | None = None
    amount: int | None = None
    rate: int | None = None
    inflated_amount: int | None = None
    usage: float = 1.0
    lineup_only: bool = False


FULL_300_50 = MechanicPlan("full_reduction", "跨店满300减50", threshold=300_00, amount=50_00)
COUPON_199_20 = MechanicPlan("coupon", "店铺券 满199减20", 199_00, 20_00, usage=0.35)
DEPOSIT_50_100 = MechanicPlan(
    "deposit", "定金膨胀：付定金50抵100", amount=50_00, inflated_amount=100_00
)


@dataclass(frozen=True)
class Promotion:
    """A dated promotion (a platform festival or a store event) with its phases.

    Phases follow ``campaigns.models.Campaign``: preparation [preparation_start,
    preheat_start), pre-heat [preheat_start, burst_start), burst [burst_start, burst_end] with
    its opening day and ``peak`` day, wrap-up (burst_end, wrapup_end].
    """

    kind: str
    name: str
    preparation_start: datetime.date
    preheat_start: datetime.date
    burst_start: datetime.date
    burst_end: datetime.date
    wrapup_end: datetime.date
    peak: datetime.date
    preheat_multiplier: float
    burst_multiplier: float
    opening_multiplier: float
    peak_multiplier: float
    mechanics: tuple[MechanicPlan, ...]
    channels: tuple[str, ...]
    notes: str

    @property
    def presale(self) -> bool:
        return any(mechanic.kind == "deposit" for mechanic in self.mechanics)

    @property
    def burst_days(self) -> int:
        return (self.burst_end - self.burst_start).days + 1


FESTIVAL_CHANNELS = ("campaign", "paid_search", "paid_feed", "content")


def _festival(
    kind: str,
    name: str,
    preheat_start: datetime.date,
    burst_start: datetime.date,
    burst_end: datetime.date,
    *,
    peak: datetime.date | None = None,
    multipliers: tuple[float, float, float, float],
    mechanics: tuple[MechanicPlan, ...],
    notes: str,
) -> Promotion:
    preheat, burst, opening, peak_multiplier = multipliers
    return Promotion(
        kind=kind,
        name=name,
        preparation_start=burst_start - datetime.timedelta(days=PREPARATION_DAYS),
        preheat_start=preheat_start,
        burst_start=burst_start,
        burst_end=burst_end,
        wrapup_end=burst_end + datetime.timedelta(days=WRAPUP_DAYS),
        peak=peak or burst_end,
        preheat_multiplier=preheat,
        burst_multiplier=burst,
        opening_multiplier=opening,
        peak_multiplier=peak_multiplier,
        mechanics=mechanics,
        channels=FESTIVAL_CHANNELS,
        notes=notes,
    )


def festivals_of_year(year: int) -> list[Promotion]:
    """The platform festivals whose burst falls in ``year``, in calendar order."""
    date = datetime.date
    festivals = []
    spring = SPRING_FESTIVAL.get(year)
    if spring is not None:
        burst_start = spring - datetime.timedelta(days=30)
        festivals.append(
            _festival(
                "new_year",
                f"{year} 年货节",
                burst_start - datetime.timedelta(days=5),
                burst_start,
                spring - datetime.timedelta(days=12),
                peak=burst_start,
                multipliers=(1.05, 1.25, 1.6, 1.6),
                mechanics=(MechanicPlan("full_reduction", "年货节 满199减20", 199_00, 20_00),),
                notes="年货节：节前囤货，主推礼盒与家庭装；春节前12天停止发货前结束。",
            )
        )
    festivals += [
        _festival(
            "queens_day",
            f"{year} 三八女王节",
            date(year, 2, 24),
            date(year, 3, 1),
            date(year, 3, 8),
            multipliers=(1.05, 1.25, 1.5, 2.2),
            mechanics=(MechanicPlan("coupon", "女王节专享券 满199减30", 199_00, 30_00, usage=0.6),),
            notes="三八女王节：女性客群为主，主推礼盒与高客单商品。",
        ),
        _festival(
            "618",
            f"{year} 618年中大促",
            date(year, 5, 31),
            date(year, 6, 1),
            date(year, 6, 18),
            multipliers=(1.15, 1.4, 2.5, 5.0),
            mechanics=(FULL_300_50, COUPON_199_20, DEPOSIT_50_100),
            notes="618：5月31日开启定金预售，6月1日开门红付尾款，6月18日巅峰日。",
        ),
        _festival(
            "double_11",
            f"{year} 双11全球狂欢节",
            date(year, 10, 20),
            date(year, 11, 1),
            date(year, 11, 11),
            multipliers=(1.1, 1.8, 3.0, 9.0),
            mechanics=(FULL_300_50, COUPON_199_20, DEPOSIT_50_100),
            notes="双11：10月20日预售付定金，11月1日付尾款，11月11日零点巅峰。",
        ),
        _festival(
            "double_12",
            f"{year} 双12年终好价节",
            date(year, 12, 6),
            date(year, 12, 10),
            date(year, 12, 12),
            multipliers=(1.05, 1.3, 1.3, 2.6),
            mechanics=(MechanicPlan("full_reduction", "满200减30", 200_00, 30_00),),
            notes="双12：年终清库存，主推引流款带新客。",
        ),
    ]
    return festivals


def _member_day(day: datetime.date) -> Promotion:
    return Promotion(
        kind="member_day",
        name=f"会员日 {day:%Y-%m-%d}",
        preparation_start=day - datetime.timedelta(days=7),
        preheat_start=day - datetime.timedelta(days=1),
        burst_start=day,
        burst_end=day,
        wrapup_end=day,
        peak=day,
        preheat_multiplier=1.0,
        burst_multiplier=1.35,
        opening_multiplier=1.35,
        peak_multiplier=1.35,
        mechanics=(MechanicPlan("discount", "会员日全店95折", rate=950),),
        channels=("private_domain",),
        notes="每月28日会员日：社群与企业微信提前一天预告，全店95折。",
    )


def _flash_sale(day: datetime.date) -> Promotion:
    return Promotion(
        kind="flash_sale",
        name=f"周末秒杀 {day:%m-%d}",
        preparation_start=day - datetime.timedelta(days=10),
        preheat_start=day - datetime.timedelta(days=2),
        burst_start=day,
        burst_end=day,
        wrapup_end=day,
        peak=day,
        preheat_multiplier=1.0,
        burst_multiplier=1.6,
        opening_multiplier=1.6,
        peak_multiplier=1.6,
        mechanics=(MechanicPlan("discount", "秒杀商品8折", rate=800, lineup_only=True),),
        channels=("campaign", "paid_feed"),
        notes="周末秒杀：4款引流款限时8折，拉新为主。",
    )


def _busy(day: datetime.date, festivals: list[Promotion]) -> bool:
    """True on days inside a festival (pre-heat to wrap-up) or the Spring Festival stop."""
    for festival in festivals:
        if festival.preheat_start <= day <= festival.wrapup_end:
            return True
    spring = SPRING_FESTIVAL.get(day.year)
    return spring is not None and -9 <= (day - spring).days <= 6


def promotions_between(first: datetime.date, last: datetime.date) -> list[Promotion]:
    """Every promotion from a year before ``first`` to two years after ``last``, by burst.

    Member days are the 28th of each month when no festival runs; the one weekend flash sale
    is the last quiet Saturday at least five weeks before ``last`` (none if the range is
    shorter).
    """
    festivals = [
        festival
        for year in range(first.year - 1, last.year + 3)
        for festival in festivals_of_year(year)
    ]
    store_events = []
    month = datetime.date(first.year - 1, 1, 28)
    horizon = datetime.date(last.year + 2, 12, 31)
    while month <= horizon:
        if not _busy(month, festivals):
            store_events.append(_member_day(month))
        month = (month.replace(day=1) + datetime.timedelta(days=32)).replace(day=28)
    saturday = last - datetime.timedelta(days=35)
    saturday -= datetime.timedelta(days=(saturday.weekday() - 5) % 7)
    while saturday >= first:
        if not _busy(saturday, festivals) and saturday.day != 28:
            store_events.append(_flash_sale(saturday))
            break
        saturday -= datetime.timedelta(days=7)
    return sorted(festivals + store_events, key=lambda p: (p.burst_start, p.kind))


#: Per day kind: conversion factor, anonymous add-to-cart rate, campaign-channel boost.
DAY_KINDS: dict[str, tuple[float, float, float]] = {
    "normal": (1.0, 0.06, 1.0),
    "preheat": (0.7, 0.16, 3.0),
    "burst": (1.2, 0.10, 4.0),
    "opening": (1.3, 0.10, 5.0),
    "peak": (1.5, 0.12, 7.0),
    "wrapup": (1.05, 0.07, 2.0),
    "member": (1.2, 0.08, 1.0),
    "flash": (1.3, 0.10, 4.0),
    "dip": (0.9, 0.05, 1.0),
}


@dataclass(frozen=True)
class DayProfile:
    """Per store-local day of the data range, aligned arrays (index 0 = first day).

    ``multiplier`` scales ordinary-day orders; ``promotion`` is the index (into
    ``promotions``) of the promotion whose mechanics price that day's orders, -1 if none;
    ``presale`` is the index of the festival whose deposits are taken that day, -1 if none.
    """

    dates: list[datetime.date]
    promotions: list[Promotion]
    multiplier: np.ndarray
    kind: np.ndarray
    promotion: np.ndarray
    presale: np.ndarray
    curve: np.ndarray
    conversion: np.ndarray
    cart_rate: np.ndarray
    campaign_boost: np.ndarray
    private_boost: np.ndarray
    multi_line: np.ndarray


def day_profile(first: datetime.date, last: datetime.date) -> DayProfile:
    """The rhythm of every day from ``first`` to ``last`` (inclusive)."""
    promotions = promotions_between(first, last)
    dates = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    n = len(dates)
    multiplier = np.empty(n)
    kind = np.empty(n, dtype=object)
    promotion = np.full(n, -1, dtype=np.int64)
    presale = np.full(n, -1, dtype=np.int64)
    curve = np.full(n, CURVE_NORMAL, dtype=np.int64)
    private_boost = np.ones(n)
    multi_line = np.zeros(n, dtype=bool)
    for i, day in enumerate(dates):
        season = 1.0 + 0.06 * np.cos(2 * np.pi * (day.timetuple().tm_yday - 330) / 365)
        factor, label = 1.0, "normal"
        for index, promo in enumerate(promotions):
            if promo.burst_start <= day <= promo.burst_end:
                if day == promo.peak:
                    phase_factor, phase = promo.peak_multiplier, "peak"
                elif day == promo.burst_start:
                    phase_factor, phase = promo.opening_multiplier, "opening"
                elif (promo.peak - day).days in (1, 2) and promo.burst_days > 5:
                    phase_factor, phase = promo.burst_multiplier * 1.3, "burst"
                else:
                    phase_factor, phase = promo.burst_multiplier, "burst"
                if promo.kind == "member_day":
                    phase = "member"
                    private_boost[i] = 3.5
                elif promo.kind == "flash_sale":
                    phase = "flash"
                else:
                    multi_line[i] = True
                if phase_factor >= factor:
                    factor, label = phase_factor, phase
                    promotion[i] = index
                    # Midnight rushes belong to the big presale festivals only.
                    if phase == "peak" and promo.peak_multiplier >= 4:
                        curve[i] = CURVE_PEAK
                    elif phase == "opening" and promo.opening_multiplier >= 2.5:
                        curve[i] = CURVE_OPENING
                    else:
                        curve[i] = CURVE_NORMAL
            elif promo.preheat_start <= day < promo.burst_start and promo.kind not in (
                "member_day",
                "flash_sale",
            ):
                if promo.presale:
                    presale[i] = index
                if promo.preheat_multiplier >= factor and label in ("normal", "preheat"):
                    factor, label = promo.preheat_multiplier, "preheat"
            elif promo.burst_end < day <= promo.wrapup_end and label == "normal":
                factor, label = 1.1, "wrapup"
        spring = SPRING_FESTIVAL.get(day.year)
        if spring is not None and -9 <= (day - spring).days <= 6:
            factor *= 0.35 if -1 <= (day - spring).days <= 1 else 0.55
            if label == "normal":
                label = "dip"
        multiplier[i] = WEEKDAY_FACTORS[day.weekday()] * season * factor
        kind[i] = label
    conversion = np.array([DAY_KINDS[k][0] for k in kind])
    cart_rate = np.array([DAY_KINDS[k][1] for k in kind])
    campaign_boost = np.array([DAY_KINDS[k][2] for k in kind])
    return DayProfile(
        dates=dates,
        promotions=promotions,
        multiplier=multiplier,
        kind=kind,
        promotion=promotion,
        presale=presale,
        curve=curve,
        conversion=conversion,
        cart_rate=cart_rate,
        campaign_boost=campaign_boost,
        private_boost=private_boost,
        multi_line=multi_line,
    )
