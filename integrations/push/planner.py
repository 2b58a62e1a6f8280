"""The push planner: from an accepted quote to the ordered Stripe operations. Pure.

No ORM, no settings, no clock, no network. The preview renders the plan; the executor executes
the same plan, step by step, each step with a stable key (for its idempotency key and its stored
result). Amounts are integer minor units from here on.

What a plan contains, in order:
1. ``customer``: find or create the Stripe customer, then sync its data and tax IDs.
2. ``product:<key>``: one Stripe product per catalog service (or ad-hoc line), reused later.
3. ``subscription:<interval>:<n>``: one subscription per non-empty interval (month, year), split
   in chunks of 20 items as Stripe requires; one-time lines ride on the first subscription's
   first invoice as ``add_invoice_items`` (20 at most per subscription).
4. For a quote with only one-time lines (or one-time lines left over after the subscriptions'
   ``add_invoice_items``): ``invoice:<n>`` with its ``invoice_item:<n>:<i>`` steps, then
   ``finalize:<n>`` and ``send:<n>`` when "Send now" is on.

Quantities: Stripe takes integers. Default (``exact``): an integral quantity whose amount divides
evenly is sent as is; anything else is billed as quantity 1 at the exact line amount, with the true
quantity and unit price in the description. ``round`` reproduces the old behaviour (quantity rounded
half up, unit price kept) and the preview lists the changed amounts.
"""

import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from integrations.push.tax_rates import InvoiceWording, TaxRateSpec, invoice_wording, tax_rate_spec
from mspercury.texts import Text, plural
from rules.money import MAXIMUM_MINOR_UNITS, MINIMUM_CHARGE, line_net, round_money, to_minor_units

ONE_TIME = "one_time"
MONTHLY = "monthly"
YEARLY = "yearly"
INTERVALS = {MONTHLY: "month", YEARLY: "year"}

MAX_SUBSCRIPTION_ITEMS = 20
MAX_ADD_INVOICE_ITEMS = 20
MAX_INVOICE_LINES = 250
MAX_FOOTER_LENGTH = 5000  # Stripe's limit on an invoice's footer

QUANTITY_EXACT = "exact"
QUANTITY_ROUND = "round"

STRIPE_LOCALES = {"de", "en", "fr", "it", "es", "nl", "pl"}


# ---------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class PlanLine:
    ref: str  # the quote line's public id
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    billing_period: str
    discount_percent: Decimal | None = None
    service_ref: str | None = None  # the catalog service's public id; None for ad-hoc lines
    service_name: str = ""


@dataclass(frozen=True)
class PlanQuote:
    ref: str  # public id
    number: str
    currency: str
    customer_name: str
    lines: tuple[PlanLine, ...]
    accepted: bool = True


@dataclass(frozen=True)
class PlanCustomer:
    ref: str  # public id
    name: str
    email: str
    contact_name: str = ""
    phone: str = ""
    line1: str = ""
    line2: str = ""
    postal_code: str = ""
    city: str = ""
    state: str = ""
    country: str = ""
    tax_id_type: str = "none"
    tax_id: str = ""
    language: str = "en"
    collection_method: str = "send_invoice"
    days_until_due: int = 14


@dataclass(frozen=True)
class PlanSettings:
    workspace_ref: str
    stripe_tax: bool = False
    quantity_mode: str = QUANTITY_EXACT
    skip_below_minimum: bool = False
    show_zero_quantity_lines: bool = False
    send_now: bool = False  # one-time-only invoices: finalize and send (else stay a draft)
    # The treatment rules.tax decided for this supply; without Stripe Tax we apply a matching
    # Stripe tax rate ourselves (the restricted key may only read tax rates).
    tax_treatment: str = "domestic"
    tax_rate_percent: Decimal = Decimal(0)
    tax_country: str = ""
    # MSPercury's VAT: find or create the Stripe tax rate for every treatment (0 % ones too),
    # put it on every item, and write the legal wording on the invoice (see tax_rates.py).
    mspercury_vat: bool = False
    tax_inclusive: bool = False
    supplier_country: str = ""
    supplier_tax_id: str = ""
    # The MSP's company particulars in the customer's language (mspercury.particulars): an
    # invoice is a business letter (§35a GmbHG, §37a HGB); they go into the invoice footer.
    particulars: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnownStripe:
    """What we already know in this Stripe account and mode."""

    customer_id: str | None = None
    customer_currency: str | None = None  # the currency the Stripe customer already bills in
    product_ids: dict[str, str] = field(default_factory=dict)  # product key -> prod_ id
    tax_rate_id: str | None = None  # an active exclusive Stripe tax rate matching the decision
    tax_rate_ids: dict[str, str] = field(default_factory=dict)  # TaxRateSpec.key -> txr_ id


# ---------------------------------------------------------------------------------------------
# Outputs


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    blocking: bool = True


