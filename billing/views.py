from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Min, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.access import access_invoice, our_invoices
from billing.forms import ManualPaymentForm
from billing.models import Ownership, Payment, PaymentStatus, StripeInvoice
from billing.payments import ONLY_HERE, PaymentError, void_manual_payment
from customers.access import access_customer
from customers.models import Customer
from mspercury.access import admin_required, get_for_workspace, workspace_required
from mspercury.models import Notification

PAGE_SIZE = 50


def _month(value: str):
    try:
        start = datetime.strptime(value, "%Y-%m")
    except (TypeError, ValueError):
        return None
    start = timezone.make_aware(start)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def _month_choices(queryset, today) -> list[tuple[str, str]]:
    """("2026-11", "November 2026") for every month from the first invoice's to this one,
    newest first (at most five years), labelled in the page's language."""
    first = queryset.aggregate(first=Min("created"))["first"]
    year, month = today.year, today.month
    stop = (first.year, first.month) if first else (year, month)
    choices = []
    while (year, month) >= stop and len(choices) < 60:
        day = date(year, month, 1)
        choices.append((day.strftime("%Y-%m"), date_format(day, "YEAR_MONTH_FORMAT")))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return choices


@workspace_required
def invoices(request):
    queryset = our_invoices(request.workspace).select_related("customer", "quote")
    months = _month_choices(queryset, timezone.localdate())
    status = request.GET.get("status", "")
    if status in PaymentStatus.values:
        # Rows the ledger has not settled yet keep Stripe's status.
        queryset = queryset.filter(Q(payment_status=status) | Q(payment_status="", status=status))
    customer = None
    if request.GET.get("customer"):
        customer = access_customer(request, request.GET["customer"])
        queryset = queryset.filter(customer=customer)
    period = _month(request.GET.get("period", ""))
    if period:
        queryset = queryset.filter(created__gte=period[0], created__lt=period[1])
    q = request.GET.get("q", "").strip()
    if q:
        queryset = queryset.filter(number__icontains=q) | queryset.filter(stripe_id=q)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    customers = Customer.objects.filter(workspace=request.workspace).only(
        "public_id", "company_name"
    )
    return render(
        request,
        "billing/invoices.html",
        {
            "page": page,
            "statuses": PaymentStatus.choices,
            "status": status,
            "customer": customer,
            "customers": customers,
            "period": request.GET.get("period", "") if period else "",
            "months": months,
            "q": q,
            "unlinked": (
                StripeInvoice.objects.filter(
                    workspace=request.workspace, ownership=Ownership.UNLINKED
                ).count()
                if request.membership.is_admin
                else 0
            ),
        },
    )


@admin_required
def unlinked_invoices(request):
    """Invoices of the Stripe account that no workspace's push made (Dashboard-made, for a
    customer nobody here knows): shown to admins apart, never another workspace's."""
    queryset = StripeInvoice.objects.filter(
        workspace=request.workspace, ownership=Ownership.UNLINKED
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "billing/unlinked_invoices.html", {"page": page})


@workspace_required
def notifications(request):
    queryset = Notification.visible_to(request.workspace, request.user)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    read = set(
        Notification.read_by.through.objects.filter(
            user_id=request.user.pk, notification_id__in=[n.pk for n in page]
        ).values_list("notification_id", flat=True)
    )
    return render(request, "billing/notifications.html", {"page": page, "read": read})


@require_POST
@workspace_required
def notifications_read(request):
    unread = Notification.visible_to(request.workspace, request.user).exclude(read_by=request.user)
    for notification in unread:
        notification.read_by.add(request.user)
    return redirect("billing:notifications")


STUCK_AFTER_DAYS = 14


@workspace_required
def invoice_detail(request, invoice_id):
    invoice = access_invoice(request, invoice_id, "customer", "quote")
    payments = invoice.payments.select_related("created_by", "voided_by")
    form = ManualPaymentForm(currency=invoice.currency, initial={"paid_on": timezone.localdate()})
    return render(request, "billing/invoice_detail.html", detail_context(invoice, payments, form))


def detail_context(invoice, payments, form) -> dict:
    return {
        "invoice": invoice,
        "payments": payments,
        "form": form,
        "takes_manual": invoice.status == StripeInvoice.Status.OPEN and invoice.balance_due > 0,
        "only_here": _(ONLY_HERE),
    }


@require_POST
@admin_required
def void_payment(request, invoice_id, payment_id):
    invoice = access_invoice(request, invoice_id)
    payment = get_for_workspace(
        request, Payment.objects.filter(invoice=invoice), public_id=payment_id
    )
    try:
        void_manual_payment(request, payment, actor=request.user)
    except PaymentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Payment voided."))
        if payment.recorded_in_stripe:
            messages.warning(
                request,
                _("Stripe still counts this payment: correct the invoice in Stripe if needed."),
            )
    return redirect("billing:invoice_detail", invoice_id=invoice.public_id)


@workspace_required
def stuck_invoices(request):
    """Finalized, still open (nothing or part paid), and past due or older than STUCK_AFTER_DAYS."""
    now = timezone.now()
    queryset = (
        our_invoices(request.workspace)
        .filter(status=StripeInvoice.Status.OPEN)
        .exclude(payment_status="paid")
        .filter(Q(due_date__lt=now) | Q(due_date__isnull=True, created__lt=now - _stuck_age()))
        .select_related("customer", "quote")
        .order_by("due_date", "created", "id")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "days": STUCK_AFTER_DAYS}
    return render(request, "billing/stuck_invoices.html", context)


def _stuck_age() -> timedelta:
    return timedelta(days=STUCK_AFTER_DAYS)
