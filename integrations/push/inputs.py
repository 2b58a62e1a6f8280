"""Turn the database's view of a push (the live accepted quote, customer, settings, known Stripe
ids) into the planner's plain inputs."""

from datetime import date
from decimal import Decimal

from django.utils import formats, translation
from django.utils.translation import gettext as _

from customers.tax_parties import customer_party, party
from customers.vatids.models import VatIdStatus
from customers.vatids.services import describe
from integrations.models import PushSettings, StripeConnection, StripeObjectMap
from integrations.push.planner import (
    KnownStripe,
    PlanCustomer,
    PlanLine,
    PlanQuote,
    PlanSettings,
    Problem,
    stripe_limit_problems,
)
from mspercury.languages import document_language
from mspercury.localtime import local_moment, today_in
from mspercury.particulars import has_particulars, particulars_lines
from quotes.documents import quote_snapshot
from quotes.models import QuoteLine, QuoteStatus
from quotes.sharing import latest_acceptance
from rules.tax import TaxTreatment, awaiting_vies, decide_tax


def push_snapshot(quote) -> dict | None:
    """What a push bills: the live quote once it is accepted, or None before.

    The MSP may edit an accepted quote; billing and MRR follow the live quote, while the
    acceptance keeps the frozen document the customer accepted as the audit record.
    """
    if quote.status != QuoteStatus.ACCEPTED or getattr(quote, "acceptance", None) is None:
        return None
    return quote_snapshot(quote)


# The executor's name for it.
accepted_snapshot = push_snapshot


def limit_problems(quote, lines=None, *, prefs=None, today: date | None = None) -> list:
    """Stripe's hard limits the live quote breaks, as the push planner would report them
    (invoice totals with the VAT our tax rates add).

    ``lines``: the quote's lines if already loaded; ``prefs``: the workspace's PushSettings."""
    if lines is None:
        lines = QuoteLine.objects.filter(quote=quote).order_by("position", "id")
    if prefs is None:
        prefs = PushSettings.objects.for_workspace(quote.workspace_id)
    quantity_mode = (prefs.quantity_mode if prefs else "") or PushSettings.QuantityMode.EXACT
    vat = Decimal(0)
    if not (prefs and prefs.stripe_tax) and quote.customer_id:
        workspace, customer = quote.workspace, quote.customer
        vat = decide_tax(
            party(workspace), customer_party(customer), today or today_in(workspace)
        ).rate
    plan_lines = tuple(
        PlanLine(
            ref=str(line.public_id),
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            billing_period=line.billing_period,
            discount_percent=line.discount_percent,
        )
        for line in lines
    )
    pq = PlanQuote(
        ref=str(quote.public_id),
        number=quote.number,
        currency=quote.currency,
        customer_name="",
        lines=plan_lines,
    )
    return stripe_limit_problems(pq, quantity_mode, vat)


def plan_quote(quote, snapshot: dict) -> PlanQuote:
    line_ids = [row["id"] for row in snapshot["lines"]]
    services = dict(
        QuoteLine.objects.filter(quote=quote, public_id__in=line_ids)
        .exclude(service=None)
        .values_list("public_id", "service__public_id")
    )
    names = dict(
        QuoteLine.objects.filter(quote=quote, public_id__in=line_ids)
        .exclude(service=None)
        .values_list("public_id", "service__name")
    )
    lines = []
    for row in snapshot["lines"]:
        from uuid import UUID

        line_uuid = UUID(row["id"])
        service = row.get("service_id") or (
            str(services[line_uuid]) if line_uuid in services else None
        )
        lines.append(
            PlanLine(
                ref=row["id"],
                description=row["description"],
                quantity=Decimal(row["quantity"]),
                unit=row["unit"],
                unit_price=Decimal(row["unit_price"]),
                billing_period=row["billing_period"],
                discount_percent=Decimal(row["discount_percent"])
                if row.get("discount_percent")
                else None,
                service_ref=service,
                service_name=row.get("service_name") or names.get(line_uuid, ""),
            )
        )
    return PlanQuote(
        ref=str(quote.public_id),
        number=snapshot["number"],
        currency=snapshot["currency"],
        customer_name=quote.customer.company_name,
        lines=tuple(lines),
        accepted=quote.status == QuoteStatus.ACCEPTED,
    )


def plan_customer(customer) -> PlanCustomer:
    return PlanCustomer(
        ref=str(customer.public_id),
        name=customer.company_name,
        email=customer.email,
        contact_name=customer.contact_name,
        phone=customer.phone,
        line1=customer.street,
        line2=customer.street2,
        postal_code=customer.postal_code,
        city=customer.city,
        state=customer.state,
        country=customer.country.code or "",
        tax_id_type=customer.tax_id_type,
        tax_id=customer.tax_id,
        language=customer.language,
        collection_method=customer.collection_method,
        days_until_due=customer.days_until_due,
    )


