"""The client portal: a customer's contacts sign in with an emailed link and see their own
invoices (finalized only), pay what is due, and find the quotes they accepted. Public entry
points (sign-in, pay links) name their workspace only through a token or the MSP's portal id."""

from datetime import timedelta
from decimal import Decimal
from functools import partial

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from billing.edge import edge
from billing.files import document_response
from billing.girocode import Transfer, epc_payload, girocode_svg
from billing.models import StripeSubscription
from mspercury import audit, ratelimit, tenancy
from mspercury.languages import document_language
from mspercury.localtime import workspace_time
from mspercury.models import Workspace
from mspercury.texts import Text
from portal import links
from portal.access import (
    in_language,
    limited,
    portal_view,
    private,
    sign_in,
    sign_out,
    visitor_language,
)
from portal.emails import send_login_email
from quotes.models import QuoteAcceptance, QuoteStatus, RevisionAcceptance


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)


# Checkout replaces this with the session's id when it sends the payer back.
RETURNED_SESSION = "?session={CHECKOUT_SESSION_ID}"
CHECKOUT_FROM_PORTAL = timedelta(hours=1)


def _absolute(path: str) -> str:
    return f"{settings.MSPERCURY_PUBLIC_URL.rstrip('/')}{path}"


def _message(request, kind, status=200, **context):
    return private(render(request, "portal/message.html", {"kind": kind, **context}, status=status))


def _visitor_message(request, kind, status=200, customer=None, **context):
    """A page before sign-in, in the contact's language if known, else the browser's."""
    language = visitor_language(request, customer)
    return in_language(language, lambda: _message(request, kind, status, **context))


@require_http_methods(["GET", "POST"])
def entry(request, workspace_id):
    """The MSP's portal address: ask for an email, send a sign-in link if it is a contact's."""
    if limited(request):
        return _visitor_message(request, "limited", 429)
    with tenancy.system_context():
        workspace = Workspace.objects.filter(public_id=workspace_id).first()
    if workspace is None:
        raise Http404
    with workspace_time(workspace):
        return _entry(request, workspace)


def _entry(request, workspace):
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if ratelimit.hit("portal-email", email.lower(), 5, 3600):
            with tenancy.workspace_context(workspace.pk):
                for customer in links.customers_for_email(workspace, email):
                    token = links.issue_login(customer, email)
                    transaction.on_commit(
                        lambda c=customer, t=token: send_login_email(c, email, t, request)
                    )
        # The same answer, in the same (the browser's) language, whether or not the address
        # is known.
        return _visitor_message(request, "link_sent", workspace=workspace, email=email)
    page = partial(render, request, "portal/entry.html", {"workspace": workspace, "form": form})
    return private(in_language(visitor_language(request), page))


@require_http_methods(["GET", "POST"])
def login(request, token):
    """GET shows a button (mail scanners follow links); POST uses the single-use link."""
    if limited(request):
        return _visitor_message(request, "limited", 429)
    with tenancy.system_context():
        found = links.find_login(token)
    if found is None:
        raise Http404
    with workspace_time(found.workspace):
        return _login(request, found)


def _login(request, found):
    contact = found.customer
    if not found.usable:
        return _visitor_message(
            request, "login_expired", customer=contact, workspace=found.workspace
        )
    if request.method == "GET":
        page = partial(render, request, "portal/login.html", {"login": found})
        return private(in_language(visitor_language(request, contact), page))
    with tenancy.workspace_context(found.workspace_id):
        if not links.consume_login(found):
            return _visitor_message(
                request, "login_expired", customer=contact, workspace=found.workspace
            )
        audit.record(
            request,
            found.workspace,
            "portal.signed_in",
            Text(
                gettext_noop("%(email)s signed in to the client portal (%(customer)s)"),
                email=found.email,
                customer=found.customer.company_name,
            ),
        )
    sign_in(request, found)
    return redirect("portal:overview")


@require_POST
def logout(request):
    sign_out(request)
    return _visitor_message(request, "signed_out_now")


