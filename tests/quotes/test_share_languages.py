"""The share page in the customer's language: French, Italian, Spanish, Dutch and Polish
customers read the share flow (quote, acceptance, errors, link and quote states) in their own
language while the staff interface keeps negotiating English and German only; the catalogs of
those languages hold exactly the share flow's strings, all translated, placeholders intact."""

import ast
import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation.template import templatize
from django_countries import countries

from billing.models import ExternalStatus, PaymentStatus, StripeInvoice
from customers.models import Customer
from mspercury.languages import document_language
from mspercury.models import DOCUMENT_LANGUAGES
from quotes import actions, pdf, sharing
from quotes.documents import quote_snapshot
from quotes.models import BillingPeriod, QuoteAcceptance, QuoteStatus, Unit
from quotes.summary import TREATMENT_LABELS, TREATMENT_NOTES
from quotes.views import share as share_views
from tests.mspercury.test_i18n import parse_po, placeholders
from tests.pdf.helpers import pdf_text
from tests.quotes.share_helpers import accept_data, add_priced_lines, page_url, share

LOCALE = Path(settings.BASE_DIR) / "locale"
TEMPLATES = Path(settings.BASE_DIR) / "templates"

# What each language must show; "workstation" is the unit of the RMM line, "germany" the
# country of the customer's address (django-countries' own catalogs).
EXPECTED = {
    "fr": {
        "accept": "Accepter le devis",
        "consent": "J’accepte ce devis au nom du client désigné ci-dessus",
        "decline": "Refuser le devis",
        "workstation": "Poste de travail",
        "germany": "Allemagne",
        "no_consent": "Cochez la case pour accepter le devis.",
        "link_expired": ("Lien expiré", "Ce lien a expiré."),
        "link_revoked": "Lien retiré",
        "accepted": "Merci — le devis est accepté",
        "declined": "Devis refusé",
        "limited": "Trop de requêtes",
    },
    "it": {
        "accept": "Accetta il preventivo",
        "consent": "Accetto il presente preventivo per conto del cliente sopra indicato",
        "decline": "Rifiuta il preventivo",
        "workstation": "Postazione di lavoro",
        "germany": "Germania",
        "no_consent": "Selezioni la casella per accettare il preventivo.",
        "link_expired": ("Link scaduto", "Questo link è scaduto."),
        "link_revoked": "Link ritirato",
        "accepted": "Grazie — il preventivo è stato accettato",
        "declined": "Preventivo rifiutato",
        "limited": "Troppe richieste",
    },
    "es": {
        "accept": "Aceptar presupuesto",
        "consent": "Acepto este presupuesto en nombre del cliente indicado arriba",
        "decline": "Rechazar presupuesto",
        "workstation": "Puesto de trabajo",
        "germany": "Alemania",
        "no_consent": "Marque la casilla para aceptar el presupuesto.",
        "link_expired": ("Enlace caducado", "Este enlace ha caducado."),
        "link_revoked": "Enlace retirado",
        "accepted": "Gracias — el presupuesto ha sido aceptado",
        "declined": "Presupuesto rechazado",
        "limited": "Demasiadas solicitudes",
    },
    "nl": {
        "accept": "Offerte accepteren",
        "consent": "Ik accepteer deze offerte namens de hierboven genoemde klant",
        "decline": "Offerte afwijzen",
        "workstation": "Werkplek",
        "germany": "Duitsland",
        "no_consent": "Vink het vakje aan om de offerte te accepteren.",
        "link_expired": ("Link verlopen", "Deze link is verlopen."),
        "link_revoked": "Link ingetrokken",
        "accepted": "Hartelijk dank — de offerte is geaccepteerd",
        "declined": "Offerte afgewezen",
        "limited": "Te veel verzoeken",
    },
    "pl": {
        "accept": "Zaakceptuj ofertę",
        "consent": "Akceptuję niniejszą ofertę w imieniu wskazanego powyżej klienta",
        "decline": "Odrzuć ofertę",
        "workstation": "Stanowisko robocze",
        "germany": "Niemcy",
        "no_consent": "Prosimy zaznaczyć pole, aby zaakceptować ofertę.",
        "link_expired": ("Link wygasł", "Ten link wygasł."),
        "link_revoked": "Link wycofany",
        "accepted": "Dziękujemy — oferta została zaakceptowana",
        "declined": "Oferta odrzucona",
        "limited": "Zbyt wiele żądań",
    },
}
LANGUAGES = sorted(EXPECTED)
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "it": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "nl": "nplurals=2; plural=(n != 1);",
    "pl": (
        "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
    ),
}
ENGLISH = ["Accept quote", "Decline quote", "Your full name", "Workstation", "Sent with MSPercury"]
# Any browser language: the customer's language wins on the share page.
BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


