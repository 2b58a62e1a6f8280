"""The German interface: language choice, translated pages, localized numbers and dates, and a
complete, well-formed locale/de/LC_MESSAGES/django.po (compiled by the session fixture in
tests/conftest.py, as scripts/setup.sh does, since .mo files are not committed)."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.template import engines
from django.utils import translation

from billing.taxids import TaxIdError, TaxIdType, expected_format, normalize_tax_id
from integrations.push.planner import PlanCustomer, PlanLine, PlanQuote, PlanSettings, plan_push
from quotes import actions
from quotes.models import Service
from quotes.templatetags.quote_money import amount, money

PO_FILE = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"
GERMAN_NAV = ["Übersicht", "Kunden", "Angebote", "Rechnungen", "Katalog", "Einstellungen"]
ENGLISH_NAV = ["Dashboard", "Customers", "Quotes", "Invoices", "Catalog", "Settings"]


def _choose_german(client):
    return client.post("/settings/profile/", {"full_name": "Alice Owner", "language": "de"})


def _nav(html: str) -> str:
    return re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)


def test_it_sets_the_language_cookie_when_german_is_chosen(client_for, alice):
    """Saving the profile with German stores it on the user and sets the language cookie."""
    response = _choose_german(client_for(alice))
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    alice.refresh_from_db()
    assert alice.language == "de"


def test_it_shows_german_navigation_on_the_dashboard(client_for, alice):
    """After choosing German the dashboard's navigation and html lang are German."""
    client = client_for(alice)
    _choose_german(client)
    html = client.get("/").content.decode()
    assert '<html lang="de">' in html
    nav = _nav(html)
    for label in GERMAN_NAV:
        assert f">{label}</a>" in nav
    for label in ENGLISH_NAV[1:]:
        assert f">{label}</a>" not in nav
    assert "Abmelden" in html


def test_it_shows_german_settings_pages(client_for, alice):
    """Profile and workspace settings render in German, including the saved message."""
    client = client_for(alice)
    profile = client.get(_choose_german(client).url).content.decode()
    assert "Profil gespeichert." in profile
    assert "<h1>Profil & Sprache</h1>" in profile
    assert ">Sprache:</label>" in profile
    workspace = client.get("/settings/workspace/").content.decode()
    assert "Einstellungen des Arbeitsbereichs" in workspace
    assert "Diese Angaben erscheinen auf Ihren Angeboten und Rechnungen." in workspace
    assert ">Einstellungen</a>" in _nav(workspace)


def test_it_keeps_english_for_users_who_did_not_choose_german(client_for, bob):
    """The default language stays English."""
    html = client_for(bob).get("/").content.decode()
    assert '<html lang="en">' in html
    nav = _nav(html)
    for label in ENGLISH_NAV:
        assert f">{label}</a>" in nav
    assert "Kunden" not in nav


def test_it_shows_the_login_page_in_german_for_accept_language_de(client, db):
    """An anonymous visitor whose browser asks for German gets a German sign-in page."""
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="de">' in html
    assert "<h1>Anmelden</h1>" in html
    assert ">Passwort:</label>" in html
    assert "Neu hier?" in html
    assert "Arbeitsbereich erstellen" in html


def test_it_shows_the_login_page_in_english_for_accept_language_en(client, db):
    """English stays English."""
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "<h1>Sign in</h1>" in html
    assert "Anmelden" not in html


def test_it_formats_money_with_german_separators():
    """The money filters group thousands with "." and use "," for decimals in German."""
    with translation.override("de"):
        assert money(Decimal("1234.5"), "EUR") == "1.234,50 EUR"
        assert amount(Decimal("1234567.891"), "EUR") == "1.234.567,89"
        assert money(Decimal("1234"), "JPY") == "1.234 JPY"
    with translation.override("en"):
        assert money(Decimal("1234.5"), "EUR") == "1,234.50 EUR"


def test_it_shows_localized_prices_on_a_german_page(client_for, alice, alpha):
    """The catalog of a German user shows 1.234,50 EUR for a price of 1234.50."""
    Service.objects.create(workspace=alpha, name="Managed Backup", unit_price=Decimal("1234.50"))
    client = client_for(alice)
    _choose_german(client)
    html = client.get("/catalog/").content.decode()
    assert "1.234,50 EUR" in html
    assert "1,234.50" not in html


def test_it_keeps_german_nouns_capitalized_in_the_package_list(client_for, alice, alpha):
    """Quantity rules read "(Pro Arbeitsplatz)" in German and "(per workstation)" in English."""
    service = Service.objects.create(workspace=alpha, name="RMM agent", unit_price=Decimal("4.5"))
    package = actions.do_create_package(alpha, name="Managed Basic")
    actions.do_add_package_item(
        package, service=service, rule="per_workstation", quantity=Decimal(1)
    )
    client = client_for(alice)
    assert "RMM agent <small>(per workstation)</small>" in client.get("/catalog/").content.decode()
    _choose_german(client)
    assert "RMM agent <small>(Pro Arbeitsplatz)</small>" in client.get("/catalog/").content.decode()


def test_it_translates_tax_id_hints_and_errors():
    """Format hints and validation messages of tax IDs follow the active language."""
    with translation.override("de"):
        assert expected_format(TaxIdType.EU_VAT, "DE") == "DE + 9 Ziffern, z. B. DE136695976"
        assert expected_format(TaxIdType.EU_VAT, "") == "Ländercode + nationale Nummer"
        try:
            normalize_tax_id(TaxIdType.EU_VAT, "DE", "DE12345")
        except TaxIdError as exc:
            assert str(exc) == (
                "Diese DE-USt-IdNr. hat die falsche Länge. "
                "Erwartetes Format: DE + 9 Ziffern, z. B. DE136695976."
            )
        else:
            raise AssertionError("a short VAT ID must be rejected")
    assert expected_format(TaxIdType.EU_VAT, "DE") == "DE + 9 digits, e.g. DE136695976"


