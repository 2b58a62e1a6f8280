"""VIES from the customer pages: the check as a customer is saved, and "Check now"."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from customers.access import access_customer
from customers.vatids import services
from customers.vatids.models import VatIdStatus
from customers.vatids.templatetags.vatids import error_label
from mspercury import audit
from mspercury.access import workspace_required
from mspercury.texts import Text, as_text


def check_on_save(request, customer) -> None:
    """Ask VIES about the customer's EU VAT ID as it is saved (a few seconds at most) and say
    what VIES answered, or that the check is queued because VIES did not answer."""
    validation = services.check_on_entry(customer)
    if validation is None:
        return
    vat_id = validation.vat_id
    if validation.status == VatIdStatus.VALID:
        messages.success(request, _("VIES confirmed the VAT ID %(id)s.") % {"id": vat_id})
    elif validation.status == VatIdStatus.INVALID:
        messages.error(
            request,
            _(
                "VIES says the VAT ID %(id)s is invalid: no reverse charge for this customer "
                "until it gives a valid one, and pushes billed with reverse charge are refused."
            )
            % {"id": vat_id},
        )
    else:
        messages.warning(
            request,
            _(
                "VIES did not confirm the VAT ID %(id)s yet (%(reason)s). The check is queued "
                "and retried on its own; until VIES confirms it, quotes say “reverse charge "
                "pending VIES confirmation”."
            )
            % {"id": vat_id, "reason": error_label(validation.error_code)},
        )


@workspace_required
@require_POST
def check_now(request, customer_id):
    customer = access_customer(request, customer_id)
    validation = services.validate(customer, force=True, reason="manual")
    if validation is None:
        messages.error(request, _("This customer has no EU VAT ID to check."))
        return redirect("customers:detail", customer_id=customer.public_id)
    audit.record(
        request,
        request.workspace,
        "vatid.checked",
        Text(
            gettext_noop("VIES check of %(vat_id)s for %(customer)s: %(status)s"),
            vat_id=validation.vat_id,
            customer=customer.company_name,
            status=as_text(VatIdStatus(validation.status).label),
        ),
        customer=str(customer.public_id),
        vat_id=validation.vat_id,
        status=validation.status,
        consultation_number=validation.consultation_number,
        error_code=validation.error_code,
    )
    if validation.status == VatIdStatus.VALID:
        messages.success(
            request, _("VIES confirmed the VAT ID %(id)s.") % {"id": validation.vat_id}
        )
    elif validation.status == VatIdStatus.INVALID:
        messages.error(
            request, _("VIES says the VAT ID %(id)s is invalid.") % {"id": validation.vat_id}
        )
    else:
        messages.warning(
            request,
            _("VIES could not confirm the VAT ID yet (%(reason)s); MSPercury keeps retrying.")
            % {"reason": error_label(validation.error_code)},
        )
    return redirect("customers:detail", customer_id=customer.public_id)
