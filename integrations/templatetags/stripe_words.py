from django import template

from integrations.stripe.wording import in_words

register = template.Library()


@register.filter
def stripe_words(message: str, workspace) -> str:
    """A stored Stripe message in words, its times local to ``workspace``."""
    return in_words(message or "", workspace.zone)
