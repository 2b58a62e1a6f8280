"""The only way views reach customers and projects: another workspace's object is a 404."""

from customers.models import Customer, Project
from mspercury.access import get_for_workspace


def access_customer(request, public_id) -> Customer:
    return get_for_workspace(request, Customer.objects.all(), public_id=public_id)


def access_project(request, customer: Customer, public_id) -> Project:
    return get_for_workspace(request, customer.projects.all(), public_id=public_id)
