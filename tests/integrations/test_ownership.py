"""The pure ownership rule: ours, another workspace's, or nobody's
(integrations/connection/ownership.py)."""

from integrations.connection.ownership import FOREIGN, NOBODY, OURS, classify, customer_id

US, THEM = "ws-us", "ws-them"


def _sub_invoice(mark, customer="cus_1"):
    return {
        "object": "invoice",
        "customer": customer,
        "metadata": {},
        "parent": {"subscription_details": {"metadata": {"mspercury_workspace": mark}}},
    }


def test_it_claims_an_object_with_our_identity_in_its_metadata():
    """A one-time invoice or a subscription names our workspace in its own metadata."""
    assert classify({"metadata": {"mspercury_workspace": US}, "customer": "cus_1"}, US) == OURS


def test_it_claims_a_subscription_invoice_by_its_subscription_metadata():
    """Subscription invoices carry the identity in parent.subscription_details.metadata."""
    assert classify(_sub_invoice(US), US) == OURS


def test_it_claims_an_object_of_a_customer_our_pushes_created():
    """A Dashboard invoice for our Stripe customer is ours."""
    assert classify({"metadata": {}, "customer": "cus_1"}, US, {"cus_1"}) == OURS


def test_it_claims_an_object_whose_expanded_customer_names_us():
    obj = {"customer": {"id": "cus_9", "metadata": {"mspercury_workspace": US}}}
    assert classify(obj, US) == OURS


def test_it_rejects_another_workspaces_identity_anywhere():
    """Another workspace's mark on the object, its subscription or its customer is foreign."""
    assert classify({"metadata": {"mspercury_workspace": THEM}}, US) == FOREIGN
    assert classify(_sub_invoice(THEM), US) == FOREIGN
    obj = {"customer": {"id": "cus_9", "metadata": {"mspercury_workspace": THEM}}}
    assert classify(obj, US, {"cus_1"}) == FOREIGN


def test_it_treats_an_object_naming_two_workspaces_as_foreign():
    """Shown to neither rather than risk one tenant's data in the other."""
    obj = {
        "metadata": {"mspercury_workspace": US},
        "customer": {"id": "cus_1", "metadata": {"mspercury_workspace": THEM}},
    }
    assert classify(obj, US, {"cus_1"}) == FOREIGN


def test_it_calls_an_object_without_identity_nobodys():
    """Made in the Dashboard for an unknown customer; empty marks are no identity."""
    assert classify({"metadata": {}, "customer": "cus_x"}, US, {"cus_1"}) == NOBODY
    assert classify({"metadata": {"mspercury_workspace": ""}, "customer": None}, US) == NOBODY
    assert classify({}, US) == NOBODY
    assert classify({"customer": {"id": "cus_x", "deleted": True}}, US) == NOBODY


def test_it_reads_the_customer_of_any_object():
    assert customer_id({"object": "customer", "id": "cus_1"}) == "cus_1"
    assert customer_id({"customer": "cus_2"}) == "cus_2"
    assert customer_id({"customer": {"id": "cus_3"}}) == "cus_3"
    assert customer_id({"customer": None}) == ""
