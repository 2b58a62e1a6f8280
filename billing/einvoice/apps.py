from django.apps import AppConfig


class EInvoiceConfig(AppConfig):
    name = "billing.einvoice"
    label = "einvoice"
    verbose_name = "E-invoices"
