"""The pure side of MSPercury's VAT: tax-rate keys and parameters, the invoice wording, and
where the plan puts them."""

from decimal import Decimal

import pytest

from integrations.push.planner import KnownStripe, PlanSettings, plan_push
from integrations.push.tax_rates import TaxRateSpec, invoice_wording, tax_rate_spec
from rules.wording import export_notice
from tests.integrations.push.test_planner import CUSTOMER, mixed_quote

D = Decimal


def vat(treatment="domestic", percent="19", country="DE", **extra) -> PlanSettings:
    return PlanSettings(
        workspace_ref="ws-1",
        tax_treatment=treatment,
        tax_rate_percent=D(percent),
        tax_country=country,
        mspercury_vat=True,
        supplier_country="DE",
        supplier_tax_id="DE136695976",
        **extra,
    )


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (("domestic", "19", "DE"), "DE:19:exclusive:domestic"),
        (("domestic", "19.00", "de"), "DE:19:exclusive:domestic"),
        (("domestic", "25.5", "FI"), "FI:25.5:exclusive:domestic"),
        (("domestic", "24", "EE"), "EE:24:exclusive:domestic"),
        (("domestic", "22", "EE"), "EE:22:exclusive:domestic"),
        (("eu_no_vat_id", "19", "DE"), "DE:19:exclusive:eu_no_vat_id"),
        (("reverse_charge", "0", "FR"), "FR:0:exclusive:reverse_charge"),
        (("export", "0", "US"), "US:0:exclusive:export"),
        (("domestic", "8.1", "CH", True), "CH:8.1:inclusive:domestic"),
    ],
)
def test_it_keys_a_tax_rate_by_country_rate_behaviour_and_treatment(args, key):
    """A rate change (EE 22 → 24 %) or another treatment is another key, hence a new TaxRate."""
    assert tax_rate_spec(*args).key == key


def test_it_needs_no_tax_rate_where_no_vat_is_calculated():
    """NOT_CALCULATED (US/CA MSPs) puts no tax rate on the invoice."""
    assert tax_rate_spec("not_calculated", D(0), "") is None


def test_it_creates_tax_rates_with_stripes_fields():
    """display_name, percentage, inclusive, country/jurisdiction and our key in metadata; XI is
    no ISO country for Stripe and only names the jurisdiction."""
    params = TaxRateSpec("DE", D("19"), False, "domestic").create_params()
    assert params == {
        "display_name": "VAT",
        "percentage": D("19"),
        "inclusive": False,
        "tax_type": "vat",
        "description": "MSPercury DE:19:exclusive:domestic",
        "metadata": {"mspercury_tax_rate": "DE:19:exclusive:domestic"},
        "jurisdiction": "DE",
        "country": "DE",
    }
    xi = TaxRateSpec("XI", D("0"), False, "export").create_params()
    assert xi["jurisdiction"] == "XI" and "country" not in xi
    assert xi["display_name"] == "VAT (not taxable here)"


def test_the_plan_puts_the_tax_rate_on_every_item_and_invoice():
    """Subscription items, one-time riders and the subscriptions' defaults reference the step."""
    plan = plan_push(mixed_quote(), CUSTOMER, vat())
    (rate_op,) = plan.of_kind("tax_rate")
    assert rate_op.key == "tax_rate:DE:19:exclusive:domestic"
    assert rate_op.params["known_id"] is None
    ref = ["@tax_rate:DE:19:exclusive:domestic"]
    for op in plan.of_kind("subscription"):
        assert op.params["default_tax_rates"] == ref
        assert all(item["tax_rates"] == ref for item in op.params["items"])
        assert all(i["tax_rates"] == ref for i in op.params.get("add_invoice_items", []))
        assert rate_op.key in op.depends_on
    assert not any(p.code == "tax_rate_missing" for p in plan.problems)
    keys = [op.key for op in plan.operations]
    assert keys.index(rate_op.key) < keys.index(plan.of_kind("subscription")[0].key)


def test_the_plan_reuses_a_known_tax_rate():
    """A tax rate known from an earlier push is marked known (no Stripe call)."""
    known = KnownStripe(tax_rate_ids={"DE:19:exclusive:domestic": "txr_1"})
    (rate_op,) = plan_push(mixed_quote(), CUSTOMER, vat(), known).of_kind("tax_rate")
    assert rate_op.params["known_id"] == "txr_1"


def test_without_mspercury_vat_the_plan_keeps_the_own_rates_behaviour():
    """The "tax rates I created" mode still looks for an existing rate and makes none."""
    own = PlanSettings(workspace_ref="ws-1", tax_rate_percent=D("19"), tax_country="DE")
    plan = plan_push(mixed_quote(), CUSTOMER, own)
    assert plan.of_kind("tax_rate") == []
    assert any(p.code == "tax_rate_missing" for p in plan.problems)
    stripe_tax = PlanSettings(workspace_ref="ws-1", stripe_tax=True, mspercury_vat=True)
    assert plan_push(mixed_quote(), CUSTOMER, stripe_tax).of_kind("tax_rate") == []


def test_a_reverse_charge_plan_writes_the_notice_on_the_invoices():
    """Footer and custom fields of subscriptions carry the mention and both VAT IDs."""
    plan = plan_push(mixed_quote(), CUSTOMER, vat("reverse_charge", "0", "FR"))
    for op in plan.of_kind("subscription"):
        settings_ = op.params["invoice_settings"]
        assert settings_["footer"].startswith("MSPercury-Referenz: ")  # CUSTOMER reads German
        assert "Art. 196" in settings_["footer"]
        assert "§13b UStG" in settings_["footer"]
        values = [f["value"] for f in settings_["custom_fields"]]
        assert "DE136695976" in values and CUSTOMER.tax_id in values


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("de", "Steuerschuldnerschaft des Leistungsempfängers"),
        ("fr", "Autoliquidation"),
        ("it", "Inversione contabile"),
        ("es", "Inversión del sujeto pasivo"),
        ("nl", "Btw verlegd"),
        ("pl", "Odwrotne obciążenie"),
        ("pt", "Autoliquidação"),
        ("en", "Reverse charge"),
        ("sv", "Omvänd betalningsskyldighet"),
        ("el", "Αντίστροφη επιβάρυνση"),
        ("ja", "Reverse charge"),
    ],
)
def test_the_reverse_charge_wording_is_in_the_customers_language(language, title):
    """The official mention per language (English where we lack one), within Stripe's limits."""
    wording = invoice_wording("reverse_charge", language, "DE", "DE136695976", "FR40303265045")
    assert wording.footer.startswith(title)
    assert len(wording.custom_fields) == 3
    for field in wording.custom_fields:
        assert len(field["name"]) <= 40 and len(field["value"]) <= 140


@pytest.mark.parametrize("language", ["de", "en", "fr", "it", "es", "nl", "pl", "pt", "sv"])
def test_the_export_wording_is_in_the_customers_language(language):
    """One mention per language; a German MSP adds §3a UStG, others do not."""
    german = invoice_wording("export", language, "DE", "DE136695976", "")
    assert "§ 3a Abs. 2 UStG" in german.footer
    assert "§ 3a" not in export_notice(language, "AT")["body"]
    assert len(german.custom_fields) == 1 and len(german.custom_fields[0]["value"]) <= 140


@pytest.mark.parametrize("treatment", ["domestic", "eu_no_vat_id", "not_calculated"])
def test_taxed_invoices_need_no_mention(treatment):
    assert invoice_wording(treatment, "de", "DE", "DE1", "FR1") is None
