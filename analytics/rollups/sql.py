"""The set-based SQL of a rollup, portable between PostgreSQL and SQLite.

Every statement works on one store and one run of local days ``[d0, d1]`` whose UTC bounds are
``[start, end)``; facts are found through their ``(store, <timestamp>)`` indexes, so the cost is
proportional to the run's rows, never to the history. The local day of a timestamp is:

* for a single-day run: the constant day (no per-row time-zone work at all);
* on PostgreSQL: ``(ts AT TIME ZONE 'zone')::date``, so a back-fill can roll up a month in
  one pass (one scan of the month's facts instead of thirty);
* on SQLite (no time zones in SQL): Django's registered ``django_datetime_cast_date`` Python
  function. Slow per row, which is why SQLite back-fills run one day per statement.

Identifiers come from model ``_meta`` and the zone name is checked against ``zoneinfo``;
every other value is a bound parameter.
"""

import datetime
import re
from dataclasses import dataclass

from django.db import connection

from analytics import idsets
from analytics.models import (
    AdSpend,
    BehaviourEvent,
    BuyerDay,
    BuyerSet,
    DailyChannelMetrics,
    DailySkuMetrics,
    DailyStoreMetrics,
    Order,
    OrderLine,
    Refund,
    Visitor,
    VisitorSet,
)

_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-/]+$")

T = {
    "event": BehaviourEvent._meta.db_table,
    "visitor": Visitor._meta.db_table,
    "vset": VisitorSet._meta.db_table,
    "bday": BuyerDay._meta.db_table,
    "bset": BuyerSet._meta.db_table,
    "order": Order._meta.db_table,
    "line": OrderLine._meta.db_table,
    "refund": Refund._meta.db_table,
    "adspend": AdSpend._meta.db_table,
    "chan": DailyChannelMetrics._meta.db_table,
    "daily": DailyStoreMetrics._meta.db_table,
    "sku": DailySkuMetrics._meta.db_table,
}


@dataclass(frozen=True)
class Run:
    """One store and an inclusive run of its local days, with the run's UTC bounds."""

    store_id: int
    zone_name: str
    first_day: datetime.date
    last_day: datetime.date
    start: datetime.datetime
    end: datetime.datetime
    computed_at: datetime.datetime
    #: Start of the first day whose funnel row the run rewrites (before ``start``).
    visitors_start: datetime.datetime | None = None

    def params(self) -> dict[str, object]:
        ops = connection.ops
        return {
            "store": self.store_id,
            "start": ops.adapt_datetimefield_value(self.start),
            "end": ops.adapt_datetimefield_value(self.end),
            "visitors_start": ops.adapt_datetimefield_value(self.visitors_start or self.start),
            "d0": ops.adapt_datefield_value(self.first_day),
            "d1": ops.adapt_datefield_value(self.last_day),
            "now": ops.adapt_datetimefield_value(self.computed_at),
        }

    def day_of(self, column: str) -> str:
        """SQL for the local day of timestamp ``column`` (see the module docstring)."""
        if self.first_day == self.last_day:
            return "%(d0)s" if connection.vendor != "postgresql" else "CAST(%(d0)s AS date)"
        if not _ZONE_NAME.match(self.zone_name):
            raise ValueError(f"unexpected time zone name {self.zone_name!r}")
        if connection.vendor == "postgresql":
            return f"CAST(({column} AT TIME ZONE '{self.zone_name}') AS date)"
        return f"django_datetime_cast_date({column}, '{self.zone_name}', 'UTC')"