@portal_view
def overview(request):
    customer = request.portal_customer
    invoices = links.visible_invoices(customer)
    balance = {}
    for invoice in invoices:
        if _payable(invoice):
            balance[invoice.currency] = balance.get(invoice.currency, 0) + invoice.due_shown
    renewals = StripeSubscription.objects.filter(
        workspace_id=customer.workspace_id,
        customer=customer,
        status__in=["active", "trialing", "past_due"],
    ).order_by("current_period_end")
    return render(
        request,
        "portal/overview.html",
        {
            "customer": customer,
            "balance": sorted(balance.items()),
            "recent": list(invoices[:5]),
            "renewals": renewals,
        },
    )


@portal_view
def invoices(request):
    return render(
        request,
        "portal/invoices.html",
        {
            "customer": request.portal_customer,
            "invoices": links.visible_invoices(request.portal_customer),
        },
    )


def _invoice(request, invoice_id):
    invoice = links.visible_invoices(request.portal_customer).filter(public_id=invoice_id).first()
    if invoice is None:
        raise Http404
    return invoice


@portal_view
def invoice(request, invoice_id):
    found = _invoice(request, invoice_id)
    payable = _payable(found)
    return render(
        request,
        "portal/invoice.html",
        {
            "customer": request.portal_customer,
            "invoice": found,
            "net": found.total - found.tax,
            "payable": payable,
            "transfer": _bank_transfer(found) if payable and not found.from_stripe else None,
        },
    )


def _bank_transfer(invoice) -> dict | None:
    """How to pay an accounting tool's invoice: the MSP's bank account, the amount due and the
    invoice number as the reference, with their GiroCode (EPC069-12); None without an IBAN."""
    workspace = invoice.workspace
    if not workspace.iban:
        return None
    transfer = Transfer(
        name=workspace.bank_account_holder or workspace.name,
        iban=workspace.iban,
        bic=workspace.bic,
        amount=Decimal(invoice.due_shown) / 100,
        reference=invoice.number or str(invoice.public_id),
    )
    try:
        code = girocode_svg(epc_payload(transfer)) if invoice.currency.upper() == "EUR" else ""
    except ValueError:
        code = ""
    return {"transfer": transfer, "bank": workspace.bank_name, "girocode": code}


@portal_view
def invoice_pdf(request, invoice_id):
    """The accounting tool's own PDF of the customer's invoice, read from the tool now (the
    tool's address and key never reach the browser)."""
    found = _invoice(request, invoice_id)
    if found.from_stripe:
        raise Http404
    document = edge().invoice_file(found)
    if document is None:
        raise Http404
    return document_response(document)


def _payable(invoice) -> bool:
    """Still owed by the ledger, as the MSP's own invoice page says (a bank transfer recorded
    only in MSPercury counts; Stripe's remaining amount alone does not)."""
    return invoice.status in links.PAYABLE and invoice.due_shown > 0


@require_POST
@portal_view
def pay(request, invoice_id):
    """Pay: a fresh Stripe payment page for what is due now (never a stored, stale URL)."""
    found = _invoice(request, invoice_id)
    if not found.from_stripe:  # paid by bank transfer, see the invoice page
        return redirect("portal:invoice", invoice_id=found.public_id)
    back = links.PageUrls(
        success=_absolute(reverse("portal:paid", kwargs={"invoice_id": found.public_id}))
        + RETURNED_SESSION,
        cancel=_absolute(reverse("portal:invoice", kwargs={"invoice_id": found.public_id})),
        expires_at=timezone.now() + CHECKOUT_FROM_PORTAL,
    )
    try:
        page = links.fresh_payment_page(found, back)
    except links.PaidOutsideStripe:
        return _message(request, "pay_outside", workspace=found.workspace, invoice=found)
    if page is None:
        return redirect("portal:paid", invoice_id=found.public_id)
    return redirect(page)


@portal_view
def paid(request, invoice_id):
    """After paying: the invoice as Stripe has it now (read fresh, not waiting for webhooks)."""
    found = _invoice(request, invoice_id)
    checked = _returned_session(request, found)
    links.refresh_mirror(found)
    found.refresh_from_db()
    context = {"customer": request.portal_customer, "invoice": found, "checked": checked}
    return render(request, "portal/paid.html", context)


def _returned_session(request, invoice) -> str:
    """Back from Checkout: check the session at once (the webhook may come later)."""
    session_id = request.GET.get("session", "")
    if not session_id.startswith("cs_") or len(session_id) > 200:
        return ""
    return edge().check_returned_session(invoice, session_id)