def plan_settings(workspace, customer, *, send_now: bool, today: date) -> PlanSettings:
    prefs, _created = PushSettings.objects.get_or_create(workspace=workspace)
    decision = decide_tax(party(workspace), customer_party(customer), today)
    return PlanSettings(
        workspace_ref=str(workspace.public_id),
        stripe_tax=prefs.stripe_tax,
        quantity_mode=prefs.quantity_mode,
        skip_below_minimum=prefs.skip_below_minimum,
        show_zero_quantity_lines=prefs.show_zero_quantity_lines,
        send_now=send_now,
        tax_treatment=str(decision.treatment),
        tax_rate_percent=decision.rate,
        tax_country=decision.rate_country,
        mspercury_vat=prefs.mspercury_vat,
        supplier_country=workspace.country.code or "",
        supplier_tax_id=workspace.tax_id,
        particulars=invoice_particulars(workspace, customer),
    )


def invoice_particulars(workspace, customer) -> tuple[str, ...]:
    """The workspace's company particulars for the invoice footer, in the customer's language;
    none while the settings hold none, so the footer stays our reference and the VAT wording."""
    if not has_particulars(workspace):
        return ()
    with translation.override(document_language(customer.language)):
        return tuple(particulars_lines(workspace))


def known_stripe(
    connection: StripeConnection, quote, product_keys, tax_rate_id=None, tax_rate_keys=()
) -> KnownStripe:
    """The Stripe ids we already hold for this quote's customer and for these product keys."""
    maps = StripeObjectMap.objects.filter(
        account_ref=connection.account_ref, mode=connection.mode, workspace=connection.workspace
    )
    customer_map = maps.filter(
        kind=StripeObjectMap.Kind.CUSTOMER, local_ref=str(quote.customer.public_id)
    ).first()
    products = dict(
        maps.filter(
            kind=StripeObjectMap.Kind.PRODUCT, local_ref__in=sorted(product_keys)
        ).values_list("local_ref", "stripe_id")
    )
    tax_rates = dict(
        maps.filter(
            kind=StripeObjectMap.Kind.TAX_RATE, local_ref__in=sorted(tax_rate_keys)
        ).values_list("local_ref", "stripe_id")
    )
    return KnownStripe(
        customer_id=customer_map.stripe_id if customer_map else None,
        customer_currency=(customer_map.currency or None) if customer_map else None,
        product_ids=products,
        tax_rate_id=tax_rate_id,
        tax_rate_ids=tax_rates,
    )


def vies_problems(quote, settings: PlanSettings) -> list[Problem]:
    """What VIES's word on the customer's VAT ID means for the push.

    Blocking: VIES called the ID invalid while the push would still bill reverse charge (the
    customer accepted a reverse-charge document, or Stripe Tax would read the ID and apply it):
    0 % VAT needs a valid ID (Art. 196 and 226(11a) VAT Directive). A warning: reverse charge
    whose ID VIES has not confirmed yet."""
    state = describe(quote.customer)
    if state is None:
        return []
    if state.status == VatIdStatus.INVALID:
        accepted = latest_acceptance(quote)
        accepted_tax = (accepted.snapshot.get("tax") or {}) if accepted else {}
        accepted_treatment = accepted_tax.get("treatment", "")
        if accepted_treatment == TaxTreatment.REVERSE_CHARGE or settings.stripe_tax:
            return [Problem("vat_id_invalid", _invalid_message(quote, state))]
        return []
    if awaiting_vies(settings.tax_treatment, state.status):
        return [
            Problem(
                "vat_id_pending",
                _(
                    "Reverse charge pending VIES confirmation: VIES has not confirmed the VAT "
                    "ID %(id)s yet. The push checks it once more before it bills."
                )
                % {"id": state.vat_id},
                blocking=False,
            )
        ]
    return []


def _invalid_message(quote, state) -> str:
    answer = state.last_answer
    when = local_moment(quote.workspace, answer.checked_at) if answer else None
    checked = f"{formats.date_format(when, 'DATETIME_FORMAT')} {when.tzname()}" if when else "—"
    return _(
        "VIES says the customer's VAT ID %(id)s is invalid (checked %(when)s, consultation "
        "%(consultation)s). The quote bills reverse charge, which needs a valid VAT ID: "
        "correct the VAT ID on the customer page and check it again, or have the customer "
        "accept a revision with VAT. Nothing was sent to Stripe."
    ) % {
        "id": state.vat_id,
        "when": checked,
        "consultation": (answer.consultation_number if answer else "") or "—",
    }
