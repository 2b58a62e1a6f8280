"""Cross-tenant sweep: every URL that names an object answers 404 to an outsider.

The sweep walks the whole URL configuration, so a new route is checked the day it is added.
Each route parameter needs a way to make a real object in Alice's workspace (alpha):

* Add an entry to ``FACTORIES``: the parameter name maps to ``factory(workspace, owner)``, which
  creates an object in ``workspace`` and returns the value that goes into the URL (its
  ``public_id`` for ``<uuid:...>``).
* Routes whose parameter is a capability for people outside any workspace (a share link, an
  emailed invite, a webhook address) go into ``PUBLIC_TOKEN_PATTERNS`` with the reason; the sweep
  then checks that a guessed token gets 404 instead.

A route with a parameter that has neither fails with "add a factory for <name> in
tests/test_tenancy_sweep.py".
"""

import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import get_resolver
from django.urls.converters import get_converters
from django.urls.resolvers import RegexPattern, URLResolver

from customers.models import Customer, Project
from mspercury.models import Invite, Membership, Role, User, Workspace, hash_token, new_token
from quotes import actions as quote_actions
from quotes.models import Service, ShareLink
from tests.einvoice.sweep import credit_note_factory


def _invite(workspace: Workspace, owner: User):
    return Invite.objects.create(
        workspace=workspace,
        email="sweep-invitee@example.org",
        token_hash=hash_token(new_token()),
        invited_by=owner,
    ).public_id


def _membership(workspace: Workspace, owner: User):
    user = User.objects.create_user(f"sweep-{uuid.uuid4().hex[:8]}@example.org", "x")
    return Membership.objects.create(workspace=workspace, user=user, role=Role.MEMBER).public_id


def _customer(workspace: Workspace, owner: User):
    return Customer.objects.create(workspace=workspace, company_name="Sweep GmbH").public_id


def _project(workspace: Workspace, owner: User):
    customer = Customer.objects.create(workspace=workspace, company_name="Sweep GmbH")
    return Project.objects.create(
        workspace=workspace, customer=customer, name="Sweep office"
    ).public_id


def _quote(workspace: Workspace, owner: User):
    customer = Customer.objects.create(workspace=workspace, company_name="Sweep GmbH")
    return quote_actions.do_create_quote(workspace, customer, user=owner)


def _service(workspace: Workspace, owner: User):
    return Service.objects.create(workspace=workspace, name="Sweep service", unit_price=1)


def _line(workspace: Workspace, owner: User):
    fields = quote_actions.line_fields_from_service(_service(workspace, owner))
    return quote_actions.do_add_line(_quote(workspace, owner), quantity=1, **fields).public_id


def _package_item(workspace: Workspace, owner: User):
    package = quote_actions.do_create_package(workspace, name="Sweep package")
    service = _service(workspace, owner)
    item = quote_actions.do_add_package_item(package, service=service, rule="fixed", quantity=1)
    return item.public_id


def _share_link(workspace: Workspace, owner: User):
    quote = _quote(workspace, owner)
    return ShareLink.objects.create(
        workspace=workspace, quote=quote, token_hash=hash_token(new_token())
    ).public_id


def _stripe_event(workspace: Workspace, owner: User):
    from integrations.models import StripeEvent

    return StripeEvent.objects.create(
        workspace=workspace,
        stripe_account=f"acct_{workspace.pk}",
        event_id="evt_sweep",
        event_type="invoice.paid",
        payload={},
        status=StripeEvent.Status.FAILED,
    ).public_id


def _stripe_subscription(workspace: Workspace, owner: User):
    from billing.models import StripeSubscription

    return StripeSubscription.objects.create(
        workspace=workspace,
        account_ref=f"acct_{workspace.pk}",
        stripe_id=f"sub_sweep_{workspace.pk}",
        status="active",
        quote=_quote(workspace, owner),
    ).stripe_id