@pytest.fixture
def anonymous():
    return Client(**BROWSER)


@pytest.fixture
def quote_for(alpha, alice, rmm, setup_fee):
    """A priced quote for a new German-based customer who reads ``language``."""

    def _make(language):
        customer = Customer.objects.create(
            workspace=alpha, company_name=f"Client {language}", country="DE", language=language
        )
        quote = actions.do_create_quote(alpha, customer, user=alice)
        return add_priced_lines(quote, rmm, setup_fee)

    return _make


def _page(response) -> str:
    return unescape(response.content.decode())


# The pages


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_shows_the_share_page_in_the_customers_language(anonymous, quote_for, language):
    """Accept button, consent text, decline, units and country in the customer's language,
    <html lang> and Content-Language say so, and no English label is left."""
    expected = EXPECTED[language]
    _, token = share(quote_for(language))
    response = anonymous.get(page_url(token))
    assert response.status_code == 200
    assert response["Content-Language"] == language
    html = _page(response)
    assert f'<html lang="{language}">' in html
    for key in ("accept", "consent", "decline", "workstation", "germany"):
        assert expected[key] in html, key
    for english in ENGLISH:
        assert english not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_shows_form_errors_in_the_customers_language(anonymous, quote_for, language):
    """Accepting without ticking the consent box: the error speaks the customer's language."""
    quote = quote_for(language)
    _, token = share(quote)
    html = _page(anonymous.get(page_url(token)))
    response = anonymous.post(page_url(token, "accept"), accept_data(html, consent=None))
    assert response.status_code == 400
    assert EXPECTED[language]["no_consent"] in _page(response)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_shows_an_expired_link_in_the_customers_language(anonymous, quote_for, language):
    """An expired link: 410 with the title and explanation in the customer's language."""
    _, token = share(quote_for(language), expires_at=timezone.now() + timedelta(days=7))
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = anonymous.get(page_url(token))
    assert response.status_code == 410
    html = _page(response)
    assert f'<html lang="{language}">' in html
    title, text = EXPECTED[language]["link_expired"]
    assert f"<h1>{title}</h1>" in html and text in html
    assert "Link expired" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_accepts_in_the_customers_language_and_renders_the_pdfs(
    anonymous, quote_for, language, django_capture_on_commit_callbacks
):
    """Accepting: the thank-you page in the customer's language; the quote PDF and the agreement
    are whole documents in that language too, rendered and downloadable."""
    quote = quote_for(language)
    _, token = share(quote)
    html = _page(anonymous.get(page_url(token)))
    with django_capture_on_commit_callbacks(execute=True):
        response = anonymous.post(page_url(token, "accept"), accept_data(html))
    assert response.status_code == 302
    accepted = _page(anonymous.get(page_url(token, "accepted")))
    assert EXPECTED[language]["accepted"] in accepted
    assert f'<html lang="{language}">' in accepted
    for action in ("pdf", "agreement"):
        response = anonymous.get(page_url(token, action))
        assert response["Content-Type"] == "application/pdf", action
        text = pdf_text(response.content)
        with translation.override(language):
            germany = str(countries.name("DE"))
        assert quote.number in text and germany in text


