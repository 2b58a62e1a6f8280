from datetime import date, datetime

from django.core.paginator import Paginator
from django.db.models import Min
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from billing.models import Notification, Ownership, StripeInvoice
from customers.models import Customer
from mspercury.access import admin_required, get_for_workspace, workspace_required

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
    queryset = StripeInvoice.objects.filter(
        workspace=request.workspace, ownership=Ownership.OURS
    ).select_related("customer", "quote")
    months = _month_choices(queryset, timezone.localdate())
    status = request.GET.get("status", "")
    if status in StripeInvoice.Status.values:
        queryset = queryset.filter(status=status)
    customer = None
    if request.GET.get("customer"):
        customer = get_for_workspace(request, Customer.objects, public_id=request.GET["customer"])
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
            "statuses": StripeInvoice.Status.choices,
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
    queryset = Notification.objects.filter(workspace=request.workspace)
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
    unread = Notification.objects.filter(workspace=request.workspace).exclude(read_by=request.user)
    for notification in unread:
        notification.read_by.add(request.user)
    return redirect("billing:notifications")