# The run's paid orders, with their local day and whether each is the customer's first-ever
# paid order (no paid order of theirs came earlier; ties on paid_at broken by id; one probe of
# order_customer_paid_idx (customer, paid_at) per order), written once per run into a
# temporary table that the buyer-day, gross-profit and SKU statements join: the probe used to
# run once per order LINE of every statement that needed it.
RUN_ORDERS = "opsdesk_rollup_run_orders"
CREATE_RUN_ORDERS = """
    CREATE TEMPORARY TABLE {run_orders} AS
    SELECT o.id AS id, o.customer_id AS customer_id, o.channel AS channel,
           o.paid_amount AS paid_amount, {day_o} AS day,
           CASE WHEN NOT EXISTS (
               SELECT 1 FROM {order} p
               WHERE p.store_id = o.store_id AND p.customer_id = o.customer_id
                 AND p.paid_at IS NOT NULL
                 AND (p.paid_at < o.paid_at OR (p.paid_at = o.paid_at AND p.id < o.id))
           ) THEN 1 ELSE 0 END AS is_first
    FROM {order} o
    WHERE o.store_id = %(store)s AND o.paid_at >= %(start)s AND o.paid_at < %(end)s
"""
DROP_RUN_ORDERS = "DROP TABLE IF EXISTS {run_orders}"

# From ``visitors_start``: the funnel rows of the days before the run that it rewrites
# (``rollups.funnel``) need their visitors' ids too.
INSERT_VISITORS = """
    INSERT INTO {visitor} (store_id, visitor_key)
    SELECT DISTINCT e.store_id, e.visitor_id FROM {event} e
    WHERE e.store_id = %(store)s AND e.occurred_at >= %(visitors_start)s
      AND e.occurred_at < %(end)s
    ON CONFLICT (store_id, visitor_key) DO NOTHING
"""

# The day's visitors of each channel, grouped by visitor first (one row per visitor-day-
# channel, never written), then packed into one set row per channel (``analytics.idsets``).
INSERT_VISITOR_SETS = """
    INSERT INTO {vset} (store_id, day, channel, views, uv, cart_visitors, order_visitors,
                        pay_visitors, visitors, carted, ordered, paid)
    SELECT %(store)s, vd.day, vd.channel, SUM(vd.views), COUNT(*), SUM(vd.carted),
           SUM(vd.ordered), SUM(vd.paid), {pack_all}, {pack_carted}, {pack_ordered}, {pack_paid}
    FROM (
        SELECT {day_e} AS day, e.channel AS channel, v.id AS vid,
               SUM(CASE WHEN e.event_type = 'view' THEN 1 ELSE 0 END) AS views,
               MAX(CASE WHEN e.event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS carted,
               MAX(CASE WHEN e.event_type = 'order' THEN 1 ELSE 0 END) AS ordered,
               MAX(CASE WHEN e.event_type = 'pay' THEN 1 ELSE 0 END) AS paid
        FROM {event} e
        JOIN {visitor} v ON v.store_id = e.store_id AND v.visitor_key = e.visitor_id
        WHERE e.store_id = %(store)s AND e.occurred_at >= %(start)s AND e.occurred_at < %(end)s
        GROUP BY {day_e}, e.channel, v.id
    ) vd
    GROUP BY vd.day, vd.channel
"""

INSERT_BUYER_DAYS = """
    INSERT INTO {bday} (store_id, day, customer_id, channel, paid_orders, gmv, first_orders)
    SELECT %(store)s, o.day, o.customer_id, o.channel,
           COUNT(*), SUM(o.paid_amount), SUM(o.is_first)
    FROM {run_orders} o
    GROUP BY o.day, o.customer_id, o.channel
"""

# The day's buyers of each channel, packed from the buyer-day rows just written.
INSERT_BUYER_SETS = """
    INSERT INTO {bset} (store_id, day, channel, paying_buyers, buyers, orders)
    SELECT %(store)s, b.day, b.channel, COUNT(*), {pack_buyers}, {pack_orders}
    FROM {bday} b
    WHERE b.store_id = %(store)s AND b.day >= %(d0)s AND b.day <= %(d1)s
    GROUP BY b.day, b.channel
"""

_MEASURES = (
    "gmv, paid_orders, paying_buyers, new_buyers, repeat_buyers, refund_amount, gross_profit, "
    "pv, uv, cart_visitors, order_visitors, pay_visitors, ad_spend, impressions, clicks"
)
_SUM_MEASURES = ", ".join(f"SUM({name.strip()})" for name in _MEASURES.split(","))

