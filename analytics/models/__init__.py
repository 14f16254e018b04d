"""Analytics models: the raw facts and the rolled-up tables the reports read.

``facts`` holds what happened (orders, refunds, events, ad spend); ``rollups`` holds the nightly
aggregates of DOMAIN.md "Nightly rollups". Every existing ``from analytics.models import Order``
keeps working through the re-exports below.
"""

from .facts import (
    MONEY,
    AdSpend,
    BehaviourEvent,
    EventType,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
)
from .imports import ImportKind, ImportRun, ImportStatus
from .rollups import (
    BuyerDay,
    BuyerSet,
    CustomerStateSnapshot,
    DailyChannelMetrics,
    DailySkuMetrics,
    DailyStoreMetrics,
    FunnelDay,
    RfmScore,
    StaleDay,
    TierDailyCount,
    Visitor,
    VisitorSet,
)

__all__ = [
    "MONEY",
    "AdSpend",
    "BehaviourEvent",
    "BuyerDay",
    "BuyerSet",
    "CustomerStateSnapshot",
    "DailyChannelMetrics",
    "DailySkuMetrics",
    "DailyStoreMetrics",
    "EventType",
    "FunnelDay",
    "ImportKind",
    "ImportRun",
    "ImportStatus",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Refund",
    "RfmScore",
    "StaleDay",
    "TierDailyCount",
    "Visitor",
    "VisitorSet",
]