def _stripe_invoice(workspace: Workspace, owner: User):
    from billing.models import StripeInvoice

    customer = Customer.objects.create(workspace=workspace, company_name="Sweep invoices")
    return StripeInvoice.objects.create(
        workspace=workspace,
        account_ref=f"acct_{workspace.pk}",
        stripe_id=f"in_sweep_{workspace.pk}_{customer.pk}",
        number="SWEEP-1",
        status="open",
        currency="EUR",
        total=100,
        amount_remaining=100,
        customer=customer,
    ).public_id


def _pay_link(workspace: Workspace, owner: User):
    from billing.models import StripeInvoice
    from portal.links import issue_pay_link

    invoice = StripeInvoice.objects.get(public_id=_stripe_invoice(workspace, owner))
    return issue_pay_link(invoice)[0].public_id


def _payment(workspace: Workspace, owner: User):
    from billing.models import Payment, StripeInvoice

    invoice = StripeInvoice.objects.get(public_id=_stripe_invoice(workspace, owner))
    return Payment.objects.create(
        workspace=workspace,
        invoice=invoice,
        provider_id=f"manual:sweep-{invoice.pk}",
        source=Payment.Source.MANUAL,
        amount=50,
        currency="EUR",
        paid_at=invoice.synced_at,
    ).public_id


def _acceptance(workspace: Workspace, owner: User):
    from django.utils import timezone

    from quotes.models import QuoteAcceptance

    return QuoteAcceptance.objects.create(
        workspace=workspace,
        quote=_quote(workspace, owner),
        via=QuoteAcceptance.Via.MANUAL,
        name="Sweep",
        accepted_at=timezone.now(),
        revision=1,
        snapshot={},
        document_sha256="0" * 64,
    ).public_id


def _quote_document(workspace: Workspace, owner: User):
    from quotes.stored_documents import do_request_quote_pdf

    return do_request_quote_pdf(_quote(workspace, owner), queue=False).public_id


def _assessment(workspace: Workspace, owner: User):
    from quotes.assessments.actions import do_create_assessment

    customer = Customer.objects.create(workspace=workspace, company_name="Sweep GmbH")
    return do_create_assessment(workspace, customer, user=owner)


def _finding(workspace: Workspace, owner: User):
    from quotes.assessments.actions import do_add_finding

    finding = do_add_finding(_assessment(workspace, owner), title="Sweep", severity="high")
    return finding.public_id


def _assessment_report(workspace: Workspace, owner: User):
    from quotes.assessments.models import AssessmentReport

    assessment = _assessment(workspace, owner)
    return AssessmentReport.objects.create(
        workspace=workspace, assessment=assessment, source_updated_at=assessment.updated_at
    ).public_id


def _question(workspace: Workspace, owner: User):
    from quotes.assessments.actions import ensure_questionnaire
    from quotes.assessments.models import AssessmentQuestion

    ensure_questionnaire(workspace)
    return AssessmentQuestion.objects.filter(workspace=workspace).first()


def _amendment(workspace: Workspace, owner: User):
    from integrations.models import Amendment, Push

    push = Push.objects.create(
        workspace=workspace, quote=_quote(workspace, owner), account_ref="acct_sweep", mode="test"
    )
    return Amendment.objects.create(
        workspace=workspace,
        push=push,
        revision=2,
        from_revision=1,
        timing=Amendment.Timing.RENEWAL,
        proration_date=0,
        status=Amendment.Status.FAILED,
    ).public_id


def _contract(workspace: Workspace, owner: User):
    from billing.models import Contract

    quote = _quote(workspace, owner)
    return Contract.objects.create(
        workspace=workspace,
        customer=quote.customer,
        quote=quote,
        provider="lexware",
        currency="EUR",
        starts_on="2027-01-01",
        tax_treatment="domestic",
        tax_rate=19,
    ).public_id


def _billing_run(workspace: Workspace, owner: User):
    from billing.models import BillingRun

    return BillingRun.objects.create(workspace=workspace, month="2027-01-01").public_id


