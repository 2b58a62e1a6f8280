"""What the pages look like: inline SVG icons instead of glyphs the fonts lack, one date format
per language, the notifications page's empty state, the events table, the integrations help."""

import importlib
import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import formats, translation

from customers.models import Customer
from integrations.models import StripeEvent
from mspercury.notify import notify
from mspercury.templatetags.icons import ICONS, icon
from quotes import actions

ROOT = Path(settings.BASE_DIR)


def _german(client, user):
    user.language = "de"
    user.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return client


# Icons


def _symbols(text: str) -> set[str]:
    """Pictographs and dingbats (Unicode "other symbol"), which the Debian fonts may lack.
    Box-drawing lines (the push plan's tree) are in every monospace font and stay."""
    return {
        ch for ch in text if unicodedata.category(ch) == "So" and not 0x2500 <= ord(ch) <= 0x257F
    }


def test_it_ships_no_glyph_icons_in_templates_or_styles():
    """No emoji or dingbat in any template or style sheet: icons are inline SVG."""
    found = {}
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("static/css/*.css")]:
        symbols = _symbols(path.read_text(encoding="utf-8"))
        if symbols:
            found[str(path.relative_to(ROOT))] = sorted(symbols)
    assert found == {}


def test_it_draws_icons_as_inline_svg():
    """An icon is an SVG in currentColor, hidden from screen readers unless labelled, without
    a style attribute (a strict Content-Security-Policy would drop it)."""
    for name in ICONS:
        svg = icon(name)
        assert svg.startswith("<svg ") and 'aria-hidden="true"' in svg and "style=" not in svg
        assert f'data-icon="{name}"' in svg
    labelled = icon("bell", "Benachrichtigungen")
    assert 'role="img" aria-label="Benachrichtigungen"' in labelled
    assert "aria-hidden" not in labelled


def test_it_shows_the_bell_and_the_switcher_as_svg(client_for, alice):
    html = client_for(alice).get("/").content.decode()
    for name in ("bell", "workspace", "chevron-down"):
        assert f'data-icon="{name}"' in html, name
    assert "🔔" not in html


# Dates


@pytest.mark.parametrize("language", settings.MSPERCURY_DOCUMENT_LANGUAGES)
def test_it_has_one_date_format_per_language(language):
    """Every document language has its own format module whose long and short names give the
    same pattern, so pages never mix them; Django uses it wherever it finds the language's
    catalog (Maltese, which Django lacks, once locale/mt exists: see test_share_languages)."""
    module = importlib.import_module(f"mspercury.formats.{language}.formats")
    assert module.DATE_FORMAT == module.SHORT_DATE_FORMAT
    assert module.DATETIME_FORMAT == module.SHORT_DATETIME_FORMAT
    if translation.check_for_language(language):
        with translation.override(language):
            assert formats.get_format("DATE_FORMAT") == module.DATE_FORMAT
            assert formats.get_format("SHORT_DATETIME_FORMAT") == module.DATETIME_FORMAT


# 3 December 2026, 07:08, and 1234.5 with two decimals, as each country writes them.
WRITTEN = {
    "en": ("3 Dec 2026", "3 Dec 2026, 07:08", "1,234.50"),
    "de": ("03.12.2026", "03.12.2026, 07:08", "1.234,50"),
    "bg": ("03.12.2026", "03.12.2026 07:08", "1\xa0234,50"),
    "el": ("03/12/2026", "03/12/2026 07:08", "1.234,50"),
    "et": ("03.12.2026", "03.12.2026 07:08", "1\xa0234,50"),
    "fi": ("3.12.2026", "3.12.2026 7.08", "1\xa0234,50"),
    "ga": ("03/12/2026", "03/12/2026 07:08", "1,234.50"),
    "hr": ("03.12.2026.", "03.12.2026. 07:08", "1.234,50"),
    "hu": ("2026.12.03.", "2026.12.03. 07:08", "1\xa0234,50"),
    "lt": ("2026-12-03", "2026-12-03 07:08", "1\xa0234,50"),
    "pt": ("03/12/2026", "03/12/2026 07:08", "1.234,50"),
    "sl": ("3. 12. 2026", "3. 12. 2026 07:08", "1.234,50"),
    "sv": ("2026-12-03", "2026-12-03 07:08", "1\xa0234,50"),
}