# Channel rows: every source grouped by (day, channel), stacked, then summed.
INSERT_CHANNEL_DAYS = f"""
    INSERT INTO {{chan}} (store_id, day, channel, {_MEASURES}, computed_at)
    SELECT %(store)s, day, channel, {_SUM_MEASURES}, %(now)s FROM (
        SELECT b.day AS day, b.channel AS channel, SUM(b.gmv) AS gmv,
               SUM(b.paid_orders) AS paid_orders, COUNT(*) AS paying_buyers,
               SUM(b.first_orders) AS new_buyers,
               SUM(CASE WHEN b.paid_orders >= 2 THEN 1 ELSE 0 END) AS repeat_buyers,
               0 AS refund_amount, 0 AS gross_profit, 0 AS pv, 0 AS uv, 0 AS cart_visitors,
               0 AS order_visitors, 0 AS pay_visitors, 0 AS ad_spend, 0 AS impressions,
               0 AS clicks
        FROM {{bday}} b
        WHERE b.store_id = %(store)s AND b.day >= %(d0)s AND b.day <= %(d1)s
        GROUP BY b.day, b.channel
      UNION ALL
        SELECT {{day_r}}, o.channel, 0, 0, 0, 0, 0, SUM(r.amount), 0, 0, 0, 0, 0, 0, 0, 0, 0
        FROM {{refund}} r JOIN {{order}} o ON o.id = r.order_id
        WHERE r.store_id = %(store)s AND r.refunded_at >= %(start)s AND r.refunded_at < %(end)s
        GROUP BY {{day_r}}, o.channel
      UNION ALL
        SELECT o.day, o.channel, 0, 0, 0, 0, 0, 0,
               SUM((l.unit_price - l.unit_cost) * l.quantity), 0, 0, 0, 0, 0, 0, 0, 0
        FROM {{line}} l JOIN {{run_orders}} o ON o.id = l.order_id
        GROUP BY o.day, o.channel
      UNION ALL
        SELECT v.day, v.channel, 0, 0, 0, 0, 0, 0, 0, v.views, v.uv, v.cart_visitors,
               v.order_visitors, v.pay_visitors, 0, 0, 0
        FROM {{vset}} v
        WHERE v.store_id = %(store)s AND v.day >= %(d0)s AND v.day <= %(d1)s
      UNION ALL
        SELECT a.day, a.channel, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
               SUM(a.spend), SUM(a.impressions), SUM(a.clicks)
        FROM {{adspend}} a
        WHERE a.store_id = %(store)s AND a.day >= %(d0)s AND a.day <= %(d1)s
        GROUP BY a.day, a.channel
    ) parts
    GROUP BY day, channel
"""

# Store rows: additive measures from the channel rows; buyers de-duplicated across channels
# from the buyer-day rows. The distinct visitor counts (a visitor seen through two channels
# counts once) are the unions of the day's visitor sets, set by ``services`` in numpy.
INSERT_STORE_DAYS = f"""
    INSERT INTO {{daily}} (store_id, day, {_MEASURES}, computed_at)
    SELECT %(store)s, day, {_SUM_MEASURES}, %(now)s FROM (
        SELECT c.day AS day, SUM(c.gmv) AS gmv, SUM(c.paid_orders) AS paid_orders,
               0 AS paying_buyers, SUM(c.new_buyers) AS new_buyers, 0 AS repeat_buyers,
               SUM(c.refund_amount) AS refund_amount, SUM(c.gross_profit) AS gross_profit,
               SUM(c.pv) AS pv, 0 AS uv, 0 AS cart_visitors, 0 AS order_visitors,
               0 AS pay_visitors, SUM(c.ad_spend) AS ad_spend,
               SUM(c.impressions) AS impressions, SUM(c.clicks) AS clicks
        FROM {{chan}} c
        WHERE c.store_id = %(store)s AND c.day >= %(d0)s AND c.day <= %(d1)s
        GROUP BY c.day
      UNION ALL
        SELECT b.day, 0, 0, COUNT(*), 0, SUM(CASE WHEN b.orders >= 2 THEN 1 ELSE 0 END),
               0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        FROM (
            SELECT day, customer_id, SUM(paid_orders) AS orders FROM {{bday}}
            WHERE store_id = %(store)s AND day >= %(d0)s AND day <= %(d1)s
            GROUP BY day, customer_id
        ) b
        GROUP BY b.day

    ) parts
    GROUP BY day
"""