def test_it_translates_the_push_preview():
    """Operation labels, adjustments and problems of the push plan are shown in German."""
    hours = PlanLine(
        ref="l1",
        description="Vor-Ort-Einsatz",
        quantity=Decimal("1.5"),
        unit="hour",
        unit_price=Decimal("95.00"),
        billing_period="one_time",
        discount_percent=None,
        service_ref=None,
        service_name="",
    )
    rmm = PlanLine(
        ref="l2",
        description="RMM",
        quantity=Decimal("3"),
        unit="workstation",
        unit_price=Decimal("4.50"),
        billing_period="monthly",
        discount_percent=None,
        service_ref="s2",
        service_name="RMM",
    )
    quote = PlanQuote(
        ref="q", number="Q-2026-0001", currency="EUR", customer_name="ACME", lines=(hours, rmm)
    )
    customer = PlanCustomer(ref="c", name="ACME GmbH", email="", country="DE")
    with translation.override("de"):
        plan = plan_push(quote, customer, PlanSettings(workspace_ref="ws"))
        # Step labels are texts (mspercury.texts): they are read in the active language.
        customer_label = str(plan.step("customer").label)
        subscription_label = str(plan.of_kind("subscription")[0].label)
    assert [p.message for p in plan.problems] == ["Der Kunde hat keine E-Mail-Adresse"]
    assert customer_label == "Kunde „ACME GmbH“"
    assert subscription_label == "1× monatlich wiederkehrend + 1× einmalig auf der ersten Rechnung"
    assert plan.adjustments[0].message.startswith(
        "„Vor-Ort-Einsatz“: abgerechnet als 1 × 142.50 EUR"
    )


def test_it_formats_dates_in_german():
    """Date formats and month names follow the active language."""
    template = engines["django"].from_string(
        '{{ d|date:"SHORT_DATE_FORMAT" }} · {{ d|date:"F Y" }}'
    )
    with translation.override("de"):
        assert template.render({"d": date(2026, 3, 9)}) == "09.03.2026 · März 2026"
    with translation.override("en"):
        assert template.render({"d": date(2026, 3, 9)}) == "9 Mar 2026 · March 2026"


def test_it_loads_the_compiled_german_catalog():
    """The session fixture compiled django.po, so gettext finds the German strings."""
    assert PO_FILE.with_suffix(".mo").stat().st_mtime >= PO_FILE.stat().st_mtime
    with translation.override("de"):
        assert translation.gettext("Quotes") == "Angebote"
        assert translation.ngettext("%(n)s finding", "%(n)s findings", 3) == "%(n)s Befunde"


# -- the .po file --------------------------------------------------------------------------------


def _unquote(line: str) -> str:
    body = line.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def parse_po(text: str) -> list[dict]:
    """Entries as dicts: msgid, msgid_plural, msgstr (a list of forms) and flags."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry = {"msgid": None, "msgid_plural": None, "msgstr": [], "flags": set()}
        field = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if field == "msgstr":
                    entry["msgstr"][-1] += _unquote(line)
                else:
                    entry[field] += _unquote(line)
            else:
                keyword, _space, value = line.partition(" ")
                if keyword.startswith("msgstr"):
                    field = "msgstr"
                    entry["msgstr"].append(_unquote(value))
                else:
                    field = keyword
                    entry[field] = _unquote(value)
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_it_parses_plurals_and_continued_lines_of_po_files():
    """The small parser used below handles the shapes makemessages writes."""
    entries = parse_po(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n\n'
        '#, python-format\nmsgid "%(n)s item"\nmsgid_plural "%(n)s items"\n'
        'msgstr[0] "%(n)s Eintrag"\nmsgstr[1] ""\n"%(n)s Einträge"\n'
    )
    assert entries[0]["msgstr"] == ["Language: de\n"]
    assert entries[1]["msgstr"] == ["%(n)s Eintrag", "%(n)s Einträge"]
    assert entries[1]["flags"] == {"python-format"}
    assert placeholders("%(n)s of %(total)d, 19 %% and %s") == ["%%", "%(n)s", "%(total)d", "%s"]


def test_it_has_a_german_translation_for_every_msgid():
    """No empty msgstr (every plural form filled) and no fuzzy entry left in django.po."""
    header, *entries = parse_po(PO_FILE.read_text(encoding="utf-8"))
    assert header["msgid"] == "" and "Language: de" in header["msgstr"][0]
    assert "fuzzy" not in header["flags"]
    assert len(entries) > 1000
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"])]
    assert untranslated == []
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert fuzzy == []
    plurals = [e for e in entries if e["msgid_plural"] is not None]
    assert plurals and all(len(e["msgstr"]) == 2 for e in plurals)


def test_it_keeps_the_placeholders_in_every_translation():
    """Every translation keeps exactly the placeholders of its English original."""
    _header, *entries = parse_po(PO_FILE.read_text(encoding="utf-8"))
    mismatched = []
    for e in entries:
        for form, msgstr in enumerate(e["msgstr"]):
            source = e["msgid_plural"] if form and e["msgid_plural"] is not None else e["msgid"]
            if placeholders(source) != placeholders(msgstr):
                mismatched.append((e["msgid"], msgstr))
    assert mismatched == []
