"""An accepted quote edited before the push: preview and push follow the live quote."""

from decimal import Decimal

from integrations.models import Push
from quotes.actions import do_add_line, do_create_quote, do_delete_line
from quotes.models import QuoteAcceptance
from tests.factories import accept, add_line, service

D = Decimal


def _page(quote):
    return f"/quotes/{quote.public_id}/stripe/"


def _oversized_line(quote):
    return do_add_line(
        quote,
        description="Data centre build",
        quantity=D("1"),
        unit="unit",
        unit_price=D("10000000.00"),
        billing_period="one_time",
    )


def test_it_previews_the_live_quote_after_a_line_is_removed(
    client_for, alice, alpha, connection, fr_customer
):
    """A removed line leaves the preview with its problem, and Create is enabled again."""
    quote = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    add_line(quote, service(alpha, "RMM agent", "monthly", "4.50"), "12")
    line = _oversized_line(quote)
    accept(quote, alice)
    client = client_for(alice)
    html = client.get(_page(quote)).content.decode()
    assert "Data centre build" in html and "above Stripe&#x27;s maximum" in html
    assert _create_button(html).endswith("disabled>")

    do_delete_line(line)
    html = client.get(_page(quote)).content.decode()
    assert "Data centre build" not in html
    assert "maximum" not in html
    assert "disabled" not in _create_button(html)
    assert 'id="push-edited-since"' in html


def _create_button(html: str) -> str:
    form = html[html.index("/stripe/push/") :]
    start = form.index('<button type="submit"')
    return form[start : form.index(">", start) + 1]


def test_it_pushes_the_live_quote_and_keeps_the_accepted_document(
    client_for, alice, connection, mixed_quote, stripe_api, django_capture_on_commit_callbacks
):
    """The push bills the edited revision; the acceptance's snapshot stays as accepted."""
    acceptance = QuoteAcceptance.objects.get(quote=mixed_quote)
    frozen = (acceptance.revision, acceptance.document_sha256, len(acceptance.snapshot["lines"]))
    do_delete_line(mixed_quote.lines.get(description="EDR seat"))
    mixed_quote.refresh_from_db()
    assert mixed_quote.revision > acceptance.revision

    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).post(f"/quotes/{mixed_quote.public_id}/stripe/push/")
    push = Push.objects.get()
    assert push.status == "succeeded", push.error
    assert push.quote_revision == mixed_quote.revision
    monthly = push.steps.get(key="subscription:month:1")
    assert monthly.label.startswith("5× monthly recurring")  # six monthly lines, one removed
    assert monthly.stripe_id.startswith("sub_")
    assert stripe_api.requests(method="POST", path="/v1/subscriptions")

    acceptance.refresh_from_db()
    assert (
        acceptance.revision,
        acceptance.document_sha256,
        len(acceptance.snapshot["lines"]),
    ) == frozen
