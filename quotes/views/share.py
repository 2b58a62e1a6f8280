"""Sharing a quote with the customer, the customer's share page, and acceptance.

Staff views (share, revoke, mark accepted, the accepted version) live under /quotes/<id>/.
The public share page lives under /q/<token>/: the token is the customer's only credential, so
an unknown token is a 404, a revoked or expired link a 410 that names nothing else, and every
page is rate limited per IP and per link, kept out of search engines and out of other sites'
referrers.
"""

from contextlib import suppress
from functools import wraps
from smtplib import SMTPException

from django import forms
from django.contrib import messages
from django.core.validators import RegexValidator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from customers.tax_parties import vat_id_status
from mspercury import audit, ratelimit, tenancy
from mspercury.access import get_for_workspace, workspace_required
from mspercury.languages import document_language
from mspercury.localtime import workspace_time
from quotes import share_mail, sharing
from quotes.access import access_quote
from quotes.documents import diff_snapshots, quote_snapshot
from quotes.models import Quote, QuoteAcceptance, QuoteStatus, ShareLink
from quotes.sharing import ShareError
from quotes.stored_documents import (
    accepted_quote_document,
    agreement_document,
    quote_document,
    ready_for_view,
)
from quotes.views.documents import pdf_response
from rules.tax import awaiting_vies

# (attempts, window in seconds). Per IP covers guessing across tokens; per link covers one
# link being hammered from many addresses.
RATE_PER_IP = (120, 600)
RATE_PER_LINK = (60, 600)

EXPIRY_CHOICES = [
    ("", gettext_lazy("Never")),
    ("7", gettext_lazy("In 7 days")),
    ("14", gettext_lazy("In 14 days")),
    ("30", gettext_lazy("In 30 days")),
    ("90", gettext_lazy("In 90 days")),
]

CHANGED_MESSAGE = gettext_lazy(
    "The quote changed while you were viewing it — please review it again."
)


class ShareForm(forms.Form):
    expires_in = forms.TypedChoiceField(
        label=gettext_lazy("Link expires"),
        choices=EXPIRY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        initial="30",
    )


class AcceptForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Your full name"),
        max_length=sharing.MAX_NAME_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    consent = forms.BooleanField(
        label=gettext_lazy(
            "I accept this quote on behalf of the customer named above and agree that typing my "
            "name counts as my signature."
        ),
        error_messages={"required": gettext_lazy("Tick the box to accept the quote.")},
    )
    revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    document = forms.CharField(
        max_length=64,
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[0-9a-f]{64}$")],
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < 2:
            raise forms.ValidationError(_("Type your full name."))
        return name


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"),
        required=False,
        max_length=sharing.MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ManualAcceptForm(forms.Form):
    revision = forms.IntegerField(min_value=1)


# The public share page


def _privacy_headers(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    # No referrer ever leaves for another site, so the token in the URL stays here. Not
    # "no-referrer": browsers then send "Origin: null" with the page's own POSTs, which Django's
    # CSRF check rightly refuses.
    response["Referrer-Policy"] = "same-origin"
    add_never_cache_headers(response)
    return response


def _message_page(request, state, *, status, link=None):
    context = {"state": state, "quote": link.quote if link else None}
    return render(request, "quotes/share_message.html", context, status=status)


def public_link(*methods: str):
    """Rate limit, resolve the token to an active link, speak the customer's language.

    The method is checked only once the link is known, so a guessed token is a 404 whatever
    the method.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, token):
            return _privacy_headers(_open_link(view, methods, request, token))

        return wrapper

    return decorator


def _open_link(view, methods, request, token):
    limit, window = RATE_PER_IP
    if not ratelimit.hit("share-ip", audit.client_ip(request) or "unknown", limit, window):
        return _message_page(request, "limited", status=429)
    # The token is the only thing that names the workspace: look it up across tenants, then
    # serve the page inside that workspace alone.
    with tenancy.system_context():
        link = sharing.find_link(token)
    if link is None:
        return _message_page(request, "unknown", status=404)
    # From here on the pages speak the customer's language, whatever the browser asks for.
    # Its times are the MSP's, labelled with the zone (DESIGN.md "Local time, language, sender").
    with (
        tenancy.workspace_context(link.workspace_id),
        translation.override(document_language(link.quote.customer.language)),
        workspace_time(link.quote.workspace),
    ):
        response = _open_known_link(view, methods, request, link, token)
        response.headers["Content-Language"] = translation.get_language()
    return response


def _open_known_link(view, methods, request, link, token):
    limit, window = RATE_PER_LINK
    if not ratelimit.hit("share-link", str(link.public_id), limit, window):
        return _message_page(request, "limited", status=429)
    if request.method not in methods:
        return HttpResponseNotAllowed(methods)
    link.token = token  # for this request's redirects; never stored
    state = sharing.link_state(link, timezone.now())
    if state != "active":
        return _message_page(request, f"link_{state}", status=410)
    return view(request, link)


def _share_url(token: str, name: str = "quotes:share_view") -> str:
    return reverse(name, kwargs={"token": token})


def _quote_state_page(request, link):
    """The page for a quote that can no longer be accepted or declined, or None if it can."""
    quote = link.quote
    sharing.do_expire_if_due(quote)
    if quote.status == QuoteStatus.ACCEPTED:
        if sharing.is_reacceptance_open(link):
            return None
        return _accepted_page(request, link)
    if quote.status == QuoteStatus.DECLINED:
        return _message_page(request, "declined", status=200, link=link)
    if quote.status == QuoteStatus.EXPIRED:
        return _message_page(request, "expired", status=200, link=link)
    if quote.status not in sharing.OPEN_STATUSES:
        return _message_page(request, "closed", status=200, link=link)
    return None


def _vies_pending(quote, snapshot: dict) -> bool:
    """The document's reverse charge waits for VIES to confirm the customer's VAT ID."""
    return awaiting_vies(snapshot["tax"]["treatment"], vat_id_status(quote.customer))


def _accepted_page(request, link, *, just_accepted=False):
    acceptance = QuoteAcceptance.objects.filter(quote=link.quote).first()
    if acceptance is None:  # marked accepted some other way than recorded here
        return _message_page(request, "closed", status=200, link=link)
    # A re-acceptance link shows the revision accepted last; older links the original one.
    shown = sharing.latest_acceptance(link.quote) if link.reaccept_since else acceptance
    context = {
        "link": link,
        "acceptance": shown,
        "doc": shown.snapshot,
        "sha256": shown.document_sha256,
        "just_accepted": just_accepted,
        # A revision of a running contract: its first invoice is long paid.
        "running_contract": bool(link.reaccept_since),
        # The exact PDF accepted (its hash is the record's) and the agreement with its
        # certificate, of the revision this link was for.
        "accepted_pdf": accepted_quote_document(shown),
        "agreement": ready_for_view(agreement_document(shown)),
        "vies_pending": _vies_pending(link.quote, shown.snapshot),
    }
    return render(request, "quotes/share_accepted.html", context)


def _share_page(request, link, *, accept_form=None, decline_form=None, error="", status=200):
    document = quote_document(link.quote, wait=False)
    if document is None:  # a large quote whose PDF a Celery task is preparing
        return render(request, "quotes/share_preparing.html", {"link": link}, status=status)
    shown = {"revision": document.snapshot["revision"], "document": document.sha256}
    if accept_form is None:
        accept_form = AcceptForm(initial=shown)
    else:  # keep what was typed, but carry the version this page shows
        accept_form = AcceptForm({**accept_form.data.dict(), **shown})
    reaccept = None
    if sharing.is_reacceptance_open(link):
        since = sharing.latest_acceptance(link.quote)
        reaccept = {"since": since, "diff": diff_snapshots(since.snapshot, document.snapshot)}
    context = {
        "link": link,
        "doc": document.snapshot,
        "sha256": document.sha256,
        "reaccept": reaccept,
        "running_contract": reaccept is not None,
        "vies_pending": _vies_pending(link.quote, document.snapshot),
        "accept_form": accept_form,
        "decline_form": decline_form or DeclineForm(),
        "error": error,
    }
    return render(request, "quotes/share_quote.html", context, status=status)


@public_link("GET", "HEAD")
def share_view(request, link):
    sharing.note_link_viewed(link)
    return _quote_state_page(request, link) or _share_page(request, link)


@public_link("POST")
def share_accept(request, link):
    done = _quote_state_page(request, link)
    if done is not None:
        return done
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return _share_page(request, link, accept_form=form, status=400)
    data = form.cleaned_data
    try:
        if sharing.is_reacceptance_open(link):
            sharing.do_reaccept_quote(
                link.quote,
                link=link,
                name=data["name"],
                revision=data["revision"],
                sha256=data["document"],
                request=request,
            )
            return redirect(_share_url(link.token, "quotes:share_accepted"))
        sharing.do_accept_quote(
            link.quote,
            via=QuoteAcceptance.Via.SHARE_PAGE,
            name=data["name"],
            revision=data["revision"],
            sha256=data["document"],
            link=link,
            request=request,
        )
    except ShareError as exc:
        link.quote.refresh_from_db()
        if exc.reason == ShareError.CHANGED:
            return _share_page(request, link, error=CHANGED_MESSAGE, status=409)
        return _quote_state_page(request, link) or _share_page(request, link)
    return redirect(_share_url(link.token, "quotes:share_accepted"))


@public_link("POST")
def share_decline(request, link):
    done = _quote_state_page(request, link)
    if done is not None:
        return done
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _share_page(request, link, decline_form=form, status=400)
    # Accepted, declined or expired meanwhile: the share page says which.
    with suppress(ShareError):
        sharing.do_decline_quote(
            link.quote, reason=form.cleaned_data["reason"], link=link, request=request
        )
    return redirect(_share_url(link.token))


@public_link("GET", "HEAD")
def share_accepted(request, link):
    if link.quote.status != QuoteStatus.ACCEPTED or sharing.is_reacceptance_open(link):
        return redirect(_share_url(link.token))
    return _accepted_page(request, link, just_accepted=True)


def _link_acceptance(link):
    """The acceptance a link's accepted documents belong to: the original one, or on a
    re-acceptance link the revision accepted last."""
    if link.reaccept_since:
        return sharing.latest_acceptance(link.quote)
    return QuoteAcceptance.objects.filter(quote=link.quote).first()


@public_link("GET", "HEAD")
def share_pdf(request, link):
    """The quote as PDF: the accepted one once accepted (on a re-acceptance link, the revision
    accepted last), else the current revision's."""
    acceptance = _link_acceptance(link)
    if acceptance is not None and not sharing.is_reacceptance_open(link):
        stored = accepted_quote_document(acceptance)
    elif _quote_state_page(request, link) is not None:
        return redirect(_share_url(link.token))
    else:
        document = quote_document(link.quote, wait=False)
        stored = document.stored if document else None
    if stored is None or not stored.is_ready:
        return redirect(_share_url(link.token))
    stored.quote = link.quote
    return pdf_response(stored)


@public_link("GET", "HEAD")
def share_agreement(request, link):
    """The service agreement PDF that followed the acceptance (of this link's revision)."""
    acceptance = _link_acceptance(link)
    stored = ready_for_view(agreement_document(acceptance)) if acceptance else None
    if stored is None or not stored.is_ready:
        return redirect(_share_url(link.token))
    stored.quote = link.quote
    return pdf_response(stored)


# Staff: share, revoke, mark accepted, the accepted version


def _detail_url(quote: Quote, anchor: str = "") -> str:
    url = reverse("quotes:quote_detail", kwargs={"quote_id": quote.public_id})
    return f"{url}#{anchor}" if anchor else url


@workspace_required
@require_POST
def share_create(request, quote_id):
    """Make a link and show it this once: only its hash is kept."""
    quote = access_quote(request, quote_id)
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose when the link expires."))
        return redirect(_detail_url(quote, "share"))
    expires_at = sharing.expiry_from_days(form.cleaned_data["expires_in"], timezone.now())
    try:
        link, token = sharing.do_share_quote(
            quote, user=request.user, expires_at=expires_at, request=request
        )
    except ShareError as exc:
        if exc.reason == ShareError.EXPIRED:
            messages.error(
                request,
                _(
                    "The validity date (%(date)s) has passed. Extend it in the quote details, "
                    "then share the quote."
                )
                % {"date": formats.date_format(quote.valid_until, "SHORT_DATE_FORMAT")},
            )
        else:
            messages.error(
                request,
                _("This quote is %(status)s and can no longer be shared.")
                % {"status": quote.get_status_display().lower()},
            )
        return redirect(_detail_url(quote, "share"))
    context = {
        "quote": quote,
        "link": link,
        "url": request.build_absolute_uri(_share_url(token)),
    }
    if request.POST.get("send_email"):
        _email_link(request, quote, link, context["url"])
    return _privacy_headers(render(request, "quotes/share_created.html", context))


def _email_link(request, quote, link, url) -> None:
    try:
        email = share_mail.do_email_share_link(quote, link, url, request=request)
    except share_mail.NoRecipient:
        messages.error(request, _("The customer has no email address: copy the link instead."))
    except (OSError, SMTPException):
        messages.error(request, _("The mail server refused the mail: copy the link instead."))
    else:
        messages.success(
            request, _("The link and the PDF were emailed to %(email)s.") % {"email": email}
        )


@workspace_required
@require_POST
def share_revoke(request, quote_id, link_id):
    quote = access_quote(request, quote_id)
    link = get_for_workspace(request, ShareLink.objects, public_id=link_id, quote=quote)
    link.quote = quote
    if sharing.do_revoke_share_link(link, user=request.user, request=request):
        messages.success(request, _("The link was revoked: it no longer opens the quote."))
    return redirect(_detail_url(quote, "share"))


@workspace_required
@require_POST
def quote_accept(request, quote_id):
    """Staff mark the quote accepted (e.g. signed on paper); records who and when."""
    quote = access_quote(request, quote_id)
    form = ManualAcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reload the quote and try again."))
        return redirect(_detail_url(quote, "acceptance"))
    try:
        sharing.do_accept_quote(
            quote,
            via=QuoteAcceptance.Via.MANUAL,
            name=request.user.get_full_name(),
            revision=form.cleaned_data["revision"],
            sha256=None,
            user=request.user,
            request=request,
        )
    except ShareError as exc:
        messages.error(request, _manual_refusal(exc.reason))
    else:
        messages.success(
            request, _("Quote %(number)s marked as accepted.") % {"number": quote.number}
        )
    return redirect(_detail_url(quote, "acceptance"))


def _manual_refusal(reason: str) -> str:
    return {
        ShareError.ACCEPTED: _("This quote is already accepted."),
        ShareError.DECLINED: _("This quote was declined and cannot be accepted."),
        ShareError.EXPIRED: _("This quote has expired and cannot be accepted."),
        ShareError.CHANGED: _(
            "The quote changed while you were viewing it — please review it again."
        ),
    }.get(reason, _("This quote cannot be accepted."))


@workspace_required
@require_GET
def accepted_version(request, quote_id):
    """The frozen version the customer accepted, and what changed on the quote since."""
    quote = access_quote(request, quote_id)
    acceptance = get_object_or_404(
        QuoteAcceptance.objects.select_related("accepted_by_user"),
        workspace=request.workspace,
        quote=quote,
    )
    current = quote_snapshot(quote)
    context = {
        "quote": quote,
        "acceptance": acceptance,
        "doc": acceptance.snapshot,
        "sha256": acceptance.document_sha256,
        "diff": diff_snapshots(acceptance.snapshot, current),
        "current": current,
    }
    return render(request, "quotes/accepted_version.html", context)