def test_it_shows_revoked_declined_and_rate_limited_pages_in_the_customers_language(
    anonymous, quote_for, monkeypatch
):
    """Revoked link, declined quote and the per-link rate limit speak the customer's language."""
    link, token = share(quote_for("it"))
    assert sharing.do_revoke_share_link(link)
    assert EXPECTED["it"]["link_revoked"] in _page(anonymous.get(page_url(token)))

    _, token = share(quote_for("nl"))
    assert anonymous.post(page_url(token, "decline"), {"reason": ""}).status_code == 302
    assert EXPECTED["nl"]["declined"] in _page(anonymous.get(page_url(token)))

    monkeypatch.setattr(share_views, "RATE_PER_LINK", (1, 600))
    _, token = share(quote_for("pl"))
    assert anonymous.get(page_url(token)).status_code == 200
    response = anonymous.get(page_url(token))
    assert response.status_code == 429
    assert EXPECTED["pl"]["limited"] in _page(response)


def test_it_leaves_the_staff_interface_in_english(anonymous, client_for, bob, quote_for):
    """After a French share page, an English user's dashboard and a French browser's sign-in
    page stay English: the staff interface negotiates only English and German."""
    _, token = share(quote_for("fr"))
    assert '<html lang="fr">' in _page(anonymous.get(page_url(token)))
    staff = client_for(bob)
    html = _page(staff.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9"))
    assert '<html lang="en">' in html
    assert ">Dashboard</a>" in html and ">Customers</a>" in html
    login = _page(Client().get("/login/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9"))
    assert '<html lang="en">' in login and "<h1>Sign in</h1>" in login
    assert [code for code, _name in settings.LANGUAGES] == ["en", "de"]


def test_it_picks_the_document_language_from_the_setting(alpha, quote_for):
    """The document languages are the customer's choices; others fall back to English, and a
    quote's snapshot (so its PDF) carries the customer's language."""
    codes = [code for code, _name in DOCUMENT_LANGUAGES]
    assert sorted(settings.MSPERCURY_DOCUMENT_LANGUAGES) == sorted(codes)
    assert [document_language(code) for code in codes] == codes
    assert len(codes) == 24 and document_language("ja") == "en"
    assert quote_snapshot(quote_for("pl"))["language"] == "pl"


# The catalogs


def _template_msgids(path: Path, seen: set) -> set:
    """The msgids of a template and of the templates it includes or extends (not base.html,
    whose page shell the share pages replace)."""
    if path in seen:
        return set()
    seen.add(path)
    source = path.read_text(encoding="utf-8")
    found = {
        ast.literal_eval(literal)
        for literal in re.findall(
            r"gettext\((u'(?:[^'\\]|\\.)*'|u\"(?:[^\"\\]|\\.)*\")\)", templatize(source)
        )
    }
    for name in re.findall(r'{%\s*(?:include|extends)\s+"([^"]+)"', source):
        if name != "base.html":
            found |= _template_msgids(TEMPLATES / name, seen)
    return found


# quotes.pdf.tax_line_label
PDF_TAX_LINES = (
    "VAT 0 % (reverse charge)",
    "VAT 0 % (not taxable here: place of supply abroad)",
    "Sales tax not included",
    "VAT %(rate)s %%",
)


# The e-invoice the customer gets (billing/einvoice: its PDF, BT-20, BT-82 and the credit
# notes' reasons and terms): contextual labels ("e-invoice") and plain texts.
EINVOICE_CONTEXT_MSGIDS = {
    ("e-invoice", "Payable by %(date)s."),
    ("e-invoice", "Charged to the payment method on file."),
    ("e-invoice", "Payable within %(days)s days."),
    ("e-invoice", "SEPA credit transfer to %(holder)s, IBAN %(iban)s, BIC %(bic)s, reference "
     "%(reference)s"),
    ("e-invoice", "SEPA Direct Debit from account %(account)s, mandate reference %(mandate)s, "
     "creditor identifier %(creditor)s"),
    ("e-invoice", "Card payment, card ending in %(last4)s"),
    ("e-invoice", "As agreed"),
    ("e-invoice", "Pay online: %(link)s"),
    ("e-invoice", "Tax number: %(number)s"),
    ("e-invoice", "%(rate)s %% VAT"),
    ("e-invoice", "0 %% VAT, reverse charge"),
    ("e-invoice", "0 %% VAT, export"),
    ("e-invoice", "Not subject to VAT"),
    ("e-invoice", "Service period %(start)s–%(end)s"),
    ("e-invoice", "Service date %(date)s"),
    ("e-invoice", "Service period"),
    ("e-invoice", "Service date"),
    ("e-invoice unit", "h"),
    ("e-invoice unit", "pcs."),
}  # fmt: skip
EINVOICE_MSGIDS = {
    "Reason for the correction: %(reason)s",
    "Correction",
    "Deducted from the amount due on invoice %(number)s.",
    "Refunded or credited after payment of invoice %(number)s.",
    "Partly deducted from the amount due on invoice %(number)s, the rest refunded or credited.",
    "Duplicate invoice",
    "Fraudulent charge",
    "Order change",
    "Service unsatisfactory",
}


def einvoice_context_msgids() -> set:
    """(context, msgid) of the e-invoice PDF's template and of EINVOICE_CONTEXT_MSGIDS."""
    source = templatize((TEMPLATES / "einvoice/invoice.html").read_text(encoding="utf-8"))
    pairs = re.findall(
        r"pgettext\((u'(?:[^'\\]|\\.)*'|u\"(?:[^\"\\]|\\.)*\"), "
        r"(u'(?:[^'\\]|\\.)*'|u\"(?:[^\"\\]|\\.)*\")\)",
        source,
    )
    found = {(ast.literal_eval(c), ast.literal_eval(m)) for c, m in pairs}
    return found | EINVOICE_CONTEXT_MSGIDS


def share_flow_msgids() -> set:
    """Every string a customer can meet on the share flow: its templates, its forms and
    messages, and the labels of the snapshot's units, periods and tax treatments."""
    pages = set(TEMPLATES.glob("quotes/share_*.html")) - {TEMPLATES / "quotes/share_created.html"}
    # The PDFs the customer downloads: quote, agreement and its acceptance certificate.
    pages |= {TEMPLATES / "pdf/quote.html", TEMPLATES / "pdf/agreement.html"}
    # The client portal the customer's contacts sign in to (its staff settings page aside).
    pages |= set(TEMPLATES.glob("portal/*.html")) - {TEMPLATES / "portal/payment_settings.html"}
    pages |= {TEMPLATES / "einvoice/invoice.html"}  # the e-invoice PDF
    seen = set()
    msgids = set().union(*(_template_msgids(page, seen) for page in pages))
    accept, decline = share_views.AcceptForm.base_fields, share_views.DeclineForm.base_fields
    with translation.override("en"):
        python = [
            accept["name"].label,
            accept["consent"].label,
            accept["consent"].error_messages["required"],
            "Type your full name.",  # AcceptForm.clean_name
            decline["reason"].label,
            share_views.CHANGED_MESSAGE,
            *(make() for make in actions.STANDARD_TEXTS),  # a quote's untouched intro, closing
            *Unit.labels,
            *BillingPeriod.labels,
            *TREATMENT_LABELS.values(),
            *TREATMENT_NOTES.values(),
            *pdf.PERIOD_HEADINGS.values(),
            *pdf.PERIOD_TOTALS.values(),
            *pdf.PERIOD_SUBTOTALS.values(),
            *QuoteAcceptance.Via.labels,
            "Page %(page)s of %(pages)s",  # quotes.pdf.page_counter_css
            "MSPercury reference: %(number)s",  # the Stripe invoice footer (push planner)
            *PDF_TAX_LINES,
            *STRIPE_LIMIT_MESSAGES,  # the share page warns before acceptance (push planner)
            *PORTAL_MESSAGES,
            *StripeInvoice.Status.labels,  # the portal's status pills
            *PaymentStatus.labels,  # ... as the ledger has them (billing.payments)
            ExternalStatus.PAYMENT_FAILED.label,
            *EINVOICE_MSGIDS,
        ]
        msgids |= {str(text) for text in python}
    return msgids | document_code_msgids(ROOT / "mspercury/particulars.py")


ROOT = Path(__file__).resolve().parents[2]


def document_code_msgids(path: Path) -> set[str]:
    """The msgids a module translates for documents with ``_()`` and ``ngettext()`` (its
    ``gettext_lazy`` texts speak to the MSP, not the customer)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("_", "ngettext"):
            found.add(node.args[0].value)
    return found


# The portal's sign-in form and its emails (portal/views.py, portal/emails.py).
PORTAL_MESSAGES = [
    "Your email address",
    "Your sign-in link for %(msp)s",
    "Open this link to see your invoices and quotes with %(msp)s:\n\n%(url)s\n\n"
    "It works once, for 20 minutes. If you did not ask for it, ignore this email.",
    "Reminder: invoice %(number)s from %(msp)s",
    "Invoice %(number)s from %(msp)s",
    "Invoice %(number)s from %(msp)s: %(amount)s due.\n\nPay it here:\n%(url)s\n\n"
    "The link works until %(until)s; each time it opens Stripe's payment page for what is "
    "still due.",
    # The e-invoice attached to the invoice email (portal/emails.py) and the portal's word when
    # one cannot be made (billing/einvoice/problems.py).
    "Attached: the invoice as XRechnung.",
    "Attached: the invoice as an e-invoice (ZUGFeRD): a PDF with the invoice data inside.",
    "The e-invoice of invoice %(number)s is not available at the moment; %(msp)s has been told.",
    # The payment confirmation (billing/tasks.py).
    "Payment received for invoice %(number)s",
    "Thank you: we received your payment of %(amount)s for invoice %(number)s.",
    "Still to pay on this invoice: %(due)s.",
    "The invoice is now paid in full.",
    "Kind regards,\n%(workspace)s",
    # Every customer mail's portal link and the portal invitation (mspercury/mail.py,
    # customers/portal_invite.py); the quote mailed with its share link (quotes/share_mail.py).
    "Your invoices, quotes and payments with %(msp)s are in your client portal: %(url)s",
    "Your client portal with %(msp)s",
    "%(msp)s invites you to its client portal: your invoices, quotes and payments in one place, "
    "and invoices to pay online.\n\nSign in at %(url)s with your email address %(email)s; the "
    "portal then sends you a sign-in link.",
    "Quote %(number)s from %(msp)s",
    "Please find attached quote %(number)s from %(msp)s as a PDF.\n\nRead it and accept it "
    "online here:\n%(url)s",
    "The link works until %(until)s.",
]

# What the planner says about Stripe's hard limits, and the labels of invoices it names.
STRIPE_LIMIT_MESSAGES = [
    "“%(line)s”: %(amount)s is above Stripe's maximum of %(maximum)s per amount.",
    "%(label)s: the invoice totals %(amount)s, above Stripe's maximum of %(maximum)s per payment.",
    "%(count)s lines on one invoice: Stripe allows at most %(max)s.",
    "%(count)s× monthly recurring",
    "%(count)s× yearly recurring",
    "%(count)s× one-time on first invoice",
    "Invoice with %(count)s one-time line",
]


def _catalog(language: str) -> tuple[dict, list[dict]]:
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    header, *entries = parse_po(path.read_text(encoding="utf-8"))
    return header, entries


def _has_catalog(language: str) -> bool:
    return (LOCALE / language / "LC_MESSAGES" / "django.po").exists()


# The document languages beside the staff interface's (en, de), whose catalogs hold exactly the
# share flow. Checked wherever the catalog exists; test_every_document_language_has_a_catalog
# fails while one is missing.
CATALOG_LANGUAGES = sorted(
    code
    for code in settings.MSPERCURY_DOCUMENT_LANGUAGES
    if code not in ("en", "de") and _has_catalog(code)
)


@pytest.mark.parametrize(
    "language", [code for code in settings.MSPERCURY_DOCUMENT_LANGUAGES if code != "en"]
)
def test_every_document_language_has_a_catalog(language):
    """A customer's document language has its catalog (locale/<lang>/LC_MESSAGES/django.po);
    English is the source language of the msgids."""
    assert _has_catalog(language), f"locale/{language}/LC_MESSAGES/django.po is missing"


def _nplurals(header: dict) -> int:
    found = re.search(r"Plural-Forms: nplurals=(\d+); plural=[^\n]+\n", header["msgstr"][0])
    assert found, "the header has no Plural-Forms"
    return int(found.group(1))


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_it_has_a_complete_catalog_of_the_share_flow(language):
    """Header with the language and its plural forms; exactly the share flow's msgids (all also
    in the German catalog); every one translated, none fuzzy, placeholders as in English."""
    header, entries = _catalog(language)
    assert header["msgid"] == "" and "fuzzy" not in header["flags"]
    assert f"Language: {language}\n" in header["msgstr"][0]
    if language in PLURAL_FORMS:
        assert f"Plural-Forms: {PLURAL_FORMS[language]}\n" in header["msgstr"][0]
    forms = _nplurals(header)
    keys = [(e.get("msgctxt"), e["msgid"]) for e in entries]
    assert len(keys) == len(set(keys))
    msgids = [e["msgid"] for e in entries if not e.get("msgctxt")]
    assert set(msgids) == share_flow_msgids()
    contextual = {key for key in keys if key[0]}
    assert contextual == einvoice_context_msgids()
    _de_header, german = _catalog("de")
    assert set(keys) <= {(e.get("msgctxt"), e["msgid"]) for e in german}
    assert [e["msgid"] for e in entries if not all(e["msgstr"]) or "fuzzy" in e["flags"]] == []
    mismatched = [
        (e["msgid"], e["msgstr"][0])
        for e in entries
        if placeholders(e["msgid"]) != placeholders(e["msgstr"][0])
    ]
    assert mismatched == []
    plurals = [e for e in entries if e["msgid_plural"] is not None]
    assert "Invoice with %(count)s one-time line" in [e["msgid"] for e in plurals]
    assert all(len(e["msgstr"]) == forms for e in plurals)


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_it_loads_every_compiled_catalog(language):
    """The session fixture compiled each catalog, so gettext finds the accept button's text."""
    with translation.override(language):
        assert translation.gettext("Accept quote") != "Accept quote"


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_loads_the_compiled_catalog(language):
    """The session fixture compiled the catalog, so gettext finds the accept button's text."""
    with translation.override(language):
        assert translation.gettext("Accept quote") == EXPECTED[language]["accept"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_shows_the_standard_intro_and_closing_in_the_customers_language(
    anonymous, quote_for, language
):
    """An intro and closing the MSP left as they were (written in English) read in the
    customer's language; text the MSP wrote stays as written."""
    quote = quote_for(language)
    _, token = share(quote)
    html = _page(anonymous.get(page_url(token)))
    with translation.override(language):
        assert actions.default_intro() in html and actions.default_closing() in html
    assert actions.default_intro() not in html and actions.default_closing() not in html

    custom = quote_for(language)
    actions.do_update_quote(custom, intro="Hello Carla, as discussed:")
    _, token = share(custom)
    assert "Hello Carla, as discussed:" in _page(anonymous.get(page_url(token)))


def test_it_translates_a_standard_text_written_in_any_language():
    """The German standard intro of a German MSP reads in French for a French customer."""
    with translation.override("de"):
        german = actions.default_intro()
    with translation.override("fr"):
        french = actions.default_intro()
    assert actions.standard_text_in(f"{german}\n", "fr") == french
    assert actions.standard_text_in("Our own words.", "fr") == "Our own words."


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_leaves_validation_to_the_server_in_the_customers_language(
    anonymous, quote_for, language
):
    """No browser-native (English) validation bubbles: the forms are novalidate, and an empty
    name comes back with the error in the customer's language."""
    _, token = share(quote_for(language))
    html = _page(anonymous.get(page_url(token)))
    forms = re.findall(r"<form [^>]*>", html)
    assert len(forms) == 2 and all("novalidate" in form for form in forms)
    response = anonymous.post(page_url(token, "accept"), accept_data(html, name=""))
    assert response.status_code == 400
    with translation.override(language):
        required = translation.gettext("This field is required.")
    assert required != "This field is required."
    assert required in _page(response)


def test_it_prints_the_standard_intro_in_the_pdfs_language(anonymous, quote_for):
    """The quote PDF of a French customer opens with the French standard intro."""
    _, token = share(quote_for("fr"))
    text = " ".join(pdf_text(anonymous.get(page_url(token, "pdf")).content).split())
    assert "Merci de votre intérêt." in text and "Thank you for your interest" not in text
