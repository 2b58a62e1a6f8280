import html
import re

import pytest

from customers.models import Customer, Project

URL = "/customers/"


def names(response):
    return [c.company_name for c in response.context["page"].object_list]


def test_it_requires_login(client, alpha):
    """Anonymous visitors are sent to the login page."""
    r = client.get(URL)
    assert r.status_code == 302
    assert r["Location"].startswith("/login/")


def test_it_shows_the_empty_state(client_for, alice):
    """Without customers the page says so and offers to add the first one."""
    r = client_for(alice).get(URL)
    assert r.status_code == 200
    html = r.content.decode()
    assert "No customers yet" in html
    assert "Add your first customer" in html
    assert 'href="/customers/new/"' in html


def test_it_lists_only_the_workspaces_customers(client_for, bob, acme, charlie_ws, make_customer):
    """A member sees Alpha's customers with their project count, never another workspace's."""
    make_customer(charlie_ws, "Hidden Charlie Client")
    r = client_for(bob).get(URL)
    html = r.content.decode()
    assert names(r) == ["Acme GmbH"]
    assert "Hidden Charlie Client" not in html
    assert f'href="/customers/{acme.public_id}/"' in html
    assert "DE136695976" in html
    row = html.split(f'id="customer-{acme.public_id}"')[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in row


def test_it_flags_customers_without_email(client_for, alice, alpha, make_customer):
    """A customer without email shows a 'No email' pill in the list."""
    make_customer(alpha, "Mailless AG")
    assert "No email" in client_for(alice).get(URL).content.decode()


@pytest.mark.parametrize(
    "q",
    [
        "acme",
        "ACME GMBH",
        "anna",
        "billing@acme",
        "berlin",
        "DE136695976",
        "de 136 695 976",
        "6695",
    ],
)
def test_it_searches(client_for, alice, alpha, acme, make_customer, q):
    """Search matches company, contact, email, city and tax ID (also typed with spaces)."""
    make_customer(
        alpha,
        "Other Ltd",
        country="GB",
        contact_name="Olga",
        email="o@other.example",
        city="London",
        tax_id_type="gb_vat",
        tax_id="GB980780684",
    )
    r = client_for(alice).get(URL, {"q": q})
    assert names(r) == ["Acme GmbH"]
    assert f'value="{q}"' in r.content.decode()


def test_it_does_not_search_other_workspaces(client_for, alice, acme, charlie_ws, make_customer):
    """A search term that only another workspace's customer matches finds nothing."""
    make_customer(charlie_ws, "Zebra Charlie")
    r = client_for(alice).get(URL, {"q": "zebra"})
    assert names(r) == []


def test_it_says_when_nothing_matches(client_for, alice, acme):
    """A search without results says so, instead of the first-customer empty state."""
    r = client_for(alice).get(URL, {"q": "nothing-like-this"})
    html = r.content.decode()
    assert "No customers match “nothing-like-this”" in html
    assert "No customers yet" not in html


def _link(response, rel):
    """The query string of the page's "next" or "prev" link, or None."""
    found = re.search(rf'<a href="\?([^"]*)" rel="{rel}"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def test_it_paginates_by_25(client_for, alice, alpha):
    """60 customers make three pages of 25, 25 and 10, sorted by company name, walked by
    Next and Previous links; a cursor that is not ours opens the first page."""
    Customer.objects.bulk_create(
        Customer(workspace=alpha, company_name=f"Customer {i:02d}") for i in range(60)
    )
    client = client_for(alice)
    first = client.get(URL)
    assert names(first) == [f"Customer {i:02d}" for i in range(25)]
    assert _link(first, "prev") is None
    assert "Page 1" not in first.content.decode()  # no count of pages: it would scan them all
    second = client.get(f"{URL}?{_link(first, 'next')}")
    third = client.get(f"{URL}?{_link(second, 'next')}")
    assert names(third) == [f"Customer {i:02d}" for i in range(50, 60)]
    assert _link(third, "next") is None
    back = client.get(f"{URL}?{_link(third, 'prev')}")
    assert names(back) == names(second) == [f"Customer {i:02d}" for i in range(25, 50)]
    assert names(client.get(URL, {"cursor": "x"})) == names(first)


def test_it_keeps_the_search_in_page_links(client_for, alice, alpha):
    """Page links of a search carry the search term."""
    Customer.objects.bulk_create(
        Customer(workspace=alpha, company_name=f"Match {i:02d}") for i in range(30)
    )
    r = client_for(alice).get(URL, {"q": "match"})
    assert _link(r, "next").startswith("q=match&cursor=")
    r = client_for(alice).get(f"{URL}?{_link(r, 'next')}")
    assert len(names(r)) == 5


def test_it_lists_with_a_constant_number_of_queries(
    client_for, alice, alpha, django_assert_max_num_queries
):
    """Listing 60 customers with projects takes the same few queries as listing one."""
    customers = Customer.objects.bulk_create(
        Customer(workspace=alpha, company_name=f"Customer {i:02d}", email=f"c{i}@x.example")
        for i in range(60)
    )
    Project.objects.bulk_create(
        Project(workspace=alpha, customer=c, name=f"P{n}") for c in customers for n in range(2)
    )
    client = client_for(alice)
    with django_assert_max_num_queries(8):
        r = client.get(URL)
    assert len(names(r)) == 25
    with django_assert_max_num_queries(8):
        assert len(names(client.get(f"{URL}?{_link(r, 'next')}"))) == 25
    with django_assert_max_num_queries(8):
        client.get(URL, {"q": "customer", "cursor": "x"})
