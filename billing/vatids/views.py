"""The customer page's "Check now": ask VIES about the customer's VAT ID right away."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.vatids import services
from billing.vatids.models import VatIdStatus
from billing.vatids.templatetags.vatids import error_label
from customers.access import access_customer
from mspercury import audit
from mspercury.access import workspace_required


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
        f"VIES check of {validation.vat_id} for {customer.company_name}: {validation.status}",
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
