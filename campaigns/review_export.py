"""The review as the file a manager downloads (the page's export and the API's
``review/export/``): one long table (section, item, measure, value), labels in the active
language."""

from django.utils.translation import gettext as _

from .review import CampaignReview


def review_rows(review: CampaignReview) -> tuple[list[str], list[list]]:
    """The review as one long table (section, item, measure, value) for CSV/XLSX downloads,
    labels in the active language; empty values stay empty (never 0)."""
    header = [_("Section"), _("Item"), _("Measure"), _("Value")]
    rows: list[list] = []
    summary = _("Target vs actual")
    for measure, value in (
        (_("GMV target"), review.target),
        (_("GMV"), review.gmv),
        (_("Gap"), review.gap),
        (_("Achievement"), review.achievement),
        (_("UV"), review.uv),
        (_("Paying buyers"), review.paying_buyers),
        (_("Paid orders"), review.paid_orders),
        (_("Conversion rate"), review.conversion_rate),
        (_("Spend per buyer"), review.spend_per_buyer),
        (_("New buyers"), review.new_buyers),
        (_("New buyer share"), review.new_buyer_share),
        (_("New buyers who bought again within 30 days"), review.new_buyers_returned),
        (_("Ad spend"), review.ad_spend),
        (_("Ad budget"), review.ad_budget),
        (_("Budget used"), review.budget_used),
        (_("Channel budgets"), review.channel_budget_total),
        (_("Lost sales (stockouts)"), review.lost_sales),
        (_("Refunds by the end of the wrap-up"), review.refund_amount),
        (_("Refund rate"), review.refund_rate),
    ):
        rows.append([summary, "", measure, value])
    for section, effects in (
        (_("Gap vs plan"), review.vs_plan),
        (_("Gap vs baseline"), review.vs_baseline),
    ):
        if effects is None:
            continue
        for measure, value in (
            (_("Reference GMV"), effects.reference_gmv),
            (_("Actual GMV"), effects.actual_gmv),
            (_("Gap"), effects.gap),
            (_("Traffic effect"), effects.traffic),
            (_("Conversion effect"), effects.conversion),
            (_("Spend-per-buyer effect"), effects.spend_per_buyer),
        ):
            rows.append([section, "", measure, value])
    # xgettext:no-python-format
    pareto_label = _("Pareto SKUs (80% of GMV)")
    for sku in review.pareto:
        rows.append([pareto_label, sku.code, _("GMV"), sku.gmv])
        rows.append([pareto_label, sku.code, _("Cumulative share"), sku.cumulative_share])
    for outcome in review.lineup:
        section = _("Lineup")
        rows.append([section, outcome.code, _("Planned units"), outcome.planned_units])
        rows.append([section, outcome.code, _("Units sold"), outcome.actual_units])
        rows.append(
            [
                section,
                outcome.code,
                _("Underperforming"),
                _("yes") if outcome.underperforming else _("no"),
            ]
        )
    for channel in review.channels:
        section = _("ROI by channel")
        rows.append([section, channel.channel, _("GMV"), channel.gmv])
        rows.append([section, channel.channel, _("Ad spend"), channel.ad_spend])
        rows.append([section, channel.channel, _("ROI"), channel.roi])
        rows.append([section, channel.channel, _("Share of budget"), channel.budget_share])
        if channel.budget is not None:
            rows.append([section, channel.channel, _("Channel budget"), channel.budget])
            rows.append([section, channel.channel, _("Channel budget used"), channel.budget_used])
            rows.append(
                [
                    section,
                    channel.channel,
                    _("Over the channel budget"),
                    _("yes") if channel.over_budget else _("no"),
                ]
            )
    for stockout in review.stockouts:
        section = _("Stockouts")
        rows.append([section, stockout.code, _("Hours out of stock"), stockout.hours_out])
        rows.append([section, stockout.code, _("Units per hour before"), stockout.units_per_hour])
        rows.append([section, stockout.code, _("Lost units"), stockout.lost_units])
        rows.append([section, stockout.code, _("Lost sales"), stockout.lost_sales])
    return header, rows