# Route parameter name → factory(workspace, owner) -> URL value of a new object in workspace.
FACTORIES: dict[str, Callable[[Workspace, User], object]] = {
    "workspace_id": lambda workspace, owner: workspace.public_id,
    "invite_id": _invite,
    "membership_id": _membership,
    "customer_id": _customer,
    "project_id": _project,
    "quote_id": lambda workspace, owner: _quote(workspace, owner).public_id,
    "line_id": _line,
    "service_id": lambda workspace, owner: _service(workspace, owner).public_id,
    "package_id": lambda workspace, owner: (
        quote_actions.do_create_package(workspace, name="Sweep package").public_id
    ),
    "item_id": _package_item,
    "document_id": _quote_document,
    "assessment_id": lambda workspace, owner: _assessment(workspace, owner).public_id,
    "finding_id": _finding,
    "report_id": _assessment_report,
    "question_id": lambda workspace, owner: _question(workspace, owner).public_id,
    "category_id": lambda workspace, owner: _question(workspace, owner).category.public_id,
    "link_id": _share_link,
    "event_id": _stripe_event,
    "subscription_id": _stripe_subscription,
    "invoice_id": _stripe_invoice,
    "payment_id": _payment,
    "pay_link_id": _pay_link,
    "credit_note_id": credit_note_factory,
    "acceptance_id": _acceptance,
    "amendment_id": _amendment,
    "contract_id": _contract,
    "run_id": _billing_run,
    "kind": lambda workspace, owner: "quote",
}

# Full route → why its parameters are public tokens rather than workspace-scoped ids.
PUBLIC_TOKEN_PATTERNS: dict[str, str] = {
    "invite/<str:token>/": "emailed to a person who is not a member yet; the token is the key",
    "webhooks/stripe/<str:token>/": "Stripe posts here unauthenticated; the token names the "
    "connection and the signature proves the sender",
    "webhooks/lexware/<str:token>/": "Lexware Office posts its event callbacks here "
    "unauthenticated; the token (kept hashed) names the connection and the RSA signature proves "
    "the sender",
    **dict.fromkeys(
        [
            "q/<str:token>/",
            "q/<str:token>/accept/",
            "q/<str:token>/decline/",
            "q/<str:token>/accepted/",
            "q/<str:token>/pdf/",
            "q/<str:token>/agreement/",
        ],
        "the customer's share page: opened without an account, the link's token is the key",
    ),
    "portal/login/<str:token>/": "the portal's emailed single-use sign-in link: the token is "
    "the key",
    "pay/<str:token>/": "the durable pay link in an invoice email: the token is the key",
    "pay/<str:token>/done/": "where Checkout returns a pay link's payer: the token is the key",
    "pay/back/<str:ticket>/": "where Checkout returns a pay link's payer: a signed, short-lived "
    "ticket names the link and only shows how the payment ended",
    "portal/w/<uuid:workspace_id>/": "the MSP's published portal address: it shows only a "
    "sign-in form, and sends links only to its customers' own addresses",
}


@dataclass(frozen=True)
class Route:
    route: str
    name: str | None
    params: dict[str, str]  # parameter name → converter name
    is_regex: bool = False

    def url(self, values: dict[str, object]) -> str:
        converters = get_converters()

        def fill(match):
            converter = converters[match["converter"] or "str"]
            return converter.to_url(values[match["parameter"]])

        return "/" + _PARAMETER.sub(fill, self.route)


_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


def _walk(entries, prefix="", namespace=""):
    for entry in entries:
        pattern = entry.pattern
        if isinstance(pattern, RegexPattern):
            route = prefix + pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")
            groups = dict.fromkeys(pattern.regex.groupindex, "regex")
            if pattern.regex.groups and not groups:
                groups = {"<unnamed group>": "regex"}
        else:
            route = prefix + str(pattern)
            groups = {m["parameter"]: m["converter"] or "str" for m in _PARAMETER.finditer(route)}
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, inner)
        else:
            name = f"{namespace}{entry.name}" if entry.name else None
            yield Route(route, name, groups, is_regex=isinstance(pattern, RegexPattern))


