"""The dashboard's revenue summed inside PostgreSQL: one statement, a handful of rows back.

It follows ``billing.reporting`` line by line: a line's net is rounded once to its currency's
minor unit (PostgreSQL's ROUND of a numeric rounds half away from zero, as ROUND_HALF_UP does),
lines of quotes pushed to Stripe count only with their one-time part, a subscription's items
count at their monthly equivalent. The monthly equivalent of a weekly or daily price is not a
finite decimal; it is computed to 24 places and the sums are snapped to 12 places of the minor
unit, so a sum that is exactly half a cent (1/12 + 5/12 of a cent) rounds as the exact one does.

Rows come back per currency (totals) and for the top customers of each currency (ranked in
SQL by twelve times their MRR, then by their lower-cased name as Python compares it).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from customers.models import Customer
from rules.money import unusual_exponents

SNAP_PLACES = 12  # of the minor unit; sums of subscription items are rounded to it


def _exponent_sql(column: str, *, as_unit: bool = False) -> str:
    """The currency's minor-unit exponent as a SQL CASE (2 unless ``rules.money`` says not),
    or with ``as_unit`` the minor unit itself in major units (0.01)."""
    by_exponent: dict[int, list[str]] = {}
    for currency, exponent in sorted(unusual_exponents().items()):
        by_exponent.setdefault(exponent, []).append(f"'{currency}'")

    def value(exponent: int) -> str:
        return str(Decimal(1).scaleb(-exponent)) if as_unit else str(exponent)

    whens = " ".join(
        f"WHEN UPPER({column}) IN ({', '.join(names)}) THEN {value(exponent)}"
        for exponent, names in sorted(by_exponent.items())
    )
    return f"(CASE {whens} ELSE {value(2)} END)"


# The monthly equivalent of a subscription's items in minor units, each item's as
# billing.mirror.monthly_amount has it, to 24 places.
_MONTHLY_MINOR = """(
    SELECT COALESCE(SUM(
        CASE WHEN e.interval = 'month' AND COALESCE(e.interval_count, 1) = 1
        THEN CAST(e.quantity AS numeric) * e.unit_amount  -- the common case, no division
        ELSE CAST(e.quantity AS numeric(60, 24)) * e.unit_amount
            * (CASE e.interval WHEN 'day' THEN 365 WHEN 'week' THEN 52 WHEN 'month' THEN 12
                               WHEN 'year' THEN 1 ELSE 0 END)
            / (12 * (CASE WHEN COALESCE(e.interval_count, 1) > 0
                          THEN COALESCE(e.interval_count, 1) END))
        END), 0)
    FROM jsonb_to_recordset(m.items)
        AS e(quantity bigint, unit_amount bigint, interval text, interval_count bigint)
)"""

_SQL = """
WITH m AS ({mirrored}),
pushed AS (SELECT DISTINCT quote_id FROM ({pushed}) AS p),
l AS ({lines}),
n AS (
    SELECT l.quote_customer, l.currency, l.billing_period, l.accepted_at,
        ROUND(l.quantity * l.unit_price * (100 - COALESCE(l.discount_percent, 0)) * 0.01,
              {line_exponent}) AS net
    FROM l LEFT JOIN pushed p ON p.quote_id = l.quote_id
    WHERE l.billing_period = 'one_time' OR p.quote_id IS NULL
),
s AS (
    SELECT m.quote_customer, m.currency,
        (m.cancel_at_period_end OR m.cancel_at IS NOT NULL) AS scheduled, {monthly} AS minor
    FROM m WHERE m.status = ANY(%s) AND m.ended_at IS NULL
),
parts AS (
    SELECT quote_customer, currency,
        SUM(CASE WHEN billing_period = 'monthly' THEN net ELSE 0 END) AS monthly,
        SUM(CASE WHEN billing_period = 'yearly' THEN net ELSE 0 END) AS yearly,
        SUM(CASE WHEN billing_period = 'one_time' AND accepted_at >= %s AND accepted_at < %s
            THEN net ELSE 0 END) AS one_time,
        0 AS minor, 0 AS scheduled
    FROM n GROUP BY 1, 2
    UNION ALL
    SELECT quote_customer, currency, 0, 0, 0,
        SUM(minor), SUM(CASE WHEN scheduled THEN minor ELSE 0 END)
    FROM s GROUP BY 1, 2
),
cc AS (
    SELECT quote_customer, currency,
        SUM(monthly) AS monthly, SUM(yearly) AS yearly, SUM(one_time) AS one_time,
        SUM(minor) AS minor, SUM(scheduled) AS scheduled,
        12 * SUM(monthly) + SUM(yearly)
        + ROUND(SUM(minor), {snap}) * 12 * {minor_unit} AS mrr12
    FROM parts GROUP BY 1, 2
),
ranked AS (
    SELECT cc.*, c.public_id, c.company_name, ROW_NUMBER() OVER (
        PARTITION BY cc.currency ORDER BY cc.mrr12 DESC,
            LOWER(c.company_name) COLLATE "C", c.company_name COLLATE "C", c.public_id
        ) AS rank
    FROM cc JOIN {customers} c ON c.id = cc.quote_customer WHERE cc.mrr12 > 0
)
SELECT currency, NULL, NULL, SUM(monthly), SUM(yearly), SUM(one_time),
    ROUND(SUM(minor), {snap}), ROUND(SUM(scheduled), {snap}), 0
FROM cc GROUP BY currency
UNION ALL
SELECT currency, public_id, company_name, monthly, yearly, one_time,
    ROUND(minor, {snap}), ROUND(scheduled, {snap}), rank
FROM ranked WHERE rank <= %s
"""


@dataclass(frozen=True)
class RevenueRow:
    """Sums of one currency (``public_id`` None) or of one of its top customers."""

    currency: str
    public_id: object
    name: str | None
    monthly: Decimal  # net of monthly lines not billed by Stripe
    yearly: Decimal
    one_time_this_month: Decimal
    subscriptions_minor: Decimal  # monthly equivalent of Stripe subscriptions, minor units
    scheduled_minor: Decimal  # of those set to cancel
    rank: int


def revenue_rows(
    lines: QuerySet,
    mirrored: QuerySet,
    pushed: QuerySet,
    *,
    start: datetime,
    end: datetime,
    revenue_statuses: frozenset[str],
    top: int,
) -> list[RevenueRow]:
    """Per-currency totals and top customers from the accepted ``lines`` (values with
    quote_id, quote_customer, currency, accepted_at, quantity, unit_price, discount_percent,
    billing_period), the ``mirrored`` subscriptions (values with quote_id, quote_customer,
    currency, status, ended_at, items, cancel_at_period_end, cancel_at) and their quotes
    (``pushed``: values of quote_id); ``quote_customer`` is the id of the quote's customer."""
    mirrored_sql, mirrored_params = mirrored.query.sql_with_params()
    pushed_sql, pushed_params = pushed.query.sql_with_params()
    lines_sql, lines_params = lines.query.sql_with_params()
    sql = _SQL.format(
        mirrored=mirrored_sql,
        pushed=pushed_sql,
        customers=connection.ops.quote_name(Customer._meta.db_table),
        lines=lines_sql,
        line_exponent=_exponent_sql("l.currency"),
        minor_unit=_exponent_sql("currency", as_unit=True),
        monthly=_MONTHLY_MINOR,
        snap=SNAP_PLACES,
    )
    params = (
        *mirrored_params,
        *pushed_params,
        *lines_params,
        sorted(revenue_statuses),
        start,
        end,
        top,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [RevenueRow(*row) for row in cursor.fetchall()]
