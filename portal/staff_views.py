"""The MSP's side of pay links on the invoice page: revoking one, sending a reminder with a
fresh one (portal.reminders)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.access import access_invoice
from mspercury.access import admin_required, get_for_workspace
from portal import links
from portal.models import PayLink
from portal.reminders import ReminderRefused, do_send_reminder


@require_POST
@admin_required
def revoke_pay_link(request, invoice_id, pay_link_id):
    """Owners and admins revoke one of an invoice's pay links; the customer who opens it is
    told it is no longer valid."""
    invoice = access_invoice(request, invoice_id)
    link = get_for_workspace(
        request, PayLink.objects.filter(invoice=invoice), public_id=pay_link_id
    )
    if links.do_revoke_pay_link(request, link, actor=request.user):
        messages.success(
            request, _("Pay link revoked: whoever opens it is told it is no longer valid.")
        )
    return redirect("billing:invoice_detail", invoice_id=invoice.public_id)


@require_POST
@admin_required
def send_reminder(request, invoice_id):
    invoice = access_invoice(request, invoice_id, "customer")
    try:
        do_send_reminder(request, invoice)
    except ReminderRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("A reminder with a fresh pay link goes to %(email)s.")
            % {"email": invoice.customer.email},
        )
    if request.POST.get("back") == "stuck":
        return redirect("billing:stuck_invoices")
    return redirect("billing:invoice_detail", invoice_id=invoice.public_id)