def _accepted_records(customer):
    """Every accepted revision of the customer's accepted quotes: the first acceptance and each
    re-acceptance, newest first."""
    mine = {
        "workspace_id": customer.workspace_id,
        "quote__customer": customer,
        "quote__status": QuoteStatus.ACCEPTED,
    }
    first = QuoteAcceptance.objects.filter(**mine).select_related("quote")
    again = RevisionAcceptance.objects.filter(**mine).select_related("quote")
    return sorted([*first, *again], key=lambda a: a.accepted_at, reverse=True)


@portal_view
def quotes(request):
    customer = request.portal_customer
    accepted = _accepted_records(customer)
    return render(request, "portal/quotes.html", {"customer": customer, "acceptances": accepted})


@portal_view
def quote_document(request, acceptance_id, kind):
    """The frozen documents of an accepted revision: the PDF accepted, or the agreement."""
    from quotes.stored_documents import accepted_quote_document, agreement_document
    from quotes.views.documents import pdf_response

    customer = request.portal_customer
    mine = {
        "workspace_id": customer.workspace_id,
        "quote__customer": customer,
        "public_id": acceptance_id,
    }
    acceptance = (
        QuoteAcceptance.objects.filter(**mine).select_related("quote").first()
        or RevisionAcceptance.objects.filter(**mine).select_related("quote").first()
    )
    if acceptance is None or kind not in ("quote", "agreement"):
        raise Http404
    pick = accepted_quote_document if kind == "quote" else agreement_document
    stored = pick(acceptance)
    if stored is None or not stored.is_ready:
        return HttpResponse(status=404)
    stored.quote = acceptance.quote
    return pdf_response(stored)


def pay_link(request, token):
    """A durable pay link from an email: while it lives, each click opens a fresh Stripe page
    for what is still due; expired, revoked or settled links say so."""
    if limited(request):
        return _visitor_message(request, "limited", 429)
    with tenancy.system_context():
        link = links.find_pay_link(token)
    if link is None:
        raise Http404
    customer = link.invoice.customer
    language = document_language(customer.language if customer else "en")
    with (
        tenancy.workspace_context(link.workspace_id),
        translation.override(language),
        workspace_time(link.workspace),
    ):
        state = link.state(timezone.now())
        if state != "active":
            return _message(request, f"pay_{state}", workspace=link.workspace)
        links.touch(link)
        ticket = links.return_ticket(link)
        done = _absolute(reverse("portal:pay_link_return", kwargs={"ticket": ticket}))
        back = links.PageUrls(
            success=done + RETURNED_SESSION, cancel=done, expires_at=link.expires_at
        )
        try:
            page = links.fresh_payment_page(link.invoice, back)
        except links.PaidOutsideStripe:
            return _message(request, "pay_outside", workspace=link.workspace, invoice=link.invoice)
        if page is None:
            return _message(request, "pay_nothing_due", workspace=link.workspace)
    return redirect(page)


def pay_link_return(request, ticket):
    """Where Checkout returns a pay link's payer (the address names the link by a short-lived
    ticket, not its token): paid (checked now), a debit on its way, or not paid (cancelled)."""
    if limited(request):
        return _visitor_message(request, "limited", 429)
    with tenancy.system_context():
        link = links.find_by_ticket(ticket)
    return _pay_outcome(request, link)


def pay_link_done(request, token):
    """The return address of Checkout Sessions made before returns carried a ticket."""
    if limited(request):
        return _visitor_message(request, "limited", 429)
    with tenancy.system_context():
        link = links.find_pay_link(token)
    return _pay_outcome(request, link)


def _pay_outcome(request, link):
    if link is None:
        raise Http404
    customer = link.invoice.customer
    language = document_language(customer.language if customer else "en")
    with (
        tenancy.workspace_context(link.workspace_id),
        translation.override(language),
        workspace_time(link.workspace),
    ):
        checked = _returned_session(request, link.invoice)
        kinds = {"paid": "pay_thanks", "processing": "pay_processing", "failed": "pay_failed"}
        kind = kinds.get(checked, "pay_cancelled")
        return _message(request, kind, workspace=link.workspace)