ALL_ROUTES = list(_walk(get_resolver().url_patterns))
WITH_PARAMS = [r for r in ALL_ROUTES if r.params]
PRIVATE = [r for r in WITH_PARAMS if r.route not in PUBLIC_TOKEN_PATTERNS]
PUBLIC = [r for r in WITH_PARAMS if r.route in PUBLIC_TOKEN_PATTERNS]


def _guess(converter: str):
    """A value of the right shape that names nothing."""
    return uuid.uuid4() if converter == "uuid" else secrets.token_urlsafe(32)


def test_it_finds_the_routes_it_sweeps():
    """The walker sees nested includes; a broken walker would make the sweep pass vacuously."""
    routes = {r.route for r in WITH_PARAMS}
    assert "workspaces/<uuid:workspace_id>/switch/" in routes
    assert "settings/team/members/<uuid:membership_id>/remove/" in routes
    assert "invite/<str:token>/" in routes
    assert len(PRIVATE) >= 4


def test_it_uses_no_sequential_ids():
    """No route takes an <int:...>; ids in URLs are UUIDs or random tokens."""
    offenders = [r.route for r in ALL_ROUTES if "int" in r.params.values()]
    assert not offenders, f"use a public UUID instead of an integer id: {offenders}"


def test_it_uses_path_converters_only():
    """re_path() groups escape the sweep's converter logic; use path() with <uuid:...>."""
    offenders = [r.route for r in ALL_ROUTES if r.is_regex and r.params]
    assert not offenders, f"replace re_path() with path() and a converter: {offenders}"


def test_it_lists_only_existing_public_routes():
    """A stale PUBLIC_TOKEN_PATTERNS entry would hide nothing but mislead readers."""
    stale = set(PUBLIC_TOKEN_PATTERNS) - {r.route for r in ALL_ROUTES}
    assert not stale, f"remove from PUBLIC_TOKEN_PATTERNS: {sorted(stale)}"


@pytest.mark.parametrize("route", PRIVATE, ids=lambda r: r.route)
def test_it_hides_other_workspaces_objects(route, alpha, alice, charlie, client_for):
    """Charlie (owner elsewhere, fresh 2FA) gets 404 for Alpha's objects, by GET and POST.

    405 is accepted for a method the view refuses outright, as long as a made-up id gets the
    same answer: the error is the same for objects you can't access and objects that don't exist.
    """
    missing = [name for name in route.params if name not in FACTORIES]
    if missing:
        pytest.fail(
            "; ".join(
                f"add a factory for {name} in tests/test_tenancy_sweep.py" for name in missing
            )
            + f" (route {route.route})"
        )
    values = {name: FACTORIES[name](alpha, alice) for name in route.params}
    url = route.url(values)
    guessed = route.url({name: _guess(conv) for name, conv in route.params.items()})
    client = client_for(charlie)

    statuses = {}
    for method in ("post", "get"):
        status = getattr(client, method)(url).status_code
        if status == 405:
            # A view may refuse a method before any lookup; that must not depend on the object.
            guess_status = getattr(client, method)(guessed).status_code
            assert guess_status == 405, f"{method.upper()} {url}: 405 only for a real object"
        else:
            assert status == 404, f"{method.upper()} {url} answered {status}"
        statuses[method] = status
    assert 404 in statuses.values(), f"{url} accepts neither GET nor POST"


@pytest.mark.parametrize("route", PUBLIC, ids=lambda r: r.route)
def test_it_rejects_guessed_public_tokens(route, db):
    """An anonymous visitor with a made-up token gets 404 (GET may be 405 on POST-only views)."""
    url = route.url({name: _guess(conv) for name, conv in route.params.items()})
    client = Client()
    assert client.post(url).status_code == 404
    assert client.get(url).status_code in (404, 405)
