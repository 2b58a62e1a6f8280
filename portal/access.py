"""Who is signed in to the portal: a customer's contact, by a consumed email link. The session
names one workspace and one customer; every page runs inside that workspace alone (row-level
security) and shows only that customer's rows, in the customer's language."""

import time
from collections.abc import Iterable
from functools import partial, wraps

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from customers.models import Customer
from mspercury import audit, ratelimit, tenancy
from mspercury.languages import document_language
from mspercury.localtime import workspace_time

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


def browser_language(accept_language: str, offered: Iterable[str]) -> str:
    """The browser's most preferred language (Accept-Language, RFC 9110 §12.5.4) that the
    customers' documents speak, by its primary subtag ("fr-CH" reads French); else English.
    Pure: the header and the offered codes in, a code out."""
    from django.utils.translation.trans_real import parse_accept_lang_header

    offered = set(offered)
    for code, _quality in parse_accept_lang_header(accept_language or ""):
        primary = code.split("-")[0]
        if primary in offered:
            return primary
    return "en"


def visitor_language(request, customer=None) -> str:
    """Before sign-in: the contact's language when the page knows the customer, else the
    browser's among the document languages."""
    if customer is not None and customer.language:
        return document_language(customer.language)
    header = request.headers.get("Accept-Language", "")
    return browser_language(header, settings.MSPERCURY_DOCUMENT_LANGUAGES)


def in_language(language: str, make_response):
    """The response made and labelled in ``language``."""
    with translation.override(language):
        response = make_response()
        response["Content-Language"] = language
    return response


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
            return _signed_out(request, "limited", 429)
        data = request.session.get(SESSION_KEY) or {}
        if not data or time.time() - data.get("since", 0) > SESSION_SECONDS:
            return _signed_out(request, "signed_out", 404)
        with tenancy.workspace_context(data["workspace"]):
            customer = (
                Customer.objects.select_related("workspace")
                .filter(pk=data["customer"], workspace_id=data["workspace"])
                .first()
            )
            if customer is None:
                sign_out(request)
                return _signed_out(request, "signed_out", 404)
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


def _signed_out(request, kind: str, status: int):
    page = partial(render, request, "portal/message.html", {"kind": kind}, status=status)
    return private(in_language(visitor_language(request), page))
