"""Quote numbers: Q-<year>-<NNNN>, per workspace and year, gapless and unique under concurrency."""

import threading
from datetime import date

import pytest
from django.db import connection, connections, transaction

from customers.models import Customer
from mspercury import tenancy
from quotes import actions
from quotes.models import Quote, QuoteNumberCounter

THREADS = 12
PER_THREAD = 3


def _create_in_parallel(make, n_threads):
    """Run ``make()`` in ``n_threads`` threads released at the same instant; collect results."""
    barrier = threading.Barrier(n_threads)
    results, errors = [], []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait(timeout=30)
            for _ in range(PER_THREAD):
                value = make()
                with lock:
                    results.append(value)
        except Exception as exc:  # reported by the main thread
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_it_numbers_concurrent_creations_gaplessly(alpha, alice, acme):
    """12 threads × 3 quotes on PostgreSQL, racing for the year's first counter row too:
    numbers 1..36, no gap, no duplicate."""
    assert connection.vendor == "postgresql"
    today = date(2026, 3, 1)

    def make():
        with tenancy.workspace_context(alpha, alice):  # as a request of Alpha's would
            return actions.do_create_quote(alpha, acme, user=alice, today=today).number

    numbers = _create_in_parallel(make, THREADS)
    expected = [f"Q-2026-{n:04d}" for n in range(1, THREADS * PER_THREAD + 1)]
    assert sorted(numbers) == expected
    assert sorted(Quote.objects.filter(workspace=alpha).values_list("number", flat=True)) == (
        expected
    )
    assert QuoteNumberCounter.objects.get(workspace=alpha, year=2026).last_number == len(expected)


@pytest.mark.django_db(transaction=True)
def test_it_numbers_workspaces_independently_under_concurrency(alpha, alice, acme, charlie_ws):
    """Two workspaces creating at once each count from 1."""
    globex = Customer.objects.create(workspace=charlie_ws, company_name="Globex", country="AT")
    today = date(2026, 3, 1)
    turn = iter(range(10**6))
    turn_lock = threading.Lock()

    def make():
        with turn_lock:
            mine = next(turn) % 2
        workspace, customer = (alpha, acme) if mine else (charlie_ws, globex)
        with tenancy.workspace_context(workspace):
            return workspace.pk, actions.do_create_quote(workspace, customer, today=today).number

    results = _create_in_parallel(make, 8)
    for workspace in (alpha, charlie_ws):
        numbers = sorted(number for pk, number in results if pk == workspace.pk)
        assert numbers == [f"Q-2026-{n:04d}" for n in range(1, len(numbers) + 1)]


def test_it_starts_each_year_at_one(alpha, acme):
    """The counter is per year: the first quote of 2027 is Q-2027-0001."""
    numbers = [
        actions.do_create_quote(alpha, acme, today=date(2026, 12, 31)).number,
        actions.do_create_quote(alpha, acme, today=date(2026, 12, 31)).number,
        actions.do_create_quote(alpha, acme, today=date(2027, 1, 1)).number,
        actions.do_create_quote(alpha, acme, today=date(2026, 12, 31)).number,
    ]
    assert numbers == ["Q-2026-0001", "Q-2026-0002", "Q-2027-0001", "Q-2026-0003"]


def test_it_numbers_each_workspace_from_one(alpha, acme, charlie_ws):
    globex = Customer.objects.create(workspace=charlie_ws, company_name="Globex")
    today = date(2026, 6, 1)
    assert actions.do_create_quote(alpha, acme, today=today).number == "Q-2026-0001"
    assert actions.do_create_quote(charlie_ws, globex, today=today).number == "Q-2026-0001"
    assert actions.do_create_quote(alpha, acme, today=today).number == "Q-2026-0002"


def test_it_gives_the_number_back_when_creation_fails(alpha, acme, office, make_service):
    """A creation that fails (here: a per-workstation package without a project) rolls back
    its number, so the next quote takes it and there is no gap."""
    rmm = make_service("RMM", "5", unit="workstation")
    package = actions.do_create_package(alpha, name="Basic")
    actions.do_add_package_item(package, service=rmm, rule="per_workstation", quantity=1)
    today = date(2026, 6, 1)
    assert actions.do_create_quote(alpha, acme, today=today).number == "Q-2026-0001"
    with pytest.raises(actions.QuoteError):
        actions.do_create_quote(alpha, acme, today=today, package=package)
    assert actions.do_create_quote(alpha, acme, today=today).number == "Q-2026-0002"


@pytest.mark.django_db(transaction=True)
def test_it_hands_out_numbers_only_inside_a_transaction(alpha):
    """The counter row is locked (SELECT … FOR UPDATE), which needs the creating transaction."""
    with pytest.raises(transaction.TransactionManagementError):
        actions.next_quote_number(alpha, 2026)
