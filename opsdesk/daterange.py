"""The shared date-range picker of the dashboard pages.

``?range=`` picks a preset (yesterday, last 7/30/90 days, this month, last month, a campaign's
window) or ``custom`` with ``?start=`` and ``?end=`` (ISO dates). Parsing never raises past the
view: a bad value becomes a ``DateRangeError`` with a message for the operator, and the view
answers 400 with the picker still on the page. Every day is a store-local day; the default is
yesterday in the store's time zone.
"""

import datetime
from dataclasses import dataclass

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: A custom range may span at most this many days (a longer one is refused, not truncated).
MAX_DAYS = 400

PRESETS: tuple[tuple[str, str], ...] = (
    ("yesterday", gettext_lazy("Yesterday")),
    ("last_7", gettext_lazy("Last 7 days")),
    ("last_30", gettext_lazy("Last 30 days")),
    ("last_90", gettext_lazy("Last 90 days")),
    ("this_month", gettext_lazy("This month")),
    ("last_month", gettext_lazy("Last month")),
    ("campaign", gettext_lazy("Campaign window")),
    ("custom", gettext_lazy("Custom")),
)


class DateRangeError(ValueError):
    """A date range the picker cannot use; ``str(error)`` is the message to show."""


@dataclass(frozen=True)
class CampaignWindow:
    """A campaign the picker offers: its id, name and [preheat_start, wrapup_end] window."""

    campaign_id: int
    name: str
    start: datetime.date
    end: datetime.date


@dataclass(frozen=True)
class DateRange:
    """Inclusive store-local days ``start..end`` and how they were chosen."""

    start: datetime.date
    end: datetime.date
    preset: str
    campaign_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def same_weekday_last_week(self) -> datetime.date:
        return self.end - datetime.timedelta(days=7)

    def query(self) -> dict[str, str]:
        """The query parameters that choose this range again."""
        params = {"range": self.preset}
        if self.preset == "custom":
            params.update(start=self.start.isoformat(), end=self.end.isoformat())
        if self.preset == "campaign" and self.campaign_id is not None:
            params["campaign"] = str(self.campaign_id)
        return params


def preset_range(
    preset: str, *, today: datetime.date, campaign: CampaignWindow | None = None
) -> DateRange:
    """The range of ``preset`` relative to the store-local ``today`` (today is never in a
    preset: its data is not rolled up yet)."""
    yesterday = today - datetime.timedelta(days=1)
    day = datetime.timedelta(days=1)
    if preset == "yesterday":
        return DateRange(yesterday, yesterday, preset)
    if preset in ("last_7", "last_30", "last_90"):
        length = int(preset.removeprefix("last_"))
        return DateRange(yesterday - (length - 1) * day, yesterday, preset)
    if preset == "this_month":
        first = today.replace(day=1)
        # On the 1st the month has no complete day yet: show the 1st itself.
        return DateRange(first, max(first, yesterday), preset)
    if preset == "last_month":
        last = today.replace(day=1) - day
        return DateRange(last.replace(day=1), last, preset)
    if preset == "campaign":
        if campaign is None:
            raise DateRangeError(_("Choose a campaign for the campaign window."))
        return DateRange(campaign.start, campaign.end, preset, campaign.campaign_id)
    raise DateRangeError(_("Unknown date range “%(range)s”.") % {"range": preset[:30]})


def _parse_day(raw: str, label: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(raw.strip())
    except ValueError:
        raise DateRangeError(
            _("%(field)s “%(value)s” is not a date; use YYYY-MM-DD.")
            % {"field": label, "value": raw[:30]}
        ) from None


def parse_date_range(
    params: QueryDict,
    *,
    today: datetime.date,
    default: str = "yesterday",
    campaigns: dict[int, CampaignWindow] | None = None,
) -> DateRange:
    """The range chosen by ``params`` (``range``, ``start``, ``end``, ``campaign``).

    Without ``range`` (and without ``start``/``end``) the ``default`` preset applies. Raises
    ``DateRangeError`` for an unknown preset, a malformed or missing date, an end before the
    start, a range over ``MAX_DAYS`` days, or a campaign that is not one of ``campaigns``.
    """
    preset = params.get("range", "").strip()
    if not preset:
        preset = "custom" if params.get("start") or params.get("end") else default
    if preset == "campaign":
        raw = params.get("campaign", "")
        try:
            campaign = (campaigns or {})[int(raw)]
        except (ValueError, KeyError):
            raise DateRangeError(_("Choose a campaign of this store.")) from None
        return preset_range(preset, today=today, campaign=campaign)
    if preset != "custom":
        return preset_range(preset, today=today)
    start_raw, end_raw = params.get("start", ""), params.get("end", "")
    if not start_raw or not end_raw:
        raise DateRangeError(_("A custom range needs both a start and an end date."))
    start = _parse_day(start_raw, _("Start"))
    end = _parse_day(end_raw, _("End"))
    if end < start:
        raise DateRangeError(
            _("The end date %(end)s is before the start date %(start)s.")
            % {"end": end.isoformat(), "start": start.isoformat()}
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise DateRangeError(_("A range can span at most %(days)d days.") % {"days": MAX_DAYS})
    return DateRange(start, end, "custom")
