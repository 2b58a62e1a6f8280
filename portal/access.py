"""Who is signed in to the portal: a customer's contact, by a consumed email link. The session
names one workspace and one customer; every page runs inside that workspace alone (row-level
security) and shows only that customer's rows, in the customer's language."""

import time
from functools import wraps

from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from customers.models import Customer
from mspercury import audit, ratelimit, tenancy
from mspercury.localtime import workspace_time
from quotes.documents import document_language

SESSION_KEY = "mspercury_portal"
SESSION_SECONDS = 8 * 3600
RATE_PER_IP = (240, 600)


def sign_in(request, login) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "workspace": login.workspace_id,
        "customer": login.customer_id,
        "email": login.email,
        "since": int(time.time()),
    }


def sign_out(request) -> None:
    request.session.pop(SESSION_KEY, None)


def private(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    add_never_cache_headers(response)
    return response


def limited(request) -> bool:
    limit, window = RATE_PER_IP
    return not ratelimit.hit("portal-ip", audit.client_ip(request) or "unknown", limit, window)


def portal_view(view):
    """The view gets ``request.portal_customer``; without a live portal session the answer is
    404 with a way back in (the same for every id, known or not)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if limited(request):
            return private(render(request, "portal/message.html", {"kind": "limited"}, status=429))
        data = request.session.get(SESSION_KEY) or {}
        if not data or time.time() - data.get("since", 0) > SESSION_SECONDS:
            return private(
                render(request, "portal/message.html", {"kind": "signed_out"}, status=404)
            )
        with tenancy.workspace_context(data["workspace"]):
            customer = (
                Customer.objects.select_related("workspace")
                .filter(pk=data["customer"], workspace_id=data["workspace"])
                .first()
            )
            if customer is None:
                sign_out(request)
                return private(
                    render(request, "portal/message.html", {"kind": "signed_out"}, status=404)
                )
            with (
                translation.override(document_language(customer.language)),
                workspace_time(customer.workspace),  # the MSP's zone, labelled on every page
            ):
                request.portal_customer = customer
                request.portal_email = data.get("email", "")
                response = view(request, *args, **kwargs)
                response["Content-Language"] = translation.get_language()
        return private(response)

    return wrapper
