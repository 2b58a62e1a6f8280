"""Validating customers' VAT IDs: what is stored, reuse, retries, the schedule, in force."""

import itertools
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from celery.exceptions import Retry
from django.db import connection

from customers.models import Customer
from customers.vatids import services, tasks
from customers.vatids.models import VatIdStatus, VatIdValidation
from mspercury import tenancy
from mspercury.models import Workspace

T0 = datetime(2027, 1, 4, 9, 30, tzinfo=UTC)


def _checks(vies_emulator):
    return len(vies_emulator.requests(path="/check-vat-number"))


def test_a_validation_stores_what_vies_returned(vies_emulator, dupont):
    with time_machine.travel(T0, tick=False):
        row = services.validate(dupont)
        assert services.status_for(dupont) == "valid"
    assert row.status == VatIdStatus.VALID
    assert (row.country, row.number) == ("FR", "40303265045")
    assert row.consultation_number.startswith("WAPI")
    assert row.consultation_number == vies_emulator.requests()[-1]["response"]["requestIdentifier"]
    assert row.name == "DUPONT CONSEIL SARL"
    assert row.address == "12 RUE DE LA PAIX\n75002 PARIS"
    assert (row.requester_country, row.requester_number) == ("DE", "136695976")
    assert row.requested_at == row.checked_at == T0
    assert row.request_date == T0  # VIES's requestDate (the emulator's clock)
    assert row.expires_at == T0 + timedelta(days=28)
    assert row.attempts == 1 and row.error_code == "" and row.next_retry_at is None
    assert row.raw_response["valid"] is True
    assert row.workspace_id == dupont.workspace_id


def test_the_workspace_vat_id_is_the_requester(vies_emulator, dupont, msp):
    services.validate(dupont)
    sent = vies_emulator.requests()[-1]["body"]
    assert (sent["requesterMemberStateCode"], sent["requesterNumber"]) == ("DE", "136695976")


def test_without_a_workspace_vat_id_there_is_no_consultation_number(vies_emulator, dupont, msp):
    Workspace.objects.filter(pk=msp.pk).update(tax_id_type="none", tax_id="")
    dupont.refresh_from_db()
    row = services.validate(dupont)
    assert row.status == VatIdStatus.VALID
    assert row.consultation_number == "" and row.requester_country == ""
    assert services.describe(dupont).requester_missing


def test_customers_without_an_eu_vat_id_are_not_checked(vies_emulator, private):
    assert services.validate(private) is None
    assert services.status_for(private) == ""
    assert services.describe(private) is None
    assert _checks(vies_emulator) == 0


def test_an_invalid_verdict_is_stored_with_its_consultation_number(vies_emulator, dupont):
    vies_emulator.set_number("FR40303265045", "invalid")
    row = services.validate(dupont)
    assert row.status == VatIdStatus.INVALID
    assert row.consultation_number.startswith("WAPI")
    assert services.status_for(dupont) == "invalid"


def test_a_validation_is_reused_for_28_days(vies_emulator, dupont):
    with time_machine.travel(T0, tick=False):
        first = services.validate(dupont)
    with time_machine.travel(T0 + timedelta(days=27, hours=23), tick=False):
        assert services.validate(dupont) == first
        assert services.validate(dupont, reason="push") == first
    assert _checks(vies_emulator) == 1
    with time_machine.travel(T0 + timedelta(days=28), tick=False):
        second = services.validate(dupont)
    assert second != first and second.status == VatIdStatus.VALID
    assert second.consultation_number != first.consultation_number
    assert _checks(vies_emulator) == 2
    assert VatIdValidation.objects.filter(customer=dupont).count() == 2


def test_the_reuse_window_is_a_setting(vies_emulator, dupont, settings):
    settings.MSPERCURY_VIES_REUSE_DAYS = 7
    with time_machine.travel(T0, tick=False):
        first = services.validate(dupont)
    assert first.expires_at == T0 + timedelta(days=7)
    with time_machine.travel(T0 + timedelta(days=6), tick=False):
        assert services.validate(dupont) == first
    with time_machine.travel(T0 + timedelta(days=7), tick=False):
        assert services.validate(dupont) != first


