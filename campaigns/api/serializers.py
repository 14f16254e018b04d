"""Serializers of the promotion-calendar API: campaigns, lineup items, mechanics."""

from itertools import pairwise

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from campaigns.models import Campaign, LineupItem, Mechanic, Phase
from campaigns.services import PHASE_DATES
from opsdesk.api.serializers import StoreDateTimeField, StoreModelSerializer, store_of
from opsdesk.channels import Channel

MONEY = {"max_digits": 14, "decimal_places": 2}


class LineupItemSerializer(StoreModelSerializer):
    planned_units = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        help_text="Units planned for the campaign.",
    )
    sku_code = serializers.CharField(
        source="sku.code", read_only=True, help_text="The SKU's code (商家编码)."
    )
    chosen_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="User name of who put the SKU in the lineup; null when unknown.",
    )

    class Meta:
        model = LineupItem
        fields = ["id", "sku", "sku_code", "planned_units", "chosen_by", "chosen_at"]
        read_only_fields = ["id", "chosen_at"]
        extra_kwargs = {
            "id": {"help_text": "Lineup item id."},
            "sku": {"help_text": "Id of a SKU of this store; cannot change once added."},
            "chosen_at": {"help_text": "When the SKU was put in the lineup."},
        }

    def validate_sku(self, sku):
        if self.instance is not None and sku.pk != self.instance.sku_id:
            raise serializers.ValidationError(
                _("A lineup item's SKU cannot change: remove it and add the other SKU.")
            )
        campaign = self.context.get("campaign")
        if (
            self.instance is None
            and campaign is not None
            and LineupItem.objects.filter(campaign=campaign, sku=sku).exists()
        ):
            raise serializers.ValidationError(_("This SKU is already in the lineup."))
        return sku


class MechanicSerializer(StoreModelSerializer):
    threshold = serializers.DecimalField(
        min_value=0,
        allow_null=True,
        required=False,
        help_text="Spend that unlocks a coupon or full reduction (满 threshold).",
        **MONEY,
    )
    amount = serializers.DecimalField(
        min_value=0,
        allow_null=True,
        required=False,
        help_text="Amount off (减 amount), or the deposit of a pre-sale.",
        **MONEY,
    )
    rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        allow_null=True,
        required=False,
        help_text="Discount rate, above 0 and at most 1 (0.85 = 15% off).",
    )
    inflated_amount = serializers.DecimalField(
        min_value=0,
        allow_null=True,
        required=False,
        help_text="What a pre-sale deposit is worth at the balance (定金膨胀).",
        **MONEY,
    )

    class Meta:
        model = Mechanic
        fields = ["id", "kind", "threshold", "amount", "rate", "inflated_amount", "description"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "id": {"help_text": "Mechanic id."},
            "kind": {
                "help_text": "coupon (needs amount; threshold optional), full_reduction "
                "(threshold and amount), discount (rate) or deposit (amount and "
                "inflated_amount, at least the amount)."
            },
            "description": {"help_text": "Free text shown with the mechanic."},
        }

    def validate_rate(self, value):
        if value is not None and not (0 < value <= 1):
            raise serializers.ValidationError(_("A rate is above 0 and at most 1."))
        return value


class ChannelBudgetSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="Channel code.")
    budget = serializers.DecimalField(
        min_value=0, help_text="Ad budget of the channel (decimal string).", **MONEY
    )