@pytest.mark.parametrize("language", sorted(WRITTEN))
def test_it_formats_dates_and_numbers_per_language(language):
    day, when, number = WRITTEN[language]
    moment = datetime(2026, 12, 3, 7, 8, tzinfo=UTC)
    with translation.override(language):
        assert formats.date_format(date(2026, 12, 3)) == day
        assert formats.date_format(date(2026, 12, 3), "SHORT_DATE_FORMAT") == day
        assert formats.date_format(moment, "DATETIME_FORMAT") == when
        assert formats.number_format(1234.5, 2, force_grouping=True) == number


def test_it_knows_maltese():
    """Django has no Maltese: its name comes from our LANG_INFO entry, and activating it works."""
    info = translation.get_language_info("mt")
    assert (info["name"], info["name_local"]) == ("Maltese", "Malti")
    with translation.override("mt"):
        assert translation.get_language() == "mt"


def test_it_shows_german_dates_to_a_german_user(client_for, alice, alpha):
    """The quote list and the quote page: only "03.12.2026"-style dates, German amounts."""
    customer = Customer.objects.create(workspace=alpha, company_name="Kunde GmbH", country="DE")
    quote = actions.do_create_quote(alpha, customer, today=date(2026, 12, 3))
    actions.do_add_line(
        quote,
        description="RMM",
        quantity=1,
        unit="unit",
        unit_price="1234.50",
        billing_period="monthly",
    )
    client = _german(client_for(alice), alice)
    for url in ("/quotes/", f"/quotes/{quote.public_id}/"):
        html = client.get(url).content.decode()
        assert '<html lang="de">' in html
        assert "02.01.2027" in html, url  # valid until
        assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b|Jan\. |Dec\. |a\.m\.|p\.m\.", html), url
    assert "1.234,50 EUR" in html


# Notifications


def test_it_shows_an_empty_state_without_a_list_or_button(client_for, alice):
    """Nothing to read: a sentence, not a bullet item, and no "Mark all as read"."""
    html = client_for(alice).get("/billing/notifications/").content.decode()
    assert 'data-testid="notifications-empty"' in html
    assert '<ul class="notifications">' not in html and '<p class="empty"' in html
    assert "Mark all as read" not in html


def test_it_offers_mark_all_as_read_only_while_something_is_unread(client_for, alice, alpha):
    notify(alpha, "push_failed", "k1", "Push failed")
    client = client_for(alice)
    html = client.get("/billing/notifications/").content.decode()
    assert "Mark all as read" in html and "<li" in html
    client.post("/billing/notifications/read/")
    html = client.get("/billing/notifications/").content.decode()
    assert "Push failed" in html and "Mark all as read" not in html


# Events and integrations


def test_it_keeps_event_ids_on_one_line(client_for, alice, alpha):
    StripeEvent.objects.create(
        workspace=alpha,
        stripe_account="acct_1",
        event_id="evt_1QzXyZabcdefghijklmnop",
        event_type="invoice.paid",
        payload={},
    )
    html = client_for(alice).get("/settings/integrations/events/").content.decode()
    assert '<td class="nowrap"><code>evt_1QzXyZabcdefghijklmnop</code></td>' in html
    css = (ROOT / "static/css/app.css").read_text()
    assert re.search(r"\.nowrap, \.nowrap code \{ white-space: nowrap;", css)


def test_it_points_the_key_help_at_the_table_above_it(client_for, alice):
    """The permissions table comes before the key field, so the help says "above"."""
    html = client_for(alice).get("/settings/integrations/").content.decode()
    table, help_text = html.find('class="permissions"'), html.find("permissions listed above")
    assert 0 < table < help_text
    assert "permissions listed below" not in html