def test_force_asks_vies_again(vies_emulator, dupont):
    first = services.validate(dupont)
    second = services.validate(dupont, force=True)
    assert second != first and _checks(vies_emulator) == 2


@pytest.mark.parametrize(
    "code", ["MS_UNAVAILABLE", "MS_MAX_CONCURRENT_REQ", "GLOBAL_MAX_CONCURRENT_REQ", "TIMEOUT"]
)
def test_vies_errors_are_unconfirmed_and_retried_never_invalid(vies_emulator, dupont, code):
    vies_emulator.set_number("FR40303265045", code)
    with time_machine.travel(T0, tick=False):
        row = services.validate(dupont)
        assert services.status_for(dupont) == "unconfirmed"
    assert row.status == VatIdStatus.UNCONFIRMED
    assert row.error_code == code and row.attempts == 1
    assert row.next_retry_at == T0 + timedelta(minutes=1)
    assert row.expires_at is None and row.consultation_number == ""


def test_errors_a_retry_will_not_fix_are_asked_again_daily(vies_emulator, dupont):
    vies_emulator.set_number("FR40303265045", "INVALID_REQUESTER_INFO")
    with time_machine.travel(T0, tick=False):
        row = services.validate(dupont)
    assert row.status == VatIdStatus.UNCONFIRMED
    assert row.next_retry_at == T0 + timedelta(days=1)


def test_retry_delays_back_off_exponentially_up_to_six_hours():
    delays = [services.retry_delay(n) for n in range(1, 12)]
    assert delays[:5] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    assert delays[-1] == timedelta(hours=6)
    assert all(a <= b for a, b in itertools.pairwise(delays))


def test_the_background_retry_turns_unconfirmed_into_valid(vies_emulator, dupont):
    vies_emulator.fault("MS_MAX_CONCURRENT_REQ", times=2)
    with time_machine.travel(T0, tick=False):
        row = services.validate(dupont)
        assert (row.status, row.attempts) == ("unconfirmed", 1)
        assert tasks.retry_vies_validations.apply().result == {}  # not due yet
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert tasks.retry_vies_validations.apply().result == {"unconfirmed": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error_code) == ("unconfirmed", 2, "MS_MAX_CONCURRENT_REQ")
    assert row.next_retry_at == T0 + timedelta(seconds=61) + timedelta(minutes=2)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        assert tasks.retry_vies_validations.apply().result == {}  # backed off
    with time_machine.travel(T0 + timedelta(minutes=3, seconds=2), tick=False):
        assert tasks.retry_vies_validations.apply().result == {"valid": 1}
        assert services.status_for(dupont) == "valid"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error_code) == ("valid", 3, "")
    assert row.consultation_number.startswith("WAPI") and row.name == "DUPONT CONSEIL SARL"
    assert row.next_retry_at is None
    assert VatIdValidation.objects.filter(customer=dupont).count() == 1  # the same check
    assert _checks(vies_emulator) == 3


def test_the_retry_task_asks_vies_once_when_due(vies_emulator, dupont):
    vies_emulator.fault("MS_UNAVAILABLE", times=1)
    with time_machine.travel(T0, tick=False):
        row = services.validate(dupont)
        assert tasks.retry_vies_validation.apply((dupont.workspace_id, row.pk)).result == "not_due"
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert tasks.retry_vies_validation.apply((dupont.workspace_id, row.pk)).result == "valid"
        # Delivered twice: nothing more happens.
        assert tasks.retry_vies_validation.apply((dupont.workspace_id, row.pk)).result == "valid"
    assert _checks(vies_emulator) == 2


