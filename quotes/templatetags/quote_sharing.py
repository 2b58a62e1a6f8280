"""Template helpers of sharing and acceptance.

The panels on the quote and customer pages are includes that fetch their own data through the
``*_panel`` tags below (a fixed number of queries each), so the pages that include them need no
extra context. The filters label the plain values of a quote snapshot in the active language.
"""

from datetime import date

from django import template
from django.utils import timezone, translation
from django_countries import countries

from quotes.actions import standard_text_in
from quotes.documents import fingerprint as short_fingerprint
from quotes.models import BillingPeriod, QuoteAcceptance, RevisionAcceptance, ShareLink, Unit
from quotes.share_mail import sent_mails
from quotes.sharing import OPEN_STATUSES, SHAREABLE_STATUSES, link_state, needs_reacceptance
from quotes.stored_documents import accepted_quote_document, agreement_document, ready_for_view
from quotes.summary import TREATMENT_LABELS, TREATMENT_NOTES
from quotes.views.share import ShareForm
from rules.tax import TaxTreatment

register = template.Library()


@register.filter
def standard_text(text):
    """A standard intro or closing in the active language (see quotes.actions)."""
    return standard_text_in(text or "", translation.get_language() or "en")


@register.simple_tag
def share_panel(quote):
    """The quote's share links with their state, and whether a new one may be made.

    An accepted quote edited since its last acceptance may go out again for re-acceptance."""
    now = timezone.now()
    links = list(ShareLink.objects.filter(quote=quote).select_related("created_by"))
    for link in links:
        link.state = link_state(link, now)
    reaccept = needs_reacceptance(quote)
    return {
        "links": links,
        "can_share": quote.status in SHAREABLE_STATUSES or reaccept,
        "reaccept": reaccept,
        "form": ShareForm(),
        "mails": list(sent_mails(quote)),
    }


@register.simple_tag
def acceptance_panel(quote):
    """The acceptance of the quote (or None) and how far the quote moved on since."""
    acceptance = QuoteAcceptance.objects.filter(quote=quote).select_related("accepted_by_user")
    acceptance = acceptance.first()
    reacceptances = list(RevisionAcceptance.objects.filter(quote=quote)) if acceptance else []
    last_revision = max([a.revision for a in reacceptances], default=0) or (
        acceptance.revision if acceptance else 0
    )
    return {
        "acceptance": acceptance,
        "reacceptances": reacceptances,
        "last_accepted_revision": last_revision,
        "edited_since": acceptance is not None and quote.revision > last_revision,
        "can_accept": quote.status in OPEN_STATUSES and acceptance is None,
        "accepted_pdf": accepted_quote_document(acceptance) if acceptance else None,
        "agreement": ready_for_view(agreement_document(acceptance)) if acceptance else None,
    }


@register.filter
def unit_label(value):
    return Unit(value).label if value in Unit.values else value


@register.filter
def period_label(value):
    return BillingPeriod(value).label if value in BillingPeriod.values else value


TREATMENTS = {t.value: t for t in TaxTreatment}


@register.filter
def treatment_label(value):
    return TREATMENT_LABELS.get(TREATMENTS.get(value), value)


@register.filter
def treatment_note(value):
    return TREATMENT_NOTES.get(TREATMENTS.get(value), "")


@register.filter
def country_name(code):
    return countries.name(code) if code else ""


@register.filter
def isodate(value):
    """A snapshot's ISO date string as a date, for the ``date`` filter."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@register.filter
def fingerprint(sha256):
    return short_fingerprint(sha256 or "")
