"""Query parameters and answers of the catalog reports (product matrix, SKU health,
compliance findings, price-protection exposure)."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from catalog.health import DEFAULT_TARGET_COVER_DAYS
from catalog.models import ComplianceFinding, Sku, SkuStatus
from opsdesk.api.reports import ReportDateField
from opsdesk.api.serializers import StoreDateTimeField

ID_MAX = 2**63 - 1


def _decimal(help_text: str, *, null: bool = True) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=None, decimal_places=None, allow_null=null, help_text=help_text
    )


# --- product matrix ---------------------------------------------------------------------------


class RoleRowSerializer(serializers.Serializer):
    role = serializers.CharField(help_text="traffic, profit, image, or empty for untagged.")
    skus = serializers.IntegerField(help_text="SKUs of the role not delisted, now.")
    gmv = _decimal("Line GMV of the role's SKUs over the range.", null=False)
    gross_profit = _decimal("Gross profit of the role's SKUs over the range.", null=False)
    views = serializers.IntegerField(help_text="Product views (PV) over the range.")
    first_orders = serializers.IntegerField(
        help_text="First-ever paid orders containing the role's SKUs."
    )
    units = serializers.IntegerField(help_text="Units sold over the range.")
    sku_share = _decimal("skus / all SKUs (0-1); null when the store has none.")
    gmv_share = _decimal("gmv / total GMV; null when that is 0.")
    gross_profit_share = _decimal("gross_profit / total gross profit; null when that is 0.")
    views_share = _decimal("views / all views; null when there are none.")
    first_orders_share = _decimal("first_orders / all first orders; null when none.")
    margin = _decimal("gross_profit / gmv; null when gmv is 0.")


class SkuPointSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(help_text="SKU id.")
    code = serializers.CharField(help_text="SKU code (商家编码).")
    title = serializers.CharField(help_text="Title.")
    role = serializers.CharField(help_text="Current role; empty when untagged.")
    price = _decimal("Current list price.", null=False)
    cost = _decimal("Current unit cost.", null=False)
    list_margin = _decimal("(price - cost) / price; null when the price is 0.")
    units = serializers.IntegerField(help_text="Units sold over the range.")
    gmv = _decimal("Line GMV over the range.", null=False)
    gross_profit = _decimal("Gross profit over the range.", null=False)
    views = serializers.IntegerField(help_text="Views over the range.")
    first_orders = serializers.IntegerField(help_text="First orders over the range.")


class MatrixFlagSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="traffic_few_first_orders, traffic_few_views, profit_margin_below_average, "
        "image_below_profit_band or traffic_share_off_target."
    )
    role = serializers.CharField(help_text="Role the flag is about.")
    message = serializers.CharField(help_text="The flag for a person, with its numbers.")
    numbers = serializers.DictField(
        child=serializers.CharField(), help_text="The figures behind the flag, as strings."
    )
    skus = serializers.ListField(
        child=serializers.CharField(), help_text="SKU codes concerned (image flag)."
    )


class RoleSuggestionSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(help_text="SKU id.")
    code = serializers.CharField(help_text="SKU code.")
    title = serializers.CharField(help_text="Title.")
    current_role = serializers.CharField(help_text="Current role; empty when untagged.")
    suggested_role = serializers.CharField(help_text="Suggested role.")
    reason = serializers.CharField(help_text="Why, with the numbers.")


class MatrixReportSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the range.")
    end = serializers.DateField(help_text="Last day of the range (inclusive).")
    total_skus = serializers.IntegerField(help_text="SKUs not delisted.")
    total_gmv = _decimal("Line GMV of all SKUs over the range.", null=False)
    total_gross_profit = _decimal("Gross profit of all SKUs over the range.", null=False)
    store_margin = _decimal("Store average margin: gross profit / GMV; null when GMV is 0.")
    traffic_share_target = _decimal("The store's target share of traffic SKUs.", null=False)
    traffic_share_tolerance = _decimal("Tolerance around the target.", null=False)
    roles = RoleRowSerializer(many=True, help_text="traffic, profit, image, untagged.")
    skus = SkuPointSerializer(many=True, help_text="Every SKU not delisted, by code.")
    flags = MatrixFlagSerializer(many=True, help_text="Roles not doing their job.")
    suggestions = RoleSuggestionSerializer(
        many=True, help_text="Role suggestions for untagged or mis-tagged SKUs."
    )


# --- SKU health -------------------------------------------------------------------------------

HEALTH_FILTERS = ["delisting_candidate", "stockout_risk", "overstock", "replenish"]


class HealthQuerySerializer(serializers.Serializer):
    as_of = ReportDateField(
        required=False,
        help_text="Last store-local day of the windows (default yesterday). A day before "
        "yesterday reads that day's stock snapshots and status history.",
    )
    target_cover_days = serializers.IntegerField(
        min_value=1,
        max_value=365,
        default=DEFAULT_TARGET_COVER_DAYS,
        help_text="Days of cover the replenishment suggestion aims at (1-365).",
    )
    only = serializers.ChoiceField(
        choices=HEALTH_FILTERS,
        required=False,
        help_text="Only SKUs with this flag: delisting candidates, stockout risk, overstock, "
        "or a replenishment suggestion.",
    )


class SkuHealthSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(help_text="SKU id.")
    code = serializers.CharField(help_text="SKU code.")
    title = serializers.CharField(help_text="Title.")
    role = serializers.CharField(help_text="Role; empty when untagged.")
    status = serializers.CharField(
        help_text="on_shelf or off_shelf; at the end of as_of when stock_from_snapshots."
    )
    price = _decimal("List price (current).", null=False)
    stock = serializers.IntegerField(
        help_text="Current stock; the stock at the end of as_of (its daily snapshot) when "
        "stock_from_snapshots."
    )
    on_shelf_since = serializers.DateField(
        allow_null=True,
        help_text="Start of the SKU's on-shelf spell as of the day: the later of its listing "
        "day (creation day when unknown) and its last return to the shelf from off shelf or "
        "delisted.",
    )
    units_30d = serializers.IntegerField(help_text="Units sold in the 30 days.")
    units_14d = serializers.IntegerField(help_text="Units sold in the 14 days.")
    sell_through = _decimal("units_30d / (units_30d + stock); null when both are 0.")
    avg_daily_units = _decimal("units_14d / 14; null when nothing sold.")
    days_of_cover = _decimal("stock / avg_daily_units; null when nothing sold in 14 days.")
    stockout_risk = serializers.BooleanField(help_text="Cover below the lead time.")
    overstock = serializers.BooleanField(help_text="Cover above the overstock limit.")
    cogs_30d = _decimal("Cost of goods sold in the 30 days.", null=False)
    average_stock_value = _decimal("Mean stock in the 30 days x unit cost.", null=False)
    stock_basis = serializers.CharField(
        help_text="snapshots (daily stock snapshots) or current (no snapshot in the window)."
    )
    turnover = _decimal("cogs_30d / average_stock_value; null when that is 0.")
    delisting_candidate = serializers.BooleanField(
        help_text="On shelf 30+ days and sell-through below the store's threshold."
    )
    replenish_units = serializers.IntegerField(
        help_text="Units to order to reach target_cover_days (0 = none)."
    )


class HealthReportSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text="Last day of the windows.")
    window_start = serializers.DateField(help_text="First day of the 30-day window.")
    cover_start = serializers.DateField(help_text="First day of the 14-day window.")
    on_shelf = serializers.IntegerField(help_text="SKUs on shelf.")
    on_shelf_selling = serializers.IntegerField(help_text="Of them, SKUs that sold in 30 days.")
    store_sell_through = _decimal("on_shelf_selling / on_shelf; null without SKUs on shelf.")
    cogs_30d = _decimal("Cost of goods sold in the 30 days, all SKUs.", null=False)
    average_stock_value = _decimal("Average stock value, all SKUs.", null=False)
    store_turnover = _decimal("Store 30-day inventory turnover; null without stock value.")
    delisting_threshold = _decimal("Sell-through under which a SKU is a candidate.", null=False)
    lead_days = serializers.IntegerField(help_text="Replenishment lead time (days).")
    overstock_days = serializers.IntegerField(help_text="Cover above which a SKU is overstock.")
    target_cover_days = serializers.IntegerField(help_text="Target cover used.")
    stock_from_snapshots = serializers.BooleanField(
        help_text="as_of is before yesterday: stock from that day's snapshots, status and "
        "on-shelf day from the status history; only SKUs with a snapshot that day."
    )
    skus = SkuHealthSerializer(
        many=True, help_text="SKUs not delisted (as of the day; filtered by only)."
    )


# --- compliance -------------------------------------------------------------------------------


class ComplianceQuerySerializer(serializers.Serializer):
    field = serializers.ChoiceField(
        choices=ComplianceFinding.Field.choices,
        required=False,
        help_text="Only findings in this field.",
    )


class FindingSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Finding id.")
    sku_id = serializers.IntegerField(help_text="SKU id.")
    sku_code = serializers.CharField(help_text="SKU code.")
    field = serializers.CharField(help_text="title or description.")
    term = serializers.CharField(help_text="The banned term found.")
    position = serializers.IntegerField(help_text="Character offset of the term in the text.")
    first_seen_at = StoreDateTimeField(help_text="When it was first seen.")
    age_hours = _decimal("Hours since first seen (2 decimals).", null=False)
    overdue = serializers.BooleanField(help_text="Open longer than the 24-hour rule.")
    replacement = serializers.CharField(
        help_text="Suggested neutral replacement of the term; empty when none."
    )


class ComplianceReportSerializer(serializers.Serializer):
    open = serializers.IntegerField(help_text="Open findings.")
    overdue = serializers.IntegerField(help_text="Open findings older than 24 hours.")
    oldest_age_hours = _decimal("Age of the oldest open finding in hours; null when none.")
    clear_within_hours = serializers.IntegerField(help_text="The rule: clear within (hours).")
    findings = FindingSerializer(many=True, help_text="Open findings, oldest first.")


# --- price-protection exposure ---------------------------------------------------------------


class ExposureQuerySerializer(serializers.Serializer):
    """Either ``sku`` with ``new_price``, or ``cut_percent`` (for ``sku``, or every SKU on
    shelf)."""

    sku = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, help_text="Id of a SKU of the store."
    )
    new_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="The price the SKU would change to (with sku).",
    )
    cut_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        help_text="A cut of this many percent of the current price, for sku or every SKU on shelf.",
    )

    def validate(self, attrs: dict) -> dict:
        store = self.context["store"]
        if ("new_price" in attrs) == ("cut_percent" in attrs):
            raise serializers.ValidationError(
                {"new_price": [_("Give either new_price (with sku) or cut_percent.")]}
            )
        if "new_price" in attrs and "sku" not in attrs:
            raise serializers.ValidationError({"sku": [_("new_price needs a sku.")]})
        if "sku" in attrs:
            sku = Sku.objects.filter(store=store, pk=attrs["sku"]).select_related("store").first()
            if sku is None:
                raise serializers.ValidationError(
                    {"sku": [_("No SKU with id %(id)s in this store.") % {"id": attrs["sku"]}]}
                )
            attrs["skus"] = [sku]
        else:
            attrs["skus"] = list(
                Sku.objects.filter(store=store, status=SkuStatus.ON_SHELF)
                .select_related("store")
                .order_by("code", "pk")
            )
        return attrs


class ExposureRowSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(help_text="SKU id.")
    code = serializers.CharField(help_text="SKU code.")
    old_price = _decimal("Current price.", null=False)
    new_price = _decimal("Price after the change.", null=False)
    orders = serializers.IntegerField(
        help_text="Paid orders in the protection window paying more than new_price."
    )
    lines = serializers.IntegerField(help_text="Their order lines of the SKU.")
    units = serializers.IntegerField(help_text="Units on those lines.")
    amount = _decimal(
        "Most buyers could claim: sum of (unit price paid - new price) x units.", null=False
    )
    confirmation = serializers.CharField(
        help_text="Send as `price_confirmation` with the SKU's new price to confirm exactly this "
        "exposure; empty when there is none (the change needs no confirmation)."
    )


class ExposureReportSerializer(serializers.Serializer):
    at = StoreDateTimeField(help_text="When the change would happen (now).")
    window_start = StoreDateTimeField(help_text="Start of the protection window.")
    protection_days = serializers.IntegerField(help_text="The store's protection window.")
    orders = serializers.IntegerField(help_text="Sum of the rows' orders.")
    amount = _decimal("Sum of the rows' amounts.", null=False)
    rows = ExposureRowSerializer(many=True, help_text="One row per SKU, by code.")
