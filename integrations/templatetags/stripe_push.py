"""What Stripe will make of a quote, for the quote's own pages: its hard limits (checked as the
push would, before anyone accepts) and the sales-tax warning. The quote pages load this tag, so
`quotes` never imports the push planner."""

from functools import cached_property

from django import template
from django.utils import timezone

from integrations.models import PushSettings
from integrations.push.inputs import limit_problems
from integrations.push.sales_tax import needs_sales_tax_warning

register = template.Library()


class StripeChecks:
    """Each check runs when a template first asks for it (the share page asks for one)."""

    def __init__(self, quote, lines=None):
        self.quote, self.lines = quote, lines
        self.today = timezone.localdate()

    @cached_property
    def prefs(self):
        return PushSettings.objects.filter(workspace_id=self.quote.workspace_id).first()

    @cached_property
    def limits(self) -> list:
        return limit_problems(self.quote, self.lines, prefs=self.prefs, today=self.today)

    @cached_property
    def sales_tax_warning(self) -> bool:
        return needs_sales_tax_warning(self.quote.workspace, self.prefs, self.today)


@register.simple_tag
def stripe_checks(quote, lines=None) -> StripeChecks:
    """``{% stripe_checks quote lines as stripe %}`` then ``stripe.limits``,
    ``stripe.sales_tax_warning``."""
    return StripeChecks(quote, lines)
