"""The quote editor: creating quotes, the header, lines by htmx and by plain POST, status,
read-only statuses and revision bumps."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from customers.models import Customer, Project
from mspercury.localtime import today_in
from mspercury.models import AuditEvent
from quotes import actions
from quotes.models import Quote, QuoteLine, QuoteStatus
from tests.quotes.helpers import HX, add_data, detail_url, edit_data, line_url

D = Decimal


def _revision(quote):
    quote.refresh_from_db()
    return quote.revision


def _seen(quote):
    """Someone saw the current revision: its PDF was prepared (downloaded, shared)."""
    from quotes.stored_documents import do_request_quote_pdf

    quote.refresh_from_db()
    do_request_quote_pdf(quote, queue=False)


def _lines(quote):
    return list(QuoteLine.objects.filter(quote=quote).values_list("description", flat=True))


@pytest.fixture
def three_lines(quote):
    for name, price in (("Alpha", "10"), ("Bravo", "20"), ("Charlie", "30")):
        actions.do_add_line(
            quote,
            description=name,
            quantity=D("1"),
            unit="unit",
            unit_price=D(price),
            billing_period="monthly",
        )
    return list(QuoteLine.objects.filter(quote=quote))


# Creating


def test_it_creates_a_quote_with_defaults(client_for, alice, alpha, acme):
    """Number of the year, workspace currency, valid 30 days, default texts, audit event."""
    client = client_for(alice)
    form = client.get("/quotes/new/").content.decode()
    assert "Quotes are never deleted" in form
    today = today_in(alpha)
    r = client.post(
        "/quotes/new/",
        {
            "customer": str(acme.public_id),
            "currency": "EUR",
            "valid_until": (today + timedelta(days=30)).isoformat(),
            "intro": "Hello",
            "closing": "Bye",
        },
    )
    quote = Quote.objects.get(workspace=alpha)
    assert r.status_code == 302
    assert r["Location"] == detail_url(quote)
    assert quote.number == f"Q-{today.year}-0001"
    assert (quote.currency, quote.status, quote.revision) == ("EUR", "draft", 1)
    assert quote.valid_until == today + timedelta(days=30)
    assert quote.created_by == alice
    assert AuditEvent.objects.filter(workspace=alpha, action="quote.created").count() == 1


def test_it_prefills_the_create_form(client_for, alice, alpha, acme):
    """Currency from the workspace, validity today + 30, the default package pre-selected."""
    alpha.default_currency = "CHF"
    alpha.save()
    package = actions.do_create_package(alpha, name="Managed Pro", is_default=True)
    html = client_for(alice).get("/quotes/new/").content.decode()
    assert '<option value="CHF" selected>' in html
    assert (today_in(alpha) + timedelta(days=30)).isoformat() in html
    assert f'<option value="{package.public_id}" selected>' in html


def test_it_action_defaults_currency_and_validity(alpha, acme):
    alpha.default_currency = "GBP"
    alpha.save()
    quote = actions.do_create_quote(alpha, acme)
    assert quote.currency == "GBP"
    assert quote.valid_until == today_in(alpha) + timedelta(days=30)
    assert quote.intro and quote.closing


def test_it_refuses_a_project_of_another_customer(client_for, alice, alpha, acme):
    other = Customer.objects.create(workspace=alpha, company_name="Other AG")
    project = Project.objects.create(workspace=alpha, customer=other, name="Elsewhere")
    r = client_for(alice).post(
        "/quotes/new/",
        {
            "customer": str(acme.public_id),
            "project": str(project.public_id),
            "currency": "EUR",
            "valid_until": "2030-01-01",
        },
    )
    assert r.status_code == 200
    assert "This project belongs to another customer." in r.content.decode()
    assert not Quote.objects.exists()


def test_the_create_form_offers_only_the_chosen_customers_projects(
    client_for, alice, alpha, acme, charlie_ws
):
    """No customer chosen: no project to pick. A customer chosen (or changed, by htmx): its
    projects only, never another customer's or another workspace's."""
    other = Customer.objects.create(workspace=alpha, company_name="Other AG")
    elsewhere = Project.objects.create(workspace=alpha, customer=other, name="Elsewhere")
    ours = Project.objects.create(workspace=alpha, customer=acme, name="Head office")
    globex = Customer.objects.create(workspace=charlie_ws, company_name="Globex")
    theirs = Project.objects.create(workspace=charlie_ws, customer=globex, name="Theirs")
    client = client_for(alice)
    form = client.get("/quotes/new/").content.decode()
    select = re.search(r'<select name="project".*?</select>', form, re.S).group(0)
    assert str(ours.public_id) not in select and str(elsewhere.public_id) not in select
    assert 'hx-get="/quotes/new/projects/"' in form
    form = client.get(f"/quotes/new/?customer={acme.public_id}").content.decode()
    select = re.search(r'<select name="project".*?</select>', form, re.S).group(0)
    assert str(ours.public_id) in select and str(elsewhere.public_id) not in select
    options = client.get("/quotes/new/projects/", {"customer": str(other.public_id)}, **HX)
    assert str(elsewhere.public_id) in options.content.decode()
    assert str(ours.public_id) not in options.content.decode()
    options = client.get("/quotes/new/projects/", {"customer": str(globex.public_id)}, **HX)
    assert str(theirs.public_id) not in options.content.decode()
    assert "<option" in options.content.decode()


def test_it_refuses_a_validity_date_in_the_past(client_for, alice, alpha, acme):
    """A new quote valid until yesterday is refused with words; today is fine."""
    client = client_for(alice)
    data = {"customer": str(acme.public_id), "currency": "EUR"}
    yesterday = today_in(alpha) - timedelta(days=1)
    r = client.post("/quotes/new/", {**data, "valid_until": yesterday.isoformat()})
    assert r.status_code == 200
    assert "The quote must be valid until today or later." in r.content.decode()
    assert not Quote.objects.exists()
    r = client.post("/quotes/new/", {**data, "valid_until": today_in(alpha).isoformat()})
    assert r.status_code == 302


def test_it_asks_for_a_customer_first(client_for, alice):
    """Without customers the create page points to the customers page."""
    html = client_for(alice).get("/quotes/new/").content.decode()
    assert "Add a customer first." in html


# Header


def test_it_saves_the_header_and_bumps_the_revision(client_for, alice, quote, office):
    """A header change after revision 1 was seen starts revision 2."""
    _seen(quote)
    r = client_for(alice).post(
        f"/quotes/{quote.public_id}/details/",
        {
            "customer": str(quote.customer.public_id),
            "project": str(office.public_id),
            "title": "Managed services 2026",
            "currency": "EUR",
            "valid_until": "2030-06-30",
            "intro": "Dear Anna",
            "closing": "Regards",
        },
    )
    assert r.status_code == 302
    quote.refresh_from_db()
    assert (quote.title, quote.project, quote.intro) == (
        "Managed services 2026",
        office,
        "Dear Anna",
    )
    assert str(quote.valid_until) == "2030-06-30"
    assert quote.revision == 2


def test_it_does_not_bump_the_revision_for_an_unchanged_header(quote):
    _seen(quote)
    assert not actions.do_update_quote(quote, title=quote.title, intro=quote.intro)
    assert _revision(quote) == 1


# Adding lines


def test_it_adds_an_ad_hoc_line_with_htmx(client_for, alice, quote):
    """The response is the lines table plus the totals, reset form and status out of band."""
    r = client_for(alice).post(
        f"/quotes/{quote.public_id}/lines/",
        add_data(
            description="Firewall setup",
            quantity="2.5",
            unit="hour",
            unit_price="100.00",
            billing_period="one_time",
            discount_percent="10",
        ),
        headers=HX,
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert html.lstrip().startswith('<table id="lines"')
    assert '<section id="totals" class="card totals"' in html
    assert 'hx-swap-oob="true"' in html
    assert 'id="add-line"' in html
    assert "Firewall setup" in html
    assert "225.00 EUR" in html  # 2.5 × 100 − 10 %
    line = QuoteLine.objects.get(quote=quote)
    assert (line.quantity, line.unit, line.discount_percent) == (D("2.5"), "hour", D("10"))
    assert line.service is None
    assert _revision(quote) == 1  # nobody saw revision 1 yet


def test_it_adds_a_line_without_javascript(client_for, alice, quote):
    """A plain POST redirects back to the editor."""
    r = client_for(alice).post(
        f"/quotes/{quote.public_id}/lines/",
        add_data(
            description="Audit", quantity="1", unit="unit", unit_price="50", billing_period="yearly"
        ),
    )
    assert r.status_code == 302
    assert r["Location"] == detail_url(quote) + "#add-line"
    assert _lines(quote) == ["Audit"]


def test_it_snapshots_the_picked_service(client_for, alice, quote, rmm):
    """With a service and empty fields, the line copies the service (cost price included)."""
    r = client_for(alice).post(
        f"/quotes/{quote.public_id}/lines/",
        add_data(service=str(rmm.public_id), quantity="12", unit="", billing_period=""),
        headers=HX,
    )
    assert r.status_code == 200
    line = QuoteLine.objects.get(quote=quote)
    assert (line.service, line.description, line.unit) == (rmm, "RMM agent", "workstation")
    assert (line.unit_price, line.cost_price, line.billing_period) == (D("5"), D("2"), "monthly")
    assert line.quantity == D("12")


def test_it_keeps_typed_values_over_the_service_defaults(client_for, alice, quote, rmm):
    client_for(alice).post(
        f"/quotes/{quote.public_id}/lines/",
        add_data(service=str(rmm.public_id), description="RMM (discounted)", unit_price="4.50"),
    )
    line = QuoteLine.objects.get(quote=quote)
    assert (line.description, line.unit_price, line.quantity) == ("RMM (discounted)", D("4.5"), 1)


def test_it_fills_the_add_form_from_the_picker(client_for, alice, quote, rmm):
    """The picker's htmx request returns the form filled with the service's values."""
    r = client_for(alice).get(
        f"/quotes/{quote.public_id}/lines/form/",
        {"add-service": str(rmm.public_id), "add-quantity": "7"},
        headers=HX,
    )
    html = r.content.decode()
    assert html.lstrip().startswith('<section id="add-line"')
    assert 'value="RMM agent"' in html
    assert 'value="7"' in html
    assert '<option value="workstation" selected>' in html
    assert f'<option value="{rmm.public_id}" selected>' in html


def test_it_keeps_typed_values_when_switching_to_ad_hoc(client_for, alice, quote):
    """Choosing "ad-hoc" in the picker keeps whatever was typed; a plain GET goes back."""
    client = client_for(alice)
    url = f"/quotes/{quote.public_id}/lines/form/"
    typed = {"add-service": "", "add-description": "Custom work", "add-unit_price": "9.50"}
    html = client.get(url, typed, headers=HX).content.decode()
    assert 'value="Custom work"' in html and 'value="9.50"' in html
    assert client.get(url, typed).status_code == 302


def test_it_shows_add_form_errors_in_place(client_for, alice, quote):
    """An invalid htmx add re-renders only the form (retargeted), nothing is saved."""
    r = client_for(alice).post(
        f"/quotes/{quote.public_id}/lines/",
        add_data(description="", quantity="0", unit_price="-1"),
        headers=HX,
    )
    assert r.status_code == 200
    assert r["HX-Retarget"] == "#add-line"
    assert r["HX-Reswap"] == "outerHTML"
    html = r.content.decode()
    assert "This field is required." in html
    assert "greater than or equal to 0.01" in html
    assert not QuoteLine.objects.exists()
    assert _revision(quote) == 1


def test_it_shows_add_form_errors_without_javascript(client_for, alice, quote):
    r = client_for(alice).post(f"/quotes/{quote.public_id}/lines/", add_data(description="X"))
    assert r.status_code == 200
    assert "This field is required." in r.content.decode()
    assert not QuoteLine.objects.exists()


def test_it_accepts_quantities_with_two_decimals_only(client_for, alice, quote):
    r = client_for(alice).post(
        f"/quotes/{quote.public_id}/lines/",
        add_data(
            description="X", quantity="1.255", unit="unit", unit_price="1", billing_period="monthly"
        ),
        headers=HX,
    )
    assert "no more than 2 decimal places" in r.content.decode()
    assert not QuoteLine.objects.exists()


# Editing lines


def test_it_opens_an_edit_row_with_htmx(client_for, alice, quote, three_lines):
    """The edit row replaces the display row; its first field has autofocus; Esc/Cancel hint."""
    line = three_lines[1]
    r = client_for(alice).get(line_url(quote, line, "edit"), headers=HX)
    html = r.content.decode()
    assert html.startswith(f'<tr id="line-{line.public_id}" class="line-edit">')
    assert 'value="Bravo" maxlength="500" autofocus' in html
    assert "data-cancel" in html and "Esc cancels" in html


def test_it_opens_an_edit_row_without_javascript(client_for, alice, quote, three_lines):
    """Without htmx the whole editor page comes back with that line in edit mode."""
    line = three_lines[1]
    html = client_for(alice).get(line_url(quote, line, "edit")).content.decode()
    assert "<html" in html
    assert f'<tr id="line-{line.public_id}" class="line-edit">' in html
    assert f'id="edit-{three_lines[0].public_id}"' in html  # other rows stay display rows


def test_it_cancels_an_edit_row(client_for, alice, quote, three_lines):
    """The row URL gives back the display row, asking to focus its Edit button."""
    line = three_lines[0]
    html = client_for(alice).get(line_url(quote, line), headers=HX).content.decode()
    assert html.startswith(f'<tr id="line-{line.public_id}" data-focus="edit-{line.public_id}">')


def test_it_saves_an_edited_line_with_htmx(client_for, alice, quote, three_lines):
    line = three_lines[1]
    r = client_for(alice).post(
        line_url(quote, line, "edit"),
        edit_data(line, description="Bravo plus", quantity="3", cost_price="4"),
        headers=HX,
    )
    html = r.content.decode()
    assert html.lstrip().startswith(
        f'<table id="lines" class="lines" data-focus="edit-{line.public_id}"'
    )
    assert "Bravo plus" in html
    assert 'id="totals"' in html
    line.refresh_from_db()
    assert (line.description, line.quantity, line.cost_price) == ("Bravo plus", D("3"), D("4"))
    assert _revision(quote) == 1  # a draft nobody saw: edits in place


def test_it_saves_an_edited_line_without_javascript(client_for, alice, quote, three_lines):
    line = three_lines[0]
    r = client_for(alice).post(line_url(quote, line, "edit"), edit_data(line, unit_price="11"))
    assert r.status_code == 302
    assert r["Location"] == detail_url(quote) + f"#line-{line.public_id}"
    line.refresh_from_db()
    assert line.unit_price == D("11")


def test_it_shows_edit_errors_in_the_row(client_for, alice, quote, three_lines):
    _seen(quote)
    line = three_lines[0]
    r = client_for(alice).post(
        line_url(quote, line, "edit"), edit_data(line, discount_percent="120"), headers=HX
    )
    assert r["HX-Retarget"] == f"#line-{line.public_id}"
    assert "less than or equal to 100" in r.content.decode()
    line.refresh_from_db()
    assert line.discount_percent is None
    assert _revision(quote) == 1


def test_it_does_not_bump_the_revision_for_an_unchanged_line(client_for, alice, quote, three_lines):
    _seen(quote)
    line = three_lines[0]
    client_for(alice).post(line_url(quote, line, "edit"), edit_data(line), headers=HX)
    assert _revision(quote) == 1


# Moving and removing


def test_it_moves_lines_up_and_down_with_htmx(client_for, alice, quote, three_lines):
    alpha_line, _bravo, charlie = three_lines
    client = client_for(alice)
    r = client.post(line_url(quote, charlie, "move"), {"direction": "up"}, headers=HX)
    assert (
        r.content.decode()
        .lstrip()
        .startswith(f'<table id="lines" class="lines" data-focus="up-{charlie.public_id}"')
    )
    assert _lines(quote) == ["Alpha", "Charlie", "Bravo"]
    client.post(line_url(quote, alpha_line, "move"), {"direction": "down"}, headers=HX)
    assert _lines(quote) == ["Charlie", "Alpha", "Bravo"]
    assert _revision(quote) == 1


def test_it_moves_lines_without_javascript(client_for, alice, quote, three_lines):
    r = client_for(alice).post(line_url(quote, three_lines[0], "move"), {"direction": "down"})
    assert r.status_code == 302
    assert _lines(quote) == ["Bravo", "Alpha", "Charlie"]


def test_it_leaves_the_ends_in_place(client_for, alice, quote, three_lines):
    """Up on the first line and down on the last change nothing and keep the revision."""
    _seen(quote)
    client = client_for(alice)
    client.post(line_url(quote, three_lines[0], "move"), {"direction": "up"}, headers=HX)
    client.post(line_url(quote, three_lines[2], "move"), {"direction": "down"}, headers=HX)
    assert _lines(quote) == ["Alpha", "Bravo", "Charlie"]
    assert _revision(quote) == 1


def test_it_orders_lines_with_equal_positions_consistently(quote, three_lines):
    """Rows sharing a position (e.g. written by hand) are renumbered on the first move."""
    QuoteLine.objects.filter(quote=quote).update(position=0)
    ordered = list(QuoteLine.objects.filter(quote=quote))
    actions.do_move_line(ordered[2], "up")
    assert [line.pk for line in QuoteLine.objects.filter(quote=quote)] == [
        ordered[0].pk,
        ordered[2].pk,
        ordered[1].pk,
    ]


def test_it_removes_a_line_with_htmx(client_for, alice, quote, three_lines):
    line = three_lines[1]
    r = client_for(alice).post(line_url(quote, line, "delete"), headers=HX)
    html = r.content.decode()
    assert "Bravo" not in html.split('id="editor-status"')[0]
    assert "Line “Bravo” removed." in html
    assert _lines(quote) == ["Alpha", "Charlie"]
    assert _revision(quote) == 1


def test_it_asks_before_removing_a_line(client_for, alice, quote, three_lines):
    html = client_for(alice).get(detail_url(quote)).content.decode()
    assert 'hx-confirm="Remove the line “Bravo”?"' in html


def test_it_removes_a_line_without_javascript(client_for, alice, quote, three_lines):
    r = client_for(alice).post(line_url(quote, three_lines[0], "delete"))
    assert r.status_code == 302
    assert _lines(quote) == ["Bravo", "Charlie"]


def test_it_renders_controls_in_keyboard_order(client_for, alice, quote, three_lines):
    """Each row: Edit link, then up, down and remove buttons; the first up and last down are
    marked disabled but stay focusable."""
    html = client_for(alice).get(detail_url(quote)).content.decode()
    first, last = three_lines[0].public_id, three_lines[2].public_id
    row = html[html.index(f'id="line-{first}"') :]
    assert row.index(f'id="edit-{first}"') < row.index(f'id="up-{first}"')
    assert row.index(f'id="up-{first}"') < row.index(f'id="down-{first}"')
    assert row.index(f'id="down-{first}"') < row.index(f'id="delete-{first}"')
    assert f'id="up-{first}" class="button small secondary" aria-disabled="true"' in html
    assert f'id="down-{last}" class="button small secondary" aria-disabled="true"' in html
    assert "js/quotes.js" in html


# Status and read-only quotes


def test_it_moves_a_quote_through_its_statuses(client_for, alice, alpha, quote):
    """draft → sent → declined, each with its timestamp and an audit event; no revision bump."""
    client = client_for(alice)
    r = client.post(f"/quotes/{quote.public_id}/status/", {"status": "sent"})
    assert r.status_code == 302
    quote.refresh_from_db()
    assert quote.status == "sent" and quote.sent_at is not None
    client.post(f"/quotes/{quote.public_id}/status/", {"status": "declined"})
    quote.refresh_from_db()
    assert quote.status == "declined" and quote.declined_at is not None
    assert quote.revision == 1
    events = AuditEvent.objects.filter(workspace=alpha, action="quote.status_changed")
    assert [(e.details["old"], e.details["new"]) for e in events.order_by("id")] == [
        ("draft", "sent"),
        ("sent", "declined"),
    ]


def test_it_refuses_a_transition_the_rules_forbid(client_for, alice, quote):
    """A draft cannot be accepted directly; a declined quote cannot be re-sent."""
    client = client_for(alice)
    r = client.post(f"/quotes/{quote.public_id}/status/", {"status": "accepted"}, follow=True)
    assert "A draft quote cannot become accepted." in r.content.decode()
    actions.do_set_status(quote, QuoteStatus.DECLINED)
    with pytest.raises(actions.QuoteError):
        actions.do_set_status(quote, QuoteStatus.SENT)


def test_acceptance_is_no_plain_status_change(client_for, alice, quote):
    """Only the share page or "Mark as accepted" accept: they record the frozen document."""
    actions.do_set_status(quote, QuoteStatus.SENT)
    with pytest.raises(actions.QuoteError):
        actions.do_set_status(quote, QuoteStatus.ACCEPTED)
    client_for(alice).post(f"/quotes/{quote.public_id}/status/", {"status": "accepted"})
    quote.refresh_from_db()
    assert quote.status == "sent" and quote.accepted_at is None


def _accept(quote):
    from quotes.models import QuoteAcceptance
    from quotes.sharing import do_accept_quote

    quote.refresh_from_db()
    do_accept_quote(
        quote, via=QuoteAcceptance.Via.MANUAL, name="Staff", revision=quote.revision, sha256=None
    )


@pytest.mark.parametrize("status", ["declined", "expired"])
def test_it_keeps_declined_and_expired_quotes_read_only(
    client_for, alice, quote, three_lines, rmm, status
):
    """No edit controls on the page; every write is refused and changes nothing."""
    _seen(quote)
    actions.do_set_status(quote, status)
    client = client_for(alice)
    html = client.get(detail_url(quote)).content.decode()
    assert "it is read-only" in html
    assert 'id="add-line"' not in html and 'id="apply-package"' not in html
    assert f'id="edit-{three_lines[0].public_id}"' not in html

    line = three_lines[0]
    posts = [
        (f"/quotes/{quote.public_id}/lines/", add_data(service=str(rmm.public_id))),
        (line_url(quote, line, "edit"), edit_data(line, description="Changed")),
        (line_url(quote, line, "move"), {"direction": "down"}),
        (line_url(quote, line, "delete"), {}),
        (f"/quotes/{quote.public_id}/package/", {}),
        (
            f"/quotes/{quote.public_id}/details/",
            {
                "customer": str(quote.customer.public_id),
                "currency": "EUR",
                "valid_until": "2031-01-01",
                "title": "Changed",
            },
        ),
    ]
    for url, data in posts:
        r = client.post(url, data, headers=HX)
        assert r.status_code == 200 and r["HX-Refresh"] == "true", url
        r = client.post(url, data)
        assert r.status_code == 302, url
    assert client.get(line_url(quote, line, "edit"), headers=HX)["HX-Refresh"] == "true"
    assert _lines(quote) == ["Alpha", "Bravo", "Charlie"]
    quote.refresh_from_db()
    assert quote.title == "" and quote.revision == 1


def test_it_lets_sent_and_accepted_quotes_be_edited(quote, three_lines):
    """Sent and accepted quotes stay editable; an edit after acceptance starts a new revision,
    so the accepted one stays what the customer accepted."""
    _seen(quote)
    actions.do_set_status(quote, QuoteStatus.SENT)
    actions.do_update_line(three_lines[0], unit_price=D("12"))
    assert _revision(quote) == 2
    _accept(quote)
    actions.do_delete_line(three_lines[1])
    assert _revision(quote) == 3
    actions.do_update_line(three_lines[2], unit_price=D("31"))
    assert _revision(quote) == 3  # revision 3 is not seen yet


def test_it_edits_an_unseen_revision_in_place(quote, rmm, office):
    """Nobody saw the draft: header, add, edit, package, move and delete keep revision 1."""
    package = actions.do_create_package(quote.workspace, name="P")
    actions.do_add_package_item(package, service=rmm, rule="fixed", quantity=D("1"))
    before = quote.updated_at
    actions.do_update_quote(quote, title="New")
    actions.do_add_line(quote, **actions.line_fields_from_service(rmm), quantity=1)
    actions.do_update_line(QuoteLine.objects.get(quote=quote), quantity=D("2"))
    actions.do_apply_package(quote, package, office)
    actions.do_move_line(QuoteLine.objects.filter(quote=quote).last(), "up")
    actions.do_delete_line(QuoteLine.objects.filter(quote=quote).first())
    quote.refresh_from_db()
    assert quote.revision == 1 and quote.updated_at > before


def test_it_starts_one_new_revision_per_seen_revision(quote, rmm, office):
    """Header, add, edit, move, delete and package each start a new revision when the current
    one was seen, and only the first change after it was seen does."""
    package = actions.do_create_package(quote.workspace, name="P")
    actions.do_add_package_item(package, service=rmm, rule="fixed", quantity=D("1"))
    steps = [
        lambda: actions.do_update_quote(quote, title="New"),
        lambda: actions.do_add_line(quote, **actions.line_fields_from_service(rmm), quantity=1),
        lambda: actions.do_update_line(QuoteLine.objects.get(quote=quote), quantity=D("2")),
        lambda: actions.do_apply_package(quote, package, office),
        lambda: actions.do_move_line(QuoteLine.objects.filter(quote=quote).last(), "up"),
        lambda: actions.do_delete_line(QuoteLine.objects.filter(quote=quote).first()),
    ]
    for expected, step in enumerate(steps, start=2):
        _seen(quote)
        step()
        assert _revision(quote) == expected
        actions.do_update_quote(quote, title=f"Refined {expected}")
        assert _revision(quote) == expected


def test_it_shows_when_a_sent_quote_is_past_its_validity(client_for, alice, quote, alpha):
    quote.valid_until = today_in(alpha) - timedelta(days=1)
    quote.save()
    actions.do_set_status(quote, QuoteStatus.SENT)
    html = client_for(alice).get(detail_url(quote)).content.decode()
    assert "The validity date" in html and "has passed" in html


# Totals and tax on the page


def _total(html, key):
    start = html.index(f'data-total="{key}">') + len(f'data-total="{key}">')
    return html[start : html.index("<", start)]


def test_it_shows_totals_first_invoice_mrr_and_domestic_vat(client_for, alice, alpha, quote):
    """DE MSP to a DE customer: 19 % on each invoice; the first invoice adds up visibly."""
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    for period, price in (("one_time", "480"), ("monthly", "110"), ("yearly", "300")):
        actions.do_add_line(
            quote,
            description=period,
            quantity=D("1"),
            unit="unit",
            unit_price=D(price),
            billing_period=period,
        )
    html = client_for(alice).get(detail_url(quote)).content.decode()
    assert _total(html, "one_time") == "480.00 EUR"
    assert _total(html, "first_invoice") == "890.00 EUR"
    assert _total(html, "first_invoice_tax") == "169.10 EUR"
    assert _total(html, "first_invoice_gross") == "1,059.10 EUR"
    assert _total(html, "monthly_gross") == "130.90 EUR"
    assert _total(html, "mrr") == "135.00 EUR"
    assert "Domestic VAT" in html and "VAT 19 %" in html
    assert 'data-tax="warning"' not in html
    assert 'class="margins"' not in html  # no cost prices, no margin


def test_it_shows_reverse_charge_with_zero_percent_and_a_note(client_for, alice, alpha, quote):
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    quote.customer.country, quote.customer.tax_id = "AT", "ATU13585627"
    quote.customer.save()
    actions.do_add_line(
        quote,
        description="X",
        quantity=1,
        unit="unit",
        unit_price=D("100"),
        billing_period="monthly",
    )
    html = client_for(alice).get(detail_url(quote)).content.decode()
    # Nobody asked VIES yet: the reverse charge waits for its confirmation, and says so.
    assert "Reverse charge pending VIES confirmation" in html
    assert "VAT 0 %" in html
    assert "the customer accounts for the VAT" in html
    assert _total(html, "first_invoice_gross") == "100.00 EUR"


@pytest.mark.parametrize(
    ("country", "tax_id_type", "tax_id", "label", "warning"),
    [
        ("FR", "none", "", "EU customer without VAT ID: domestic rate", "One-Stop Shop"),
        ("CH", "ch_vat", "CHE-116.281.710 MWST", "Export", None),
        ("", "none", "", "Domestic VAT", "The customer has no country"),
    ],
)
def test_it_labels_the_tax_treatment_and_its_hints(
    client_for, alice, alpha, quote, country, tax_id_type, tax_id, label, warning
):
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    customer = quote.customer
    customer.country, customer.tax_id_type, customer.tax_id = country, tax_id_type, tax_id
    customer.save()
    html = client_for(alice).get(detail_url(quote)).content.decode()
    assert label in html
    if warning:
        assert warning in html
    else:
        assert 'data-tax="warning"' not in html


def test_it_warns_when_the_workspace_has_no_tax_id(client_for, alice, quote):
    html = client_for(alice).get(detail_url(quote)).content.decode()
    assert "Your workspace has no tax ID" in html


def test_it_shows_margins_only_with_cost_prices(client_for, alice, quote, rmm):
    actions.do_add_line(quote, **actions.line_fields_from_service(rmm), quantity=D("12"))
    html = client_for(alice).get(detail_url(quote)).content.decode()
    assert 'class="margins"' in html
    assert _total(html, "margin") == "36.00 EUR"
    assert '<th scope="col" class="num">Margin</th>' in html


def test_it_keeps_the_page_total_equal_to_the_sum_of_its_lines(client_for, alice, quote):
    """Three lines of 1.5 × 0.33 = 0.495 each show 0.50; the total shows 1.50, not 1.49."""
    for _ in range(3):
        actions.do_add_line(
            quote,
            description="Tiny",
            quantity=D("1.5"),
            unit="unit",
            unit_price=D("0.33"),
            billing_period="monthly",
        )
    html = client_for(alice).get(detail_url(quote)).content.decode()
    assert html.count('<td class="num">0.50</td>') == 3
    assert _total(html, "monthly") == "1.50 EUR"


# The list


def test_it_lists_filters_and_searches_quotes(client_for, alice, alpha, acme):
    globex = Customer.objects.create(workspace=alpha, company_name="Globex Corp")
    q1 = actions.do_create_quote(alpha, acme)
    q2 = actions.do_create_quote(alpha, globex)
    actions.do_set_status(q2, QuoteStatus.SENT)
    client = client_for(alice)
    html = client.get("/quotes/").content.decode()
    assert q1.number in html and q2.number in html
    html = client.get("/quotes/", {"status": "sent"}).content.decode()
    assert q2.number in html and q1.number not in html
    html = client.get("/quotes/", {"q": "globex"}).content.decode()
    assert q2.number in html and q1.number not in html
    html = client.get("/quotes/", {"q": q1.number}).content.decode()
    assert q1.number in html and q2.number not in html


def test_it_paginates_the_list(client_for, alice, alpha, acme):
    for _ in range(30):
        actions.do_create_quote(alpha, acme)
    client = client_for(alice)
    first = client.get("/quotes/", {"status": "draft"}).content.decode()
    older = re.search(r'<a href="\?(status=draft&amp;cursor=[^"]+)" rel="next"', first)
    assert older and "Page 1 of" not in first  # keyset pages: no count of all the pages
    second = client.get(f"/quotes/?{older.group(1).replace('&amp;', '&')}").content.decode()
    assert len(re.findall(r'href="/quotes/[0-9a-f-]{36}/"', second)) == 5


def test_the_editor_shows_the_standard_intro_as_the_customer_reads_it(
    client_for, alice, alpha, quote
):
    """A French customer's quote shows its untouched standard intro and closing in French in
    the editor (as on the PDF), says so, and saving them untouched changes nothing."""
    from django.utils import translation

    quote.customer.language = "fr"
    quote.customer.save()
    client = client_for(alice)
    html = client.get(detail_url(quote)).content.decode()
    with translation.override("fr"):
        french_intro = actions.default_intro()
        french_closing = actions.default_closing()
    assert french_intro in html and french_closing in html
    assert "As Acme GmbH reads it (français)." in html
    revision = _revision(quote)
    client.post(
        f"/quotes/{quote.public_id}/details/",
        {
            "customer": str(quote.customer.public_id),
            "currency": quote.currency,
            "valid_until": quote.valid_until.isoformat(),
            "intro": french_intro,
            "closing": french_closing,
        },
    )
    assert _revision(quote) == revision
    quote.refresh_from_db()
    assert quote.intro == actions.default_intro()
    html = client.get(f"/quotes/new/?customer={quote.customer.public_id}").content.decode()
    assert french_intro in html
