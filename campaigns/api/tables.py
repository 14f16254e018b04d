"""The campaign review report's tables (``review/?format=csv|xlsx``): machine-readable column
names and the same values as the report's JSON; a review not available yet gives the tables
with no rows. (The long, translated table of ``review/export/`` is
``campaigns.review_export.review_rows``.)"""

import datetime
import zoneinfo

from campaigns.review import CampaignReview
from opsdesk.api.reports import Table, iso

SUMMARY_FIELDS = [
    "stage",
    "start",
    "end",
    "target",
    "gmv",
    "gap",
    "achievement",
    "uv",
    "paying_buyers",
    "paid_orders",
    "conversion_rate",
    "spend_per_buyer",
    "baseline_name",
    "skus_sold",
    "ad_spend",
    "ad_budget",
    "budget_used",
    "channel_budget_total",
    "new_buyers",
    "new_buyer_share",
    "repurchase_known_on",
    "new_buyers_returned",
    "lost_sales",
    "refund_amount",
    "refund_rate",
    "missing_days",
]
EFFECT_FIELDS = [
    "reference_gmv",
    "actual_gmv",
    "gap",
    "traffic",
    "conversion",
    "spend_per_buyer",
]
PARETO_FIELDS = ["sku_id", "code", "title", "gmv", "share", "cumulative_share"]
LINEUP_FIELDS = [
    "sku_id",
    "code",
    "title",
    "planned_units",
    "actual_units",
    "achievement",
    "underperforming",
]
CHANNEL_FIELDS = [
    "channel",
    "gmv",
    "ad_spend",
    "roi",
    "budget_share",
    "budget",
    "budget_used",
    "over_budget",
]
STOCKOUT_FIELDS = [
    "sku_id",
    "code",
    "title",
    "out_from",
    "out_until",
    "hours_before",
    "units_before",
    "units_per_hour",
    "hours_out",
    "lost_units",
    "average_price",
    "lost_sales",
]


def _summary_value(review: CampaignReview, name: str):
    value = getattr(review, name)
    if name == "missing_days":
        return " ".join(day.isoformat() for day in value)
    return value


def review_tables(review: CampaignReview | None, zone: zoneinfo.ZoneInfo) -> list[Table]:
    """The report's tables: summary (one row), effects (against plan and baseline), pareto,
    lineup, channels and stockouts (times in the store's zone)."""
    if review is None:
        return [
            Table("summary", SUMMARY_FIELDS),
            Table("effects", ["against", *EFFECT_FIELDS]),
            Table("pareto", PARETO_FIELDS),
            Table("lineup", LINEUP_FIELDS),
            Table("channels", CHANNEL_FIELDS),
            Table("stockouts", STOCKOUT_FIELDS),
        ]
    effects = [
        [against, *(getattr(split, n) for n in EFFECT_FIELDS)]
        for against, split in (("plan", review.vs_plan), ("baseline", review.vs_baseline))
        if split is not None
    ]

    def cell(row, name: str):
        value = getattr(row, name)
        return iso(value, zone) if isinstance(value, datetime.datetime) else value

    return [
        Table("summary", SUMMARY_FIELDS, [[_summary_value(review, n) for n in SUMMARY_FIELDS]]),
        Table("effects", ["against", *EFFECT_FIELDS], effects),
        Table(
            "pareto", PARETO_FIELDS, [[cell(r, n) for n in PARETO_FIELDS] for r in review.pareto]
        ),
        Table(
            "lineup", LINEUP_FIELDS, [[cell(r, n) for n in LINEUP_FIELDS] for r in review.lineup]
        ),
        Table(
            "channels",
            CHANNEL_FIELDS,
            [[cell(r, n) for n in CHANNEL_FIELDS] for r in review.channels],
        ),
        Table(
            "stockouts",
            STOCKOUT_FIELDS,
            [[cell(r, n) for n in STOCKOUT_FIELDS] for r in review.stockouts],
        ),
    ]