def test_with_a_broker_the_retry_task_is_queued_with_the_backoff(
    vies_emulator, dupont, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    vies_emulator.set_number("FR40303265045", "MS_UNAVAILABLE")
    with (
        mock.patch.object(tasks.retry_vies_validation, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
        time_machine.travel(T0, tick=False),
    ):
        row = services.validate(dupont)
    queued.assert_called_once_with((dupont.workspace_id, row.pk), countdown=60.0)


def test_the_retry_task_retries_itself_while_vies_cannot_answer(vies_emulator, dupont):
    vies_emulator.set_number("FR40303265045", "MS_UNAVAILABLE")
    with time_machine.travel(T0, tick=False):
        row = services.validate(dupont)
    with (
        time_machine.travel(T0 + timedelta(minutes=1), tick=False),
        mock.patch.object(tasks.retry_vies_validation, "retry", side_effect=Retry()) as again,
        pytest.raises(Retry),
    ):
        tasks.retry_vies_validation.run(dupont.workspace_id, row.pk)  # as a worker runs it
    again.assert_called_once_with(countdown=120.0)  # attempt 2 → wait 2 minutes
    row.refresh_from_db()
    assert row.attempts == 2


def test_a_retry_of_a_vat_id_the_customer_changed_is_dropped(vies_emulator, dupont):
    vies_emulator.set_number("FR40303265045", "MS_UNAVAILABLE")
    with time_machine.travel(T0, tick=False):
        row = services.validate(dupont)
    Customer.objects.filter(pk=dupont.pk).update(tax_id="FR10402571889")
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert services.retry(row.pk) == "stale"
    row.refresh_from_db()
    assert row.next_retry_at is None and row.status == "unconfirmed"


def test_one_open_check_per_vat_id(vies_emulator, dupont):
    vies_emulator.set_number("FR40303265045", "MS_UNAVAILABLE")
    with time_machine.travel(T0, tick=False):
        first = services.validate(dupont)
        # Not due yet: the schedule and pushes don't ask again; "Check now" does, same row.
        assert services.validate(dupont, reason="push") == first
        assert _checks(vies_emulator) == 1
        forced = services.validate(dupont, force=True)
    assert forced == first
    forced.refresh_from_db()
    assert forced.attempts == 2
    assert VatIdValidation.objects.filter(customer=dupont).count() == 1


def test_status_for_keeps_the_answer_in_force_while_a_recheck_fails(vies_emulator, dupont):
    with time_machine.travel(T0, tick=False):
        services.validate(dupont)
    vies_emulator.set_number("FR40303265045", "MS_UNAVAILABLE")
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        assert services.validate(dupont, force=True).status == "unconfirmed"
        assert services.status_for(dupont) == "valid"


def test_status_for_after_the_answer_expires(vies_emulator, dupont):
    with time_machine.travel(T0, tick=False):
        services.validate(dupont)
    with time_machine.travel(T0 + timedelta(days=29), tick=False):
        assert services.status_for(dupont) == ""  # a valid answer no longer in force
        assert services.describe(dupont).expired
    vies_emulator.set_number("FR40303265045", "invalid")
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        services.validate(dupont)
    vies_emulator.set_number("FR40303265045", "MS_UNAVAILABLE")
    with time_machine.travel(T0 + timedelta(days=70), tick=False):
        assert services.validate(dupont).status == "unconfirmed"
        # VIES's last word was "invalid": an outage does not let reverse charge through.
        assert services.status_for(dupont) == "invalid"


def test_which_validation_was_in_force_on_a_date(vies_emulator, dupont):
    with time_machine.travel(T0, tick=False):  # 2027-01-04
        january = services.validate(dupont)
    vies_emulator.set_number("FR40303265045", "invalid")
    with time_machine.travel(T0 + timedelta(days=40), tick=False):  # 2027-02-13
        february = services.validate(dupont)

    assert services.in_force(dupont, date(2027, 1, 3)) is None
    assert services.in_force(dupont, date(2027, 1, 4)) == january
    assert services.in_force(dupont, date(2027, 1, 31)) == january  # day 28
    assert services.in_force(dupont, date(2027, 2, 1)) is None  # day 29
    assert services.in_force(dupont, date(2027, 2, 13)) == february
    assert services.in_force(dupont, date(2027, 3, 12)) == february
    # At an instant: from the moment of the check.
    assert services.in_force(dupont, T0 - timedelta(seconds=1)) is None
    assert services.in_force(dupont, T0) == january
    # For the VAT ID an old invoice was issued to, after the customer changed it.
    Customer.objects.filter(pk=dupont.pk).update(tax_id="FR10402571889")
    dupont.refresh_from_db()
    assert services.in_force(dupont, date(2027, 1, 10)) is None
    assert services.in_force(dupont, date(2027, 1, 10), vat_id="FR40303265045") == january


def test_the_newest_answer_of_a_day_is_in_force(vies_emulator, dupont):
    with time_machine.travel(T0, tick=False):
        services.validate(dupont)
    vies_emulator.set_number("FR40303265045", "invalid")
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        later = services.validate(dupont, force=True)
    assert services.in_force(dupont, T0.date()) == later


def test_unconfirmed_checks_are_never_in_force(vies_emulator, dupont):
    vies_emulator.set_number("FR40303265045", "MS_UNAVAILABLE")
    services.validate(dupont)
    assert services.in_force(dupont) is None


def test_the_schedule_revalidates_reverse_charge_customers(
    vies_emulator, dupont, muller, private, charlie_ws
):
    # Charlie's Austrian workspace has no VAT ID of its own: no reverse charge, no checks.
    Customer.objects.create(
        workspace=charlie_ws,
        company_name="Rossi",
        country="IT",
        tax_id_type="eu_vat",
        tax_id="IT00743110157",
    )
    with time_machine.travel(T0, tick=False):
        assert tasks.revalidate_reverse_charge_customers.apply().result == {"valid": 1}
    assert [r["body"]["vatNumber"] for r in vies_emulator.requests()] == ["40303265045"]
    assert VatIdValidation.objects.get().customer == dupont  # not Müller (domestic)

    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        assert tasks.revalidate_reverse_charge_customers.apply().result == {"current": 1}
    assert _checks(vies_emulator) == 1
    # A day before it expires, the schedule renews it.
    renewed_at = T0 + timedelta(days=27, hours=10)
    with time_machine.travel(renewed_at, tick=False):
        assert tasks.revalidate_reverse_charge_customers.apply().result == {"valid": 1}
        assert services.in_force(dupont).checked_at == renewed_at
    assert _checks(vies_emulator) == 2


def test_the_schedule_keeps_checking_an_invalid_id(vies_emulator, dupont):
    vies_emulator.set_number("FR40303265045", "invalid")
    with time_machine.travel(T0, tick=False):
        tasks.revalidate_reverse_charge_customers.apply()
    assert services.status_for(dupont) == "invalid"
    vies_emulator.set_number("FR40303265045", "valid")
    with time_machine.travel(T0 + timedelta(days=27, hours=1), tick=False):
        tasks.revalidate_reverse_charge_customers.apply()
        assert services.status_for(dupont) == "valid"


def test_the_schedule_leaves_pending_retries_to_the_retries(vies_emulator, dupont):
    vies_emulator.set_number("FR40303265045", "MS_UNAVAILABLE")
    with time_machine.travel(T0, tick=False):
        tasks.revalidate_reverse_charge_customers.apply()
        assert tasks.revalidate_reverse_charge_customers.apply().result == {"unconfirmed": 1}
    assert _checks(vies_emulator) == 1


def test_before_a_push_reverse_charge_customers_are_revalidated(vies_emulator, dupont, muller):
    assert services.revalidate_before_push(muller) is None  # domestic
    with time_machine.travel(T0, tick=False):
        row = services.revalidate_before_push(dupont)
    assert row.status == "valid" and row.reason == "push"
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        assert services.revalidate_before_push(dupont) == row  # reused
    vies_emulator.set_number("FR40303265045", "MS_UNAVAILABLE")
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        assert services.revalidate_before_push(dupont).status == "unconfirmed"  # no exception


def test_another_workspace_cannot_see_the_validations(vies_emulator, dupont, charlie_ws):
    services.validate(dupont)
    with tenancy.workspace_context(charlie_ws):
        assert VatIdValidation.objects.count() == 0
    with tenancy.workspace_context(dupont.workspace):
        assert VatIdValidation.objects.count() == 1


def test_validation_runs_inside_the_customers_workspace(vies_emulator, dupont):
    with tenancy.workspace_context(dupont.workspace):
        row = services.validate(dupont)
    assert row.status == "valid"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level security is PostgreSQL's")
def test_the_table_is_fenced_by_row_level_security(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = 'vatids_vatidvalidation'"
        )
        assert cursor.fetchone() == (True, True)
        cursor.execute(
            "SELECT count(*) FROM pg_policies WHERE tablename = 'vatids_vatidvalidation'"
        )
        assert cursor.fetchone() == (1,)
