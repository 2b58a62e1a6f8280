from dataclasses import replace
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
from billing.payments import PaymentError, only_here, void_manual_payment
from customers.access import access_customer
from customers.models import Customer
from mspercury import tenancy
from mspercury.access import admin_required, get_for_workspace, workspace_required
from mspercury.keyset import Keyset
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
    newest first (at most five years), labelled in the page's language. The first invoice's
    date is one step down the invoice_list index, however many invoices there are."""
    first = queryset.aggregate(first=Min("created"))["first"]
    year, month = today.year, today.month
    stop = (first.year, first.month) if first else (year, month)
    choices = []
    while (year, month) >= stop and len(choices) < 60:
        day = date(year, month, 1)
        choices.append((day.strftime("%Y-%m"), date_format(day, "YEAR_MONTH_FORMAT")))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return choices


# Newest first; "created" ties are broken by id so that no invoice is shown twice or skipped.
INVOICE_PAGES = Keyset("-created", "-id", size=PAGE_SIZE)
# A name search narrows to at most this many customers (their invoices through an index).
MATCHING_CUSTOMERS = 50
# The count of unlinked invoices stops here ("more than 99"): no count reads the whole table.
UNLINKED_SHOWN = 99


def _matching_customers(workspace, q: str) -> list[Customer]:
    """Customers whose name contains ``q``, through the trigram index. PostgreSQL may not use
    that index below row-level security (upper() and LIKE are not leakproof), so this read
    runs as the system role, held to the workspace by its explicit filter."""
    with tenancy.system_context():
        return list(
            Customer.objects.filter(workspace=workspace, company_name__icontains=q)
            .order_by("company_name", "id")
            .only("public_id", "company_name")[:MATCHING_CUSTOMERS]
        )


def _searched_page(queryset, workspace, q: str, cursor, scope: str):
    """The page of invoices whose number contains ``q``, or of a customer whose name does, or
    with that Stripe id; and the customers matched by name. The trigram indexes find the
    page's keys as the system role (see _matching_customers; the workspace filter is in
    ``queryset``); the rows shown are then read under row-level security like any page."""
    customers = _matching_customers(workspace, q)
    match = Q(number__icontains=q)
    if customers:
        match |= Q(customer_id__in=[customer.pk for customer in customers])
    if q.startswith("in_"):
        match |= Q(stripe_id=q)
    keys_only = queryset.filter(match).select_related(None).only("id", "created")
    with tenancy.system_context():
        keys = INVOICE_PAGES.page(keys_only, cursor, scope=scope)
    rows = queryset.in_bulk([row.pk for row in keys])
    return replace(keys, object_list=[rows[row.pk] for row in keys if row.pk in rows]), customers


def _unlinked_count(request) -> int:
    if not request.membership.is_admin:
        return 0
    unlinked = StripeInvoice.objects.filter(
        workspace=request.workspace, ownership=Ownership.UNLINKED
    )
    return unlinked[: UNLINKED_SHOWN + 1].count()


@workspace_required
def invoices(request):
    workspace = request.workspace
    queryset = our_invoices(workspace).select_related("customer", "quote")
    months = _month_choices(queryset, timezone.localdate())
    status = request.GET.get("status", "")
    if status in PaymentStatus.values:
        queryset = queryset.filter(listed_status=status)
    customer = None
    if request.GET.get("customer"):
        customer = access_customer(request, request.GET["customer"])
        queryset = queryset.filter(customer=customer)
    period = _month(request.GET.get("period", ""))
    if period:
        queryset = queryset.filter(created__gte=period[0], created__lt=period[1])
    q = request.GET.get("q", "").strip()[:100]
    cursor, scope = request.GET.get("cursor"), f"invoices:{workspace.pk}"
    if q:
        page, matching = _searched_page(queryset, workspace, q, cursor, scope)
    else:
        page, matching = INVOICE_PAGES.page(queryset, cursor, scope=scope), []
    return render(
        request,
        "billing/invoices.html",
        {
            "page": page,
            "statuses": PaymentStatus.choices,
            "status": status,
            "customer": customer,
            "matching": [c for c in matching if c != customer],
            "more_matching": len(matching) == MATCHING_CUSTOMERS,
            "period": request.GET.get("period", "") if period else "",
            "months": months,
            "q": q,
            "unlinked": _unlinked_count(request),
            "unlinked_capped": UNLINKED_SHOWN,
        },
    )


@admin_required
def unlinked_invoices(request):
    """Invoices of the Stripe account that no workspace's push made (Dashboard-made, for a
    customer nobody here knows): shown to admins apart, never another workspace's."""
    workspace = request.workspace
    queryset = StripeInvoice.objects.filter(workspace=workspace, ownership=Ownership.UNLINKED)
    page = INVOICE_PAGES.page(queryset, request.GET.get("cursor"), scope=f"unlinked:{workspace.pk}")
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
        "only_here": only_here(invoice),
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
                _(
                    "%(provider)s still counts this payment: correct the invoice in "
                    "%(provider)s if needed."
                )
                % {"provider": invoice.get_provider_display()},
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