@dataclass(frozen=True)
class Adjustment:
    code: str
    message: str


@dataclass(frozen=True)
class StripeLine:
    """One line as Stripe will bill it."""

    line_ref: str
    product_key: str
    description: str
    quantity: int
    unit_amount: int  # minor units
    period: str

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_amount


@dataclass(frozen=True)
class Operation:
    key: str  # stable step key, e.g. "subscription:month:1"
    kind: str  # customer | product | subscription | invoice | invoice_item | finalize | send
    label: Text  # shown in the reader's language (stored by the executor as a text)
    params: dict = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    lines: tuple[StripeLine, ...] = ()
    one_time_lines: tuple[StripeLine, ...] = ()


@dataclass(frozen=True)
class Count:
    """How many Stripe objects of one kind a push creates, and how many it reuses."""

    create: int = 0
    reuse: int = 0

    @property
    def total(self) -> int:
        return self.create + self.reuse


@dataclass
class Plan:
    operations: list[Operation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    currency: str = ""
    # The VAT rate the plan's tax rates add to every line; None when Stripe Tax computes it.
    vat_percent: Decimal | None = None

    @property
    def blocked(self) -> bool:
        return any(p.blocking for p in self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]

    def step(self, key: str) -> Operation:
        return next(op for op in self.operations if op.key == key)

    def of_kind(self, kind: str) -> list[Operation]:
        return [op for op in self.operations if op.kind == kind]

    @property
    def counts(self) -> dict[str, Count]:
        """What the push will create or reuse, per kind, as the preview shows it.

        Every inline ``price_data`` is a new (inactive) price at Stripe, and every subscription
        opens with its own first invoice."""
        customers = self.of_kind("customer")
        known_customers = sum(1 for op in customers if op.params.get("known_id"))
        products = self.of_kind("product")
        known_products = sum(1 for op in products if op.params.get("known_id"))
        subscriptions = self.of_kind("subscription")
        invoices = self.of_kind("invoice")
        prices = sum(len(op.lines) + len(op.one_time_lines) for op in subscriptions)
        prices += len(self.of_kind("invoice_item"))
        return {
            "customers": Count(len(customers) - known_customers, known_customers),
            "products": Count(len(products) - known_products, known_products),
            "prices": Count(prices),
            "subscriptions": Count(len(subscriptions)),
            "invoices": Count(len(subscriptions) + len(invoices)),
        }

    @property
    def stripe_total(self) -> int:
        """Everything the plan bills once (first invoices + one-time invoices), minor units."""
        total = 0
        for op in self.operations:
            total += sum(line.amount for line in op.lines)
            total += sum(line.amount for line in op.one_time_lines)
        return total


# ---------------------------------------------------------------------------------------------
# Planning


def product_key(line: PlanLine) -> str:
    return f"service:{line.service_ref}" if line.service_ref else f"line:{line.ref}"


def named_product_key(name: str) -> str:
    """A product that only carries a line's wording: the same wording reuses it."""
    return "named:" + hashlib.sha256(name.encode()).hexdigest()[:32]


def _fmt_qty(quantity: Decimal) -> str:
    """1.50 → "1.5", 100 → "100" (no exponent, no trailing zeros)."""
    return format(quantity.normalize(), "f")


def stripe_line(
    line: PlanLine, currency: str, mode: str
) -> tuple[StripeLine | None, list[Adjustment]]:
    """Convert one quote line to integer quantity × minor-unit price, saying what changed."""
    net = line_net(line.quantity, line.unit_price, line.discount_percent, currency)
    net_minor = to_minor_units(net, currency)
    if mode == QUANTITY_ROUND:
        return _rounded_line(line, currency, net_minor)
    quantity = line.quantity
    integral = quantity == quantity.to_integral_value()
    if integral and quantity > 0 and net_minor % int(quantity) == 0:
        unit_minor = net_minor // int(quantity)
        converted = StripeLine(
            line.ref,
            product_key(line),
            line.description,
            int(quantity),
            unit_minor,
            line.billing_period,
        )
        return converted, []
    return _fractional_line(line, currency, net_minor)


def _rounded_line(
    line: PlanLine, currency: str, net_minor: int
) -> tuple[StripeLine | None, list[Adjustment]]:
    """``round`` mode: the quantity rounded half up at the unit price, as pushes did before
    ``exact``; every amount this changes is listed for the preview."""
    adjustments: list[Adjustment] = []
    rounded = int(line.quantity.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    unit_net = line_net(Decimal(1), line.unit_price, line.discount_percent, currency)
    unit_minor = to_minor_units(unit_net, currency)
    if Decimal(rounded) != line.quantity or rounded * unit_minor != net_minor:
        adjustments.append(
            Adjustment(
                "quantity_rounded",
                _(
                    "“%(line)s”: quantity %(quantity)s rounded to %(rounded)s; "
                    "amount %(before)s → %(after)s"
                )
                % {
                    "line": line.description,
                    "quantity": _fmt_qty(line.quantity),
                    "rounded": rounded,
                    "before": _money(net_minor, currency),
                    "after": _money(rounded * unit_minor, currency),
                },
            )
        )
    if rounded == 0:
        adjustments.append(
            Adjustment(
                "line_skipped",
                _("“%(line)s” rounds to quantity 0: skipped") % {"line": line.description},
            )
        )
        return None, adjustments
    key = product_key(line)
    converted = StripeLine(
        line.ref, key, line.description, rounded, unit_minor, line.billing_period
    )
    return converted, adjustments


def _fractional_line(
    line: PlanLine, currency: str, net_minor: int
) -> tuple[StripeLine, list[Adjustment]]:
    """A fractional quantity (or a discount leaving fractions of a cent per unit) is billed once
    at the exact amount, the true quantity and unit price kept visible."""
    unit_price = round_money(line.unit_price, currency)
    detail = f"{_fmt_qty(line.quantity)} × {line.unit} à {unit_price} {currency}"
    if line.discount_percent:
        detail += f", −{_fmt_qty(Decimal(line.discount_percent))} %"
    adjustment = Adjustment(
        "fractional_quantity",
        _("“%(line)s”: billed as 1 × %(amount)s (%(detail)s)")
        % {"line": line.description, "amount": _money(net_minor, currency), "detail": detail},
    )
    # Invoice lines show the product's name, so such a line gets a product of its own that
    # carries the detail.
    name = f"{line.description} ({detail})"
    converted = StripeLine(
        line.ref, named_product_key(name), name, 1, net_minor, line.billing_period
    )
    return converted, [adjustment]


def _money(minor: int, currency: str) -> str:
    from rules.money import from_minor_units

    return f"{from_minor_units(minor, currency)} {currency}"


def _gross(lines, vat_percent: Decimal) -> int:
    """Minor units the lines come to with an exclusive tax rate applied line by line (as
    Stripe's tax rates round each line's tax)."""
    total = 0
    for line in lines:
        tax = (Decimal(line.amount) * vat_percent / 100).quantize(Decimal(1), ROUND_HALF_UP)
        total += line.amount + int(tax)
    return total


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def customer_payload(customer: PlanCustomer, settings: PlanSettings) -> dict:
    """What the Stripe customer should look like (used for create and for sync)."""
    payload: dict = {
        "name": customer.name,
        "email": customer.email,
        "metadata": {
            "mspercury_customer_id": customer.ref,
            "mspercury_workspace": settings.workspace_ref,
        },
    }
    if customer.phone:
        payload["phone"] = customer.phone
    address = {
        "line1": customer.line1,
        "line2": customer.line2,
        "postal_code": customer.postal_code,
        "city": customer.city,
        "state": customer.state,
        "country": customer.country,
    }
    address = {k: v for k, v in address.items() if v}
    if address:
        payload["address"] = address
    if customer.language in STRIPE_LOCALES:
        payload["preferred_locales"] = [customer.language]
    if not settings.stripe_tax:
        # Stripe prints "Reverse charge" on invoices of customers marked so.
        reverse = settings.tax_treatment == "reverse_charge"
        payload["tax_exempt"] = "reverse" if reverse else "none"
    return payload


def customer_tax_ids(customer: PlanCustomer) -> list[dict]:
    if customer.tax_id_type and customer.tax_id_type != "none" and customer.tax_id:
        return [{"type": customer.tax_id_type, "value": customer.tax_id}]
    return []


def _billing_params(customer: PlanCustomer) -> dict:
    params: dict = {"collection_method": customer.collection_method}
    if customer.collection_method == "send_invoice":
        params["days_until_due"] = int(customer.days_until_due)
    return params


def _metadata(quote: PlanQuote, settings: PlanSettings) -> dict:
    return {
        "mspercury_quote_id": quote.ref,
        "mspercury_quote_number": quote.number,
        "mspercury_workspace": settings.workspace_ref,
    }


def footer(quote: PlanQuote, language: str = "en") -> str:
    """The invoice footer in the customer's language (their invoices and Stripe's emails)."""
    with translation.override(language):
        return _("MSPercury reference: %(number)s") % {"number": quote.number}


@dataclass(frozen=True)
class _Taxes:
    """How the push's prices carry tax: Stripe Tax, MSPercury's own rate, or a rate found in
    the Stripe account."""

    stripe_tax: bool
    spec: TaxRateSpec | None  # MSPercury's VAT: the tax rate to find or create
    rates: list[str]  # default_tax_rates of every subscription and invoice
    wording: InvoiceWording | None  # the legal VAT wording on the invoices

    @property
    def price(self) -> dict:
        """Stripe Tax needs every inline price to say it excludes tax."""
        return {"tax_behavior": "exclusive"} if self.stripe_tax else {}

    @property
    def item(self) -> dict:
        """MSPercury's rate goes on every item itself, not only as the invoice's default."""
        return {"tax_rates": self.rates} if self.spec is not None else {}

    @property
    def depends_on(self) -> tuple[str, ...]:
        return (f"tax_rate:{self.spec.key}",) if self.spec is not None else ()


@dataclass(frozen=True)
class _Billing:
    """What every subscription and invoice of one push is written from."""

    quote: PlanQuote
    customer: PlanCustomer
    settings: PlanSettings
    taxes: _Taxes
    common: dict  # collection terms, metadata and default tax rates they all carry

    @property
    def currency(self) -> str:
        return self.quote.currency.lower()


def plan_push(
    quote: PlanQuote,
    customer: PlanCustomer,
    settings: PlanSettings,
    known: KnownStripe | None = None,
) -> Plan:
    """The Stripe operations that bill an accepted quote, in the order the module docstring
    gives, with the problems that block the push and what Stripe's rules changed."""
    known = known or KnownStripe()
    plan = Plan(
        currency=quote.currency.upper(),
        vat_percent=None if settings.stripe_tax else settings.tax_rate_percent,
    )
    plan.problems.extend(_readiness_problems(quote, customer, settings, known))
    taxes = _plan_taxes(plan, customer, settings, known)
    by_period = _lines_by_period(plan, quote, settings)
    all_lines = [line for lines in by_period.values() for line in lines]
    plan.problems.extend(_amount_problems(all_lines, plan.currency))

    plan.operations.append(_customer_operation(customer, settings, known))
    plan.operations.extend(_product_operations(quote, all_lines, settings, known))
    if taxes.spec is not None:
        plan.operations.append(_tax_rate_operation(taxes.spec, known))
    billing = _Billing(
        quote, customer, settings, taxes, _common_params(quote, customer, settings, taxes)
    )
    leftovers = _plan_subscriptions(plan, billing, by_period)
    _plan_leftover_invoice(plan, billing, leftovers)

    plan.problems.extend(_maximum_charge_problems(plan, settings))
    plan.problems.extend(_minimum_charge_problems(plan))
    return plan


def _readiness_problems(
    quote: PlanQuote, customer: PlanCustomer, settings: PlanSettings, known: KnownStripe
) -> list[Problem]:
    """What must be fixed about the quote, the customer or the settings before anything is sent."""
    problems = []
    currency = quote.currency.upper()
    if not quote.accepted:
        problems.append(Problem("not_accepted", _("Only accepted quotes can be pushed.")))
    if not customer.email:
        problems.append(Problem("customer_email_missing", _("Customer has no email address")))
    if known.customer_currency and known.customer_currency.upper() != currency:
        problems.append(
            Problem(
                "customer_currency",
                _(
                    "The Stripe customer already bills in %(existing)s; "
                    "Stripe cannot bill the same customer in %(currency)s."
                )
                % {"existing": known.customer_currency.upper(), "currency": currency},
            )
        )
    problems.extend(footer_problems(quote, customer, settings))
    if settings.stripe_tax and not customer.country:
        problems.append(
            Problem(
                "customer_location_missing",
                _("Stripe Tax needs the customer's country and address."),
            )
        )
    return problems


def _plan_taxes(
    plan: Plan, customer: PlanCustomer, settings: PlanSettings, known: KnownStripe
) -> _Taxes:
    """Decide which tax rates the prices carry; without Stripe Tax or MSPercury's VAT, a missing
    matching rate in the Stripe account blocks the push (invoices would go out without VAT)."""
    rates: list[str] = []
    spec = _mspercury_tax_rate(settings)
    if spec is not None:
        rates = [f"@tax_rate:{spec.key}"]
    elif not settings.stripe_tax and settings.tax_rate_percent > 0 and not settings.mspercury_vat:
        if known.tax_rate_id:
            rates = [known.tax_rate_id]
        else:
            plan.problems.append(
                Problem(
                    "tax_rate_missing",
                    _(
                        "No active %(percent)s %% tax rate (%(country)s, exclusive) exists in "
                        "Stripe, so invoices would go out without VAT. Create it in the Stripe "
                        "Dashboard (Product catalog → Tax rates) or turn on Stripe Tax."
                    )
                    % {
                        "percent": settings.tax_rate_percent,
                        "country": settings.tax_country or _("VAT"),
                    },
                )
            )
    return _Taxes(settings.stripe_tax, spec, rates, _wording(customer, settings))


def _lines_by_period(
    plan: Plan, quote: PlanQuote, settings: PlanSettings
) -> dict[str, list[StripeLine]]:
    """The quote's lines as Stripe will bill them, by billing period, noting what is skipped
    or changed on the way."""
    by_period: dict[str, list[StripeLine]] = {ONE_TIME: [], MONTHLY: [], YEARLY: []}
    for line in quote.lines:
        if line.quantity == 0 and not settings.show_zero_quantity_lines:
            plan.adjustments.append(
                Adjustment(
                    "zero_line_skipped",
                    _("“%(line)s” has quantity 0: skipped") % {"line": line.description},
                )
            )
            continue
        if line.billing_period not in by_period:
            plan.problems.append(
                Problem(
                    "bad_period",
                    _("“%(line)s”: unknown billing period") % {"line": line.description},
                )
            )
            continue
        if line.quantity == 0:
            by_period[line.billing_period].append(_zero_quantity_line(line, plan.currency))
            continue
        converted, adjustments = stripe_line(line, plan.currency, settings.quantity_mode)
        plan.adjustments.extend(adjustments)
        if converted is not None:
            by_period[line.billing_period].append(converted)
    return by_period


def _zero_quantity_line(line: PlanLine, currency: str) -> StripeLine:
    """A line the workspace shows at quantity 0: its unit price is kept for the invoice."""
    unit_net = line_net(Decimal(1), line.unit_price, line.discount_percent, currency)
    return StripeLine(
        line.ref,
        product_key(line),
        line.description,
        0,
        to_minor_units(unit_net, currency),
        line.billing_period,
    )


def _amount_problems(lines: list[StripeLine], currency: str) -> list[Problem]:
    """A push needs a billable line, and Stripe refuses any amount above its maximum."""
    problems = []
    if not lines:
        problems.append(Problem("no_lines", _("The quote has no billable lines.")))
    for line in lines:
        if line.unit_amount > MAXIMUM_MINOR_UNITS or line.amount > MAXIMUM_MINOR_UNITS:
            problems.append(
                Problem(
                    "amount_too_large",
                    _("“%(line)s”: %(amount)s is above Stripe's maximum of %(maximum)s per amount.")
                    % {
                        "line": line.description,
                        "amount": _money(line.amount, currency),
                        "maximum": _money(MAXIMUM_MINOR_UNITS, currency),
                    },
                )
            )
    return problems


def _customer_operation(
    customer: PlanCustomer, settings: PlanSettings, known: KnownStripe
) -> Operation:
    """Find or create the Stripe customer, then bring its data and tax IDs up to date."""
    return Operation(
        key="customer",
        kind="customer",
        label=Text(gettext_noop("Customer “%(name)s”"), name=customer.name),
        params={
            "payload": customer_payload(customer, settings),
            "tax_ids": customer_tax_ids(customer),
            "known_id": known.customer_id,
        },
    )


def _product_operations(
    quote: PlanQuote, lines: list[StripeLine], settings: PlanSettings, known: KnownStripe
) -> list[Operation]:
    """One Stripe product per catalog service or own line, found again by its key next time."""
    return [
        Operation(
            key=f"product:{key}",
            kind="product",
            label=Text(gettext_noop("Product “%(name)s”"), name=name),
            params={
                "name": name[:250],
                "metadata": {
                    "mspercury_product": key,
                    "mspercury_workspace": settings.workspace_ref,
                },
                "known_id": known.product_ids.get(key),
            },
        )
        for key, name in _product_names(quote, lines).items()
    ]


def _product_names(quote: PlanQuote, lines: list[StripeLine]) -> dict[str, str]:
    """Product key → name, in the order of first use: a catalog service's products carry the
    service's name, an ad-hoc or fractional line's own product its wording."""
    service_names = {
        product_key(line): line.service_name or line.description for line in quote.lines
    }
    names: dict[str, str] = {}
    for line in lines:
        if line.product_key not in names:
            own = line.product_key.startswith(("line:", "named:"))
            names[line.product_key] = (
                line.description if own else service_names.get(line.product_key, line.description)
            )
    return names


def _common_params(
    quote: PlanQuote, customer: PlanCustomer, settings: PlanSettings, taxes: _Taxes
) -> dict:
    """What every subscription and invoice carries: how the customer pays, whose quote it
    bills, and the default tax rates."""
    common = {
        **_billing_params(customer),
        "metadata": _metadata(quote, settings),
    }
    if taxes.rates:
        common["default_tax_rates"] = taxes.rates
    return common


def _plan_subscriptions(
    plan: Plan, billing: _Billing, by_period: dict[str, list[StripeLine]]
) -> list[StripeLine]:
    """One subscription per interval and chunk of 20 items, the one-time lines riding on their
    first invoices (20 per subscription); returns the one-time lines that found no place."""
    riders = _chunks(by_period[ONE_TIME], MAX_ADD_INVOICE_ITEMS)
    for period in (MONTHLY, YEARLY):
        lines = by_period[period]
        chunks = _chunks(lines, MAX_SUBSCRIPTION_ITEMS)
        if len(chunks) > 1:
            plan.adjustments.append(_split_adjustment(period, len(lines), len(chunks)))
        for n, chunk in enumerate(chunks, start=1):
            on_first_invoice = riders.pop(0) if riders else []
            plan.operations.append(
                _subscription_operation(billing, period, n, len(chunks), chunk, on_first_invoice)
            )
    return [line for chunk in riders for line in chunk]


def _split_adjustment(period: str, count: int, parts: int) -> Adjustment:
    """Stripe takes 20 items per subscription, so more lines of one interval make several."""
    message = (
        _(
            "%(count)s monthly lines: split into %(parts)s subscriptions "
            "(Stripe allows %(max)s items per subscription)"
        )
        if period == MONTHLY
        else _(
            "%(count)s yearly lines: split into %(parts)s subscriptions "
            "(Stripe allows %(max)s items per subscription)"
        )
    )
    return Adjustment(
        "subscription_split",
        message % {"count": count, "parts": parts, "max": MAX_SUBSCRIPTION_ITEMS},
    )


def _subscription_operation(
    billing: _Billing,
    period: str,
    n: int,
    of: int,
    lines: list[StripeLine],
    riders: list[StripeLine],
) -> Operation:
    """The subscription for the ``n``th of ``of`` chunks of an interval's lines, with the
    one-time lines its first invoice adds."""
    interval = INTERVALS[period]
    params = {
        "customer": "@customer",
        "items": [_item(billing, line, interval) for line in lines],
        "description": _subscription_description(billing.quote, period, n, of),
        "invoice_settings": _invoice_settings(
            billing.quote, billing.customer, billing.taxes.wording, billing.settings.particulars
        ),
        **billing.common,
    }
    if riders:
        params["add_invoice_items"] = [_item(billing, line) for line in riders]
    if billing.settings.stripe_tax:
        params["automatic_tax"] = {"enabled": True}
    depends = (
        "customer",
        *sorted({f"product:{x.product_key}" for x in lines + riders}),
        *billing.taxes.depends_on,
    )
    return Operation(
        key=f"subscription:{interval}:{n}",
        kind="subscription",
        label=_subscription_label(period, lines, riders),
        params=params,
        depends_on=depends,
        lines=tuple(lines),
        one_time_lines=tuple(riders),
    )


def _item(billing: _Billing, line: StripeLine, interval: str | None = None) -> dict:
    """A subscription item (recurring every ``interval``) or a first-invoice item, with its
    inline price."""
    price: dict = {
        "currency": billing.currency,
        "product": f"@product:{line.product_key}",
        "unit_amount": line.unit_amount,
    }
    if interval is not None:
        price["recurring"] = {"interval": interval}
    return {
        "price_data": price | billing.taxes.price,
        "quantity": line.quantity,
        "metadata": {"mspercury_line_id": line.line_ref},
        **billing.taxes.item,
    }


def _plan_leftover_invoice(plan: Plan, billing: _Billing, leftovers: list[StripeLine]) -> None:
    """One-time lines that found no subscription go on an invoice of their own."""
    if not leftovers:
        return
    if plan.of_kind("subscription"):
        plan.adjustments.append(
            Adjustment(
                "one_time_invoice",
                _(
                    "%(count)s one-time lines do not fit on the subscriptions' first "
                    "invoices (%(max)s each): they go on a separate invoice"
                )
                % {"count": len(leftovers), "max": MAX_ADD_INVOICE_ITEMS},
            )
        )
    _plan_invoice(plan, billing, leftovers)


def _maximum_charge_problems(plan: Plan, settings: PlanSettings) -> list[Problem]:
    """Each invoice is paid at once, so its total (with the VAT our tax rates add to every line)
    must stay within Stripe's maximum. A line already too large says enough."""
    if any(p.code == "amount_too_large" for p in plan.problems):
        return []
    problems = []
    vat = settings.tax_rate_percent if not settings.stripe_tax else Decimal(0)
    for op in plan.of_kind("subscription") + plan.of_kind("invoice"):
        first = _gross(op.lines, vat) + _gross(op.one_time_lines, vat)
        if first > MAXIMUM_MINOR_UNITS:
            problems.append(
                Problem(
                    "amount_too_large",
                    _(
                        "%(label)s: the invoice totals %(amount)s, above Stripe's maximum of "
                        "%(maximum)s per payment."
                    )
                    % {
                        "label": op.label,
                        "amount": _money(first, plan.currency),
                        "maximum": _money(MAXIMUM_MINOR_UNITS, plan.currency),
                    },
                )
            )
    return problems


def _minimum_charge_problems(plan: Plan) -> list[Problem]:
    """Stripe marks a first invoice below its minimum charge paid and credits the customer."""
    minimum = MINIMUM_CHARGE.get(plan.currency)
    if minimum is None:
        return []
    minimum_minor = to_minor_units(minimum, plan.currency)
    problems = []
    for op in plan.of_kind("subscription"):
        first = sum(x.amount for x in op.lines) + sum(x.amount for x in op.one_time_lines)
        if 0 < first < minimum_minor:
            problems.append(
                Problem(
                    "below_minimum",
                    _(
                        "%(label)s: first invoice %(amount)s is below Stripe's minimum "
                        "charge of %(minimum)s %(currency)s; Stripe marks it paid and "
                        "credits the customer's balance."
                    )
                    % {
                        "label": op.label,
                        "amount": _money(first, plan.currency),
                        "minimum": minimum,
                        "currency": plan.currency,
                    },
                    blocking=False,
                )
            )
    return problems


def _plan_invoice(plan: Plan, billing: _Billing, lines: list[StripeLine]) -> None:
    """The one-time invoice: a draft, its items, then finalize and send when "Send now" is on."""
    if len(lines) > MAX_INVOICE_LINES:
        plan.problems.append(
            Problem(
                "too_many_lines",
                _("%(count)s lines on one invoice: Stripe allows at most %(max)s.")
                % {"count": len(lines), "max": MAX_INVOICE_LINES},
            )
        )
    if _below_minimum_skipped(plan, billing.settings, lines):
        return
    plan.operations.append(_invoice_operation(billing, lines))
    plan.operations.extend(
        _invoice_item_operation(billing, i, line) for i, line in enumerate(lines, start=1)
    )
    if billing.settings.send_now:
        plan.operations.extend(_send_operations(billing))


def _below_minimum_skipped(plan: Plan, settings: PlanSettings, lines: list[StripeLine]) -> bool:
    """Warn of a one-time invoice below Stripe's minimum charge; True when the workspace chose
    to skip such invoices."""
    currency = plan.currency
    total = sum(line.amount for line in lines)
    minimum = MINIMUM_CHARGE.get(currency)
    if minimum is None or total >= to_minor_units(minimum, currency):
        return False
    skip = settings.skip_below_minimum
    plan.problems.append(
        Problem(
            "below_minimum",
            (
                _(
                    "The one-time invoice totals %(amount)s, below Stripe's minimum charge "
                    "of %(minimum)s %(currency)s; it is skipped as the workspace chose."
                )
                if skip
                else _(
                    "The one-time invoice totals %(amount)s, below Stripe's minimum charge "
                    "of %(minimum)s %(currency)s; Stripe would mark it paid and credit the "
                    "customer's balance."
                )
            )
            % {"amount": _money(total, currency), "minimum": minimum, "currency": currency},
            blocking=False,
        )
    )
    if skip:
        plan.adjustments.append(
            Adjustment("invoice_skipped", _("The one-time invoice is below the minimum: skipped"))
        )
    return skip


def _invoice_operation(billing: _Billing, lines: list[StripeLine]) -> Operation:
    """The one-time invoice's draft, which its items are added to."""
    wording = billing.taxes.wording
    params = {
        "customer": "@customer",
        # Never auto-advance a draft still being filled: Stripe would finalize it an hour later,
        # with whatever items it has by then. "Send now" finalizes it once complete.
        "auto_advance": False,
        "pending_invoice_items_behavior": "exclude",
        "footer": _footer(
            billing.quote, billing.customer.language, wording, billing.settings.particulars
        ),
        "description": f"{billing.quote.number} · {billing.quote.customer_name}",
        "currency": billing.currency,
        **billing.common,
    }
    if wording is not None:
        params["custom_fields"] = list(wording.custom_fields)
    if billing.settings.stripe_tax:
        params["automatic_tax"] = {"enabled": True}
    return Operation(
        key="invoice:1",
        kind="invoice",
        label=plural(
            "Invoice with %(count)s one-time line",
            "Invoice with %(count)s one-time lines",
            len(lines),
        ),
        params=params,
        depends_on=("customer", *billing.taxes.depends_on),
        lines=tuple(lines),
    )


def _invoice_item_operation(billing: _Billing, i: int, line: StripeLine) -> Operation:
    """One line of the one-time invoice, added to its draft."""
    return Operation(
        key=f"invoice_item:1:{i}",
        kind="invoice_item",
        label=Text(gettext_noop("Invoice item “%(line)s”"), line=line.description),
        params={
            "customer": "@customer",
            "invoice": "@invoice:1",
            "price_data": {
                "currency": billing.currency,
                "product": f"@product:{line.product_key}",
                "unit_amount": line.unit_amount,
                **billing.taxes.price,
            },
            "quantity": line.quantity,
            "description": line.description,
            "metadata": {"mspercury_line_id": line.line_ref},
            **billing.taxes.item,
        },
        depends_on=(
            "customer",
            "invoice:1",
            f"product:{line.product_key}",
            *billing.taxes.depends_on,
        ),
    )


def _send_operations(billing: _Billing) -> list[Operation]:
    """Finalize the complete draft, and email it when the customer pays by invoice."""
    operations = [
        Operation(
            key="finalize:1",
            kind="finalize",
            label=Text(gettext_noop("Finalize the invoice")),
            params={"invoice": "@invoice:1", "auto_advance": True},
            depends_on=("invoice:1",),
        )
    ]
    if billing.common.get("collection_method") == "send_invoice":
        operations.append(
            Operation(
                key="send:1",
                kind="send",
                label=Text(gettext_noop("Email the invoice to the customer")),
                params={"invoice": "@invoice:1"},
                depends_on=("finalize:1",),
            )
        )
    return operations


def _mspercury_tax_rate(settings: PlanSettings) -> TaxRateSpec | None:
    if settings.stripe_tax or not settings.mspercury_vat:
        return None
    return tax_rate_spec(
        settings.tax_treatment,
        settings.tax_rate_percent,
        settings.tax_country,
        settings.tax_inclusive,
    )


def _tax_rate_operation(spec: TaxRateSpec, known: KnownStripe) -> Operation:
    return Operation(
        key=f"tax_rate:{spec.key}",
        kind="tax_rate",
        label=Text(
            gettext_noop("Tax rate %(name)s %(percent)s %%"),
            name=spec.create_params()["display_name"],
            percent=str(spec.percent),
        ),
        params={**spec.create_params(), "known_id": known.tax_rate_ids.get(spec.key)},
    )


def _wording(customer: PlanCustomer, settings: PlanSettings) -> InvoiceWording | None:
    if settings.stripe_tax or not settings.mspercury_vat:
        return None
    return invoice_wording(
        settings.tax_treatment,
        customer.language,
        settings.supplier_country,
        settings.supplier_tax_id,
        customer.tax_id,
    )


def _footer(
    quote: PlanQuote,
    language: str,
    wording: InvoiceWording | None,
    particulars: tuple[str, ...] = (),
) -> str:
    """Our reference, the company particulars, then the legal VAT wording. The wording stays
    last: a VAT re-check finds it there and replaces it (billing.recheck.rules.reword)."""
    parts = [footer(quote, language), "\n".join(particulars)]
    if wording is not None:
        parts.append(wording.footer)
    return "\n\n".join(part for part in parts if part)


def footer_problems(quote: PlanQuote, customer: PlanCustomer, settings: PlanSettings) -> list:
    """Stripe refuses an invoice footer longer than 5,000 characters."""
    wording = _wording(customer, settings)
    length = len(_footer(quote, customer.language, wording, settings.particulars))
    if length <= MAX_FOOTER_LENGTH:
        return []
    return [
        Problem(
            "footer_too_long",
            _(
                "The invoice footer (company particulars and VAT wording) has %(count)s "
                "characters; Stripe allows %(max)s. Shorten the particulars in Settings → "
                "Workspace."
            )
            % {"count": length, "max": MAX_FOOTER_LENGTH},
        )
    ]


def _invoice_settings(
    quote, customer: PlanCustomer, wording: InvoiceWording | None, particulars=()
) -> dict:
    result: dict = {"footer": _footer(quote, customer.language, wording, particulars)}
    if wording is not None:
        result["custom_fields"] = list(wording.custom_fields)
    return result


def _subscription_description(quote: PlanQuote, period: str, n: int, of: int) -> str:
    what = "Monthly services" if period == MONTHLY else "Yearly services"
    part = f" (part {n} of {of})" if of > 1 else ""
    return f"{what} for {quote.customer_name} · {quote.number}{part}"[:500]


def _subscription_label(period: str, lines: list, riders: list) -> Text:
    if period == MONTHLY:
        recurring = Text(gettext_noop("%(count)s× monthly recurring"), count=len(lines))
    else:
        recurring = Text(gettext_noop("%(count)s× yearly recurring"), count=len(lines))
    if not riders:
        return recurring
    first = Text(gettext_noop("%(count)s× one-time on first invoice"), count=len(riders))
    return Text(gettext_noop("%(recurring)s + %(riders)s"), recurring=recurring, riders=first)


# Problems no setting or customer data can fix: the quote itself must change.
LIMIT_CODES = frozenset({"amount_too_large", "too_many_lines"})


def stripe_limit_problems(
    quote: PlanQuote, quantity_mode: str = QUANTITY_EXACT, tax_rate_percent: Decimal = Decimal(0)
) -> list[Problem]:
    """The Stripe limits (per amount, per invoice with its VAT, lines per invoice) a quote's
    lines break. The same plan the push makes, so the editor and the share page warn by the
    preview's rule."""
    plan = plan_push(
        quote,
        PlanCustomer(ref="", name=quote.customer_name, email="limits@example.invalid"),
        PlanSettings(
            workspace_ref="", quantity_mode=quantity_mode, tax_rate_percent=tax_rate_percent
        ),
    )
    return [p for p in plan.problems if p.code in LIMIT_CODES]


def resolve(value, results: dict[str, str]):
    """Replace "@step" references in params with the Stripe ids those steps produced."""
    if isinstance(value, str) and value.startswith("@"):
        return results[value[1:]]
    if isinstance(value, dict):
        return {k: resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, results) for v in value]
    return value
