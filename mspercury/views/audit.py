from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from mspercury.access import admin_required
from mspercury.keyset import Keyset
from mspercury.models import AuditEvent

PER_PAGE = 50
# Newest first through the audit_list index; no COUNT, no OFFSET.
AUDIT_PAGES = Keyset("-created_at", "-id", size=PER_PAGE)

# Readable names of every action the product records (tests/mspercury/test_audit_texts.py
# checks that none is missing); an unknown one is shown by its code.
ACTION_LABELS = {
    "auth.sign_in": _("Signed in"),
    "workspace.created": _("Workspace created"),
    "workspace.switched": _("Switched workspace"),
    "workspace.settings_changed": _("Workspace settings changed"),
    "invite.sent": _("Invite sent"),
    "invite.revoked": _("Invite revoked"),
    "invite.accepted": _("Invite accepted"),
    "member.role_changed": _("Role changed"),
    "member.removed": _("Member removed"),
    "2fa.enabled": _("Two-factor authentication enabled"),
    "2fa.disabled": _("Two-factor authentication disabled"),
    "2fa.backup_codes_regenerated": _("Backup codes regenerated"),
    "customer.created": _("Customer created"),
    "customer.updated": _("Customer changed"),
    "customer.deleted": _("Customer deleted"),
    "customer.portal_invited": _("Invited to the client portal"),
    "project.created": _("Project created"),
    "project.updated": _("Project changed"),
    "project.deleted": _("Project deleted"),
    "vatid.checked": _("VAT ID checked"),
    "service.created": _("Service created"),
    "service.updated": _("Service changed"),
    "service.deleted": _("Service deleted"),
    "package.created": _("Package created"),
    "package.updated": _("Package changed"),
    "package.default_changed": _("Default package changed"),
    "package.deleted": _("Package deleted"),
    "package.item_added": _("Package item added"),
    "package.item_removed": _("Package item removed"),
    "quote.created": _("Quote created"),
    "quote.status_changed": _("Quote status changed"),
    "quote.shared": _("Share link created"),
    "quote.share_revoked": _("Share link revoked"),
    "quote.emailed": _("Quote emailed"),
    "quote.accepted": _("Quote accepted"),
    "quote.reaccepted": _("Quote re-accepted"),
    "quote.declined": _("Quote declined"),
    "quote.expired": _("Quote expired"),
    "assessment.created": _("Assessment created"),
    "assessment.status_changed": _("Assessment status changed"),
    "assessment.quote_created": _("Quote created from an assessment"),
    "stripe.connected": _("Stripe connected"),
    "stripe.connect_failed": _("Stripe connection refused"),
    "stripe.key_replaced": _("Stripe key replaced"),
    "stripe.replace_failed": _("Stripe key replacement refused"),
    "stripe.test_failed": _("Stripe connection test failed"),
    "stripe.disconnected": _("Stripe disconnected"),
    "stripe.webhook_reconfigured": _("Stripe webhook set up again"),
    "stripe.webhook_secret_saved": _("Webhook secret saved"),
    "stripe.event_replayed": _("Stripe event replayed"),
    "stripe.push_settings_changed": _("Stripe settings changed"),
    "stripe.no_sales_tax_confirmed": _("No sales tax confirmed"),
    "stripe.push_started": _("Push to Stripe started"),
    "stripe.pushed": _("Pushed to Stripe"),
    "stripe.push_failed": _("Push to Stripe failed"),
    "stripe.push_retried": _("Push to Stripe retried"),
    "stripe.push_discarded": _("Push discarded"),
    "stripe.amend_started": _("Contract change started"),
    "stripe.amend_replanned": _("Contract change planned again"),
    "stripe.amended": _("Contract changed in Stripe"),
    "stripe.amend_failed": _("Contract change failed"),
    "stripe.amend_discarded": _("Contract change discarded"),
    "stripe.contract_end": _("Subscription end scheduled"),
    "accounting.connected": _("Accounting tool connected"),
    "accounting.connect_failed": _("Accounting tool connection refused"),
    "accounting.key_replaced": _("Accounting tool key replaced"),
    "accounting.replace_failed": _("Accounting tool key replacement refused"),
    "accounting.test_failed": _("Accounting tool connection test failed"),
    "accounting.disconnected": _("Accounting tool disconnected"),
    "accounting.billing_provider_changed": _("Billing provider changed"),
    "accounting.callbacks_registered": _("Lexware Office event subscriptions registered"),
    "accounting.callbacks_failed": _("Lexware Office event subscriptions refused"),
    "payment.recorded": _("Manual payment recorded"),
    "payment.voided": _("Payment voided"),
    "invoice.reminder_sent": _("Pay link reminder sent"),
    "pay_link.revoked": _("Pay link revoked"),
    "payments.settings_changed": _("Payment settings changed"),
    "portal.signed_in": _("Customer signed in to the portal"),
    "datev.exported": _("DATEV export downloaded"),
    "datev.settings_changed": _("DATEV settings changed"),
}


@admin_required
def audit_log(request):
    events = AuditEvent.objects.filter(workspace=request.workspace).select_related("actor")
    scope = f"audit:{request.workspace.pk}"
    page = AUDIT_PAGES.page(events, request.GET.get("cursor"), scope=scope)
    for event in page:
        event.label = ACTION_LABELS.get(event.action, event.action)
    return render(request, "mspercury/audit_log.html", {"page": page})