# SKU rows: the lines of the run's paid orders, and the events naming a SKU grouped by visitor
# first (a hash aggregate; a COUNT(DISTINCT visitor) per SKU-day sorted every event on disk).
INSERT_SKU_DAYS = """
    INSERT INTO {sku} (store_id, day, sku_id, units, gmv, gross_profit, paid_orders, buyers,
                       first_orders, views, visitors, cart_visitors, computed_at)
    SELECT %(store)s, day, sku_id, SUM(units), SUM(gmv), SUM(gross_profit), SUM(paid_orders),
           SUM(buyers), SUM(first_orders), SUM(views), SUM(visitors), SUM(cart_visitors),
           %(now)s
    FROM (
        SELECT o.day AS day, l.sku_id AS sku_id, SUM(l.quantity) AS units,
               SUM(l.unit_price * l.quantity) AS gmv,
               SUM((l.unit_price - l.unit_cost) * l.quantity) AS gross_profit,
               COUNT(DISTINCT o.id) AS paid_orders, COUNT(DISTINCT o.customer_id) AS buyers,
               COUNT(DISTINCT CASE WHEN o.is_first = 1 THEN o.id END) AS first_orders,
               0 AS views, 0 AS visitors, 0 AS cart_visitors
        FROM {line} l JOIN {run_orders} o ON o.id = l.order_id
        GROUP BY o.day, l.sku_id
      UNION ALL
        SELECT sv.day, sv.sku_id, 0, 0, 0, 0, 0, 0, SUM(sv.views), COUNT(*), SUM(sv.carted)
        FROM (
            SELECT {day_e} AS day, e.sku_id AS sku_id, e.visitor_id AS visitor,
                   SUM(CASE WHEN e.event_type = 'view' THEN 1 ELSE 0 END) AS views,
                   MAX(CASE WHEN e.event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS carted
            FROM {event} e
            WHERE e.store_id = %(store)s AND e.occurred_at >= %(start)s
              AND e.occurred_at < %(end)s AND e.sku_id IS NOT NULL
            GROUP BY {day_e}, e.sku_id, e.visitor_id
        ) sv
        GROUP BY sv.day, sv.sku_id
    ) parts
    GROUP BY day, sku_id
"""


def render(template: str, run: Run) -> str:
    """Fill table names and day expressions into one of the templates above."""
    return template.format(
        **T,
        run_orders=RUN_ORDERS,
        pack_all=idsets.pack_sql("vd.vid"),
        pack_carted=idsets.pack_sql("CASE WHEN vd.carted = 1 THEN vd.vid END"),
        pack_ordered=idsets.pack_sql("CASE WHEN vd.ordered = 1 THEN vd.vid END"),
        pack_paid=idsets.pack_sql("CASE WHEN vd.paid = 1 THEN vd.vid END"),
        pack_buyers=idsets.pack_sql("b.customer_id"),
        pack_orders=idsets.pack_sql("b.paid_orders", order_by="b.customer_id"),
        day_e=run.day_of("e.occurred_at"),
        day_o=run.day_of("o.paid_at"),
        day_r=run.day_of("r.refunded_at"),
    )


#: In the order they must run: the run's orders first, visitor sets and buyer-days (the rest
#: read them), then channel rows (the store rows read them), then SKU rows. ``services`` drops
#: the temporary table before (a failed run on this connection may have left it) and after.
STATEMENTS: tuple[tuple[str, str], ...] = (
    ("paid_orders", CREATE_RUN_ORDERS),
    ("visitors", INSERT_VISITORS),
    ("visitor_sets", INSERT_VISITOR_SETS),
    ("buyer_days", INSERT_BUYER_DAYS),
    ("buyer_sets", INSERT_BUYER_SETS),
    ("channel_rows", INSERT_CHANNEL_DAYS),
    ("store_rows", INSERT_STORE_DAYS),
    ("sku_rows", INSERT_SKU_DAYS),
)
