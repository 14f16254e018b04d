"""The fixed code list of traffic sources (流量来源) from DOMAIN.md, shared by every app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SEARCH = "search", _("Search")
    RECOMMENDATION = "recommendation", _("Recommendation")
    CAMPAIGN = "campaign", _("Campaign")
    PAID_SEARCH = "paid_search", _("Paid search")
    PAID_FEED = "paid_feed", _("Paid feed")
    CONTENT = "content", _("Content")
    PRIVATE_DOMAIN = "private_domain", _("Private domain")
    DIRECT = "direct", _("Direct")
    OTHER = "other", _("Other")


#: Channels that are bought (ad spend is recorded against them); ROI flags apply to these.
PAID_CHANNELS: frozenset[str] = frozenset({Channel.PAID_SEARCH, Channel.PAID_FEED, Channel.CONTENT})
