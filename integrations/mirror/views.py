"""Recording a manual payment: billing records it, the edge reports it to Stripe first
(integrations.mirror.manual), so a Stripe refusal records nothing."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.access import access_invoice
from billing.forms import ManualPaymentForm
from billing.payments import PaymentError, only_here
from billing.views import detail_context
from integrations.mirror.manual import do_record_manual_payment
from integrations.stripe.errors import StripeFailure
from mspercury.access import admin_required


@require_POST
@admin_required
def record_manual_payment(request, invoice_id):
    invoice = access_invoice(request, invoice_id)
    form = ManualPaymentForm(request.POST, currency=invoice.currency)
    if form.is_valid():
        try:
            payment = do_record_manual_payment(
                request,
                invoice,
                amount=form.minor_amount(),
                paid_at=form.paid_at(),
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except PaymentError as error:
            form.add_error(None, str(error))
        except StripeFailure as failure:
            form.add_error(None, _("Stripe refused: %(message)s") % {"message": failure.message})
        else:
            if not payment.recorded_in_stripe:
                messages.warning(request, only_here(invoice))
            messages.success(request, _("Payment recorded."))
            return redirect("billing:invoice_detail", invoice_id=invoice.public_id)
    payments = invoice.payments.select_related("created_by", "voided_by")
    context = detail_context(invoice, payments, form)
    # htmx (the boosted form, for its busy state) swaps only 2xx answers.
    status = 200 if request.htmx else 400
    return render(request, "billing/invoice_detail.html", context, status=status)