class CampaignSerializer(StoreModelSerializer):
    gmv_target = serializers.DecimalField(
        min_value=0,
        allow_null=True,
        required=False,
        help_text="GMV target of the burst (decimal string). Setting or changing it needs the "
        "set_targets capability (manager, admin).",
        **MONEY,
    )
    preheat_gmv_target = serializers.DecimalField(
        min_value=0,
        allow_null=True,
        required=False,
        help_text="GMV target of the pre-heat days (orders paid in them; deposits count in the "
        "burst). Null: derived from the baseline's pre-heat share or the store's usual day "
        "(see the monitoring report's target_source). Needs set_targets.",
        **MONEY,
    )
    ad_budget = serializers.DecimalField(
        min_value=0,
        allow_null=True,
        required=False,
        help_text="Ad budget (decimal string). Setting or changing it needs the set_targets "
        "capability (manager, admin).",
        **MONEY,
    )
    channel_budgets = ChannelBudgetSerializer(
        many=True,
        required=False,
        help_text="The ad budget split by channel, each channel at most once; they add up to at "
        "most ad_budget. A write replaces the whole list ([] removes them). Needs set_targets.",
    )
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices),
        required=False,
        help_text="Channels the campaign runs on.",
    )
    created_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="User name of who created it; null when unknown.",
    )
    phase = serializers.SerializerMethodField(
        help_text="The campaign's phase today (store-local date)."
    )
    lineup = LineupItemSerializer(
        many=True, read_only=True, help_text="Lineup (write it under .../lineup/)."
    )
    mechanics = MechanicSerializer(
        many=True, read_only=True, help_text="Mechanics (write them under .../mechanics/)."
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "kind",
            "preparation_start",
            "preheat_start",
            "burst_start",
            "burst_end",
            "wrapup_end",
            "phase",
            "gmv_target",
            "preheat_gmv_target",
            "ad_budget",
            "channel_budgets",
            "channels",
            "baseline",
            "notes",
            "created_by",
            "created_at",
            "lineup",
            "mechanics",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "id": {"help_text": "Campaign id."},
            "name": {"help_text": "Campaign name."},
            "kind": {"help_text": "Platform festival, store event or flash sale."},
            "preparation_start": {"help_text": "Preparation (筹备) starts, store-local date."},
            "preheat_start": {"help_text": "Pre-heat (预热) starts, store-local date."},
            "burst_start": {"help_text": "Burst (爆发) starts, store-local date."},
            "burst_end": {"help_text": "Burst ends (inclusive), store-local date."},
            "wrapup_end": {"help_text": "Wrap-up (返场) ends (inclusive); review follows."},
            "baseline": {"help_text": "Id of an earlier campaign of this store to compare with."},
            "notes": {"help_text": "Free notes."},
            "created_at": {"help_text": "When the campaign was created."},
        }

    def get_phase(self, campaign: Campaign) -> Phase:
        today = timezone.localdate(timezone=store_of(self).zone)
        return campaign.phase_on(today)

    def validate(self, attrs: dict) -> dict:
        values = {name: getattr(self.instance, name, None) for name in PHASE_DATES}
        values.update({name: attrs[name] for name in PHASE_DATES if name in attrs})
        dates = [values[name] for name in PHASE_DATES]
        if None not in dates and any(b < a for a, b in pairwise(dates)):
            raise serializers.ValidationError(
                _(
                    "Phase dates must be in order: preparation_start <= preheat_start <= "
                    "burst_start <= burst_end <= wrapup_end."
                )
            )
        if "channel_budgets" in attrs:
            budgets = attrs["channel_budgets"]
            seen = [item["channel"] for item in budgets]
            twice = sorted({channel for channel in seen if seen.count(channel) > 1})
            if twice:
                raise serializers.ValidationError(
                    {
                        "channel_budgets": [
                            _("A channel appears twice: %(codes)s.") % {"codes": ", ".join(twice)}
                        ]
                    }
                )
            attrs["channel_budgets"] = {item["channel"]: item["budget"] for item in budgets}
        baseline = attrs.get("baseline")
        if baseline is not None and self.instance is not None and baseline.pk == self.instance.pk:
            raise serializers.ValidationError(
                {"baseline": [_("A campaign cannot be its own baseline.")]}
            )
        return attrs


# --- reports: plan breakdown, lineup suggestion, monitoring, review ----------------------------

RATE = {"max_digits": None, "decimal_places": None, "allow_null": True}


def _money(help_text: str, **extra) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=2, help_text=help_text, **extra)


class PreheatTargetSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=["set", "baseline", "recent"],
        allow_null=True,
        help_text="set: preheat_gmv_target; baseline: the baseline's pre-heat GMV per day / "
        "its burst GMV per day x the burst's daily target; recent: the store's GMV per day "
        "before the pre-heat; null: no target.",
    )
    total = _money("Pre-heat GMV target over all pre-heat days.", allow_null=True)
    per_day = _money("Target of one pre-heat day.", allow_null=True)
    days = serializers.IntegerField(help_text="Pre-heat days.")
    baseline_ratio = serializers.DecimalField(
        help_text="baseline: its pre-heat GMV per day / its burst GMV per day.", **RATE
    )
    recent_gmv_per_day = _money("recent: the store's GMV per rolled-up day.", allow_null=True)
    reference_start = serializers.DateField(
        allow_null=True, help_text="First day the derived target reads."
    )
    reference_end = serializers.DateField(
        allow_null=True, help_text="Last day the derived target reads."
    )


class PlanBreakdownSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=["baseline", "recent"],
        help_text="Where the rates come from: the baseline campaign's burst, or the store's "
        "28 days before the pre-heat.",
    )
    source_name = serializers.CharField(help_text="The baseline's name; empty for recent rates.")
    start = serializers.DateField(help_text="First day of the rates' source range.")
    end = serializers.DateField(help_text="Last day of the rates' source range.")
    missing_days = serializers.IntegerField(help_text="Days of the source not rolled up yet.")
    conversion_rate = serializers.DecimalField(
        help_text="Paying buyers / UV of the source; null without UV.", **RATE
    )
    spend_per_buyer = _money(
        "GMV / paying buyers of the source; null without buyers.", allow_null=True
    )
    uv_value = _money("GMV / UV of the source; null without UV.", allow_null=True)
    target = _money("The campaign's GMV target; null when not set.", allow_null=True)
    burst_days = serializers.IntegerField(help_text="Days of the burst.")
    implied_uv = serializers.IntegerField(
        allow_null=True, help_text="UV the target needs at these rates, rounded up."
    )
    implied_buyers = serializers.IntegerField(
        allow_null=True, help_text="Paying buyers the target needs, rounded up."
    )
    implied_uv_per_day = serializers.IntegerField(
        allow_null=True, help_text="UV needed per burst day, rounded up."
    )
    preheat_target = PreheatTargetSerializer(help_text="The pre-heat days' GMV target.")


class SuggestionSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(help_text="SKU id.")
    code = serializers.CharField(help_text="SKU code.")
    title = serializers.CharField(help_text="SKU title.")
    conversion_rate = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="Buyers / visitors of the SKU, 30 days."
    )
    buyers = serializers.IntegerField(help_text="Distinct buyers of the SKU in the 30 days.")
    visitors = serializers.IntegerField(help_text="Distinct visitors of the SKU in the 30 days.")
    units_30d = serializers.IntegerField(help_text="Units sold in the 30 days.")
    expected_units = serializers.IntegerField(
        help_text="Units / 30 x burst days x the baseline's uplift, rounded up."
    )
    stock = serializers.IntegerField(help_text="Current stock.")
    stock_ok = serializers.BooleanField(help_text="Stock covers the expected units.")
    in_lineup = serializers.BooleanField(help_text="Already in the campaign's lineup.")


class LineupSuggestionsSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the 30-day window.")
    end = serializers.DateField(help_text="Last day of the window (yesterday).")
    min_conversion = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="The store's minimum (default 0.08)."
    )
    uplift = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        help_text="Baseline burst GMV per day / its 30 days before; 1 without a baseline.",
    )
    baseline_name = serializers.CharField(help_text="Baseline campaign; empty if none.")
    missing_days = serializers.IntegerField(help_text="Days of the window not rolled up yet.")
    suggestions = SuggestionSerializer(many=True, help_text="Best converting first.")


class LineupPickSerializer(serializers.Serializer):
    sku = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="SKU id.")
    planned_units = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, help_text="Units planned for the campaign."
    )


class LineupAcceptSerializer(serializers.Serializer):
    items = LineupPickSerializer(
        many=True, allow_empty=False, help_text="Accepted SKUs and their planned units."
    )


class MonitorQuerySerializer(serializers.Serializer):
    day = serializers.DateField(
        required=False,
        help_text="A pre-heat or burst day, YYYY-MM-DD; default today (or the nearest "
        "monitored day).",
    )


class MonitorRefreshSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="The pre-heat or burst day to recompute, YYYY-MM-DD.")


class RefreshResultSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="The day recomputed.")
    hours = serializers.IntegerField(help_text="Hours written (those started so far).")


class PaceHourSerializer(serializers.Serializer):
    hour = StoreDateTimeField(help_text="Start of the store-local hour.")
    local_hour = serializers.IntegerField(help_text="Hour of the day on the store's clock.")
    complete = serializers.BooleanField(help_text="False for the hour still running.")
    gmv = _money("GMV of orders paid in the hour.")
    paid_orders = serializers.IntegerField(help_text="Orders paid in the hour.")
    paying_buyers = serializers.IntegerField(help_text="Distinct buyers in the hour.")
    uv = serializers.IntegerField(help_text="Distinct visitors in the hour.")
    conversion_rate = serializers.DecimalField(help_text="Buyers / UV of the hour.", **RATE)
    cumulative_gmv = _money("GMV of the day up to the end of the hour.")
    day_uv = serializers.IntegerField(help_text="Distinct visitors of the day so far.")
    day_buyers = serializers.IntegerField(help_text="Distinct buyers of the day so far.")
    day_conversion_rate = serializers.DecimalField(
        help_text="Buyers / UV of the day so far.", **RATE
    )
    target_gmv = _money("The hour's share of the day target; null without one.", allow_null=True)
    cumulative_target = _money(
        "Target pace up to the end of the hour; null without a day target.", allow_null=True
    )


class StockAlertSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(help_text="SKU id.")
    code = serializers.CharField(help_text="SKU code.")
    title = serializers.CharField(help_text="SKU title.")
    stock = serializers.IntegerField(help_text="Current stock.")
    units_per_hour = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="Units per hour over the last 3 hours."
    )
    hours_left = serializers.IntegerField(help_text="Hours left in the burst.")
    hours_of_cover = serializers.DecimalField(
        help_text="Hours the stock lasts at that pace.", **RATE
    )


class PaceSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="The store-local day.")
    is_burst_day = serializers.BooleanField(help_text="A burst day (else pre-heat).")
    day_target = _money(
        "The day's GMV target: on a burst day the campaign's target / burst days, on a "
        "pre-heat day the pre-heat target / pre-heat days; null without one.",
        allow_null=True,
    )
    target_source = serializers.ChoiceField(
        choices=["burst", "set", "baseline", "recent"],
        allow_null=True,
        help_text="Where the day target comes from: burst (the GMV target), or for a pre-heat "
        "day set (preheat_gmv_target), baseline (the baseline's pre-heat share) or recent (the "
        "store's GMV per day before the pre-heat); null without a target.",
    )
    curve_source = serializers.ChoiceField(
        choices=["baseline", "usual", "even"],
        help_text="Hourly curve of the pace: the baseline's burst (or pre-heat, on a pre-heat "
        "day), the store's 28 days, or even.",
    )
    hours = PaceHourSerializer(many=True, help_text="Hours computed so far, in order.")
    gmv = _money("GMV of the day so far.")
    complete_hours = serializers.IntegerField(help_text="Hours of the day fully over.")
    target_so_far = _money("Target pace of the complete hours.", allow_null=True)
    projected_gmv = _money(
        "GMV of the complete hours / the curve's share of them: the finish at this pace.",
        allow_null=True,
    )
    progress = serializers.DecimalField(help_text="GMV so far / day target.", **RATE)
    behind_pace = serializers.BooleanField(help_text="Complete hours' GMV below the pace.")
    stock_alerts = StockAlertSerializer(
        many=True, help_text="Lineup SKUs whose stock will not last the burst at this pace."
    )
    refreshed_at = StoreDateTimeField(
        allow_null=True, help_text="When the hours were last computed."
    )
    burst_gmv = _money(
        "Burst days only: GMV of the burst from its first day to this day's last computed "
        "hour; null on a pre-heat day.",
        allow_null=True,
    )
    burst_progress = serializers.DecimalField(
        help_text="burst_gmv / the campaign's GMV target; null on a pre-heat day or without a "
        "target.",
        **RATE,
    )


class EffectsSerializer(serializers.Serializer):
    reference_gmv = _money("GMV of the reference (plan target or baseline burst).")
    actual_gmv = _money("GMV of the burst.")
    gap = _money("Actual - reference.")
    traffic = _money("Effect of UV (LMDI); the three effects add up to the gap.")
    conversion = _money("Effect of the conversion rate.")
    spend_per_buyer = _money("Effect of spend per buyer.")


class ParetoSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(help_text="SKU id.")
    code = serializers.CharField(help_text="SKU code.")
    title = serializers.CharField(help_text="SKU title.")
    gmv = _money("Line GMV of the SKU in the burst.")
    share = serializers.DecimalField(help_text="Share of the burst's line GMV.", **RATE)
    cumulative_share = serializers.DecimalField(help_text="Running share, largest first.", **RATE)


class LineupOutcomeSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(help_text="SKU id.")
    code = serializers.CharField(help_text="SKU code.")
    title = serializers.CharField(help_text="SKU title.")
    planned_units = serializers.IntegerField(help_text="Units planned.")
    actual_units = serializers.IntegerField(help_text="Units sold in the burst.")
    achievement = serializers.DecimalField(help_text="Sold / planned.", **RATE)
    underperforming = serializers.BooleanField(help_text="Sold fewer than planned.")


