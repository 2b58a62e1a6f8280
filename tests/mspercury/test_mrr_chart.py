"""The dashboard's MRR movements as a server-rendered SVG bar chart beside the table."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from django.conf import settings

from billing.models import MrrMovement, StripeSubscription
from billing.reporting import MrrMonth
from mspercury.charts import BOTTOM, HEIGHT, TOP, mrr_chart, mrr_charts

D = Decimal


def _month(month, new, churned, currency="EUR"):
    return MrrMonth(date(2026, month, 1), currency, D(new), D(churned))


def test_it_scales_new_above_and_churn_below_the_zero_line():
    """300 up and 100 down share the plot: zero at three quarters, heights in proportion."""
    chart = mrr_chart("EUR", [_month(10, "300", "0"), _month(11, "150", "-100")])
    plot = HEIGHT - TOP - BOTTOM
    assert chart.zero_y == TOP + plot * 0.75
    *quiet, october, november = chart.columns  # half a year at least: four empty months
    assert [c.month.month for c in quiet] == [6, 7, 8, 9] and all(c.quiet for c in quiet)
    assert october.new.height == plot * 0.75 and october.new.y == TOP
    assert october.churn.height == 0
    assert november.new.height == plot * 0.375
    assert november.churn.height == plot * 0.25 and november.churn.y == chart.zero_y
    assert november.net == D("50") and november.net_y == round(chart.zero_y - plot * 0.125, 1)
    assert (chart.top_amount, chart.bottom_amount) == (D("300"), D("-100"))
    assert october.new.x + october.new.width < november.new.x  # bars do not overlap


def test_it_draws_a_flat_chart_without_movements_or_amounts():
    assert mrr_chart("EUR", []).columns == []
    chart = mrr_chart("EUR", [_month(1, "0", "0")])
    assert chart.columns[0].new.height == 0 and chart.zero_y == HEIGHT - BOTTOM


def test_it_draws_one_chart_per_currency():
    charts = mrr_charts([_month(1, "10", "0", "USD"), _month(1, "20", "0"), _month(2, "5", "0")])
    assert [(c.currency, len(c.columns)) for c in charts] == [("EUR", 6), ("USD", 6)]
    assert [c.month for c in charts[1].columns][-1] == date(2026, 1, 1)


def test_it_fills_months_without_movements_and_spans_half_a_year():
    """A gap between movements is an empty slot; one month alone does not fill the chart."""
    chart = mrr_chart("EUR", [_month(1, "10", "0"), _month(4, "20", "-5")])
    months = [c.month for c in chart.columns]
    assert months == [date(2025, 11, 1), date(2025, 12, 1)] + [
        date(2026, m, 1) for m in (1, 2, 3, 4)
    ]
    assert [c.quiet for c in chart.columns] == [True, True, False, True, True, False]
    one = mrr_chart("EUR", [_month(12, "423", "0")])
    assert len(one.columns) == 6 and one.columns[-1].new.width < 60
    long = mrr_chart("EUR", [_month(m, "1", "0") for m in range(1, 13)])
    assert len(long.columns) == 12 and not any(c.quiet for c in long.columns)


def _movement(workspace, n, kind, month, amount):
    subscription = StripeSubscription.objects.create(
        workspace=workspace, account_ref="acct_1", stripe_id=f"sub_{n}", status="active"
    )
    MrrMovement.objects.create(
        workspace=workspace,
        subscription=subscription,
        kind=kind,
        month=month,
        currency="EUR",
        amount=D(amount),
        happened_at=datetime.combine(month, datetime.min.time(), UTC),
    )


def test_it_shows_the_chart_beside_the_table_in_german(client_for, alice, alpha):
    """Bars with their amounts as tooltips, German amounts, coordinates not localized, no
    script; the table stays."""
    from customers.models import Customer
    from quotes import actions

    actions.do_create_quote(alpha, Customer.objects.create(workspace=alpha, company_name="K"))
    _movement(alpha, 1, "new", date(2026, 10, 1), "1234.5")
    _movement(alpha, 2, "new", date(2026, 11, 1), "423")
    _movement(alpha, 3, "churn", date(2026, 11, 1), "-40")
    alice.language = "de"
    alice.save()
    client = client_for(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    html = client.get("/").content.decode()
    movements = html[html.index('class="mrr-movements"') :]
    assert movements.index('class="mrr-chart"') < movements.index('class="mrr-history"')
    svg = movements[movements.index("<svg") : movements.index("</svg>")]
    assert svg.count('<rect class="bar new"') == 2 and svg.count('<rect class="bar churn"') == 2
    assert "Oktober 2026 · Neu: 1.234,50 EUR" in svg
    assert "-40,00 EUR" in svg
    for value in re.findall(r'(?<![\w-])(?:x|y|width|height|x1|x2|y1|y2)="([^"]*)"', svg):
        assert re.fullmatch(r"-?\d+(\.\d+)?", value), value
    assert "<script" not in movements and "style=" not in svg
