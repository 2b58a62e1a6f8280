""" "Create quote from findings": the selected findings become a draft quote with one line per
linked service, quantities from the project's counts."""

from decimal import Decimal

from quotes.assessments import actions
from quotes.assessments.models import Finding
from quotes.models import QuoteLine, QuoteStatus


def _findings(assessment, answer, question, services):
    for key, service in [
        ("backup_daily", "backup"),
        ("backup_offsite", "backup"),
        ("endpoint_edr", "edr"),
        ("mfa_email", "mfa"),
    ]:
        actions.do_update_question(question(key), service=services[service])
    answer(
        backup_daily="no", backup_offsite="no", endpoint_edr="no", mfa_email="no", doc_contacts="no"
    )
    return {f.question.key: f for f in Finding.objects.filter(assessment=assessment)}


def test_it_makes_a_draft_quote_with_the_linked_services(
    client_for, alice, assessment, answer, question, services
):
    """One POST: lines for backup (×2 servers), EDR (×12 workstations) and MFA (×1); two
    findings on the same service give one line; the finding without a service adds none."""
    findings = _findings(assessment, answer, question, services)
    url = f"/assessments/{assessment.public_id}/quote/"
    response = client_for(alice).post(
        url, {"finding": [str(f.public_id) for f in findings.values()]}
    )
    finding = Finding.objects.get(pk=findings["mfa_email"].pk)
    quote = finding.quote
    assert response.status_code == 302
    assert response["Location"] == f"/quotes/{quote.public_id}/"
    assert quote.status == QuoteStatus.DRAFT
    assert quote.customer == assessment.customer
    assert quote.project == assessment.project
    lines = list(QuoteLine.objects.filter(quote=quote).order_by("position"))
    assert [(line.service, line.quantity) for line in lines] == [
        (services["backup"], Decimal(2)),
        (services["edr"], Decimal(12)),
        (services["mfa"], Decimal(1)),
    ]
    assert [line.unit_price for line in lines] == [
        Decimal("39.00"),
        Decimal("6.50"),
        Decimal("450.00"),
    ]
    assert lines[2].billing_period == "one_time"
    assert Finding.objects.get(pk=findings["doc_contacts"].pk).quote is None
    page = client_for(alice).get(response["Location"]).content.decode()
    assert "No reliable daily backup" not in page  # lines carry service names, not findings
    assert "Managed server backup" in page


def test_it_orders_lines_by_severity(assessment, answer, question, services, alice):
    """The most severe findings' services come first."""
    findings = _findings(assessment, answer, question, services)
    quote, skipped = actions.do_create_quote_from_findings(
        assessment, list(findings.values()), user=alice
    )
    names = list(QuoteLine.objects.filter(quote=quote).values_list("description", flat=True))
    assert names == ["Managed server backup", "Managed EDR", "MFA rollout"]
    assert [f.question.key for f in skipped] == ["doc_contacts"]


def test_it_uses_only_the_selected_findings(
    client_for, alice, assessment, answer, question, services
):
    """Findings left unticked add nothing."""
    findings = _findings(assessment, answer, question, services)
    client_for(alice).post(
        f"/assessments/{assessment.public_id}/quote/",
        {"finding": [str(findings["endpoint_edr"].public_id)]},
    )
    quote = Finding.objects.get(pk=findings["endpoint_edr"].pk).quote
    assert list(QuoteLine.objects.filter(quote=quote).values_list("description", flat=True)) == [
        "Managed EDR"
    ]


def test_it_refuses_findings_without_services(
    client_for, alice, assessment, answer, question, services
):
    """Nothing to quote: an error, no quote."""
    findings = _findings(assessment, answer, question, services)
    response = client_for(alice).post(
        f"/assessments/{assessment.public_id}/quote/",
        {"finding": [str(findings["doc_contacts"].public_id)]},
        follow=True,
    )
    assert "None of the selected findings links to an active service" in response.content.decode()
    assert not Finding.objects.filter(quote__isnull=False).exists()


def test_it_ignores_findings_of_other_assessments(
    client_for, alice, alpha, acme, assessment, answer, question, services
):
    """A finding id of another assessment is not taken into the quote."""
    findings = _findings(assessment, answer, question, services)
    other = actions.do_create_assessment(alpha, acme)
    response = client_for(alice).post(
        f"/assessments/{other.public_id}/quote/",
        {"finding": [str(findings["endpoint_edr"].public_id)]},
        follow=True,
    )
    assert "Select at least one finding" in response.content.decode()
    assert Finding.objects.get(pk=findings["endpoint_edr"].pk).quote is None