class ChannelOutcomeSerializer(serializers.Serializer):
    channel = serializers.CharField(help_text="Channel code.")
    gmv = _money("GMV of the channel's orders, pre-heat and burst.")
    ad_spend = _money("Ad spend on the channel, pre-heat and burst.")
    roi = serializers.DecimalField(help_text="GMV / spend; null without spend.", **RATE)
    budget_share = serializers.DecimalField(help_text="Spend / the campaign's budget.", **RATE)
    budget = _money("The channel's own budget; null when none is set.", allow_null=True)
    budget_used = serializers.DecimalField(
        help_text="Spend / the channel's budget; null without one (or a budget of 0).", **RATE
    )
    over_budget = serializers.BooleanField(help_text="Spend above the channel's budget.")


class StockoutSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(help_text="SKU id.")
    code = serializers.CharField(help_text="SKU code.")
    title = serializers.CharField(help_text="SKU title.")
    out_from = serializers.DateTimeField(help_text="End of the hour of the last sale.")
    out_until = serializers.DateTimeField(help_text="End of the last zero-stock burst day.")
    hours_before = serializers.IntegerField(help_text="Burst hours before the stockout.")
    units_before = serializers.IntegerField(help_text="Units sold in those hours.")
    units_per_hour = serializers.DecimalField(help_text="Pre-stockout hourly rate.", **RATE)
    hours_out = serializers.IntegerField(help_text="Hours out of stock.")
    lost_units = serializers.DecimalField(help_text="Rate x hours out.", **RATE)
    average_price = _money("Average unit price paid before the stockout.", allow_null=True)
    lost_sales = _money("Lost units x average price.", allow_null=True)


class CampaignReviewSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(
        choices=["burst", "final"],
        help_text="burst: after the burst; final: after the wrap-up (with refunds).",
    )
    start = serializers.DateField(help_text="First burst day.")
    end = serializers.DateField(help_text="Last burst day.")
    missing_days = serializers.ListField(
        child=serializers.DateField(), help_text="Burst days not rolled up yet."
    )
    target = _money("GMV target.", allow_null=True)
    gmv = _money("GMV of the burst.")
    gap = _money("GMV - target.", allow_null=True)
    achievement = serializers.DecimalField(help_text="GMV / target.", **RATE)
    uv = serializers.IntegerField(help_text="Distinct visitors of the burst.")
    paying_buyers = serializers.IntegerField(help_text="Distinct buyers of the burst.")
    paid_orders = serializers.IntegerField(help_text="Paid orders of the burst.")
    conversion_rate = serializers.DecimalField(help_text="Buyers / UV.", **RATE)
    spend_per_buyer = _money("GMV / buyers.", allow_null=True)
    vs_plan = EffectsSerializer(allow_null=True, help_text="Gap split against the plan.")
    vs_baseline = EffectsSerializer(allow_null=True, help_text="Gap split against the baseline.")
    baseline_name = serializers.CharField(help_text="Baseline campaign; empty if none.")
    pareto = ParetoSerializer(many=True, help_text="SKUs that made 80% of the burst's GMV.")
    skus_sold = serializers.IntegerField(help_text="SKUs that sold in the burst.")
    lineup = LineupOutcomeSerializer(many=True, help_text="Lineup SKUs, planned vs sold.")
    channels = ChannelOutcomeSerializer(many=True, help_text="ROI by channel.")
    ad_spend = _money("Ad spend of pre-heat and burst.")
    ad_budget = _money("The campaign's ad budget.", allow_null=True)
    budget_used = serializers.DecimalField(help_text="Spend / budget.", **RATE)
    channel_budget_total = _money(
        "Sum of the channel budgets; null when the budget is not split.", allow_null=True
    )
    new_buyers = serializers.IntegerField(
        help_text="Buyers whose first paid order is in the burst."
    )
    new_buyer_share = serializers.DecimalField(help_text="New buyers / buyers.", **RATE)
    repurchase_known_on = serializers.DateField(
        help_text="From this day the 30-day repurchase of new buyers is known."
    )
    new_buyers_returned = serializers.IntegerField(
        allow_null=True,
        help_text="New buyers who paid again within 30 days after the burst; null until known.",
    )
    stockouts = StockoutSerializer(many=True, help_text="SKUs out of stock during the burst.")
    lost_sales = _money("Estimated sales lost to stockouts.")
    refund_amount = _money(
        "Refunds of the burst's orders by the end of the wrap-up; null before.", allow_null=True
    )
    refund_rate = serializers.DecimalField(help_text="Refunds / GMV; null before.", **RATE)


class CampaignReviewResponseSerializer(serializers.Serializer):
    available = serializers.BooleanField(help_text="False until the burst is over.")
    available_from = serializers.DateField(help_text="First day the review exists.")
    review = CampaignReviewSerializer(allow_null=True, help_text="The review; null before.")
