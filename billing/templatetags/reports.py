"""The customer page's revenue panel (billing.reporting)."""

from django import template

from billing import reporting

register = template.Library()


@register.simple_tag
def customer_panel(customer):
    return reporting.customer_report(customer)
